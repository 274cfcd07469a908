import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { MIGRATIONS } from "../../../src/store/migrations.js";
import { openStore, type Store } from "../../../src/store/index.js";

describe("the state store", () => {
  let store: Store | undefined;
  afterEach(() => store?.close());

  function fresh(): { store: Store; home: string; clock: FakeClock } {
    const home = join(mkdtempSync(join(tmpdir(), "itd-store-")), "home");
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    store = openStore(home, clock);
    return { store, home, clock };
  }

  it("creates the home 0700 and state.db 0600", () => {
    const { home } = fresh();
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, "state.db")).mode & 0o777).toBe(0o600);
  });

  it("lastSlot counts cron slots only: a manual run later than the last slot does not hide missed slots (soak finding)", () => {
    const { store: s } = fresh();
    const base = { database: "d", table: "t", config: "in: {}", stream: "schedule:a", schedule: "a" };
    s.jobs.createJob({ ...base, kind: "scheduled", scheduledTime: 25_000 });
    expect(s.jobs.lastSlot("a")).toBe(25_000);
    // `connector:run a <time>` at 49.5 s while the daemon was down: the cron slot at 50 s must still be caught up.
    s.jobs.createJob({ ...base, kind: "run", scheduledTime: 49_500 });
    expect(s.jobs.lastSlot("a")).toBe(25_000);
    s.jobs.createJob({ ...base, kind: "scheduled", scheduledTime: 50_000, status: "skipped" });
    expect(s.jobs.lastSlot("a")).toBe(50_000);
    expect(s.jobs.lastSlot("b")).toBeUndefined();
  });

  it("is migrated once even when opened twice", () => {
    const { home, clock } = fresh();
    const second = openStore(home, clock);
    expect(second.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    second.close();
  });

  it("walks a job from queued to running to success and keeps its log in order", () => {
    const { store: s, clock } = fresh();
    const job = s.jobs.createJob({ kind: "issue", database: "db1", table: "t1", config: "in: {}", stream: "s" });
    expect(job.status).toBe("queued");
    clock.advance(1000);
    s.jobs.markRunning(job.id, 4242);
    s.jobs.appendLog(job.id, "info", "first");
    s.jobs.appendLog(job.id, "info", "second");
    clock.advance(2000);
    const done = s.jobs.finishJob(job.id, { status: "success", records: 10, skippedRecords: 1, bytes: 99 });
    expect(done).toMatchObject({ status: "success", records: 10, skippedRecords: 1, pid: 4242 });
    expect((done.endAt ?? 0) - (done.startAt ?? 0)).toBe(2000);
    expect(s.jobs.logs(job.id).map((l) => l.message)).toEqual(["first", "second"]);
  });

  it("lists jobs newest first and filters by schedule", () => {
    const { store: s } = fresh();
    const a = s.jobs.createJob({ kind: "issue", database: "db1", table: "t1", config: "", stream: "x" });
    const b = s.jobs.createJob({ kind: "scheduled", schedule: "daily", scheduledTime: 1, database: "db1", table: "t1", config: "", stream: "daily" });
    expect(s.jobs.listJobs().map((j) => j.id)).toEqual([b.id, a.id]);
    expect(s.jobs.listJobs({ schedule: "daily" }).map((j) => j.id)).toEqual([b.id]);
  });

  it("refuses a second live job for the same schedule slot", () => {
    const { store: s } = fresh();
    s.jobs.createJob({ kind: "scheduled", schedule: "daily", scheduledTime: 60, database: "db1", table: "t1", config: "", stream: "daily" });
    expect(() =>
      s.jobs.createJob({ kind: "scheduled", schedule: "daily", scheduledTime: 60, database: "db1", table: "t1", config: "", stream: "daily" }),
    ).toThrow(/UNIQUE/);
  });

  it("marks jobs left running by a dead process as interrupted errors", () => {
    const { store: s } = fresh();
    const alive = s.jobs.createJob({ kind: "issue", database: "db1", table: "t1", config: "", stream: "a", status: "running", pid: 1 });
    const dead = s.jobs.createJob({ kind: "issue", database: "db1", table: "t1", config: "", stream: "b", status: "running", pid: 999_999 });
    const marked = s.jobs.recoverInterrupted((pid) => pid === 1);
    expect(marked.map((j) => j.id)).toEqual([dead.id]);
    expect(s.jobs.getJob(dead.id)).toMatchObject({ status: "error", error: expect.stringContaining("interrupted") });
    expect(s.jobs.getJob(alive.id).status).toBe("running");
  });

  it("keeps cursors apart from jobs and overwrites them per stream", () => {
    const { store: s } = fresh();
    s.cursors.save("daily", { in: { start_time: "2026-01-01T00:00:00Z" } }, 1);
    s.cursors.save("daily", { in: { start_time: "2026-01-02T00:00:00Z" } }, 2);
    expect(s.cursors.get("daily")).toMatchObject({ configDiff: { in: { start_time: "2026-01-02T00:00:00Z" } }, jobId: 2 });
    expect(s.cursors.get("other")).toBeUndefined();
  });

  it("says which job is missing", () => {
    const { store: s } = fresh();
    expect(() => s.jobs.getJob(77)).toThrow("Job 77 does not exist");
  });
});

describe("the daemon lock", () => {
  it("lets one daemon hold a home, refuses a second while the first lives, and frees a dead one's lock", () => {
    const home = join(mkdtempSync(join(tmpdir(), "itd-lock-")), "home");
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const s = openStore(home, clock);
    const alive = new Set([100, 200]);
    expect(s.daemon.acquire(100, "h", 10_000, (p) => alive.has(p))).toBeUndefined();
    expect(s.daemon.acquire(200, "h", 10_000, (p) => alive.has(p))).toEqual({ pid: 100, host: "h" });
    alive.delete(100);
    expect(s.daemon.acquire(200, "h", 10_000, (p) => alive.has(p))).toBeUndefined();
    expect(s.daemon.alive()?.pid).toBe(200);
    s.close();
  });
});

describe("the schedules version", () => {
  it("moves with every schedule change and not with job writes", () => {
    const home = join(mkdtempSync(join(tmpdir(), "itd-ver-")), "home");
    const s = openStore(home, new FakeClock(0));
    const v0 = s.schedules.version();
    const def = { name: "a", cron: "@daily", timezone: "UTC", delay: 0, database: "db1", table: "t1", timeColumn: null, priority: 0, catchup: "all" as const, config: {}, paused: false };
    s.schedules.create(def);
    const v1 = s.schedules.version();
    expect(v1).toBeGreaterThan(v0);
    s.jobs.createJob({ kind: "issue", database: "db1", table: "t1", config: "", stream: "x" });
    expect(s.schedules.version()).toBe(v1);
    s.schedules.update("a", { ...def, delay: 5 });
    expect(s.schedules.version()).toBeGreaterThan(v1);
    s.schedules.delete("a");
    expect(s.schedules.version()).toBeGreaterThan(v1 + 1);
    s.close();
  });
});

describe("first-seen marks", () => {
  it("record when a daemon first saw a schedule, once; deleting the schedule clears it", () => {
    const home = join(mkdtempSync(join(tmpdir(), "itd-seen-")), "home");
    const s = openStore(home, new FakeClock(0));
    const def = { name: "a", cron: "@daily", timezone: "UTC", delay: 0, database: "db1", table: "t1", timeColumn: null, priority: 0, catchup: "all" as const, config: {}, paused: false };
    s.schedules.create(def);
    expect(s.jobs.firstSeen("a", 1_000)).toBe(1_000);
    expect(s.jobs.firstSeen("a", 9_000)).toBe(1_000);
    s.schedules.delete("a");
    s.schedules.create(def);
    expect(s.jobs.firstSeen("a", 9_000)).toBe(9_000);
    s.close();
  });
});

describe("skipQueued", () => {
  it("ends only the queued jobs of one schedule, as skipped with the reason", () => {
    const home = join(mkdtempSync(join(tmpdir(), "itd-skipq-")), "home");
    const s = openStore(home, new FakeClock(5_000));
    const base = { database: "d", table: "t", config: "", kind: "scheduled" as const };
    const q1 = s.jobs.createJob({ ...base, schedule: "a", scheduledTime: 1_000, stream: "schedule:a" });
    const q2 = s.jobs.createJob({ ...base, schedule: "a", scheduledTime: 2_000, stream: "schedule:a" });
    const running = s.jobs.createJob({ ...base, schedule: "a", scheduledTime: 3_000, stream: "schedule:a" });
    s.jobs.markRunning(running.id, 1);
    const other = s.jobs.createJob({ ...base, schedule: "b", scheduledTime: 1_000, stream: "schedule:b" });
    expect(s.jobs.skipQueued("a", "skipped: the schedule was deleted")).toBe(2);
    for (const id of [q1.id, q2.id]) expect(s.jobs.getJob(id)).toMatchObject({ status: "skipped", error: "skipped: the schedule was deleted", endAt: 5_000 });
    expect(s.jobs.getJob(running.id).status).toBe("running");
    expect(s.jobs.getJob(other.id).status).toBe("queued");
    s.close();
  });
});
