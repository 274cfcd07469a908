import { realpathSync } from "node:fs";
import { load } from "js-yaml";
import { join, resolve } from "node:path";
import { validateLoadConfig, serializeLoadConfig, type LoadConfig } from "../connector/index.js";
import { ItdError, NotFoundError } from "../errors.js";
import { scheduleStream, type ScheduleRecord } from "../store/index.js";
import { loadScheduleFiles } from "../schedule/files.js";
import type { ScheduleDefinition } from "../schedule/definition.js";
import { describeSlot, SlotCalculator } from "../schedule/index.js";
import type { Services } from "./services.js";
import { configDiffYaml } from "./output.js";

/** An env that satisfies any `${NAME}`: for checking a config's shape where the secret is not needed. */
export const SHAPE_ENV: Readonly<Record<string, string>> = new Proxy({}, { get: () => "placeholder-for-validation" });

/** Checks a load config document; throws with its file-and-key messages. */
export function checkConfigShape(doc: unknown, label: string): LoadConfig {
  return validateLoadConfig(doc, label, SHAPE_ENV);
}

/**
 * A load config a schedule can run: its shape, and `in.columns` (which only
 * `connector:guess` writes; without them every run would fail). Checked when
 * a schedule is made or changed, never on schedules already stored.
 */
export function checkRunnableConfig(doc: unknown, label: string, file?: string): LoadConfig {
  const config = checkConfigShape(doc, label);
  if (config.in.columns === undefined || config.in.columns.length === 0) {
    const target = file ?? "load.yml";
    throw new ItdError("config", `${label}: in.columns: missing; a schedule needs the columns to import, or every run fails`, {
      hints: [`Run 'itd connector:guess ${target} -o ${target}' to guess them from a sample, then try again.`],
    });
  }
  return config;
}

/** A file's real path (symlinks resolved): one file, one schedule, however its folder is reached. */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

export function schedulesDir(s: Services, env: NodeJS.ProcessEnv): string {
  return env["ITD_SCHEDULES"] ?? s.configSchedulesDir ?? join(s.home, "schedules");
}

function fromRecord(r: ScheduleRecord): ScheduleDefinition {
  return { ...r, source: "cli" };
}

export interface Catalog {
  schedules: ScheduleDefinition[];
  problems: string[];
}

/** Every schedule: the store's (made with the CLI) and the files', sorted by name. */
export function loadCatalog(s: Services, env: NodeJS.ProcessEnv): Catalog {
  const files = loadScheduleFiles(schedulesDir(s, env), (doc, label) => void checkRunnableConfig(doc, label));
  const stored = s.store.schedules.list().map(fromRecord);
  const names = new Set(stored.map((x) => x.name));
  const problems = [...files.problems];
  const fromFiles = files.schedules.flatMap((f): ScheduleDefinition[] => {
    if (names.has(f.name)) {
      problems.push(`${f.source}: name: "${f.name}" is already taken by a schedule made with the CLI; ignored`);
      return [];
    }
    // A file is one schedule for its whole life, whatever it says: its id comes from its path.
    return [{ ...f, id: s.store.schedules.fileScheduleId(realPath(f.source), f.name) }];
  });
  return { schedules: [...stored, ...fromFiles].sort((a, b) => a.name.localeCompare(b.name)), problems };
}

export function findSchedule(c: Catalog, name: string): ScheduleDefinition {
  const found = c.schedules.find((x) => x.name === name);
  if (!found) {
    throw new NotFoundError(`BulkLoadSession: ${name} retrieve failed: schedule '${name}' does not exist`, {
      hints: ["Use 'itd connector:list' to show the list of schedules."],
    });
  }
  return found;
}

/** File-defined schedules are read-only from the CLI. */
export function assertEditable(d: ScheduleDefinition, verb: string): void {
  if (d.source !== "cli") {
    throw new ItdError("conflict", `schedule '${d.name}' is defined in ${d.source}: edit (or ${verb === "delete" ? "remove" : "edit"}) that file instead of using connector:${verb}`);
  }
}

/** A schedule as one JSON-ready object (`connector:show -f json`); the key is `***`. */
export function scheduleJson(s: Services, d: ScheduleDefinition, nextRuns = 3): Record<string, unknown> {
  const config = checkConfigShape(d.config, d.source === "cli" ? `schedule ${d.name}` : d.source);
  const cursor = s.store.cursors.get(scheduleStream(d.id));
  const next = d.cron === "" || d.paused ? [] : new SlotCalculator().nextN(d.cron, d.timezone, s.clock.now(), nextRuns);
  return {
    name: d.name, cron: d.cron, timezone: d.timezone, delay: d.delay, database: d.database, table: d.table,
    time_column: d.timeColumn, priority: d.priority, catchup: d.catchup, paused: d.paused, source: d.source,
    config: load(serializeLoadConfig(config, { redact: true })),
    config_diff: cursor?.configDiff ?? null,
    next_runs: next.map((slot) => new Date(slot).toISOString()),
  };
}

/** TD's `dump_connector_session`, plus itd's fields. The key is shown as `***`. */
export function dumpSchedule(s: Services, d: ScheduleDefinition, options: { nextRuns?: number } = {}): string {
  const config = checkConfigShape(d.config, d.source === "cli" ? `schedule ${d.name}` : d.source);
  const cursor = s.store.cursors.get(scheduleStream(d.id));
  const lines = [
    `Name     : ${d.name}`,
    `Cron     : ${d.cron}`,
    `Timezone : ${d.timezone}`,
    `Delay    : ${d.delay}`,
    `Database : ${d.database}`,
    `Table    : ${d.table}`,
    `TimeCol  : ${d.timeColumn ?? ""}`,
    `Priority : ${d.priority}`,
    `Catchup  : ${d.catchup}`,
    `Paused   : ${d.paused ? "yes" : "no"}`,
    `Source   : ${d.source}`,
    "Config",
    "---",
    serializeLoadConfig(config, { redact: true }).trimEnd(),
    "",
    "Config Diff",
    "---",
    cursor ? configDiffYaml(cursor.configDiff) : "",
  ];
  const n = options.nextRuns ?? 0;
  if (n > 0) {
    lines.push("", "Next runs");
    if (d.cron === "") lines.push("  (no schedule: runs only with connector:run)");
    else if (d.paused) lines.push("  (paused)");
    else {
      const calc = new SlotCalculator();
      for (const slot of calc.nextN(d.cron, d.timezone, s.clock.now(), n)) {
        const desc = describeSlot(slot, d.timezone);
        const starts = d.delay ? `  (starts ${describeSlot(slot + d.delay * 1000, d.timezone).local})` : "";
        lines.push(`  ${desc.local}   ${desc.utc}${starts}`);
      }
    }
  }
  return lines.join("\n") + "\n";
}
