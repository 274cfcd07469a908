import type { Clock } from "../clock.js";
import { errorMessage, ItdError } from "../errors.js";
import type { ScheduleDefinition } from "../schedule/index.js";
import { STREAM_LEASE_RENEW_MS, type Job, type JobLifecycle } from "../store/index.js";
import type { IterableClient } from "../iterable/index.js";
import { validateLoadConfig, type LoadConfig } from "./config.js";
import type { Env } from "./config-schema.js";
import { runLoadJob, type LoadJobDeps, type LoadJobSpec, type LoadOutcome } from "./run.js";

/** A started job's hold on its stream: the fencing token, and the lifecycle that renews it. */
export interface HeldLease {
  lifecycle: JobLifecycle;
  token: number;
}

/**
 * Runs `fn` while renewing the job's stream lease every STREAM_LEASE_RENEW_MS
 * (on the injected clock). When a renewal finds the lease gone (it expired
 * during a stall and another run took the stream) the signal given to `fn`
 * aborts, and `lost` is true: the job must not commit anything more.
 */
export async function underLease<T>(
  held: HeldLease,
  job: Pick<Job, "stream">,
  clock: Clock,
  signal: AbortSignal | undefined,
  fn: (signal: AbortSignal, holds: () => boolean) => Promise<T>,
): Promise<{ result: T; lost: boolean }> {
  const stop = new AbortController();
  const run = new AbortController();
  let lost = false;
  const onOuter = (): void => run.abort(signal?.reason);
  if (signal?.aborted) run.abort(signal.reason);
  else signal?.addEventListener("abort", onOuter, { once: true });
  const holds = (): boolean => {
    if (lost) return false;
    if (held.lifecycle.holds(job.stream, held.token)) return true;
    lost = true;
    return false;
  };
  const renew = (async () => {
    for (;;) {
      try {
        await clock.sleep(STREAM_LEASE_RENEW_MS, stop.signal);
      } catch {
        return;
      }
      let ok: boolean;
      try {
        ok = held.lifecycle.heartbeat(job.stream, held.token);
      } catch {
        continue; // state.db busy: try again at the next beat; the lease outlives a few missed ones
      }
      if (!ok) {
        lost = true;
        run.abort(new ItdError("conflict", "the stream's lease was lost (a stall outlived it and another run took the stream over)"));
        return;
      }
    }
  })();
  try {
    const result = await fn(run.signal, holds);
    return { result, lost };
  } finally {
    stop.abort();
    signal?.removeEventListener("abort", onOuter);
    await renew;
  }
}

/** A load's outcome as the job's end. */
export function jobEnd(o: Pick<LoadOutcome, "status" | "records" | "skipped" | "present" | "updated" | "bytes" | "configDiff"> & { error?: string | undefined }) {
  return {
    status: o.status,
    records: o.records,
    skippedRecords: o.skipped,
    presentRecords: o.present,
    updatedRecords: o.updated,
    bytes: o.bytes,
    error: o.error ?? null,
    configDiff: o.configDiff === null ? null : JSON.stringify(o.configDiff),
  };
}

/**
 * Runs a load job that `lifecycle.start` (or `startNew`) started, under its
 * lease, and records its end (releasing the lease). A job that lost its lease
 * ends `killed` saying so, and its slot is queued again.
 */
export async function runStartedJob(
  deps: Omit<LoadJobDeps, "jobs"> & { lifecycle: JobLifecycle; jobs: LoadJobDeps["jobs"] },
  job: Job,
  token: number,
  spec: Omit<LoadJobSpec, "jobId" | "stream" | "lease">,
): Promise<{ job: Job; outcome: LoadOutcome }> {
  const held = { lifecycle: deps.lifecycle, token };
  const { result: outcome, lost } = await underLease(held, job, deps.clock, spec.signal, (signal, holds) =>
    runLoadJob(deps, { ...spec, jobId: job.id, stream: job.stream, signal, lease: { token, holds } }),
  );
  const ended = deps.lifecycle.finish(job, token, jobEnd(outcome), { requeue: lost });
  return { job: ended, outcome };
}

/**
 * Runs a schedule's job (a fired slot, a `connector:run`, a backfill) that is
 * already started with its lease, and records its end. The window of an
 * incremental run ends at the job's scheduled_time. Shared by the daemon and the CLI.
 */
export async function runScheduleJob(
  deps: Omit<LoadJobDeps, "client"> & { env: Env; clientFor: (config: LoadConfig) => Promise<IterableClient>; lifecycle: JobLifecycle; legacyStream?: string | undefined },
  def: ScheduleDefinition,
  job: Job,
  token: number,
  options: Pick<LoadJobSpec, "onCommitted"> & { signal?: AbortSignal; onLog?: (level: "info" | "warn" | "error", message: string) => void } = {},
): Promise<{ job: Job; outcome: LoadOutcome | undefined }> {
  let config: LoadConfig;
  try {
    config = validateLoadConfig(def.config, def.source === "cli" ? `schedule ${def.name}` : def.source, deps.env);
    // A schedule file has no connector:create to make its target: its first run creates the database.
    if (def.source !== "cli" && !(await deps.warehouse.databaseExists(def.database))) {
      await deps.warehouse.createDatabase(def.database, { ifNotExists: true });
      deps.jobs.appendLog(job.id, "info", `database ${def.database} created for the schedule file ${def.source}`);
    }
  } catch (err) {
    // A config that no longer validates (e.g. an unset ${ENV}): the job fails, the schedule stays.
    deps.jobs.appendLog(job.id, "error", errorMessage(err));
    options.onLog?.("error", errorMessage(err));
    const ended = deps.lifecycle.finish(job, token, { status: "error", records: 0, skippedRecords: 0, bytes: 0, error: errorMessage(err) });
    return { job: ended, outcome: undefined };
  }
  return runStartedJob({ ...deps, client: await deps.clientFor(config) }, job, token, {
    config,
    database: def.database,
    table: def.table,
    timeColumn: def.timeColumn ?? config.out.time_column,
    legacyStream: deps.legacyStream,
    scheduledTime: job.scheduledTime ?? undefined,
    signal: options.signal,
    onLog: options.onLog,
    onCommitted: options.onCommitted,
  });
}
