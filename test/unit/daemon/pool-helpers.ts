/**
 * A daemon with warm job processes on a FakeClock, over a real state.db: the
 * processes are fakes that play what `itd __jobs` (and `itd __job`) do — say
 * ready, take a job, record its end and report it done, stop on SIGTERM,
 * leave on disconnect — so each test decides when a job ends, a process dies
 * or a signal lands, and nothing waits on real time.
 */
import { EventEmitter } from "node:events";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../../src/clock.js";
import { Daemon, type DaemonSettings } from "../../../src/daemon/daemon.js";
import type { ChildMessage, DoneReport, ParentMessage } from "../../../src/daemon/ipc.js";
import { RateBudgets } from "../../../src/iterable/index.js";
import { silentLogger } from "../../../src/log.js";
import { openStore, scheduleStream, type Job, type Store } from "../../../src/store/index.js";

export const MB = 2 ** 20;

/** A job process: records what the daemon sends and the signals it gets; plays the real one's reactions. */
export class FakeProcess extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  connected = true;
  readonly signals: string[] = [];
  readonly inbox: ParentMessage[] = [];
  /** The job it runs now (pooled) or was made for (fresh). */
  current: { jobId: number; token: number } | undefined;
  /** How it reacts to a signal; the default is the real one's (see FakeProcesses). */
  onSignal: (signal: string) => void = () => undefined;

  constructor(readonly pid: number, readonly pooled: boolean) {
    super();
  }

  get gone(): boolean {
    return this.exitCode !== null || this.signalCode !== null;
  }

  send(message: unknown, callback?: (err: Error | null) => void): boolean {
    const m = message as ParentMessage;
    this.inbox.push(m);
    if (m.t === "definition") this.current = { jobId: m.jobId, token: m.token };
    callback?.(null);
    return true;
  }

  /** Definitions it was handed, in order. */
  get handed(): number[] {
    return this.inbox.flatMap((m) => (m.t === "definition" ? [m.jobId] : []));
  }

  kill(signal: string): boolean {
    this.signals.push(signal);
    this.onSignal(signal);
    return true;
  }

  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    this.emit("disconnect");
    // The real one leaves at once: 70 in the middle of a job, 0 when idle.
    this.exit(this.current === undefined ? 0 : 70, null);
  }

  /** A message to the daemon. */
  report(m: ChildMessage): void {
    if (this.gone) return;
    this.emit("message", m);
  }

  done(jobId: number, r: Partial<DoneReport> = {}): void {
    this.current = undefined;
    this.report({ t: "done", jobId, rss: 100 * MB, cpuMs: 5, recorded: true, terminated: false, refused: false, exiting: false, ...r });
  }

  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.gone) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.connected = false;
    setImmediate(() => this.emit("exit", code, signal));
  }
}

/** Lets awaited sleeps, microtasks, messages and `exit` events run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await new Promise<void>((r) => setImmediate(r));
}

export interface PoolHarnessOptions {
  schedules?: string[];
  settings?: Partial<DaemonSettings>;
  /** Pooled processes say ready as soon as they are spawned (default true). */
  autoReady?: boolean;
  /** Fresh processes cannot be started: no pid, an `error` (EAGAIN) and no `exit`, as a fork at the process limit. */
  freshFails?: boolean;
}

/** A daemon with a pool of fake processes, and the jobs of `schedules` queued (one each). */
export async function poolHarness(options: PoolHarnessOptions = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const home = join(mkdtempSync(join(tmpdir(), "itd-pool-")), "home");
  const store: Store = openStore(home, clock, { isAlive: () => true });
  const jobs = (options.schedules ?? []).map((name) => queue(store, clock, name));
  const processes: FakeProcess[] = [];
  let nextPid = 4000;
  const behave = (p: FakeProcess): void => {
    // The real process: SIGTERM stops its job, which records `killed`; it reports that and exits. SIGKILL: gone.
    p.onSignal = (signal) => {
      if (signal === "SIGKILL") {
        p.exit(null, "SIGKILL");
        return;
      }
      if (signal !== "SIGTERM") return;
      const cur = p.current;
      if (cur !== undefined) {
        const j = store.jobs.getJob(cur.jobId);
        if (j.status === "running") store.lifecycle.finish(j, cur.token, { status: "killed", records: j.records, skippedRecords: 0, bytes: j.bytes, error: "killed: interrupted by SIGTERM" });
        if (p.pooled) p.done(cur.jobId, { terminated: true, exiting: true });
      }
      p.exit(0, null);
    };
  };
  const autoReady = options.autoReady ?? true;
  const daemon = new Daemon({
    store,
    clock,
    logger: silentLogger(),
    budgets: new RateBudgets(clock),
    settings: {
      maxConcurrentJobs: 4, shutdownGraceMs: 0, jobTimeoutMs: undefined, catchupCap: 10, historyRetentionMs: undefined, schedulesDir: join(home, "none"),
      jobProcesses: 2, ...options.settings,
    },
    loadDefinitions: () => ({ schedules: [], problems: [] }),
    configText: () => "",
    spawnJob: () => {
      if (options.freshFails === true) {
        const failed = new FakeProcess(undefined as unknown as number, false);
        failed.connected = false;
        processes.push(failed);
        setImmediate(() => failed.emit("error", Object.assign(new Error("spawn EAGAIN"), { code: "EAGAIN" })));
        return failed as unknown as ChildProcess;
      }
      const p = new FakeProcess(nextPid++, false);
      behave(p);
      processes.push(p);
      return p as unknown as ChildProcess;
    },
    spawnWorker: () => {
      const p = new FakeProcess(nextPid++, true);
      behave(p);
      processes.push(p);
      if (autoReady) setImmediate(() => p.report({ t: "ready" }));
      return p as unknown as ChildProcess;
    },
  });
  const pooled = (): FakeProcess[] => processes.filter((p) => p.pooled);
  const fresh = (): FakeProcess[] => processes.filter((p) => !p.pooled);
  /** The process that was handed job `id` last. */
  const runner = (id: number): FakeProcess => {
    const p = [...processes].reverse().find((x) => x.handed.includes(id));
    if (p === undefined) throw new Error(`job ${id} was handed to no process`);
    return p;
  };
  /** The job's process records its end (success) and reports it: done for a pooled one, exit for a fresh one. */
  const complete = (id: number, status: "success" | "error" = "success"): void => {
    const p = runner(id);
    const token = p.inbox.flatMap((m) => (m.t === "definition" && m.jobId === id ? [m.token] : [])).at(-1) as number;
    store.lifecycle.finish(store.jobs.getJob(id), token, { status, records: 3, skippedRecords: 0, bytes: 30 });
    if (p.pooled) p.done(id);
    else {
      p.current = undefined;
      p.exit(0, null);
    }
  };
  await daemon.start();
  await settle();
  return { clock, store, daemon, jobs, processes, pooled, fresh, runner, complete, queue: (name: string) => queue(store, clock, name) };
}

/** A schedule named `name` (made if new) with one run queued now. */
function queue(store: Store, clock: FakeClock, name: string): Job {
  const existing = store.schedules.list().find((s) => s.name === name);
  const id = existing?.id ?? store.schedules.create({
    name, cron: "", timezone: "UTC", delay: 0, database: "db", table: "t", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: false,
  }).id;
  const q = store.lifecycle.queueSlot({ scheduleId: id, schedule: name, slot: clock.now() + store.jobs.listJobs({}).length, kind: "run", database: "db", table: "t", priority: 0, config: "in: {}", stream: scheduleStream(id) });
  if (q.status !== "queued") throw new Error(`could not queue a run of ${name}`);
  return q.job;
}
