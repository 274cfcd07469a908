/**
 * The scheduler daemon: the timer loop (Scheduler) queues slots as jobs in
 * state.db; the dispatcher starts queued jobs in child processes (one schedule
 * never runs two at once; at most `maxConcurrentJobs` overall; priority, then
 * slot order); a job running past `jobTimeoutMs` is stopped (status killed)
 * while the others go on; reloads pick up CLI and file changes; stop() drains
 * within the grace period. Everything it needs is passed in (composition in cli/commands/daemon.ts).
 */
import { fork, type ChildProcess } from "node:child_process";
import { watch, type FSWatcher } from "node:fs";
import { hostname } from "node:os";
import type { Clock } from "../clock.js";
import { errorMessage, ItdError } from "../errors.js";
import type { RateBudgets } from "../iterable/index.js";
import type { Logger } from "../log.js";
import { isProcessAlive } from "../pid.js";
import { SlotCalculator, type ScheduleDefinition } from "../schedule/index.js";
import type { Job, Store } from "../store/index.js";
import { serveChild, type ChildMessage, type ParentMessage } from "./ipc.js";
import { pickJobs, scheduleKey } from "./pick.js";
import { Scheduler, type SchedulerEvent } from "./scheduler.js";
import { StateSlotStore } from "./slot-store.js";

export interface DaemonSettings {
  maxConcurrentJobs: number;
  /** ms */
  shutdownGraceMs: number;
  /** ms a job may run before it is stopped (status killed); undefined = no limit. */
  jobTimeoutMs?: number | undefined;
  catchupCap: number;
  /** ms; undefined = keep history forever */
  historyRetentionMs: number | undefined;
  schedulesDir: string;
}

export interface DaemonMetricsSink {
  fired(lateMs: number): void;
  jobEnded(job: Job): void;
  running(n: number): void;
  schedules(bySource: { cli: number; file: number }): void;
  request(e: (ChildMessage & { t: "request" })["event"]): void;
  tick(ms: number): void;
}

export interface DaemonDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  budgets: RateBudgets;
  settings: DaemonSettings;
  /** Every schedule (store and files) and the problems of invalid files. */
  loadDefinitions: () => { schedules: ScheduleDefinition[]; problems: string[] };
  /** The redacted config text stored with each job. */
  configText: (def: ScheduleDefinition) => string;
  /** Starts `itd __job ID` with an IPC channel. */
  spawnJob: (jobId: number) => ChildProcess;
  metrics?: DaemonMetricsSink;
}

const HEARTBEAT_MS = 2_000;
const POLL_MS = 1_000;
/** How long a job process gets after SIGTERM before SIGKILL. */
const KILL_AFTER_MS = 10_000;
/** The longest single timer Node keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

interface RunningJob {
  child: ChildProcess;
  schedule: string;
  exited: Promise<void>;
  /** Aborted when the process exits: ends its job_timeout watch and its SIGKILL escalation. */
  gone: AbortController;
  /** Set when job_timeout stopped it: the error text its row ends with. */
  timedOut: string | undefined;
}

export class Daemon {
  private readonly scheduler: Scheduler;
  private readonly slotStore: StateSlotStore;
  private readonly running = new Map<number, RunningJob>();
  private readonly runningSchedules = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private watcher: FSWatcher | undefined;
  private dataVersion = -1;
  private schedulesVersion = -1;
  private lastPoll = 0;
  private stopping = false;
  private readonly childAbort = new AbortController();
  private lastFileProblems = "";
  private defs: ScheduleDefinition[] = [];

  constructor(private readonly deps: DaemonDeps) {
    this.slotStore = new StateSlotStore(deps.store.jobs, deps.configText);
    this.scheduler = new Scheduler({
      clock: deps.clock,
      slots: new SlotCalculator(),
      store: this.slotStore,
      catchupCap: deps.settings.catchupCap,
      onEvent: (e) => this.onSchedulerEvent(e),
    });
  }

  /** Last time the daemon's own loop ran (health). */
  get lastTick(): number {
    return this.lastPoll;
  }

  get healthy(): boolean {
    return this.deps.clock.now() - this.lastPoll < 10_000;
  }

  /** Takes the home's lock, recovers interrupted jobs, loads schedules and starts firing. */
  async start(): Promise<void> {
    const { store, logger, clock } = this.deps;
    const other = store.daemon.acquire(process.pid, hostname(), 10_000, isProcessAlive);
    if (other) throw new ItdError("conflict", `another itd daemon (pid ${other.pid} on ${other.host}) is running on this home; stop it first`);
    for (const job of store.jobs.recoverInterrupted(isProcessAlive)) {
      logger.warn({ jobId: job.id, schedule: job.schedule }, "job interrupted by a dead process: marked error");
      if (job.schedule !== null && job.scheduledTime !== null && job.kind !== "issue") {
        const retry = store.jobs.createJob({
          kind: job.kind, schedule: job.schedule, scheduledTime: job.scheduledTime, database: job.database, table: job.table,
          priority: job.priority, config: job.config, stream: job.stream,
        });
        logger.info({ jobId: retry.id, schedule: job.schedule, slot: new Date(job.scheduledTime).toISOString() }, "slot queued again after the interruption");
      }
    }
    this.reload("start");
    this.lastPoll = clock.now();
    void this.scheduler.start();
    this.timers.push(setInterval(() => store.daemon.beat(process.pid, hostname()), HEARTBEAT_MS));
    this.timers.push(setInterval(() => this.poll(), POLL_MS));
    if (!this.ensureWatcher()) {
      logger.info({ dir: this.deps.settings.schedulesDir }, "schedules directory not found; create it to add schedule files (checked every second)");
    }
    this.dispatch();
    logger.info({ schedules: this.scheduler.size, pid: process.pid }, "daemon started");
  }

  /** Watches the schedules directory once it exists; true when watching. */
  private ensureWatcher(): boolean {
    if (this.watcher) return true;
    try {
      this.watcher = watch(this.deps.settings.schedulesDir, () => this.debouncedReload());
      this.watcher.on("error", () => {
        this.watcher?.close();
        this.watcher = undefined; // e.g. the directory was removed: look for it again
      });
      return true;
    } catch {
      return false;
    }
  }

  private reloadTimer: NodeJS.Timeout | undefined;
  private debouncedReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.reload("schedules/ changed"), 200);
  }

  /** Re-reads every schedule; an invalid file is reported and its previous version kept. */
  reload(reason: string): void {
    const { logger } = this.deps;
    try {
      const { schedules, problems } = this.deps.loadDefinitions();
      const text = problems.join("\n");
      if (text !== this.lastFileProblems) for (const p of problems) logger.error({ reason }, `schedule file: ${p}`);
      this.lastFileProblems = text;
      // Keep the previous version of a file schedule whose file is now invalid.
      const names = new Set(schedules.map((s) => s.name));
      const kept = this.defs.filter((d) => d.source !== "cli" && !names.has(d.name) && problems.some((p) => p.startsWith(d.source)));
      this.defs = [...schedules, ...kept];
      this.slotStore.setDefinitions(this.defs);
      this.scheduler.setSchedules(this.defs);
      this.dataVersion = this.deps.store.schedules.dataVersion();
      this.schedulesVersion = this.deps.store.schedules.version();
      this.deps.metrics?.schedules({ cli: this.defs.filter((d) => d.source === "cli").length, file: this.defs.filter((d) => d.source !== "cli").length });
      logger.debug({ reason, schedules: this.defs.length }, "schedules loaded");
    } catch (err) {
      logger.error({ reason, err: errorMessage(err) }, "reload failed; the previous schedules stay");
    }
  }

  private poll(): void {
    this.lastPoll = this.deps.clock.now();
    this.deps.metrics?.tick(this.lastPoll);
    // Job processes commit progress all the time; only a schedule change means a reload.
    const v = this.deps.store.schedules.dataVersion();
    const changed = v !== this.dataVersion && this.deps.store.schedules.version() !== this.schedulesVersion;
    this.dataVersion = v;
    if (changed) {
      this.reload("schedules changed in state.db");
    } else if (!this.watcher && this.ensureWatcher()) {
      this.reload("schedules/ appeared");
    }
    this.dispatch();
  }

  private lastPrune = 0;
  private prune(): void {
    const ms = this.deps.settings.historyRetentionMs;
    const now = this.deps.clock.now();
    if (ms === undefined || now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    const n = this.deps.store.jobs.prune(now - ms);
    if (n > 0) this.deps.logger.info({ pruned: n }, "job history pruned");
  }

  private onSchedulerEvent(e: SchedulerEvent): void {
    const { logger } = this.deps;
    switch (e.type) {
      case "fire":
        // Catch-up claims of missed slots are hours late by nature: the histogram is about on-time firing.
        if (e.lateMs <= 60_000) this.deps.metrics?.fired(e.lateMs);
        logger.info({ schedule: e.schedule, slot: new Date(e.slot).toISOString(), lateMs: e.lateMs }, "fire");
        queueMicrotask(() => this.dispatch());
        break;
      case "skip":
        logger.warn({ schedule: e.schedule, slots: e.slots.length, first: new Date(e.slots[0] ?? 0).toISOString(), reason: e.reason }, "skip");
        break;
      case "catchup":
        logger.info({ schedule: e.schedule, slots: e.slots.length }, "catching up missed slots");
        break;
      case "duplicate":
        logger.debug({ schedule: e.schedule, slot: new Date(e.slot).toISOString() }, "slot already has a job");
        break;
      case "error":
        logger.error({ schedule: e.schedule, err: e.message }, "scheduler error");
        break;
      default: {
        const never: never = e;
        logger.error({ event: never }, "unknown scheduler event");
      }
    }
  }

  /** Starts queued jobs: (aged) priority then slot order, one per schedule, at most maxConcurrentJobs. */
  private dispatch(): void {
    if (this.stopping) return;
    this.prune();
    const { store, logger, settings } = this.deps;
    let free = settings.maxConcurrentJobs - this.running.size;
    if (free <= 0) return;
    for (const job of pickJobs(store.jobs.listQueued(), this.runningSchedules, free, this.deps.clock.now())) {
      if (!store.jobs.claimQueued(job.id, process.pid)) continue;
      this.launch(job, scheduleKey(job));
      free--;
    }
    this.deps.metrics?.running(this.running.size);
    logger.trace({ running: this.running.size }, "dispatch");
  }

  private launch(job: Job, schedule: string): void {
    const { logger, store } = this.deps;
    const child = this.deps.spawnJob(job.id);
    if (child.pid !== undefined) store.jobs.setPid(job.id, child.pid);
    // The job runs the definition that fired it, even if its file has broken since.
    const definition = this.defs.find((d) => d.name === job.schedule) ?? null;
    child.send({ t: "definition", definition } satisfies ParentMessage, (err) => {
      if (err) logger.warn({ jobId: job.id, err: err.message }, "could not hand the job process its definition");
    });
    serveChild(child, this.deps.budgets, (m) => this.deps.metrics?.request(m.event), this.childAbort.signal);
    this.runningSchedules.add(schedule);
    logger.info({ jobId: job.id, schedule: job.schedule, slot: job.scheduledTime ? new Date(job.scheduledTime).toISOString() : null, pid: child.pid }, "start");
    const gone = new AbortController();
    const exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        gone.abort();
        this.running.delete(job.id);
        this.runningSchedules.delete(schedule);
        let ended = store.jobs.getJob(job.id);
        const timedOut = run.timedOut;
        if (timedOut !== undefined && (ended.status === "running" || ended.status === "killed")) {
          // Its own end says "killed: interrupted by SIGTERM"; the reason is the limit. (A job that finished in
          // between keeps its success or error.)
          ended = store.jobs.finishJob(job.id, {
            status: "killed", records: ended.records, skippedRecords: ended.skippedRecords, bytes: ended.bytes, error: timedOut,
            configDiff: ended.configDiff,
          });
        } else if (ended.status === "running") {
          // The job process died without recording an end.
          ended = store.jobs.finishJob(job.id, {
            status: this.stopping ? "killed" : "error", records: ended.records, skippedRecords: ended.skippedRecords, bytes: ended.bytes,
            error: `job process exited (${signal ?? `code ${code}`}) before finishing`,
          });
        }
        this.deps.metrics?.jobEnded(ended);
        const fields = { jobId: ended.id, schedule: ended.schedule, status: ended.status, records: ended.records, durationMs: (ended.endAt ?? 0) - (ended.startAt ?? 0) };
        if (ended.status === "success") logger.info(fields, "finish");
        else logger.error({ ...fields, err: ended.error }, "finish");
        resolve();
        this.dispatch();
      });
    });
    const run: RunningJob = { child, schedule, exited, gone, timedOut: undefined };
    this.running.set(job.id, run);
    const limit = this.deps.settings.jobTimeoutMs;
    if (limit !== undefined && limit > 0) void this.watchJobTimeout(job.id, run, limit);
  }

  /** Waits `limitMs` of the job's run (in timer-sized steps), then stops it unless it exited first. */
  private async watchJobTimeout(jobId: number, run: RunningJob, limitMs: number): Promise<void> {
    try {
      for (let left = limitMs; left > 0; ) {
        const step = Math.min(left, MAX_TIMER_MS);
        await this.deps.clock.sleep(step, run.gone.signal);
        left -= step;
      }
    } catch {
      return; // the job ended first
    }
    if (run.gone.signal.aborted) return;
    const { store, logger } = this.deps;
    const message = `killed: the job_timeout of ${formatDuration(limitMs)} was exceeded`;
    run.timedOut = message;
    logger.error({ jobId, schedule: run.schedule, jobTimeoutMs: limitMs, pid: run.child.pid }, "job_timeout exceeded: stopping the job");
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
    await this.terminate(run);
  }

  /** Stops a job process the way shutdown does: SIGTERM (its job ends `killed`, nothing half-written), SIGKILL if it lingers. */
  private async terminate(run: RunningJob): Promise<void> {
    if (run.gone.signal.aborted) return;
    run.child.kill("SIGTERM");
    try {
      await this.deps.clock.sleep(KILL_AFTER_MS, run.gone.signal);
    } catch {
      return; // exited
    }
    run.child.kill("SIGKILL");
    await run.exited;
  }

  /** Stops firing; running jobs get the grace period, then SIGTERM (they end `killed`), then SIGKILL. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { logger, store, settings } = this.deps;
    this.scheduler.stop();
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
    const all = (): Promise<void[]> => Promise.all([...this.running.values()].map((r) => r.exited));
    if (this.running.size > 0) {
      logger.info({ running: this.running.size, graceMs: settings.shutdownGraceMs }, "stopping: waiting for running jobs");
      const timedOut = await Promise.race([all().then(() => false), delay(settings.shutdownGraceMs).then(() => true)]);
      if (timedOut) await Promise.all([...this.running.values()].map((r) => this.terminate(r)));
    }
    this.childAbort.abort();
    store.daemon.clear(process.pid);
    logger.info("daemon stopped");
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

/** `fork` of the CLI's `__job` command with an IPC channel. */
export function forkJob(itdEntry: string, env: NodeJS.ProcessEnv): (jobId: number) => ChildProcess {
  return (jobId) => fork(itdEntry, ["__job", String(jobId)], { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}
