/**
 * Checking and showing schedules' load configs (the zod schema): for the
 * commands that make, change, show or run schedules, and for reading schedule
 * files. Listings (schedule-catalog.ts) do not load it.
 */
import { load } from "js-yaml";
import { validateLoadConfig, serializeLoadConfig, type LoadConfig } from "../connector/config.js";
import { ItdError } from "../errors.js";
import { scheduleStream } from "../store/index.js";
import { loadScheduleFiles, type LoadedScheduleFiles } from "../schedule/files.js";
import type { ScheduleDefinition } from "../schedule/definition.js";
import { SlotCalculator } from "../schedule/calculator.js";
import { describeSlot } from "../schedule/describe.js";
import type { Services } from "./services.js";
import { configDiffYaml } from "./config-diff.js";
import { recordsText } from "./commands/job.js";

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

/** A schedules directory's files, each checked as a schedule a daemon can run (a ScheduleFilesReader). */
export function readScheduleFilesChecked(dir: string): LoadedScheduleFiles {
  return loadScheduleFiles(dir, (doc, label) => void checkRunnableConfig(doc, label));
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
    last_run: lastRunJson(s, d),
  };
}

function lastRunJson(s: Services, d: ScheduleDefinition): Record<string, unknown> | null {
  const last = s.store.jobs.listJobs({ scheduleId: d.id, limit: 1 })[0];
  if (last === undefined) return null;
  return {
    job_id: last.id, status: last.status, records: last.records, skipped_records: last.skippedRecords,
    present_records: last.presentRecords, updated_records: last.updatedRecords,
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
    // connector:show: the last run, with what the table's key did to its records (issue 15).
    const last = s.store.jobs.listJobs({ scheduleId: d.id, limit: 1 })[0];
    lines.push("", `Last run : ${last === undefined ? "(none yet)" : `job ${last.id} ${last.status}, records ${recordsText(last)}`}`);
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
