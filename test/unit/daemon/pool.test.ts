/**
 * The daemon with warm job processes (job_processes), on a FakeClock with
 * fake processes over a real state.db: jobs go to warm processes one at a
 * time; every way a job can end in one of them — done, crash, done without
 * its end recorded, job_timeout, a SIGTERM from outside, declined — is
 * recorded exactly as for a fresh process, and a process that must not take
 * another job never does.
 */
import { thisHost } from "../../../src/pid.js";
import { afterEach, describe, expect, it } from "vitest";
import type { Daemon } from "../../../src/daemon/daemon.js";
import type { ChildProcess } from "node:child_process";
import { FakeClock } from "../../../src/clock.js";
import { MAX_INTERRUPTIONS } from "../../../src/store/lifecycle.js";
import { JobPool } from "../../../src/daemon/pool.js";
import { silentLogger } from "../../../src/log.js";
import { FakeProcess, MB, poolHarness, settle } from "./pool-helpers.js";

let running: Daemon | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function harness(...args: Parameters<typeof poolHarness>) {
  const h = await poolHarness(...args);
  running = h.daemon;
  return h;
}

/** A dispatch round (the daemon dispatches on fires, job ends, polls and settings). */
async function dispatch(daemon: Daemon): Promise<void> {
  daemon.applySettings({});
  await settle();
}

describe("warm job processes", () => {
  it("run the jobs handed to them one at a time and take the next: no process is spawned per job", async () => {
    const h = await harness({ schedules: ["a", "b", "c"], settings: { maxConcurrentJobs: 2, jobProcesses: 2 } });
    const [a, b, c] = h.jobs.map((j) => j.id) as [number, number, number];
    expect(h.pooled()).toHaveLength(2);
    expect(h.store.jobs.getJob(a).status).toBe("running");
    expect(h.store.jobs.getJob(b).status).toBe("running");
    expect(h.store.jobs.getJob(c).status).toBe("queued");
    const first = h.runner(a);
    h.complete(a);
    await settle();
    expect(h.store.jobs.getJob(a).status).toBe("success");
    // c goes to the process a ran in, which had reported a done first.
    expect(h.runner(c)).toBe(first);
    expect(first.handed).toEqual([a, c]);
    expect(h.store.jobs.getJob(c)).toMatchObject({ status: "running", pid: first.pid, host: thisHost() });
    h.complete(b);
    h.complete(c);
    await settle();
    expect(h.processes).toHaveLength(2); // nothing fresh, nothing replaced
    expect(h.fresh()).toEqual([]);
    expect(h.pooled().every((p) => p.signals.length === 0 && p.connected)).toBe(true);
    expect(h.store.jobs.listRunning()).toEqual([]);
    expect(h.store.leases.list()).toEqual([]);
  });

  it("take jobs while they still load (the job waits for its process), and never get a second job before reporting the first", async () => {
    const h = await harness({ schedules: ["a", "b"], settings: { jobProcesses: 1, maxConcurrentJobs: 4 }, autoReady: false });
    const [a, b] = h.jobs.map((j) => j.id) as [number, number];
    const [p] = h.pooled();
    // a went to the (still loading) warm process; b, with none free, to a fresh one.
    expect(p?.handed).toEqual([a]);
    expect(h.fresh().map((f) => f.handed)).toEqual([[b]]);
    const c = h.queue("c").id;
    await dispatch(h.daemon);
    expect(p?.handed).toEqual([a]);
    expect(h.fresh().map((f) => f.handed)).toEqual([[b], [c]]);
  });

  it("with fewer warm processes than max_concurrent_jobs, start the others in fresh processes; job_processes 0 is a fresh process per job", async () => {
    const h = await harness({ schedules: ["a", "b", "c"], settings: { jobProcesses: 0, maxConcurrentJobs: 4 } });
    expect(h.pooled()).toEqual([]);
    expect(h.fresh().map((f) => f.handed)).toEqual(h.jobs.map((j) => [j.id]));
    for (const j of h.jobs) h.complete(j.id);
    await settle();
    expect(h.jobs.map((j) => h.store.jobs.getJob(j.id).status)).toEqual(["success", "success", "success"]);
  });

  it("a process SIGKILLed mid-job: the job ends interrupted and its slot is queued again, as for a fresh process; the process is replaced", async () => {
    const h = await harness({ schedules: ["dies"], settings: { jobProcesses: 1 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    const p = h.runner(job.id);
    p.exit(null, "SIGKILL");
    await settle();
    expect(h.store.jobs.getJob(job.id)).toMatchObject({ status: "error", error: "interrupted: the job process exited (SIGKILL) before finishing" });
    const retry = h.store.jobs.slotJob(job.scheduleId as number, job.scheduledTime as number);
    expect(retry, "the slot queued again and started").toMatchObject({ status: "running" });
    const replacement = h.pooled().find((x) => x !== p);
    expect(replacement, "a new warm process").toBeDefined();
    expect(h.runner(retry?.id as number)).toBe(replacement);
    h.complete(retry?.id as number);
    await settle();
    expect(h.store.jobs.getJob(retry?.id as number).status).toBe("success");
    expect(h.store.leases.list()).toEqual([]);
  });

  it("a process that reports its job done while the row still says running: the daemon ends it interrupted and queues its slot again", async () => {
    const h = await harness({ schedules: ["lost"], settings: { jobProcesses: 1 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    const p = h.runner(job.id);
    p.done(job.id, { recorded: false });
    await settle();
    expect(h.store.jobs.getJob(job.id)).toMatchObject({ status: "error", error: "interrupted: the job process let go of the job without recording its end" });
    const retry = h.store.jobs.slotJob(job.scheduleId as number, job.scheduledTime as number);
    expect(retry).toMatchObject({ status: "running" });
    // Recorded by the daemon, so the process may go on: it runs the retry.
    expect(h.runner(retry?.id as number)).toBe(p);
    expect(p.signals).toEqual([]);
  });

  it("…and when the daemon cannot record that (state.db busy), SIGKILLs the process so its pid dies and recovery can end the job", async () => {
    const h = await harness({ schedules: ["busy"], settings: { jobProcesses: 1 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    const p = h.runner(job.id);
    const finish = h.store.lifecycle.finish.bind(h.store.lifecycle);
    h.store.lifecycle.finish = () => {
      throw new Error("database is locked");
    };
    p.done(job.id, { recorded: false });
    await settle();
    expect(p.signals).toEqual(["SIGKILL"]);
    expect(p.gone).toBe(true);
    h.store.lifecycle.finish = finish;
    expect(h.store.jobs.getJob(job.id).status, "left for recovery").toBe("running");
    expect(p.handed).toEqual([job.id]); // never handed anything more
  });

  it("job_timeout: the process gets SIGTERM, the job ends killed with the limit named, and the process is replaced, never handed another job", async () => {
    const h = await harness({ schedules: ["hung", "next"], settings: { jobProcesses: 1, maxConcurrentJobs: 1, jobTimeoutMs: 3000 } });
    const [hung, next] = h.jobs.map((j) => j.id) as [number, number];
    const p = h.runner(hung);
    h.clock.advance(2999);
    await settle();
    expect(p.signals).toEqual([]);
    h.clock.advance(1);
    await settle();
    expect(p.signals).toEqual(["SIGTERM"]);
    expect(h.store.jobs.getJob(hung)).toMatchObject({ status: "killed", error: "killed: the job_timeout of 3s was exceeded" });
    expect(h.store.jobs.slotJob(h.jobs[0]?.scheduleId as number, h.jobs[0]?.scheduledTime as number), "not queued again").toBeUndefined();
    expect(h.store.jobs.listJobs({ schedule: "hung" })).toHaveLength(1);
    expect(p.handed).toEqual([hung]);
    const replacement = h.pooled().find((x) => x !== p);
    expect(replacement?.handed).toEqual([next]);
  });

  it("job_timeout: a process that ignores SIGTERM is SIGKILLed 10 s later, and the limit stays the job's error", async () => {
    const h = await harness({ schedules: ["stuck"], settings: { jobProcesses: 1, jobTimeoutMs: 5000 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    const p = h.runner(job.id);
    p.onSignal = (signal) => {
      if (signal === "SIGKILL") p.exit(null, "SIGKILL");
    };
    h.clock.advance(5000);
    await settle();
    expect(p.signals).toEqual(["SIGTERM"]);
    h.clock.advance(9999);
    await settle();
    expect(p.signals).toEqual(["SIGTERM"]);
    h.clock.advance(1);
    await settle();
    expect(p.signals).toEqual(["SIGTERM", "SIGKILL"]);
    expect(h.store.jobs.getJob(job.id)).toMatchObject({ status: "killed", error: "killed: the job_timeout of 5s was exceeded" });
  });

  it("a SIGTERM from outside (job:kill): the job records killed and is not retried; the process leaves and is not handed another job", async () => {
    const h = await harness({ schedules: ["victim", "later"], settings: { jobProcesses: 1, maxConcurrentJobs: 1 } });
    const [victim, later] = h.jobs.map((j) => j.id) as [number, number];
    const p = h.runner(victim);
    p.kill("SIGTERM"); // what job:kill does to the job's recorded pid
    await settle();
    expect(h.store.jobs.getJob(victim)).toMatchObject({ status: "killed", error: "killed: interrupted by SIGTERM" });
    expect(h.store.jobs.listJobs({ schedule: "victim" })).toHaveLength(1);
    expect(p.handed).toEqual([victim]);
    expect(h.runner(later)).not.toBe(p);
  });

  it("a process killed by SIGTERM before it could record its job's end (exit 143): killed, not retried", async () => {
    const h = await harness({ schedules: ["early"], settings: { jobProcesses: 1 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    h.runner(job.id).exit(143, null);
    await settle();
    expect(h.store.jobs.getJob(job.id)).toMatchObject({ status: "killed", error: "killed: its process got SIGTERM (job:kill or an operator) before it could record its end" });
    expect(h.store.jobs.listJobs({ schedule: "early" })).toHaveLength(1);
  });

  it("a job declined by its process (never two at once) goes back to the queue untouched and runs elsewhere, no interruption recorded", async () => {
    const h = await harness({ schedules: ["declined"], settings: { jobProcesses: 1 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    const p = h.runner(job.id);
    p.done(job.id, { refused: true, recorded: false });
    await settle();
    expect(p.handed).toEqual([job.id]); // it is not handed anything more
    const replacement = h.pooled().find((x) => x !== p);
    expect(replacement?.handed).toEqual([job.id]); // the same job, not a retry
    expect(h.store.jobs.getJob(job.id)).toMatchObject({ status: "running", pid: replacement?.pid });
    h.complete(job.id);
    await settle();
    expect(h.store.jobs.listJobs({ schedule: "declined" }).map((j) => j.status)).toEqual(["success"]);
  });

  it("a job whose SIGTERM reached its process before it started (job:kill right after the hand-over) ends killed, not retried", async () => {
    const h = await harness({ schedules: ["early"], settings: { jobProcesses: 1 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    const p = h.runner(job.id);
    p.done(job.id, { terminated: true, exiting: true, recorded: false });
    p.exit(143, null);
    await settle();
    expect(h.store.jobs.getJob(job.id)).toMatchObject({ status: "killed", error: "killed: its process got SIGTERM (job:kill or an operator) before it could record its end" });
    expect(h.store.jobs.listJobs({ schedule: "early" })).toHaveLength(1);
    expect(p.handed).toEqual([job.id]);
  });

  it("recycles a process after job_process_max_jobs jobs and one above job_process_max_rss_mb: disconnected when idle, and replaced", async () => {
    const h = await harness({ schedules: ["r1"], settings: { jobProcesses: 1, jobProcessMaxJobs: 2, jobProcessMaxRssBytes: 200 * MB } });
    const first = h.runner(h.jobs[0]?.id as number);
    h.complete(h.jobs[0]?.id as number);
    await settle();
    const j2 = h.queue("r2").id;
    await dispatch(h.daemon);
    expect(first.handed).toEqual([h.jobs[0]?.id, j2]);
    h.complete(j2);
    await settle();
    expect(first.gone, "recycled after 2 jobs").toBe(true);
    expect(first.signals).toEqual([]); // idle: disconnected, not signalled
    const second = h.pooled().find((p) => p !== first && !p.gone);
    expect(second).toBeDefined();
    const j3 = h.queue("r3").id;
    await dispatch(h.daemon);
    expect(second?.handed).toEqual([j3]);
    h.store.lifecycle.finish(h.store.jobs.getJob(j3), (second?.current?.token ?? 0), { status: "success", records: 1, skippedRecords: 0, bytes: 1 });
    second?.done(j3, { rss: 300 * MB });
    await settle();
    expect(second?.gone, "recycled above the RSS limit").toBe(true);
    expect(h.pooled().filter((p) => !p.gone)).toHaveLength(1);
  });

  it("on stop: idle processes leave at once, a busy one finishes within the grace and then leaves; stop resolves when all are gone", async () => {
    const h = await poolHarness({ schedules: ["busy"], settings: { jobProcesses: 2, shutdownGraceMs: 60_000 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    const busy = h.runner(job.id);
    const idle = h.pooled().find((p) => p !== busy);
    let stopped = false;
    const stopping = h.daemon.stop().then(() => (stopped = true));
    await settle();
    expect(idle?.gone).toBe(true);
    expect(busy.gone).toBe(false);
    expect(stopped).toBe(false);
    h.complete(job.id);
    await stopping;
    expect(busy.gone).toBe(true);
    expect(busy.signals).toEqual([]);
    expect(h.store.jobs.getJob(job.id).status).toBe("success");
    expect(h.pooled().every((p) => p.gone)).toBe(true);
  });

  it("on stop past the grace: the busy process gets SIGTERM, its job ends killed and is not retried", async () => {
    const h = await poolHarness({ schedules: ["slow"], settings: { jobProcesses: 1, shutdownGraceMs: 0 } });
    const job = h.jobs[0] as (typeof h.jobs)[number];
    const p = h.runner(job.id);
    await h.daemon.stop();
    expect(p.signals).toEqual(["SIGTERM"]);
    expect(h.store.jobs.getJob(job.id).status).toBe("killed");
    expect(h.store.jobs.listJobs({ schedule: "slow" })).toHaveLength(1);
  });

  it("after a lost lease (abandon): every process, busy or idle, is disconnected at once", async () => {
    const h = await poolHarness({ schedules: ["x"], settings: { jobProcesses: 3 } });
    h.daemon.abandon();
    await settle();
    expect(h.pooled().every((p) => !p.connected)).toBe(true);
    expect(h.runner(h.jobs[0]?.id as number).exitCode).toBe(70);
  });

  it("recovery ends a running job whose recorded pid is a warm process that runs something else (its pid alone would keep it running)", async () => {
    const h = await harness({ schedules: ["mine"], settings: { jobProcesses: 2 } });
    const mine = h.jobs[0] as (typeof h.jobs)[number];
    const idle = h.pooled().find((p) => p.handed.length === 0);
    expect(idle).toBeDefined();
    // A row left running naming that (live, idle) process: a lost end, or a pid reused by it.
    const stale = h.queue("stale");
    h.store.db.prepare(`UPDATE jobs SET status = 'running', start_at = ?, pid = ?, host = ? WHERE id = ?`).run(h.clock.now(), idle?.pid, thisHost(), stale.id);
    (h.daemon as unknown as { recover(): void }).recover();
    expect(h.store.jobs.getJob(stale.id)).toMatchObject({ status: "error", error: "interrupted: the process running this job died" });
    // The job the other process runs is left alone.
    expect(h.store.jobs.getJob(mine.id).status).toBe("running");
  });

  it("per-job listeners go with the job: a process's message listeners are back to the pool's own after each job", async () => {
    const h = await harness({ schedules: ["l1"], settings: { jobProcesses: 1 } });
    const p = h.runner(h.jobs[0]?.id as number);
    const during = p.listenerCount("message");
    h.complete(h.jobs[0]?.id as number);
    await settle();
    const after = p.listenerCount("message");
    expect(during).toBeGreaterThan(after);
    for (const name of ["l2", "l3", "l4"]) {
      const id = h.queue(name).id;
      await dispatch(h.daemon);
      h.complete(id);
      await settle();
    }
    expect(p.listenerCount("message")).toBe(after);
    expect(p.listenerCount("exit")).toBe(1);
  });

  it("a pool made smaller while its processes are busy lets them go as their jobs end", async () => {
    const h = await harness({ schedules: ["s1", "s2"], settings: { jobProcesses: 2 } });
    const [a, b] = h.jobs.map((j) => j.id) as [number, number];
    h.daemon.applySettings({ jobProcesses: 1 });
    await settle();
    expect(h.pooled().filter((p) => !p.gone)).toHaveLength(2); // both busy: nothing to let go yet
    h.complete(a);
    await settle();
    expect(h.runner(a).gone).toBe(true);
    expect(h.runner(b).gone).toBe(false);
    h.complete(b);
    await settle();
    expect(h.pooled().filter((p) => !p.gone)).toHaveLength(1);
  });

  it("spawn one process ahead of need, not job_processes: the pool grows to the most jobs run at once and keeps them warm", async () => {
    const h = await harness({ settings: { jobProcesses: 4, maxConcurrentJobs: 4 } });
    expect(h.pooled(), "an idle daemon holds one spare process").toHaveLength(1);
    const one = h.queue("one").id;
    await dispatch(h.daemon);
    expect(h.runner(one).pooled).toBe(true);
    expect(h.pooled(), "the spare took the job; a new spare is spawned").toHaveLength(2);
    h.complete(one);
    await settle();
    expect(h.pooled().filter((p) => !p.gone), "a job at a time: two processes, both kept").toHaveLength(2);
    // Three at once: the two idle ones and the next spare take them; one more spare, and the pool is full.
    const three = ["x", "y", "z"].map((n) => h.queue(n).id);
    await dispatch(h.daemon);
    expect(three.every((id) => h.runner(id).pooled)).toBe(true);
    expect(h.fresh()).toEqual([]);
    expect(h.pooled().filter((p) => !p.gone)).toHaveLength(4);
    for (const id of three) h.complete(id);
    await settle();
    expect(h.pooled().filter((p) => !p.gone), "kept warm after their jobs, up to job_processes").toHaveLength(4);
    expect(h.pooled().every((p) => p.signals.length === 0)).toBe(true);
  });

  it("job_processes changes at run time (SIGHUP): a larger pool grows with need, fewer leave when idle, 0 sends jobs to fresh processes", async () => {
    const h = await harness({ settings: { jobProcesses: 1, maxConcurrentJobs: 4 } });
    expect(h.pooled()).toHaveLength(1);
    const [a, b] = [h.queue("a").id, h.queue("b").id];
    await dispatch(h.daemon);
    expect([h.runner(a).pooled, h.runner(b).pooled]).toEqual([true, false]); // one warm process: b gets a fresh one
    h.complete(a);
    h.complete(b);
    await settle();
    h.daemon.applySettings({ jobProcesses: 3 });
    await settle();
    const [c, d] = [h.queue("c").id, h.queue("d").id];
    await dispatch(h.daemon);
    expect([h.runner(c).pooled, h.runner(d).pooled]).toEqual([true, true]);
    h.complete(c);
    h.complete(d);
    await settle();
    expect(h.pooled().filter((p) => !p.gone)).toHaveLength(3);
    h.daemon.applySettings({ jobProcesses: 0 });
    await settle();
    expect(h.pooled().filter((p) => !p.gone)).toHaveLength(0);
    const id = h.queue("after").id;
    await dispatch(h.daemon);
    expect(h.runner(id).pooled).toBe(false);
  });
});

describe("a fresh job process that cannot be started", () => {
  it("ends its job interrupted, naming why, and queues its slot again up to the retry cap; the daemon goes on (an unheard error ended it)", async () => {
    const h = await harness({ schedules: ["a"], settings: { jobProcesses: 0 }, freshFails: true });
    await settle();
    const jobs = h.store.jobs.listJobs({});
    expect(jobs.map((j) => [j.status, j.error])).toEqual(
      Array.from({ length: MAX_INTERRUPTIONS }, () => ["error", "interrupted: its job process could not be started (spawn EAGAIN)"]),
    );
    expect(new Set(jobs.map((j) => j.scheduledTime)).size, "one slot, tried again").toBe(1);
    // Still dispatching: a new job gets a process of its own (which fails too here), and nothing throws.
    const next = h.queue("b").id;
    await dispatch(h.daemon);
    expect(h.store.jobs.getJob(next).status).toBe("error");
  });
});

describe("the pool alone", () => {
  /** A pool of fake processes that say ready at once; `failing` makes the next spawns throw (ENOMEM). */
  function pool(size: number) {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const spawned: FakeProcess[] = [];
    const state = { failing: false };
    const p = new JobPool({
      spawn: () => {
        if (state.failing) throw new Error("spawn ENOMEM");
        const child = new FakeProcess(5000 + spawned.length, true);
        spawned.push(child);
        setImmediate(() => child.report({ t: "ready" }));
        return child as unknown as ChildProcess;
      },
      clock, logger: silentLogger(), settings: { size, maxJobs: 100, maxRssBytes: 512 * MB },
    });
    return { p, clock, spawned, state };
  }

  it("a spare that dies when spawning fails is spawned again when the hold is over, not only on the next SIGHUP", async () => {
    const { p, clock, spawned, state } = pool(4);
    p.fill();
    await settle();
    expect(p.counts()).toMatchObject({ idle: 1, starting: 0, busy: 0 });
    state.failing = true;
    spawned[0]?.exit(null, "SIGKILL"); // the idle spare is killed (the OOM killer), and its replacement cannot spawn
    await settle();
    expect(p.processes).toHaveLength(0);
    expect(p.take(1)).toBeUndefined(); // this job gets a fresh process
    state.failing = false;
    clock.advance(1_000); // the first hold-back
    await settle();
    expect(p.processes).toHaveLength(1);
    await settle();
    expect(p.take(2)?.pid).toBe(spawned[1]?.pid);
  });

  it("never hands a job to a process without a channel (a fork that failed after it returned)", async () => {
    const { p, spawned } = pool(2);
    p.fill();
    await settle();
    const only = spawned[0] as FakeProcess;
    only.connected = false; // no IPC channel, not exited yet
    expect(p.take(1)).toBeUndefined();
    expect(only.handed).toEqual([]);
  });
});
