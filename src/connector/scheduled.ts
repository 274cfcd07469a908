import { errorMessage } from "../errors.js";
import type { ScheduleDefinition } from "../schedule/index.js";
import { scheduleStream, type Job } from "../store/index.js";
import type { IterableClient } from "../iterable/index.js";
import { validateLoadConfig, type LoadConfig } from "./config.js";
import type { Env } from "./config-schema.js";
import { recordOutcome, runLoadJob, type LoadJobDeps, type LoadOutcome } from "./run.js";

/**
 * Runs a schedule's job (a fired slot, a `connector:run`, a backfill) that is
 * already marked running, and records its end. The window of an incremental
 * run ends at the job's scheduled_time. Shared by the daemon and the CLI.
 */
export async function runScheduleJob(
  deps: Omit<LoadJobDeps, "client"> & { env: Env; clientFor: (config: LoadConfig) => IterableClient },
  def: ScheduleDefinition,
  job: Job,
  options: { signal?: AbortSignal; onLog?: (level: "info" | "warn" | "error", message: string) => void } = {},
): Promise<{ job: Job; outcome: LoadOutcome | undefined }> {
  let outcome: LoadOutcome | undefined;
  try {
    const config = validateLoadConfig(def.config, def.source === "cli" ? `schedule ${def.name}` : def.source, deps.env);
    // A schedule file has no connector:create to make its target: its first run creates the database.
    if (def.source !== "cli" && !deps.warehouse.databaseExists(def.database)) {
      deps.warehouse.createDatabase(def.database);
      deps.jobs.appendLog(job.id, "info", `database ${def.database} created for the schedule file ${def.source}`);
    }
    outcome = await runLoadJob({ ...deps, client: deps.clientFor(config) }, {
      jobId: job.id,
      config,
      database: def.database,
      table: def.table,
      timeColumn: def.timeColumn ?? config.out.time_column,
      stream: scheduleStream(def.name),
      scheduledTime: job.scheduledTime ?? undefined,
      signal: options.signal,
      onLog: options.onLog,
    });
  } catch (err) {
    // A config that no longer validates (e.g. an unset ${ENV}): the job fails, the schedule stays.
    deps.jobs.appendLog(job.id, "error", errorMessage(err));
    options.onLog?.("error", errorMessage(err));
    return { job: recordOutcome(deps.jobs, job.id, { status: "error", records: 0, skipped: 0, bytes: 0, error: errorMessage(err), configDiff: null }), outcome };
  }
  return { job: recordOutcome(deps.jobs, job.id, outcome), outcome };
}
