/**
 * The daemon's warm job processes (`itd __jobs`): each loads itd once, then
 * runs one job at a time, handed over IPC, and reports when it is done — so a
 * picked job starts in milliseconds instead of paying Node's start-up and
 * module loading (about half a second and more of CPU) every time.
 *
 * The pool keeps at most `size` processes that are not retiring. It spawns
 * one ahead of need (a spare, idle or still starting) and keeps every process
 * it spawned warm after its job, so it grows to the most jobs that ran at once
 * plus the spare (up to `size`): a daemon that runs one job at a time holds two
 * processes, not `size`; each costs half a second of CPU to start and ~100 MB
 * idle. It hands out an idle one (else one still starting); takes it back after its job,
 * unless it has run `maxJobs` jobs or grown above `maxRssBytes`, or it is
 * exiting (SIGTERMed): then it is retired. A process retired or gone is
 * replaced when no spare is left; processes that die before they are ready hold spawning
 * back (1 s, doubling up to a minute), and jobs meanwhile get fresh processes.
 * Which job a process runs, and how that job ends, is the launcher's business
 * (launcher.ts); the pool only knows processes.
 */
import type { ChildProcess } from "node:child_process";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { EXIT_TERMINATED_UNRECORDED, type ChildMessage, type DoneReport } from "./ipc.js";

export interface PoolSettings {
  /** The most processes kept (idle, starting or busy), spawned as needed; 0 = no pool: every job gets a fresh process. */
  size: number;
  /** A process is retired after this many jobs. */
  maxJobs: number;
  /** A process whose RSS is above this after a job is retired (bytes). */
  maxRssBytes: number;
}

/** starting: spawned, not ready yet; idle: ready, no job; busy: has a job (maybe not ready yet); retiring: told to go. */
export type WorkerState = "starting" | "idle" | "busy" | "retiring";

export type PoolCounts = Record<WorkerState, number>;

/** How long a retired process gets to exit before SIGKILL. */
export const RETIRE_KILL_AFTER_MS = 10_000;
/** Processes spawned ahead of need (idle or starting): the next job finds one loaded or loading. */
const SPARES = 1;
/** The longest a pool waits before spawning again after processes died before they were ready. */
const MAX_HOLD_MS = 60_000;

/** One warm job process. */
export class PoolWorker {
  state: WorkerState = "starting";
  /** It said it has loaded and waits for jobs. */
  ready = false;
  /** Jobs handed to it so far. */
  jobs = 0;
  /** The job it has now (busy). */
  jobId: number | undefined;
  /** Aborted when the process is gone. */
  readonly gone = new AbortController();
  readonly exited: Promise<void>;
  private resolveExited!: () => void;
  private readonly goneListeners = new Set<(code: number | null, signal: NodeJS.Signals | null) => void>();

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Calls `fn` once, when the process is gone (after the pool's own bookkeeping); returns what removes it. */
  onGone(fn: (code: number | null, signal: NodeJS.Signals | null) => void): () => void {
    this.goneListeners.add(fn);
    return () => this.goneListeners.delete(fn);
  }

  /** @internal the pool's: the process is gone. */
  markGone(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.gone.signal.aborted) return;
    this.gone.abort();
    for (const fn of [...this.goneListeners]) fn(code, signal);
    this.goneListeners.clear();
    this.resolveExited();
  }
}

export interface PoolDeps {
  /** Starts `itd __jobs` with an IPC channel. */
  spawn: () => ChildProcess;
  clock: Clock;
  logger: Logger;
  /** Read live: a SIGHUP may change it (then call `resize`). */
  settings: PoolSettings;
  /** Told the counts after every change (metrics). */
  onChange?: (counts: PoolCounts) => void;
}

export class JobPool {
  private readonly workers = new Set<PoolWorker>();
  private failedStarts = 0;
  /** No spawning before this instant (processes died before they were ready). */
  private holdUntil = 0;
  private refill: AbortController | undefined;
  private stopping = false;

  constructor(private readonly deps: PoolDeps) {}

  /** Every process of the pool now (for tests and shutdown). */
  get processes(): readonly PoolWorker[] {
    return [...this.workers];
  }

  counts(): PoolCounts {
    const c: PoolCounts = { starting: 0, idle: 0, busy: 0, retiring: 0 };
    for (const w of this.workers) c[w.state]++;
    return c;
  }

  /**
   * Spawns a spare (a process idle or starting) when there is none and fewer than `size` are kept (not
   * counting retiring ones), or retires idle ones above `size`.
   */
  fill(): void {
    if (this.stopping) return;
    const { settings, clock } = this.deps;
    let kept = [...this.workers].filter((w) => w.state !== "retiring").length;
    for (const w of [...this.workers]) {
      if (kept <= settings.size) break;
      if (w.state === "idle" || w.state === "starting") {
        this.letGo(w, "the pool is smaller now", "disconnect");
        kept--;
      }
    }
    let spares = [...this.workers].filter((w) => w.state === "idle" || w.state === "starting").length;
    if (spares < SPARES && kept < settings.size) {
      const now = clock.now();
      if (now < this.holdUntil) this.refillAt(this.holdUntil);
      else for (; spares < SPARES && kept < settings.size; kept++, spares++) this.spawnOne();
    }
    this.changed();
  }

  /** New limits (SIGHUP): the size applies at once, the others from each process's next job. */
  resize(next: Partial<PoolSettings>): void {
    Object.assign(this.deps.settings, next);
    this.fill();
  }

  /**
   * An idle process for job `jobId` (else one still starting: the job waits for it to load), now busy;
   * undefined when there is none (no pool, all busy, or spawning held back): the job gets a fresh process.
   */
  take(jobId: number): PoolWorker | undefined {
    if (this.stopping || this.deps.settings.size === 0) return undefined;
    let pick: PoolWorker | undefined;
    for (const w of this.workers) {
      // Gone, or spawned without a process or a channel (a fork that failed later, EMFILE): never handed a job.
      if (w.child.exitCode !== null || w.child.signalCode !== null || w.child.pid === undefined || !w.child.connected) continue;
      if (w.state === "idle") {
        pick = w;
        break;
      }
      if (w.state === "starting") pick ??= w;
    }
    if (pick === undefined) {
      this.fill(); // a pool left empty (its spare died and spawning failed) gets its spare back for the next job
      return undefined;
    }
    pick.state = "busy";
    pick.jobId = jobId;
    pick.jobs++;
    this.fill(); // the next spare, while this one runs its job
    return pick;
  }

  /**
   * A process's job is over and its end recorded: the process waits for the next one — or is retired
   * (recycled after maxJobs jobs or above maxRssBytes, exiting on its own, or the daemon stopping).
   */
  returned(w: PoolWorker, report: Pick<DoneReport, "rss" | "exiting">): void {
    w.jobId = undefined;
    if (w.state !== "busy") return; // retiring already (timed out, killed, shrunk)
    const { maxJobs, maxRssBytes } = this.deps.settings;
    const why = this.stopping
      ? "the daemon is stopping"
      : report.exiting
        ? "it exits (it was sent SIGTERM, or could not record its job's end)"
        : w.jobs >= maxJobs
          ? `recycled after ${w.jobs} jobs (job_process_max_jobs)`
          : report.rss > maxRssBytes
            ? `recycled: RSS ${Math.round(report.rss / 2 ** 20)} MB above job_process_max_rss_mb`
            : undefined;
    if (why === undefined) {
      w.state = w.ready ? "idle" : "starting";
      this.fill(); // a pool made smaller while it ran lets it go now
      return;
    }
    this.retire(w, why, report.exiting ? "none" : "disconnect");
  }

  /**
   * Lets a process go: `disconnect` (an idle process exits at once), `SIGTERM` (a busy one stops its job,
   * which ends killed, and exits), `SIGKILL`, or `none` (it exits by itself). SIGKILL follows if it is still
   * there RETIRE_KILL_AFTER_MS later. A replacement is spawned when no spare is left.
   */
  retire(w: PoolWorker, why: string, how: "disconnect" | "SIGTERM" | "SIGKILL" | "none" = "disconnect"): void {
    const first = this.markRetiring(w, why);
    if (first) this.fill(); // the replacement first: a job the signal frees may want it at once
    // Retiring already: only a harder signal is news to it.
    if (first || how === "SIGTERM" || how === "SIGKILL") this.signal(w, how);
  }

  /** Marks a process retiring (SIGKILL RETIRE_KILL_AFTER_MS later unless it exits); true the first time. */
  private markRetiring(w: PoolWorker, why: string): boolean {
    if (w.gone.signal.aborted || w.state === "retiring") return false;
    w.state = "retiring";
    this.deps.logger.debug({ jobPid: w.pid, jobs: w.jobs, why }, "job process retired");
    void this.killLater(w);
    this.changed();
    return true;
  }

  /** `retire` without the replacement (the pool shrinks, or stops). */
  private letGo(w: PoolWorker, why: string, how: "disconnect" | "SIGTERM" | "SIGKILL" | "none"): void {
    if (this.markRetiring(w, why) || how === "SIGTERM" || how === "SIGKILL") this.signal(w, how);
  }

  private signal(w: PoolWorker, how: "disconnect" | "SIGTERM" | "SIGKILL" | "none"): void {
    if (w.gone.signal.aborted) return;
    try {
      if (how === "SIGTERM" || how === "SIGKILL") w.child.kill(how);
      else if (how === "disconnect") {
        if (w.child.connected) w.child.disconnect();
        else w.child.kill("SIGTERM");
      }
    } catch {
      // gone meanwhile: its exit is on its way
    }
  }

  /** Stops handing out processes and retires the idle ones; busy ones are retired when their jobs are over. */
  drain(): void {
    this.stopping = true;
    this.refill?.abort();
    for (const w of [...this.workers]) if (w.state === "idle" || w.state === "starting") this.letGo(w, "the daemon is stopping", "disconnect");
  }

  /** After `drain` and once no job runs: retires what is left and resolves when every process has exited. */
  async stop(): Promise<void> {
    this.drain();
    for (const w of [...this.workers]) {
      this.markRetiring(w, "the daemon is stopping");
      // No job runs any more: whatever is left, retiring or not, leaves on disconnect (SIGKILL later if not).
      if (w.child.connected) this.signal(w, "disconnect");
    }
    await Promise.all([...this.workers].map((w) => w.exited));
  }

  /** After a lost lease: every process is disconnected (it exits at once, as when the daemon dies); nothing is awaited. */
  abandon(): void {
    this.stopping = true;
    this.refill?.abort();
    for (const w of this.workers) {
      w.state = "retiring";
      try {
        if (w.child.connected) w.child.disconnect();
      } catch {
        // already gone
      }
    }
    this.changed();
  }

  private spawnOne(): void {
    const { logger } = this.deps;
    let child: ChildProcess;
    try {
      child = this.deps.spawn();
    } catch (err) {
      logger.error({ err: (err as Error).message }, "could not start a job process");
      this.startFailed();
      return;
    }
    const w = new PoolWorker(child);
    this.workers.add(w);
    child.on("message", (raw: unknown) => {
      if ((raw as ChildMessage).t !== "ready" || w.ready) return;
      w.ready = true;
      this.failedStarts = 0;
      this.deps.logger.debug({ jobPid: w.pid }, "job process ready");
      if (w.state === "starting") w.state = "idle";
      this.changed();
    });
    child.once("exit", (code, signal) => this.onExit(w, code, signal));
    // A process that could not be spawned at all may never emit `exit`.
    child.on("error", (err) => {
      if (child.pid === undefined) {
        logger.error({ err: err.message }, "could not start a job process");
        this.onExit(w, null, null);
      } else logger.warn({ jobPid: child.pid, err: err.message }, "a job process's channel failed");
    });
  }

  private onExit(w: PoolWorker, code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.workers.delete(w)) return;
    const { logger } = this.deps;
    // Stopped by SIGTERM (job:kill, an operator) while it loaded: no failure to start.
    const terminated = signal === "SIGTERM" || code === EXIT_TERMINATED_UNRECORDED;
    if (!w.ready && w.state !== "retiring" && !terminated) {
      logger.warn({ jobPid: w.pid, code, signal }, "a job process exited before it was ready");
      this.startFailed();
    } else if (w.state === "idle") {
      logger.warn({ jobPid: w.pid, code, signal }, "an idle job process exited; replacing it");
    }
    // The replacement first: the job of this process, queued again, waits for it rather than for a fresh one.
    this.fill();
    w.markGone(code, signal);
  }

  private startFailed(): void {
    this.failedStarts++;
    const holdMs = Math.min(MAX_HOLD_MS, 1000 * 2 ** (this.failedStarts - 1));
    this.holdUntil = this.deps.clock.now() + holdMs;
    this.deps.logger.warn({ holdMs }, "job processes fail to start: spawning again later (jobs meanwhile get fresh processes)");
    // Spawning again when the hold is over, whatever happens meanwhile: with one spare, a pool whose spare died
    // and whose spawn threw has nothing left whose exit or return would call fill().
    if (!this.stopping) this.refillAt(this.holdUntil);
  }

  private refillAt(at: number): void {
    if (this.refill !== undefined && !this.refill.signal.aborted) return;
    const pending = new AbortController();
    this.refill = pending;
    this.deps.clock.sleep(Math.max(0, at - this.deps.clock.now()), pending.signal).then(
      () => {
        pending.abort();
        this.fill();
      },
      () => undefined,
    );
  }

  private async killLater(w: PoolWorker): Promise<void> {
    try {
      await this.deps.clock.sleep(RETIRE_KILL_AFTER_MS, w.gone.signal);
    } catch {
      return; // exited
    }
    try {
      w.child.kill("SIGKILL");
    } catch {
      // gone meanwhile
    }
  }

  private changed(): void {
    this.deps.onChange?.(this.counts());
  }
}
