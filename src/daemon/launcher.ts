/**
 * Runs the jobs the dispatcher started, each in a process — a warm one of the
 * pool (pool.ts) or a fresh `itd __job` — and records how each ended:
 *
 * - a pooled process reports its job done (it recorded the job's end, or could
 *   not), then takes the next one; a fresh process exits;
 * - a job whose row still says `running` when its process reported done or
 *   exited was interrupted: it ends `error` and its slot is queued again (as
 *   recovery does), unless it was stopped on purpose (shutdown, a SIGTERM from
 *   outside: `killed`, not retried). Recovery cannot do this for a pooled
 *   process — its pid lives on after the job — so when the daemon cannot
 *   record it (state.db busy), the process is killed: its pid dies and
 *   recovery ends the job;
 * - a job running past `job_timeout` is recorded `killed` and its process
 *   stopped (SIGTERM, SIGKILL if it lingers; a pooled one is retired).
 */
import { thisHost } from "../pid.js";
import { fork, type ChildProcess } from "node:child_process";
import type { Clock } from "../clock.js";
import { errorMessage } from "../errors.js";
import type { RateBudget } from "../iterable/index.js";
import type { Logger } from "../log.js";
import type { ScheduleDefinition } from "../schedule/index.js";
import type { Job, Store } from "../store/index.js";
import type { DaemonMetricsSink } from "./daemon.js";
import { EXIT_TERMINATED_UNRECORDED, serveChild, type ChildMessage, type DoneReport, type ParentMessage } from "./ipc.js";
import type { JobPool, PoolWorker } from "./pool.js";

/** How long a fresh job process gets after SIGTERM before SIGKILL (a pooled one: RETIRE_KILL_AFTER_MS). */
const KILL_AFTER_MS = 10_000;
/** The longest single timer Node keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

export interface LauncherDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  budgets: RateBudget;
  /** Read live (SIGHUP): a new limit applies to jobs started from then on. */
  settings: { jobTimeoutMs?: number | undefined };
  /** Starts `itd __job ID` with an IPC channel (a job no pooled process takes). */
  spawnJob: (jobId: number) => ChildProcess;
  pool: JobPool;
  metrics?: DaemonMetricsSink | undefined;
  /** Whether the daemon is stopping: a job whose process ends unrecorded then was stopped on purpose. */
  stopping: () => boolean;
  /** After each job's end is recorded (the daemon dispatches). */
  onEnded: () => void;
}

/** How a job's process let go of it. */
/** `error`: a fresh process that could not be started at all (it emits `error`, never `exit`). */
type Ending = { kind: "exit"; code: number | null; signal: NodeJS.Signals | null; error?: string } | { kind: "done"; report: DoneReport };

interface Run {
  job: Job;
  /** The job's stream: one job per stream at a time. */
  schedule: string;
  token: number;
  child: ChildProcess;
  /** The pooled process running it; undefined for a fresh process. */
  worker: PoolWorker | undefined;
  /** Resolves when the job's end is recorded (or could not be). */
  ended: Promise<void>;
  settle: () => void;
  /** Aborted when the job is over: ends its job_timeout watch, its budget service and its SIGKILL escalation. */
  gone: AbortController;
  /** Set when job_timeout stopped it: the error text its row ends with. */
  timedOut: string | undefined;
  /** When the dispatcher picked it (epoch ms), and when its process said it runs it. */
  pickedAt: number;
  startedAt: number | undefined;
  report: DoneReport | undefined;
  cleanup: () => void;
}

export class JobLauncher {
  private readonly runs = new Map<number, Run>();
  private readonly schedules = new Set<string>();
  /** Aborted when the daemon lets go of its children (stop, abandon): budget answers and timeout watches end. */
  private readonly childAbort = new AbortController();

  constructor(private readonly deps: LauncherDeps) {}

  get size(): number {
    return this.runs.size;
  }

  /** Streams of the jobs running here. */
  get runningSchedules(): ReadonlySet<string> {
    return this.schedules;
  }

  /**
   * Whether `job`'s row names one of our warm processes, alive, that does not run it (it reported the job
   * done, or runs another one), or this daemon itself: recovery must not wait for that pid to die.
   */
  notRunning(job: Pick<Job, "id" | "pid" | "host">): boolean {
    if (job.pid === null || job.host !== thisHost() || this.runs.has(job.id)) return false;
    // This daemon runs no job in its own process: one recorded there and not launched is a start whose launch
    // never came (on PostgreSQL, a start that committed but whose answer was lost with the connection).
    if (job.pid === process.pid) return true;
    return this.deps.pool.processes.some((w) => w.pid === job.pid && w.jobId !== job.id && !w.gone.signal.aborted);
  }

  /**
   * Runs a job `lifecycle.start` started (with its lease `token`) in a process: the job runs the definition
   * that fired it, even if its file has broken since. `pickedAt`: when the dispatcher picked it;
   * `leaseCheckedAt`: when the daemon last found it held the home's lease before deciding to launch (logged).
   */
  launch(job: Job, schedule: string, token: number, definition: ScheduleDefinition | null, at: { pickedAt: number; leaseCheckedAt: number }): void {
    const { logger, store, pool } = this.deps;
    const worker = pool.take(job.id);
    const warm = worker?.ready ?? false;
    const child = worker?.child ?? this.deps.spawnJob(job.id);
    // Nothing below may throw before the run is tracked (an untracked process would keep its job and its stream
    // forever): state.db writes come last, and a failed one only warns.
    const gone = new AbortController();
    let settle = (): void => undefined;
    const ended = new Promise<void>((resolve) => (settle = resolve));
    const run: Run = {
      job, schedule, token, child, worker, ended, settle, gone, timedOut: undefined, pickedAt: at.pickedAt, startedAt: undefined, report: undefined,
      cleanup: () => undefined,
    };
    this.runs.set(job.id, run);
    this.schedules.add(schedule);
    const onMessage = (raw: unknown): void => {
      const m = raw as ChildMessage;
      if (m.t === "started" && m.jobId === job.id) run.startedAt = m.at;
      if (m.t !== "done" || m.jobId !== job.id) return;
      run.report = m;
      // A fresh process's end is its exit; a pooled one's, this report.
      if (worker) this.end(run, { kind: "done", report: m });
    };
    child.on("message", onMessage);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => this.end(run, { kind: "exit", code, signal });
    let offGone = (): void => undefined;
    if (worker) offGone = worker.onGone(onExit);
    else {
      child.once("exit", onExit);
      // A fork that fails after it returned (EAGAIN at the process limit, EMFILE) emits `error` and no `exit`;
      // unheard, that error would end the daemon. Kept after the run ends: a later error must not either.
      child.on("error", (err: Error) => {
        logger.error({ jobId: job.id, jobPid: child.pid, err: err.message }, "the job process failed");
        if (child.pid === undefined) this.end(run, { kind: "exit", code: null, signal: null, error: err.message });
      });
    }
    run.cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
      offGone();
    };
    serveChild(child, this.deps.budgets, job.id, {
      request: (e) => this.deps.metrics?.request(e),
      committed: (records) => this.deps.metrics?.committed(job.schedule ?? schedule, records),
    }, AbortSignal.any([this.childAbort.signal, gone.signal]));
    child.send({ t: "definition", jobId: job.id, definition, token } satisfies ParentMessage, (err) => {
      if (!err) return;
      logger.warn({ jobId: job.id, jobPid: child.pid, err: err.message }, "could not hand the job process its job");
      // A pooled process that never got its job must not keep it: killed, its exit ends the job (interrupted,
      // queued again). A fresh one exits by itself when its channel is gone.
      if (worker) pool.retire(worker, "could not hand it its job", "SIGKILL");
    });
    logger.info(
      {
        jobId: job.id, schedule: job.schedule, slot: job.scheduledTime ? new Date(job.scheduledTime).toISOString() : null, jobPid: child.pid,
        pooled: worker !== undefined, warm, leaseCheckedAt: new Date(at.leaseCheckedAt).toISOString(),
      },
      "start",
    );
    const limit = this.deps.settings.jobTimeoutMs;
    if (limit !== undefined && limit > 0) void this.watchJobTimeout(run, limit);
    try {
      // Bookkeeping: the job and its lease name the job process from now on (the job process says so too).
      if (child.pid !== undefined) store.lifecycle.handOver(job, token, { pid: child.pid, host: thisHost() });
    } catch (err) {
      logger.warn({ jobId: job.id, err: errorMessage(err) }, "could not record the job process's pid (state.db busy); it records it itself");
    }
  }

  /** Settles a run once, whichever comes first: its process's report or its exit. */
  private end(run: Run, how: Ending): void {
    if (run.gone.signal.aborted) return;
    run.gone.abort();
    run.cleanup();
    this.runs.delete(run.job.id);
    this.schedules.delete(run.schedule);
    const { logger, pool } = this.deps;
    let recorded = true;
    try {
      this.recordEnd(run, how);
    } catch (err) {
      recorded = false;
      // Left running: a dead pid is ended by the periodic recovery, which also queues its slot again.
      logger.error({ jobId: run.job.id, err: errorMessage(err) }, "could not record the end of the job; recovery will");
    }
    if (run.worker && how.kind === "done") {
      if (!recorded) {
        // Its pid would keep the row `running` past recovery: it dies, and recovery ends the job.
        pool.retire(run.worker, "its job's end could not be recorded", "SIGKILL");
      } else if (how.report.refused) {
        pool.retire(run.worker, "it declined a job", "none");
      } else {
        pool.returned(run.worker, how.report);
      }
    }
    run.settle();
    this.deps.onEnded();
  }

  /** Records how a job ended (unless its process recorded it) and releases its lease. */
  private recordEnd(run: Run, how: Ending): void {
    const { store, logger } = this.deps;
    const { job, token } = run;
    if (how.kind === "done" && how.report.refused) {
      // It never touched the job (it was busy, or leaving): the job waits in the queue for another process.
      store.lifecycle.unstart(job, token);
      logger.warn({ jobId: job.id, jobPid: run.child.pid }, "the job process declined the job (busy, or leaving): queued again");
      return;
    }
    const found = store.jobs.listJobs({ id: job.id })[0];
    if (found === undefined) {
      // It ended and its history was already pruned (job:prune): nothing to record but its lease.
      store.leases.release(job.stream, token);
      return;
    }
    let ended = found;
    if (run.timedOut !== undefined && (ended.status === "running" || ended.status === "killed")) {
      // Its own end says "killed: interrupted by SIGTERM"; the reason is the limit. (A job that finished in
      // between keeps its success or error.)
      ended = store.jobs.finishJob(job.id, {
        status: "killed", records: ended.records, skippedRecords: ended.skippedRecords, bytes: ended.bytes, error: run.timedOut,
        configDiff: ended.configDiff,
      });
    } else if (ended.status === "running") {
      // Its process let go of it without recording an end: interrupted, its slot queued again (as recovery does) —
      // unless it was stopped on purpose: by our shutdown, or by a SIGTERM from outside (job:kill, an operator)
      // that came before it could record its own end. A killed slot is not retried.
      const sigterm = how.kind === "exit" ? how.signal === "SIGTERM" || how.code === EXIT_TERMINATED_UNRECORDED : how.report.terminated;
      const stopping = this.deps.stopping();
      const stopped = stopping || sigterm;
      ended = store.lifecycle.finish(job, token, {
        status: stopped ? "killed" : "error", records: ended.records, skippedRecords: ended.skippedRecords, bytes: ended.bytes,
        error: stopped && !stopping
          ? "killed: its process got SIGTERM (job:kill or an operator) before it could record its end"
          : how.kind === "exit"
            ? how.error !== undefined
              ? `interrupted: its job process could not be started (${how.error})`
              : `interrupted: the job process exited (${how.signal ?? `code ${how.code}`}) before finishing`
            : "interrupted: the job process let go of the job without recording its end",
      }, { requeue: !stopped });
    }
    // Its process released it with its end (usually): a write only when it is still there.
    if (store.leases.get(job.stream)?.token === token) store.leases.release(job.stream, token);
    this.deps.metrics?.jobEnded(ended);
    const fields = {
      jobId: ended.id, schedule: ended.schedule, status: ended.status, records: ended.records, durationMs: (ended.endAt ?? 0) - (ended.startAt ?? 0),
      pooled: run.worker !== undefined,
      // From the dispatcher's pick to the job running in its process (its pid recorded), and the job's own CPU there.
      pickToRunMs: run.startedAt === undefined ? null : run.startedAt - run.pickedAt,
      jobCpuMs: run.report?.cpuMs ?? null,
    };
    if (ended.status === "success") logger.info(fields, "finish");
    else logger.error({ ...fields, err: ended.error }, "finish");
  }

  /** Waits `limitMs` of the job's run (in timer-sized steps), then stops it unless it ended first. */
  private async watchJobTimeout(run: Run, limitMs: number): Promise<void> {
    const over = AbortSignal.any([run.gone.signal, this.childAbort.signal]);
    try {
      for (let left = limitMs; left > 0; ) {
        const step = Math.min(left, MAX_TIMER_MS);
        await this.deps.clock.sleep(step, over);
        left -= step;
      }
    } catch {
      return; // the job ended first
    }
    if (over.aborted) return;
    const { store, logger } = this.deps;
    const jobId = run.job.id;
    const message = `killed: the job_timeout of ${formatDuration(limitMs)} was exceeded`;
    run.timedOut = message;
    logger.error({ jobId, schedule: run.schedule, jobTimeoutMs: limitMs, jobPid: run.child.pid }, "job_timeout exceeded: stopping the job");
    try {
      // Recorded before the process is stopped, so a daemon that dies meanwhile leaves no running row to retry.
      const now = store.jobs.getJob(jobId);
      if (now.status === "running") {
        store.jobs.finishJob(jobId, {
          status: "killed", records: now.records, skippedRecords: now.skippedRecords, bytes: now.bytes, error: message, configDiff: now.configDiff,
        });
      }
      store.jobs.appendLog(jobId, "error", message);
    } catch (err) {
      logger.error({ jobId, err: errorMessage(err) }, "could not record the job_timeout; stopping the job anyway");
    }
    await this.terminate(run, "job_timeout exceeded");
  }

  /**
   * Stops a job the way shutdown does: SIGTERM to its process (the job ends `killed`, nothing half-written),
   * SIGKILL if it lingers. A pooled process is retired (it exits after recording; a spare is spawned if none is left).
   */
  private async terminate(run: Run, why: string): Promise<void> {
    if (run.gone.signal.aborted) return;
    if (run.worker) {
      this.deps.pool.retire(run.worker, why, "SIGTERM");
      await run.ended;
      return;
    }
    run.child.kill("SIGTERM");
    try {
      await this.deps.clock.sleep(KILL_AFTER_MS, run.gone.signal);
    } catch {
      return; // exited
    }
    run.child.kill("SIGKILL");
    await run.ended;
  }

  /**
   * Stops: running jobs get `graceMs` to finish, then are stopped (they end `killed`); then every pooled
   * process exits. Resolves when all are gone.
   */
  async stop(graceMs: number): Promise<void> {
    const { logger, pool } = this.deps;
    pool.drain();
    const all = (): Promise<void[]> => Promise.all([...this.runs.values()].map((r) => r.ended));
    if (this.runs.size > 0) {
      logger.info({ running: this.runs.size, graceMs }, "stopping: waiting for running jobs");
      const timedOut = await Promise.race([all().then(() => false), delay(graceMs).then(() => true)]);
      if (timedOut) await Promise.all([...this.runs.values()].map((r) => this.terminate(r, "shutdown_grace is over")));
    }
    await pool.stop();
    this.childAbort.abort();
  }

  /**
   * After a lost lease: lets go of every process at once, waiting for nothing. They are disconnected and
   * stop, like when the daemon dies; the daemon that holds the home now recovers their jobs and queues their
   * slots again.
   */
  abandon(): void {
    this.childAbort.abort();
    this.deps.pool.abandon();
    for (const run of this.runs.values()) {
      if (run.worker) continue;
      try {
        if (run.child.connected) run.child.disconnect();
      } catch {
        // already gone
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `2d`, `12h`, `90m`, `3s`, `1.5s`: a limit as the config would write it. */
function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** `fork` of the CLI's `__job` command with an IPC channel: a fresh process for one job. */
export function forkJob(itdEntry: string, env: NodeJS.ProcessEnv): (jobId: number) => ChildProcess {
  return (jobId) => fork(itdEntry, ["__job", String(jobId)], { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** `fork` of the CLI's `__jobs` command with an IPC channel: a pooled process that runs jobs one at a time. */
export function forkJobWorker(itdEntry: string, env: NodeJS.ProcessEnv): () => ChildProcess {
  return () => fork(itdEntry, ["__jobs"], { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}
