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

  it("is migrated once even when opened twice", () => {
    const { home, clock } = fresh();
    const second = openStore(home, clock);
    expect(second.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    second.close();
  });

  it("lists the queued jobs to pick in the order and with the ids listQueued gives, deferred ones only once due", () => {
    const { store: s, clock } = fresh();
    const now = clock.now();
    const specs = [
      { priority: 0, slot: 3, runAt: null }, { priority: 2, slot: 9, runAt: null }, { priority: 0, slot: 1, runAt: now + 60_000 },
      { priority: -1, slot: 2, runAt: null }, { priority: 0, slot: 3, runAt: now }, { priority: 2, slot: 5, runAt: null },
    ];
    for (const [i, q] of specs.entries()) {
      s.jobs.createJob({ kind: "run", schedule: `s${i % 2}`, scheduleId: null, scheduledTime: q.slot, database: "d", table: "t", priority: q.priority, config: "in: {}", stream: `st${i % 3}`, runAt: q.runAt });
    }
    for (const at of [now, now + 60_000]) {
      const full = s.jobs.listQueued(at);
      expect(s.jobs.listQueuedToPick(at)).toEqual(full.map((j) => ({ id: j.id, scheduleId: j.scheduleId, scheduledTime: j.scheduledTime, priority: j.priority, createdAt: j.createdAt, stream: j.stream })));
    }
    expect(s.jobs.listQueuedToPick(now)).toHaveLength(5);
  });

  it("walks a job from queued to running to success and keeps its log in order", () => {
    const { store: s, clock } = fresh();
    clock.advance(1000);
    const started = s.lifecycle.startNew({ kind: "issue", database: "db1", table: "t1", config: "in: {}", stream: "s" });
    if (started.status !== "started") throw new Error(started.status);
    const job = started.job;
    s.jobs.appendLog(job.id, "info", "first");
    s.jobs.appendLog(job.id, "info", "second");
    clock.advance(2000);
    const done = s.jobs.finishJob(job.id, { status: "success", records: 10, skippedRecords: 1, bytes: 99 });
    expect(done).toMatchObject({ status: "success", records: 10, skippedRecords: 1, pid: process.pid });
    expect((done.endAt ?? 0) - (done.startAt ?? 0)).toBe(2000);
    expect(s.jobs.logs(job.id).map((l) => l.message)).toEqual(["first", "second"]);
  });

  it("lists jobs newest first and filters by schedule", () => {
    const { store: s } = fresh();
    const a = s.jobs.createJob({ kind: "issue", database: "db1", table: "t1", config: "", stream: "x" });
    const b = s.jobs.createJob({ kind: "scheduled", schedule: "daily", scheduleId: 7, scheduledTime: 1, database: "db1", table: "t1", config: "", stream: "daily" });
    expect(s.jobs.listJobs().map((j) => j.id)).toEqual([b.id, a.id]);
    expect(s.jobs.listJobs({ schedule: "daily" }).map((j) => j.id)).toEqual([b.id]);
    expect(s.jobs.listJobs({ scheduleId: 7 }).map((j) => j.id)).toEqual([b.id]);
  });

  it("says which job is missing", () => {
    const { store: s } = fresh();
    expect(() => s.jobs.getJob(77)).toThrow("Job 77 does not exist");
  });

  it("lists each schedule's newest job's status in one query, and summaries without configs (connector:list)", () => {
    const { store: s, clock } = fresh();
    const base = { cron: "0 * * * *", timezone: "UTC", delay: 0, database: "db", table: "t", timeColumn: null, priority: 0, catchup: "latest" as const, paused: false, config: { in: { type: "iterable" } } };
    const a = s.schedules.create({ ...base, name: "a" });
    const b = s.schedules.create({ ...base, name: "b", paused: true });
    s.schedules.create({ ...base, name: "c" }); // no jobs: no status
    const job = (scheduleId: number, status: "error" | "success" | "killed"): void => {
      clock.advance(1000);
      const j = s.jobs.createJob({ kind: "scheduled", scheduleId, schedule: "x", database: "db", table: "t", config: "{}", stream: `schedule#${scheduleId}` });
      s.jobs.finishJob(j.id, { status, records: 0, skippedRecords: 0, bytes: 0, error: null, configDiff: null });
    };
    job(a.id, "error");
    job(b.id, "killed");
    job(a.id, "success");
    job(b.id, "error");
    expect(s.jobs.lastStatuses()).toEqual(new Map([[a.id, "success"], [b.id, "error"]]));
    expect(s.schedules.summaries().map((x) => [x.name, x.paused])).toEqual([["a", false], ["b", true], ["c", false]]);
    expect(s.schedules.summaries()[0]).not.toHaveProperty("config");
    // One seek per schedule on the index that holds the status: no table row read, however many jobs there are.
    const plan = s.db.prepare(`EXPLAIN QUERY PLAN SELECT (SELECT j.status FROM jobs j WHERE j.schedule_id = 1 ORDER BY j.id DESC LIMIT 1)`).all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join("\n")).toContain("USING COVERING INDEX jobs_schedule_newest");
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

describe("skipQueued", () => {
  it("ends only the queued jobs of one schedule, as skipped with the reason", () => {
    const home = join(mkdtempSync(join(tmpdir(), "itd-skipq-")), "home");
    const s = openStore(home, new FakeClock(5_000));
    const schedule = { cron: "@daily", timezone: "UTC", delay: 0, database: "d", table: "t", timeColumn: null, priority: 0, catchup: "all" as const, config: {}, paused: false };
    expect([s.schedules.create({ ...schedule, name: "a" }).id, s.schedules.create({ ...schedule, name: "b" }).id]).toEqual([1, 2]);
    const base = { database: "d", table: "t", config: "", kind: "scheduled" as const };
    const q1 = s.jobs.createJob({ ...base, schedule: "a", scheduleId: 1, scheduledTime: 1_000, stream: "schedule#1" });
    const q2 = s.jobs.createJob({ ...base, schedule: "a", scheduleId: 1, scheduledTime: 2_000, stream: "schedule#1" });
    const running = s.jobs.createJob({ ...base, schedule: "a", scheduleId: 1, scheduledTime: 3_000, stream: "schedule#1" });
    expect(s.lifecycle.start(running.id).status).toBe("started");
    const other = s.jobs.createJob({ ...base, schedule: "b", scheduleId: 2, scheduledTime: 1_000, stream: "schedule#2" });
    expect(s.lifecycle.skipQueued(1, "skipped: the schedule was deleted")).toBe(2);
    for (const id of [q1.id, q2.id]) expect(s.jobs.getJob(id)).toMatchObject({ status: "skipped", error: "skipped: the schedule was deleted", endAt: 5_000 });
    expect(s.jobs.getJob(running.id).status).toBe("running");
    expect(s.jobs.getJob(other.id).status).toBe("queued");
    s.close();
  });
});
