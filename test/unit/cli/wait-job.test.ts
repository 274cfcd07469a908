/** `connector:run -w` / `job:show -w`: follow a job to its end, and never wait forever for a daemon that is not there. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { NO_DAEMON_GRACE_MS, waitForJob } from "../../../src/cli/wait-job.js";
import { openStore, scheduleStream, type Holder, type Store } from "../../../src/store/index.js";

const T0 = Date.UTC(2026, 0, 1);
const ME: Holder = { pid: 100, host: "here" };
let opened: Store[] = [];
afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

function setup() {
  const clock = new FakeClock(T0);
  const store = openStore(join(mkdtempSync(join(tmpdir(), "itd-wait-")), "home"), clock, { holder: ME, isAlive: (pid) => pid === 100 });
  opened.push(store);
  const sched = store.schedules.create({
    name: "a", cron: "", timezone: "UTC", delay: 0, database: "db1", table: "t1", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: false,
  });
  const q = store.lifecycle.queueSlot({ scheduleId: sched.id, schedule: "a", slot: T0, kind: "run", database: "db1", table: "t1", priority: 0, config: "", stream: scheduleStream(sched.id) });
  if (q.status !== "queued") throw new Error(`queueSlot: ${q.status}`);
  return { clock, store, job: q.job };
}

/** Lets the waiter reach its next sleep, then moves the fake clock on by `ms`. */
async function tick(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < 50 && clock.pendingSleeps === 0; i++) await new Promise((r) => setImmediate(r));
  clock.set(clock.now() + ms);
}

describe("waitForJob", () => {
  it("fails, naming the job, when it stays queued with no daemon for the grace period, and not before", async () => {
    const { clock, store, job } = setup();
    let settled: unknown;
    const waiting = waitForJob({ store, clock }, job.id, { signal: new AbortController().signal }).then(
      (j) => (settled = j),
      (e: unknown) => (settled = e),
    );
    for (let t = 0; t < NO_DAEMON_GRACE_MS - 500; t += 500) await tick(clock, 500);
    await new Promise((r) => setImmediate(r));
    expect(settled, "gave up before the grace period").toBeUndefined();
    for (let i = 0; i < 4 && settled === undefined; i++) await tick(clock, 500);
    await waiting;
    expect(settled).toBeInstanceOf(Error);
    expect((settled as Error).message).toMatch(new RegExp(`job ${job.id} is still queued and no itd daemon has been running for 30 s`));
  });

  it("keeps waiting while a daemon beats, and returns the job with every log line once it ends", async () => {
    const { clock, store, job } = setup();
    const d = store.daemon.acquire(ME, 10_000, () => true);
    if (!("token" in d)) throw new Error("no daemon lease");
    const lines: string[] = [];
    let done: unknown;
    const waiting = waitForJob({ store, clock }, job.id, { signal: new AbortController().signal, onLog: (l) => lines.push(l.message) }).then((j) => (done = j));
    const started = store.lifecycle.start(job.id, d.token);
    if (started.status !== "started") throw new Error(`start: ${started.status}`);
    store.jobs.appendLog(job.id, "info", "first");
    // Past the grace period with the daemon alive: still waiting.
    for (let t = 0; t < NO_DAEMON_GRACE_MS + 5_000; t += 1_000) {
      store.daemon.beat(d.token);
      await tick(clock, 1_000);
    }
    expect(done).toBeUndefined();
    expect(lines).toEqual(["first"]);
    store.jobs.appendLog(job.id, "info", "second");
    store.lifecycle.finish(started.job, started.token, { status: "success", records: 3, skippedRecords: 0, bytes: 10, error: null, configDiff: null });
    await tick(clock, 500);
    await waiting;
    expect((done as { status: string }).status).toBe("success");
    expect(lines).toEqual(["first", "second"]);
  });
});
