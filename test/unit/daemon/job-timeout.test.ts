/**
 * The daemon's job_timeout on a FakeClock, with fake job processes: a job
 * running past it is stopped the way shutdown stops jobs (SIGTERM, SIGKILL if
 * it lingers), ends `killed` with the limit named, and leaves no running row
 * to be retried; a job that ends first is never touched.
 */
import { EventEmitter } from "node:events";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { Daemon } from "../../../src/daemon/daemon.js";
import { RateBudgets } from "../../../src/iterable/index.js";
import { silentLogger } from "../../../src/log.js";
import { openStore, scheduleStream, type Job, type Store } from "../../../src/store/index.js";

const MAX_TIMER_MS = 2_147_483_647;
const DAY = 86_400_000;

/** A job process: records what it is sent; `onSignal` plays how the real one reacts. */
class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly connected = true;
  readonly signals: string[] = [];
  onSignal: (signal: string) => void = () => undefined;

  constructor(readonly pid: number) {
    super();
  }

  send(_message: unknown, callback?: (err: Error | null) => void): boolean {
    callback?.(null);
    return true;
  }

  kill(signal: string): boolean {
    this.signals.push(signal);
    this.onSignal(signal);
    return true;
  }

  exit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitCode = code;
    this.signalCode = signal;
    setImmediate(() => this.emit("exit", code, signal));
  }
}

/** Lets awaited sleeps, microtasks and `exit` events run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

describe("the daemon's job_timeout", () => {
  let store: Store | undefined;
  let daemon: Daemon | undefined;
  afterEach(async () => {
    await daemon?.stop();
    store?.close();
    daemon = undefined;
  });

  async function harness(jobTimeoutMs: number | undefined, schedules: string[]) {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const home = join(mkdtempSync(join(tmpdir(), "itd-job-timeout-")), "home");
    store = openStore(home, clock, { isAlive: () => true });
    const s = store;
    const jobs = schedules.map((schedule) => {
      const { id } = s.schedules.create({
        name: schedule, cron: "", timezone: "UTC", delay: 0, database: "db", table: "t", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: false,
      });
      return s.jobs.createJob({ kind: "run", schedule, scheduleId: id, scheduledTime: clock.now(), database: "db", table: "t", config: "in: {}", stream: scheduleStream(id) });
    });
    const children = new Map<number, FakeChild>();
    let nextPid = 5000;
    daemon = new Daemon({
      store: s,
      clock,
      logger: silentLogger(),
      budgets: new RateBudgets(clock),
      settings: { maxConcurrentJobs: 4, shutdownGraceMs: 0, jobTimeoutMs, catchupCap: 10, historyRetentionMs: undefined, schedulesDir: join(home, "none") },
      loadDefinitions: () => ({ schedules: [], problems: [] }),
      configText: () => "",
      spawnJob: (jobId) => {
        const child = new FakeChild(nextPid++);
        // The real job process: SIGTERM aborts the import, which records its own end, then it exits.
        child.onSignal = (signal) => {
          if (signal === "SIGTERM") {
            const j = s.jobs.getJob(jobId);
            s.jobs.finishJob(jobId, { status: "killed", records: j.records, skippedRecords: 0, bytes: j.bytes, error: "killed: interrupted by SIGTERM" });
            child.exit(0, null);
          } else if (signal === "SIGKILL") {
            child.exit(null, "SIGKILL");
          }
        };
        children.set(jobId, child);
        return child as unknown as ChildProcess;
      },
    });
    await daemon.start();
    const child = (job: Job): FakeChild => {
      const c = children.get(job.id);
      if (!c) throw new Error(`job ${job.id} was not started`);
      return c;
    };
    return { clock, store: s, jobs, child };
  }

  it("stops a job running past it: killed, the limit named in the job and its log, no running row left to retry", async () => {
    const { clock, store: s, jobs, child } = await harness(3000, ["hung", "quick"]);
    const [hung, quick] = jobs as [Job, Job];
    expect(s.jobs.getJob(hung.id).status).toBe("running");
    s.jobs.recordProgress(hung.id, { records: 40, skippedRecords: 0, bytes: 4000 });
    // quick ends on its own after 1 s: its timer goes with it.
    clock.advance(1000);
    s.jobs.finishJob(quick.id, { status: "success", records: 3, skippedRecords: 0, bytes: 300 });
    child(quick).exit(0, null);
    await settle();
    clock.advance(1999);
    await settle();
    expect(child(hung).signals).toEqual([]);
    clock.advance(1);
    await settle();
    expect(child(hung).signals).toEqual(["SIGTERM"]);
    const ended = s.jobs.getJob(hung.id);
    expect(ended).toMatchObject({ status: "killed", error: "killed: the job_timeout of 3s was exceeded", records: 40, bytes: 4000 });
    expect(s.jobs.logs(hung.id).map((l) => l.message)).toContain("killed: the job_timeout of 3s was exceeded");
    clock.advance(60_000);
    await settle();
    expect(child(hung).signals).toEqual(["SIGTERM"]); // it exited: no SIGKILL
    expect(child(quick).signals).toEqual([]);
    expect(s.jobs.getJob(quick.id).status).toBe("success");
    expect(s.jobs.listRunning()).toEqual([]);
    expect(s.jobs.listJobs({ schedule: "hung" })).toHaveLength(1);
  });

  it("SIGKILLs a job process that ignores SIGTERM, 10 s later, and still records the limit", async () => {
    const { clock, store: s, jobs, child } = await harness(5000, ["stuck"]);
    const stuck = jobs[0] as Job;
    child(stuck).onSignal = (signal) => {
      if (signal === "SIGKILL") child(stuck).exit(null, "SIGKILL");
    };
    clock.advance(5000);
    await settle();
    expect(child(stuck).signals).toEqual(["SIGTERM"]);
    // Recorded before the process is gone, so a daemon dying now leaves nothing `running` to retry.
    expect(s.jobs.getJob(stuck.id)).toMatchObject({ status: "killed", error: "killed: the job_timeout of 5s was exceeded" });
    clock.advance(9999);
    await settle();
    expect(child(stuck).signals).toEqual(["SIGTERM"]);
    clock.advance(1);
    await settle();
    expect(child(stuck).signals).toEqual(["SIGTERM", "SIGKILL"]);
    expect(s.jobs.getJob(stuck.id)).toMatchObject({ status: "killed", error: "killed: the job_timeout of 5s was exceeded" });
  });

  it("keeps a job that finished just as the limit came: its success stays", async () => {
    const { clock, store: s, jobs, child } = await harness(2000, ["edge"]);
    const edge = jobs[0] as Job;
    // Its success is written as SIGTERM arrives; it exits without noticing the signal.
    child(edge).onSignal = () => {
      s.jobs.finishJob(edge.id, { status: "success", records: 9, skippedRecords: 0, bytes: 90 });
      child(edge).exit(0, null);
    };
    clock.advance(2000);
    await settle();
    expect(s.jobs.getJob(edge.id)).toMatchObject({ status: "success", records: 9 });
  });

  it("waits out a limit longer than Node's longest timer in steps, never early", async () => {
    const { clock, store: s, jobs, child } = await harness(40 * DAY, ["long"]);
    const long = jobs[0] as Job;
    clock.advance(MAX_TIMER_MS);
    await settle();
    clock.advance(40 * DAY - MAX_TIMER_MS - 1);
    await settle();
    expect(child(long).signals).toEqual([]);
    expect(s.jobs.getJob(long.id).status).toBe("running");
    clock.advance(1);
    await settle();
    expect(child(long).signals).toEqual(["SIGTERM"]);
    expect(s.jobs.getJob(long.id)).toMatchObject({ status: "killed", error: "killed: the job_timeout of 40d was exceeded" });
  });

  it("records a job process that died without an end as interrupted and queues its slot again, but not a fourth time", async () => {
    const { store: s, jobs, child } = await harness(undefined, ["dies"]);
    const first = jobs[0] as Job;
    const ended: Job[] = [];
    let current = first;
    for (let attempt = 1; attempt <= 3; attempt++) {
      child(current).exit(null, "SIGKILL");
      await settle();
      ended.push(s.jobs.getJob(current.id));
      const next = s.jobs.slotJob(first.scheduleId as number, first.scheduledTime as number);
      if (attempt < 3) {
        expect(next, `attempt ${attempt} queued again and started`).toMatchObject({ status: "running" });
        current = next as Job;
      } else {
        expect(next, "a slot whose process died three times is not queued again").toBeUndefined();
      }
    }
    expect(ended.map((j) => [j.status, j.error])).toEqual(
      Array.from({ length: 3 }, () => ["error", "interrupted: the job process exited (SIGKILL) before finishing"]),
    );
  });

  it("records a job process killed by a SIGTERM from outside before it recorded its end (job:kill early) as killed, its slot not run again (review)", async () => {
    const { store: s, jobs, child } = await harness(undefined, ["early"]);
    const job = jobs[0] as Job;
    // The job process had not yet installed its SIGTERM handler: the signal's default action ended it.
    child(job).exit(null, "SIGTERM");
    await settle();
    expect(s.jobs.getJob(job.id)).toMatchObject({ status: "killed", error: "killed: its process got SIGTERM (job:kill or an operator) before it could record its end" });
    expect(s.jobs.slotJob(job.scheduleId as number, job.scheduledTime as number), "a killed slot is not queued again").toBeUndefined();
    expect(s.jobs.listJobs({ schedule: "early" })).toHaveLength(1);
  });

  it("tracks a job process even when recording its pid fails (state.db locked): its exit is still recorded (regression)", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const home = join(mkdtempSync(join(tmpdir(), "itd-handover-")), "home");
    store = openStore(home, clock, { isAlive: () => true });
    const s = store;
    const { id } = s.schedules.create({
      name: "locked", cron: "", timezone: "UTC", delay: 0, database: "db", table: "t", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: false,
    });
    const job = s.jobs.createJob({ kind: "run", schedule: "locked", scheduleId: id, scheduledTime: clock.now(), database: "db", table: "t", config: "", stream: scheduleStream(id) });
    s.lifecycle.handOver = () => {
      throw new Error("database is locked");
    };
    let spawned: FakeChild | undefined;
    daemon = new Daemon({
      store: s, clock, logger: silentLogger(), budgets: new RateBudgets(clock),
      settings: { maxConcurrentJobs: 4, shutdownGraceMs: 0, jobTimeoutMs: undefined, catchupCap: 10, historyRetentionMs: undefined, schedulesDir: join(home, "none") },
      loadDefinitions: () => ({ schedules: [], problems: [] }),
      configText: () => "",
      spawnJob: () => {
        const c = new FakeChild(7000);
        c.onSignal = (signal) => c.exit(null, signal as NodeJS.Signals);
        spawned ??= c;
        return c as unknown as ChildProcess;
      },
    });
    await daemon.start();
    expect(s.jobs.getJob(job.id).status).toBe("running");
    spawned?.exit(null, "SIGKILL");
    await settle();
    // Tracked: its death was recorded at once (not left running for a recovery that never comes while the lease lives).
    expect(s.jobs.getJob(job.id)).toMatchObject({ status: "error", error: expect.stringContaining("interrupted") });
  });

  it("moves a paused schedule's mark along while it runs and when it stops, so a resume while it is down catches nothing up", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const home = join(mkdtempSync(join(tmpdir(), "itd-paused-")), "home");
    store = openStore(home, clock, { isAlive: () => true });
    const s = store;
    const paused = s.schedules.create({
      name: "held", cron: "* * * * * *", timezone: "UTC", delay: 0, database: "db", table: "t", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: true,
    });
    s.schedules.firstSeen(paused.id, clock.now() - 60_000);
    daemon = new Daemon({
      store: s, clock, logger: silentLogger(), budgets: new RateBudgets(clock),
      settings: { maxConcurrentJobs: 4, shutdownGraceMs: 0, jobTimeoutMs: undefined, catchupCap: 10, historyRetentionMs: undefined, schedulesDir: join(home, "none") },
      // A schedule file's `paused: true` (the CLI's resume moves the mark itself).
      loadDefinitions: () => ({ schedules: [{ ...paused, source: "/etc/itd/schedules/held.yml" }], problems: [] }),
      configText: () => "",
      spawnJob: () => new FakeChild(1) as unknown as ChildProcess,
    });
    await daemon.start();
    expect(s.schedules.firedThrough(paused.id)).toBe(clock.now());
    clock.advance(3_600_000);
    await daemon.stop();
    daemon = undefined;
    expect(s.schedules.firedThrough(paused.id)).toBe(clock.now());
    expect(s.jobs.listJobs()).toEqual([]);
  });

  it("never stops a job without a limit", async () => {
    const { clock, store: s, jobs, child } = await harness(undefined, ["free"]);
    const free = jobs[0] as Job;
    for (let i = 0; i < 5; i++) {
      clock.advance(30 * DAY);
      await settle();
    }
    expect(child(free).signals).toEqual([]);
    expect(s.jobs.getJob(free.id).status).toBe("running");
    child(free).exit(0, null); // so stop() does not wait for it
    await settle();
  });
});
