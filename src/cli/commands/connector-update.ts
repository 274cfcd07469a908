import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, ItdError } from "../../errors.js";
import { readYaml, YamlError } from "../../config/yaml.js";
import { serializeLoadConfig } from "../../connector/index.js";
import { checkCatchup, checkCron, checkDelay, checkPriority, checkScheduleName, SlotCalculator, validateTimezone, type ScheduleDefinition } from "../../schedule/index.js";
import { scheduleStream, type NewSchedule } from "../../store/index.js";
import { ArgumentError, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { assertEditable, findSchedule, loadCatalog } from "../schedule-catalog.js";
import { checkConfigShape, dumpSchedule } from "../schedule-config.js";
import { withServices, type Services } from "../services.js";
import { readConfigDocument } from "./connector-create.js";
import { ensureTarget } from "./connector-issue.js";

/**
 * A resume passes the paused stretch (its slots are not caught up). Slots that
 * were due before the pause but had not been dealt with (no daemon ran) are
 * passed too — recorded as `skipped`, saying why, so none vanishes silently.
 */
function recordMissedBeforePause(s: Services, d: ScheduleDefinition): void {
  const mark = s.store.schedules.firedThrough(d.id);
  const pausedAt = s.store.schedules.pausedAt(d.id);
  if (d.cron === "" || mark === undefined || pausedAt === undefined || mark >= pausedAt) return;
  const slots = new SlotCalculator().between(d.cron, d.timezone, mark, pausedAt - d.delay * 1000, MAX_RECORDED_SKIPS);
  s.store.lifecycle.skipSlots(
    { scheduleId: d.id, schedule: d.name, database: d.database, table: d.table, priority: d.priority, config: serializeLoadConfig(checkConfigShape(d.config, d.source), { redact: true }), stream: scheduleStream(d.id) },
    slots,
    "skipped: missed while no daemon ran, then the schedule was paused; a resume does not catch up (connector:run -n backfills)",
  );
}

/** At most this many missed slots are recorded one by one at a resume. */
const MAX_RECORDED_SKIPS = 10_000;

/** TD's `-s` takes an optional value: a bare `-s` means "no schedule" (""). */
export function optionalScheduleValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    out.push(a);
    if (a === "-s" || a === "--schedule") {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next.length > 1)) out.push("");
    }
  }
  return out;
}

export const connectorUpdateCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      optionalScheduleValue(ctx.argv),
      {
        config: { type: "string", short: "c" },
        newname: { type: "string", short: "n" },
        database: { type: "string", short: "d" },
        table: { type: "string", short: "t" },
        schedule: { type: "string", short: "s" },
        timezone: { type: "string", short: "z" },
        delay: { type: "string", short: "D" },
        "time-column": { type: "string", short: "T" },
        priority: { type: "string" },
        catchup: { type: "string" },
        "config-diff": { type: "string" },
        pause: { type: "boolean" },
        resume: { type: "boolean" },
        "auto-create-table": { type: "boolean" },
      },
      { min: 1, max: 2, names: "NAME [load.yml]" },
    );
    const [name, positionalConfig] = positionals as [string, string | undefined];
    if (positionalConfig !== undefined && values.config !== undefined) throw new ArgumentError("give the config once: as an argument or with -c");
    if (values.pause && values.resume) throw new ArgumentError("--pause and --resume contradict each other");
    const configFile = positionalConfig ?? values.config;
    const changes = [configFile, values.newname, values.database, values.table, values.schedule, values.timezone, values.delay,
      values["time-column"], values.priority, values.catchup, values["config-diff"], values.pause, values.resume];
    if (changes.every((c) => c === undefined)) throw new ArgumentError("nothing to update");

    const config = configFile === undefined ? undefined : await readConfigDocument(resolve(ctx.cwd, configFile), ctx.env, ctx.stderr);
    let diff: unknown;
    if (values["config-diff"] !== undefined) {
      const path = resolve(ctx.cwd, values["config-diff"]);
      try {
        diff = readYaml(readFileSync(path, "utf8"), path);
      } catch (err) {
        if (err instanceof YamlError) throw new ConfigError(`--config-diff: ${err.message}`, { cause: err });
        throw new ConfigError(`--config-diff: cannot read ${path}: ${(err as Error).message}`, { cause: err });
      }
      const start = (diff as { in?: { start_time?: unknown } } | null)?.in?.start_time;
      if (diff === null || typeof diff !== "object" || (start !== undefined && typeof start !== "string")) {
        throw new ConfigError(`--config-diff: ${path}: expected a mapping like {in: {start_time: '2026-01-01T00:00:00Z'}}`);
      }
    }
    return withServices(ctx, values, async (s) => {
      const catalog = await loadCatalog(s, ctx.env);
      const current = findSchedule(catalog, name);
      assertEditable(current, "update");
      const next: NewSchedule = {
        name: values.newname !== undefined ? checkScheduleName(values.newname) : current.name,
        cron: values.schedule !== undefined ? checkCron(values.schedule) : current.cron,
        timezone: values.timezone !== undefined ? validateTimezone(values.timezone) : current.timezone,
        delay: values.delay !== undefined ? checkDelay(values.delay) : current.delay,
        database: values.database ?? current.database,
        table: values.table ?? current.table,
        timeColumn: values["time-column"] !== undefined ? values["time-column"] || null : current.timeColumn,
        priority: values.priority !== undefined ? checkPriority(values.priority) : current.priority,
        catchup: values.catchup !== undefined ? checkCatchup(values.catchup) : current.catchup,
        config: config ?? current.config,
        paused: values.pause ? true : values.resume ? false : current.paused,
      };
      if (next.name !== name && catalog.schedules.some((d) => d.name === next.name)) {
        throw new ConfigError(`BulkLoadSession: ${name} update failed: Name ${next.name} has already been taken`);
      }
      if (next.database !== current.database || next.table !== current.table) {
        // As connector:create: the target must exist (or --auto-create-table). td users type -t for a zone by habit.
        const zoneLike = values.table !== undefined && looksLikeTimezone(values.table);
        const hints = zoneLike ? [`-t is the table in connector:update (as in td); the time zone is -z, e.g. -z ${values.table}`] : [];
        await ensureTarget(s, next.database, next.table, values["auto-create-table"] === true, ctx.stderr, hints);
      }
      const updated = s.store.db.transaction(() => {
        if (diff !== undefined) {
          // A rewind under a running job would race its commits: refused until it ends.
          const lease = s.store.lifecycle.liveLease(scheduleStream(current.id));
          if (lease) {
            throw new ItdError("conflict", `schedule ${name} is running (job ${lease.jobId}): --config-diff waits until it ends`, {
              hints: [`Use 'itd job:show ${lease.jobId}' to follow it.`],
            });
          }
        }
        if (current.paused && !next.paused) recordMissedBeforePause(s, current);
        const u = s.store.schedules.update(name, next);
        // A new epoch: the rewind wins over every cursor committed before it, here or in any database's ledger.
        if (diff !== undefined) s.store.cursors.rewind(scheduleStream(u.id), diff);
        return u;
      }).immediate();
      ctx.stdout.write(dumpSchedule(s, { ...updated, source: "cli" }));
      return 0;
    });
  },
};

/** `PST`, `JST`, `UTC`, `Asia/Tokyo`, `+09:00`: a value that is probably a time zone, not a table. */
function looksLikeTimezone(value: string): boolean {
  if (/^[A-Z]{2,5}$/.test(value) || /^[+-]\d{1,2}(:?\d{2})?$/.test(value) || /^[A-Za-z_]+\/[A-Za-z_/+-]+$/.test(value)) return true;
  try {
    validateTimezone(value);
    return true;
  } catch {
    return false;
  }
}
