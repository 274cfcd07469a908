/**
 * The scheduler daemon: the timer loop (Scheduler) queues slots as jobs in
 * state.db; the dispatcher starts queued jobs (one schedule never runs two at
 * once; at most `maxConcurrentJobs` overall; priority, then slot order) and
 * hands them to the launcher, which runs each in a warm pooled process or a
 * fresh one and records how it ended (launcher.ts, pool.ts); reloads pick up
 * CLI and file changes; stop() drains within the grace period. Everything it
 * needs is passed in (composition in cli/commands/daemon.ts).
 */
import type { ChildProcess } from "node:child_process";
import { watch, type FSWatcher } from "node:fs";
import type { Clock } from "../clock.js";
import { errorMessage, ItdError } from "../errors.js";
import type { RateBudget } from "../iterable/index.js";
import type { Logger } from "../log.js";
import { isProcessAlive, thisHost } from "../pid.js";
import { SlotCalculator, type ScheduleDefinition } from "../schedule/index.js";
import { DAEMON_LEASE_MS, DAEMON_LEASE_RENEW_MS, scheduleStream, type Job, type Store } from "../store/index.js";
import type { ChildMessage } from "./ipc.js";
import { JobLauncher } from "./launcher.js";
import { BACKLOG_WARN_AT, pickJobs, scheduleKey } from "./pick.js";
import { Scheduler, type SchedulerEvent } from "./scheduler.js";
import { JobPool, type PoolCounts } from "./pool.js";
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
  /** Warm job processes kept (each runs one job at a time); 0 or unset = a fresh process per job. */
  jobProcesses?: number;
  /** A warm job process is replaced after this many jobs (default 100). */
  jobProcessMaxJobs?: number;
  /** A warm job process whose RSS is above this after a job is replaced (bytes; default 512 MiB). */
  jobProcessMaxRssBytes?: number;
}

export interface DaemonMetricsSink {
  fired(lateMs: number): void;
  jobEnded(job: Job): void;
  /** Records a job of `schedule` committed to the warehouse, told by its process as they become visible. */
  committed(schedule: string, records: number): void;
  running(n: number): void;
  /** Queued runs per schedule (by name), after each dispatch: a backlog shows here first. */
  backlog?(bySchedule: ReadonlyMap<string, number>): void;
  /** Jobs in the queue (due or deferred). */
  queued(n: number): void;
  schedules(bySource: { cli: number; file: number }): void;
  /** Schedule files broken at a load: `broken` now, of which `found` newly (not broken at the load before). */
  scheduleFiles(broken: number, found: number): void;
  /** When each schedule's last successful job ended (epoch ms), by name: from the store at each load. */
  lastSuccesses(bySchedule: ReadonlyMap<string, number>): void;
  request(e: (ChildMessage & { t: "request" })["event"]): void;
  tick(ms: number): void;
  /** The warm job processes, by state. */
  jobProcesses?(counts: PoolCounts): void;
}

export interface DaemonDeps {
  store: Store;
  clock: Clock;
  /** This daemon's id (host:pid:start), recorded with its lease. */
  instance?: string;
  logger: Logger;
  /** The per-key Iterable rate budget its jobs ask (over IPC): this daemon's, or shared by every daemon through a PostgreSQL state. */
  budgets: RateBudget;
  settings: DaemonSettings;
  /** Every schedule (store and files) and the problems of invalid files. */
  loadDefinitions: () => { schedules: ScheduleDefinition[]; problems: string[] };
  /** The redacted config text stored with each job. */
  configText: (def: ScheduleDefinition) => string;
  /** Starts `itd __job ID` with an IPC channel: a fresh process for one job. */
  spawnJob: (jobId: number) => ChildProcess;
  /** Starts `itd __jobs` with an IPC channel: a warm process for the pool (none: no pool). */
  spawnWorker?: () => ChildProcess;
  metrics?: DaemonMetricsSink;
}

const POLL_MS = 1_000;
/** How long a starting daemon waits for another process's write lock on state.db. */
const STATE_LOCK_WAIT_MS = 120_000;
/** Finished jobs the daemon prunes in one transaction, and how long one dispatch goes on pruning (see prune()). */
const PRUNE_BATCH = 5_000;
const PRUNE_BUDGET_MS = 1_000;
/** How often the daemon looks for jobs whose process died (its own children, foreground runs, other daemons'). */
const RECOVER_MS = 5_000;
/** Defaults of the warm job processes' recycling limits. */
export const JOB_PROCESS_MAX_JOBS = 100;
export const JOB_PROCESS_MAX_RSS_MB = 512;

export class Daemon {
  private readonly scheduler: Scheduler;
  private readonly slotStore: StateSlotStore;
  private readonly pool: JobPool;
  private readonly launcher: JobLauncher;
  private timers: NodeJS.Timeout[] = [];
  private watcher: FSWatcher | undefined;
  private dataVersion = -1;
  private schedulesVersion = -1;
  private lastPoll = 0;
  /** When the lease was last taken or renewed. */
  private lastBeat = 0;
  private stopping = false;
  private lastFileProblems = "";
  private defs: ScheduleDefinition[] = [];
  /** The home's daemon lease (fencing token); undefined before start() and after stop(). */
  private token: number | undefined;
  private lostReason: ((why: string) => void) | undefined;
  /** Resolves (with why) when the daemon finds it lost the home's lease: it launches nothing more and must exit. */
  readonly lost: Promise<string> = new Promise((resolve) => (this.lostReason = resolve));
  private isLost = false;

  constructor(private readonly deps: DaemonDeps) {
    this.slotStore = new StateSlotStore(deps.store, deps.configText, () => this.token);
    this.scheduler = new Scheduler({
      clock: deps.clock,
      slots: new SlotCalculator(),
      store: this.slotStore,
      catchupCap: deps.settings.catchupCap,
      onEvent: (e) => this.onSchedulerEvent(e),
    });
    this.pool = new JobPool({
      spawn: deps.spawnWorker ?? (() => {
        throw new Error("no job process pool here");
      }),
      clock: deps.clock,
      logger: deps.logger,
      settings: this.poolSettings(),
      onChange: (counts) => deps.metrics?.jobProcesses?.(counts),
    });
    this.launcher = new JobLauncher({
      store: deps.store, clock: deps.clock, logger: deps.logger, budgets: deps.budgets, settings: deps.settings, spawnJob: deps.spawnJob, pool: this.pool,
      metrics: deps.metrics, stopping: () => this.stopping, onEnded: () => this.dispatch(),
    });
  }

  /** Settings that change at run time (SIGHUP): limits apply to jobs started from now on; the pool resizes at once. */
  applySettings(
    next: Partial<Pick<DaemonSettings, "maxConcurrentJobs" | "jobTimeoutMs" | "catchupCap" | "historyRetentionMs" | "jobProcesses" | "jobProcessMaxJobs" | "jobProcessMaxRssBytes">>,
  ): void {
    Object.assign(this.deps.settings, next);
    if (next.catchupCap !== undefined) this.scheduler.setCatchupCap(next.catchupCap);
    if (!this.stopping && !this.isLost) this.pool.resize(this.poolSettings());
    this.dispatch();
  }

  /** The pool's settings from the daemon's (no pool without a way to spawn its processes). */
  private poolSettings(): { size: number; maxJobs: number; maxRssBytes: number } {
    const s = this.deps.settings;
    return {
      size: this.deps.spawnWorker === undefined ? 0 : (s.jobProcesses ?? 0),
      maxJobs: s.jobProcessMaxJobs ?? JOB_PROCESS_MAX_JOBS,
      maxRssBytes: s.jobProcessMaxRssBytes ?? JOB_PROCESS_MAX_RSS_MB * 2 ** 20,
    };
  }

  /** The schedules it runs now (CLI and files; replaced, never changed, at each reload): the status pages read them. */
  get schedules(): readonly ScheduleDefinition[] {
    return this.defs;
  }

  /** Last time the daemon's own loop ran (health). */
  get lastTick(): number {
    return this.lastPoll;
  }

  /** Its loop runs, and its lease was renewed within the lease's length (a daemon that cannot reach its state does nothing). */
  get healthy(): boolean {
    const now = this.deps.clock.now();
    return now - this.lastPoll < 10_000 && (this.token === undefined || now - this.lastBeat < DAEMON_LEASE_MS);
  }

  /** Takes the home's lease, recovers interrupted jobs, loads schedules and starts firing. */
  async start(): Promise<void> {
    const { logger, clock } = this.deps;
    const take = async (): Promise<void> => {
      const taken = await this.acquireLease();
      if ("busy" in taken) {
        throw new ItdError("conflict", `another itd daemon (pid ${taken.busy.pid} on ${taken.busy.host}) is running on this home; stop it first`);
      }
      this.token = taken.token;
      this.lastBeat = clock.now();
    };
    // The home's one lease (state.db) comes before anything is touched. A shared store's lease is this daemon's
    // own: taken once the schedules are loaded, which nothing before needs it for — a load of many schedules (each
    // one's mark read, or set when first seen, a round trip to the server each) blocks this thread longer than a
    // lease lives, and the first beat would find it expired.
    const shared = this.deps.store.daemon.shared;
    if (!shared) await take();
    this.recover();
    // Warm job processes load while the schedules do.
    this.pool.fill();
    this.reload("start");
    if (shared) await take();
    this.lastPoll = clock.now();
    void this.scheduler.start();
    this.timers.push(setInterval(() => this.beat(), DAEMON_LEASE_RENEW_MS));
    this.timers.push(setInterval(() => this.poll(), POLL_MS));
    if (!this.ensureWatcher()) {
      logger.info({ dir: this.deps.settings.schedulesDir }, "schedules directory not found; create it to add schedule files (checked every second)");
    }
    this.dispatch();
    logger.info({ schedules: this.scheduler.size }, "daemon started");
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
      const before = new Set(this.lastFileProblems.split("\n"));
      this.deps.metrics?.scheduleFiles(problems.length, problems.filter((p) => !before.has(p)).length);
      this.lastFileProblems = text;
      // Keep the previous version of a file schedule whose file is now invalid.
      const names = new Set(schedules.map((s) => s.name));
      const kept = this.defs.filter((d) => d.source !== "cli" && !names.has(d.name) && problems.some((p) => p.startsWith(d.source)));
      this.defs = [...schedules, ...kept];
      this.slotStore.setDefinitions(this.defs);
      // One transaction for every schedule's mark (read, or set when first seen) and the paused ones' passes:
      // 10,000 schedules are one commit, not 10,000.
      this.deps.store.db.batch(() => {
        this.scheduler.setSchedules(this.defs);
        this.passPaused();
      });
      this.dataVersion = this.deps.store.schedules.dataVersion();
      this.schedulesVersion = this.deps.store.schedules.version();
      this.deps.metrics?.schedules({ cli: this.defs.filter((d) => d.source === "cli").length, file: this.defs.filter((d) => d.source !== "cli").length });
      if (this.deps.metrics) {
        const ended = this.deps.store.jobs.lastSuccesses();
        const byName = new Map<string, number>();
        for (const d of this.defs) {
          const at = ended.get(d.id);
          if (at !== undefined) byName.set(d.name, at);
        }
        this.deps.metrics.lastSuccesses(byName);
      }
      logger.debug({ reason, schedules: this.defs.length }, "schedules loaded");
    } catch (err) {
      logger.error({ reason, err: errorMessage(err) }, "reload failed; the previous schedules stay");
    }
  }

  /**
   * Takes the home's lease. A state.db whose write lock another process holds
   * (a CLI command, or a daemon stopped in the middle of a write) is waited
   * for, saying so, up to STATE_LOCK_WAIT_MS; then the start fails naming it.
   */
  private async acquireLease(): Promise<ReturnType<Store["daemon"]["acquire"]>> {
    const { store, logger, clock } = this.deps;
    const since = clock.now();
    for (;;) {
      try {
        return store.daemon.acquire({ pid: process.pid, host: thisHost() }, DAEMON_LEASE_MS, isProcessAlive, this.deps.instance);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code !== "SQLITE_BUSY" && code !== "SQLITE_BUSY_SNAPSHOT") throw err;
        const waited = clock.now() - since;
        if (waited >= STATE_LOCK_WAIT_MS) {
          throw new ItdError("store", `state.db has been locked by another process for ${Math.round(waited / 1000)} s; cannot take the home's daemon lease`, { cause: err });
        }
        logger.warn({ waitedMs: waited }, "state.db is locked by another process; waiting to take the home's daemon lease");
        await clock.sleep(1_000);
      }
    }
  }

  /** Renews the home's lease; a daemon that finds it gone (it stalled past the lease and another took the home) stops. */
  private beat(): void {
    if (this.token === undefined || this.isLost) return;
    let held: boolean;
    try {
      held = this.deps.store.daemon.beat(this.token);
      if (held) this.lastBeat = this.deps.clock.now();
      this.deps.store.syncClock();
    } catch (err) {
      // state.db locked by another process past the busy timeout: the lease outlives a few missed beats.
      this.deps.logger.warn({ err: errorMessage(err) }, this.deps.store.daemon.shared ? "could not renew the daemon lease (the state store is unreachable?); trying again" : "could not renew the daemon lease (state.db busy); trying again");
      return;
    }
    if (!held) this.loseLease(this.lostWhy());
  }

  /**
   * Why the lease is gone: on state.db another daemon took the home; on a shared store nobody takes a daemon's
   * lease — it expired unrenewed, because this daemon stalled or because the store could not be reached.
   */
  private lostWhy(): string {
    return this.deps.store.daemon.shared
      ? `this daemon's lease on the shared state store expired unrenewed (for ${DAEMON_LEASE_MS / 1000} s this daemon stalled, or the store could not be reached)`
      : "the home's daemon lease was taken by another daemon (this one stalled past it)";
  }

  private loseLease(why: string): void {
    if (this.isLost) return;
    this.isLost = true;
    this.scheduler.stop();
    this.deps.logger.fatal(`${why}: launching nothing more and exiting`);
    this.lostReason?.(why);
  }

  private lastPassPaused = 0;
  /**
   * Paused schedules pass their slots as time goes (their mark moves to now),
   * so a resume — by the CLI, or by a schedule file's `paused:` — never
   * catches up the paused stretch, even across a daemon restart.
   */
  private passPaused(): void {
    const now = this.deps.clock.now();
    this.lastPassPaused = now;
    for (const d of this.defs) if (d.paused && d.cron !== "") this.deps.store.schedules.pass(d.id, now);
  }

  private lastRecover = 0;
  /** Jobs whose process died (here or, for leases that expired, anywhere): error, and their slots queued again. */
  private recover(): void {
    this.lastRecover = this.deps.clock.now();
    // A warm job process outlives its jobs: a running row that names one of ours, which runs something else
    // (or nothing), is dead too, whatever its pid says.
    for (const job of this.deps.store.lifecycle.recover((j) => this.launcher.notRunning(j))) {
      this.deps.logger.warn({ jobId: job.id, schedule: job.schedule, slot: job.scheduledTime ? new Date(job.scheduledTime).toISOString() : null }, "job interrupted by a dead process: marked error, its slot queued again");
    }
  }

  private poll(): void {
    if (this.isLost) return;
    this.lastPoll = this.deps.clock.now();
    this.deps.metrics?.tick(this.lastPoll);
    try {
      // Job processes commit progress all the time; only a schedule change means a reload. (A query on a shared
      // PostgreSQL store, which may be away: inside the try, or a timer's throw would end the process.)
      const v = this.deps.store.schedules.dataVersion();
      const changed = v !== this.dataVersion && this.deps.store.schedules.version() !== this.schedulesVersion;
      this.dataVersion = v;
      if (changed) {
        this.reload("schedules changed in state.db");
      } else if (!this.watcher && this.ensureWatcher()) {
        this.reload("schedules/ appeared");
      }
      if (this.lastPoll - this.lastRecover >= RECOVER_MS) this.recover();
      if (this.lastPoll - this.lastPassPaused >= 60_000) this.passPaused();
      this.dispatch();
      this.deps.metrics?.queued(this.deps.store.jobs.countQueued());
      // Once a poll, not at every dispatch (each job's exit dispatches too).
      this.reportBacklogs(this.deps.store.jobs.queuedBySchedule(), this.deps.clock.now());
    } catch (err) {
      this.deps.logger.warn({ err: errorMessage(err) }, this.deps.store.daemon.shared ? "poll failed (the state store is unreachable?); trying again" : "poll failed (state.db busy?); trying again");
    }
  }

  private lastPrune = 0;
  /**
   * Prunes history past the retention, hourly, PRUNE_BATCH jobs at a time: a long history (a retention set on a
   * years-old store) goes a batch a dispatch. One delete of it all blocked this thread for longer than the lease
   * (a million jobs: 12 s on PostgreSQL), and a daemon on a shared store exited, pruned again when started, and
   * so on for ever once the delete outlasted the server's statement timeout.
   */
  private prune(): void {
    const ms = this.deps.settings.historyRetentionMs;
    const now = this.deps.clock.now();
    if (ms === undefined || now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    let pruned = 0;
    let more = true;
    for (const began = Date.now(); more && Date.now() - began < PRUNE_BUDGET_MS; ) {
      const n = this.deps.store.jobs.prune(now - ms, PRUNE_BATCH);
      pruned += n;
      more = n >= PRUNE_BATCH;
    }
    // More to go: the next dispatch (within a second) goes on.
    if (more) this.lastPrune = 0;
    if (pruned > 0) this.deps.logger.info({ pruned }, "job history pruned");
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
    try {
      this.dispatchNow();
    } catch (err) {
      // state.db locked past the busy timeout (another process holds its write lock): the next poll tries again.
      this.deps.logger.warn({ err: errorMessage(err) }, "dispatch failed; trying again at the next poll");
    }
  }

  private dispatchNow(): void {
    if (this.stopping || this.isLost || this.token === undefined) return;
    this.prune();
    const { store, logger, settings } = this.deps;
    const now = this.deps.clock.now();
    let free = settings.maxConcurrentJobs - this.launcher.size;
    if (free <= 0) return;
    // Streams held elsewhere (a foreground run, a job of another daemon) wait too, and so do paused schedules'.
    const busy = new Set([...this.launcher.runningSchedules, ...store.lifecycle.liveStreams()]);
    for (const d of this.defs) if (d.paused) busy.add(scheduleStream(d.id));
    let launched = 0;
    for (const job of pickJobs(store.jobs.listQueuedToPick(now), busy, free, now)) {
      const pickedAt = this.deps.clock.now();
      const started = store.lifecycle.start(job.id, this.token);
      if (started.status === "fenced") {
        this.loseLease(this.lostWhy());
        return;
      }
      if (started.status !== "started") continue;
      // A stall between that start and here (the event loop or the process stopped) may have cost the lease:
      // a daemon that lost it launches nothing, and gives the job back.
      const leaseCheckedAt = this.deps.clock.now();
      if (!store.daemon.holds(this.token)) {
        store.lifecycle.unstart(started.job, started.token);
        this.loseLease(this.lostWhy());
        return;
      }
      // The job runs the definition that fired it, even if its file has broken since.
      const definition = this.defs.find((d) => d.id === job.scheduleId) ?? null;
      this.launcher.launch(started.job, scheduleKey(job), started.token, definition, { pickedAt, leaseCheckedAt });
      free--;
      launched++;
    }
    this.deps.metrics?.running(this.launcher.size);
    // A warm process starts a job well within the poll's second: the queue's gauge follows at once.
    if (launched > 0) this.deps.metrics?.queued(store.jobs.countQueued());
    logger.trace({ running: this.launcher.size }, "dispatch");
  }

  private backlogWarnedAt = new Map<number, number>();
  /**
   * A schedule whose slots come faster than they run piles up queued runs: say so (at most every 10 minutes
   * a schedule) and tell the metrics, instead of letting the queue grow silently.
   */
  private reportBacklogs(bySchedule: ReadonlyMap<number, number>, now: number): void {
    const byName = new Map<string, number>();
    for (const d of this.defs) {
      const n = bySchedule.get(d.id) ?? 0;
      byName.set(d.name, n);
      if (n < BACKLOG_WARN_AT || d.paused) continue;
      const last = this.backlogWarnedAt.get(d.id);
      if (last !== undefined && now - last < 10 * 60_000) continue;
      this.backlogWarnedAt.set(d.id, now);
      this.deps.logger.warn(
        { schedule: d.name, queued: n, maxConcurrentJobs: this.deps.settings.maxConcurrentJobs },
        "backlog: this schedule's slots come faster than they run (a run takes longer than its interval, or max_concurrent_jobs is too low)",
      );
    }
    this.deps.metrics?.backlog?.(byName);
  }

  /**
   * After a lost lease: lets go of everything at once, waiting for nothing.
   * Job processes are disconnected (they stop, like when the daemon dies);
   * the daemon that holds the home now recovers their jobs and queues their
   * slots again.
   */
  abandon(): void {
    this.stopping = true;
    this.scheduler.stop();
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
    this.launcher.abandon();
    this.token = undefined;
  }

  /** Stops firing; running jobs get the grace period, then SIGTERM (they end `killed`), then SIGKILL; warm job processes exit. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { logger, store, settings } = this.deps;
    this.scheduler.stop();
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
    await this.launcher.stop(settings.shutdownGraceMs);
    try {
      this.passPaused();
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, "could not record the paused schedules' place");
    }
    if (this.token !== undefined && !this.isLost) store.daemon.release(this.token);
    this.token = undefined;
    logger.info("daemon stopped");
  }
}
