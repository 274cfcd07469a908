/**
 * The owned-state model (design §6b) at the store: ids not names, one cursor
 * truth by position, fired-through marks, stream and daemon leases with
 * fencing tokens, and one lifecycle for jobs. Each case is one of the ways a
 * user broke "every record once, every slot once, one run at a time".
 */
import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { newestCommitted } from "../../../src/connector/run.js";
import { MIGRATIONS } from "../../../src/store/migrations.js";
import { openStore, scheduleStream, STREAM_LEASE_MS, type Holder, type NewSchedule, type SlotJob, type Store } from "../../../src/store/index.js";

const T0 = Date.UTC(2026, 0, 1);
const ME: Holder = { pid: 100, host: "here" };
const def: NewSchedule = {
  name: "a", cron: "@hourly", timezone: "UTC", delay: 0, database: "db1", table: "t1", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: false,
};

let opened: Store[] = [];
afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

function home(): string {
  return join(mkdtempSync(join(tmpdir(), "itd-owned-")), "home");
}

function open(dir: string, clock: FakeClock, holder: Holder = ME, alive: Set<number> = new Set([100, 200])): Store {
  const s = openStore(dir, clock, { holder, isAlive: (pid) => alive.has(pid) });
  opened.push(s);
  return s;
}

function slotJob(s: Store, id: number, slot: number, kind: SlotJob["kind"] = "scheduled"): SlotJob {
  return { scheduleId: id, schedule: "a", slot, kind, database: "db1", table: "t1", priority: 0, config: "", stream: scheduleStream(id) };
}

describe("schedule identity", () => {
  it("keeps the id (so the stream and the mark) across a rename, ends it on delete, and gives a re-create a new one", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const a = s.schedules.create(def);
    s.schedules.firstSeen(a.id, T0);
    const renamed = s.schedules.update("a", { ...def, name: "b" });
    expect(renamed.id).toBe(a.id);
    expect(s.schedules.firedThrough(a.id)).toBe(T0);
    s.schedules.update("b", { ...def, name: "a" });
    s.schedules.delete("a");
    const again = s.schedules.create(def);
    expect(again.id).not.toBe(a.id);
    expect(s.schedules.firedThrough(again.id)).toBeUndefined();
    expect(scheduleStream(again.id)).not.toBe(scheduleStream(a.id));
  });

  it("identifies a schedule file by its path, whatever name it gives, and follows it when it is moved under the same name", () => {
    const s = open(home(), new FakeClock(T0));
    const files = new Set(["/etc/itd/schedules/x.yml", "/etc/itd/schedules/y.yml"]);
    const exists = (f: string): boolean => files.has(f);
    const id = s.schedules.fileScheduleId("/etc/itd/schedules/x.yml", "x", exists);
    expect(s.schedules.fileScheduleId("/etc/itd/schedules/x.yml", "renamed_in_the_file", exists)).toBe(id);
    s.schedules.fileScheduleId("/etc/itd/schedules/x.yml", "x", exists);
    // Another file declaring the same name while x.yml is still there is another schedule.
    const y = s.schedules.fileScheduleId("/etc/itd/schedules/y.yml", "x", exists);
    expect(y).not.toBe(id);
    // `mv x.yml z.yml`: the old path is gone, the name is the same: the same schedule (cursor and place kept).
    files.delete("/etc/itd/schedules/x.yml");
    files.add("/etc/itd/schedules/z.yml");
    expect(s.schedules.fileScheduleId("/etc/itd/schedules/z.yml", "x", exists)).toBe(id);
  });

  it("gives a deleted schedule no more jobs: a claim is refused, and its queued run ends skipped instead of starting", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const { id } = s.schedules.create(def);
    const queued = s.lifecycle.queueSlot(slotJob(s, id, T0 + 3_600_000));
    if (queued.status !== "queued") throw new Error(queued.status);
    s.schedules.delete("a");
    s.schedules.create(def); // the same name again: another schedule
    expect(s.lifecycle.queueSlot(slotJob(s, id, T0 + 2 * 3_600_000)).status).toBe("taken");
    expect(s.lifecycle.start(queued.job.id)).toMatchObject({ status: "gone", job: { status: "skipped", error: expect.stringContaining("deleted") } });
    expect(s.lifecycle.liveStreams().size).toBe(0);
  });
});

describe("the fired-through mark", () => {
  it("moves with a cron claim in its transaction, refuses a slot at or before it, and ignores manual runs and pruning", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const { id } = s.schedules.create(def);
    expect(s.lifecycle.queueSlot(slotJob(s, id, T0 + 3_600_000)).status).toBe("queued");
    expect(s.schedules.firedThrough(id)).toBe(T0 + 3_600_000);
    // A manual run of a later slot does not move it.
    expect(s.lifecycle.queueSlot(slotJob(s, id, T0 + 5 * 3_600_000, "run")).status).toBe("queued");
    expect(s.schedules.firedThrough(id)).toBe(T0 + 3_600_000);
    // History pruned to nothing: the slot is still dealt with.
    s.db.exec(`UPDATE jobs SET status = 'success', end_at = ${T0}`);
    clock.advance(10_000);
    expect(s.jobs.prune(clock.now())).toBe(2);
    expect(s.lifecycle.queueSlot(slotJob(s, id, T0 + 3_600_000)).status).toBe("taken");
    expect(s.lifecycle.queueSlot(slotJob(s, id, T0)).status).toBe("taken");
    expect(s.lifecycle.queueSlot(slotJob(s, id, T0 + 2 * 3_600_000)).status).toBe("queued");
  });

  it("moves past skipped slots, and to now on a resume (the paused stretch is passed, not caught up)", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const { id } = s.schedules.create({ ...def, paused: true });
    s.lifecycle.skipSlots(slotJob(s, id, 0), [T0 + 1000, T0 + 2000], "missed");
    expect(s.schedules.firedThrough(id)).toBe(T0 + 2000);
    clock.set(T0 + 86_400_000);
    s.schedules.update("a", { ...def, paused: false });
    expect(s.schedules.firedThrough(id)).toBe(T0 + 86_400_000);
  });

  it("is refused to a daemon that no longer holds the home", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const { id } = s.schedules.create(def);
    const first = s.daemon.acquire(ME, 10_000, () => true) as { token: number };
    clock.advance(11_000);
    const second = s.daemon.acquire({ pid: 200, host: "here" }, 10_000, () => true) as { token: number };
    expect(second.token).toBeGreaterThan(first.token);
    expect(s.lifecycle.queueSlot(slotJob(s, id, T0 + 3_600_000), first.token).status).toBe("taken");
    expect(s.jobs.listJobs()).toHaveLength(0);
    expect(s.lifecycle.queueSlot(slotJob(s, id, T0 + 3_600_000), second.token).status).toBe("queued");
  });

  it("refuses a skip to a daemon that no longer holds the home (a stalled daemon catching up must not pass slots the new one has yet to fire)", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const { id } = s.schedules.create(def);
    s.schedules.pass(id, T0);
    const first = s.daemon.acquire(ME, 10_000, () => true) as { token: number };
    clock.advance(11_000);
    const second = s.daemon.acquire({ pid: 200, host: "here" }, 10_000, () => true) as { token: number };
    s.lifecycle.skipSlots(slotJob(s, id, 0), [T0 + 3_600_000, T0 + 7_200_000], "missed", first.token);
    expect(s.jobs.listJobs()).toHaveLength(0);
    expect(s.schedules.firedThrough(id)).toBe(T0);
    // The daemon that holds the home still can, and the slot it skips is then taken.
    s.lifecycle.skipSlots(slotJob(s, id, 0), [T0 + 3_600_000], "missed", second.token);
    expect(s.jobs.listJobs().map((j) => j.status)).toEqual(["skipped"]);
    expect(s.schedules.firedThrough(id)).toBe(T0 + 3_600_000);
  });
});

describe("catch-up, recorded (issue 14)", () => {
  it("marks a missed slot's job as caught up, and an on-time one not", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const { id } = s.schedules.create(def);
    const late = s.lifecycle.queueSlot({ ...slotJob(s, id, T0 + 3_600_000), catchup: true });
    const onTime = s.lifecycle.queueSlot(slotJob(s, id, T0 + 7_200_000));
    if (late.status !== "queued" || onTime.status !== "queued") throw new Error("not queued");
    expect([s.jobs.getJob(late.job.id).catchup, s.jobs.getJob(onTime.job.id).catchup]).toEqual([true, false]);
  });
});

describe("stream leases", () => {
  it("let one job hold a stream: a second start is busy, naming the job, until the first finishes", () => {
    const clock = new FakeClock(T0);
    const dir = home();
    const s = open(dir, clock);
    const other = open(dir, clock, { pid: 200, host: "here" });
    const first = s.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "x" });
    if (first.status !== "started") throw new Error(first.status);
    const second = other.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "x" });
    expect(second).toMatchObject({ status: "busy", lease: { jobId: first.job.id } });
    expect(other.jobs.listJobs()).toHaveLength(1); // nothing was made for the refused run
    s.lifecycle.finish(first.job, first.token, { status: "success", records: 0, skippedRecords: 0, bytes: 0 });
    expect(other.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "x" }).status).toBe("started");
  });

  it("free a stream at once when its holder's process is dead, and after the lease expires when it only stalls", () => {
    const clock = new FakeClock(T0);
    const dir = home();
    const alive = new Set([100, 200]);
    const s = open(dir, clock, ME, alive);
    const other = open(dir, clock, { pid: 200, host: "here" }, alive);
    const first = s.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "x" });
    if (first.status !== "started") throw new Error(first.status);
    clock.advance(STREAM_LEASE_MS - 1);
    expect(other.lifecycle.liveLease("x")).toBeDefined();
    clock.advance(1);
    expect(other.lifecycle.liveLease("x")).toBeUndefined();
    const second = other.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "x" });
    if (second.status !== "started") throw new Error(second.status);
    expect(second.token).toBeGreaterThan(first.token);
    // The staller wakes: its heartbeat and its cursor writes are refused.
    expect(s.lifecycle.heartbeat("x", first.token)).toBe(false);
    expect(s.cursors.advance("x", { in: { start_time: "2026-01-02T00:00:00Z" } }, { epoch: 0, seq: 9 }, first.job.id, first.token)).toBe(false);
    expect(other.cursors.advance("x", { in: { start_time: "2026-01-03T00:00:00Z" } }, { epoch: 0, seq: 1 }, second.job.id, second.token)).toBe(true);
    // Its end does not overwrite the job's recovery (it is no longer running) and does not release the new lease.
    alive.delete(100);
    expect(other.lifecycle.recover().map((j) => j.id)).toEqual([first.job.id]);
    s.lifecycle.finish(first.job, first.token, { status: "success", records: 5, skippedRecords: 0, bytes: 0 });
    expect(s.jobs.getJob(first.job.id).status).toBe("error");
    expect(other.lifecycle.holds("x", second.token)).toBe(true);
  });
});

/** A slot's job queued, started and handed to a job process `pid` (as the daemon does). */
function startedInChild(s: Store, spec: SlotJob, pid: number) {
  const q = s.lifecycle.queueSlot(spec);
  if (q.status !== "queued") throw new Error(q.status);
  const started = s.lifecycle.start(q.job.id);
  if (started.status !== "started") throw new Error(started.status);
  s.lifecycle.handOver(started.job, started.token, { pid, host: "here" });
  return started.job;
}

describe("recovery", () => {
  it("ends a dead process's job as interrupted and queues its slot again in the same step; an issue job has no slot", () => {
    const clock = new FakeClock(T0);
    const alive = new Set([100]);
    const s = open(home(), clock, ME, alive);
    const { id } = s.schedules.create(def);
    const job = startedInChild(s, slotJob(s, id, T0 + 3_600_000), 555);
    const issue = s.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "i" });
    if (issue.status !== "started") throw new Error(issue.status);
    s.lifecycle.handOver(issue.job, issue.token, { pid: 556, host: "here" });
    const recovered = s.lifecycle.recover();
    expect(recovered.map((j) => [j.id, j.status])).toEqual([[job.id, "error"], [issue.job.id, "error"]]);
    const retry = s.jobs.slotJob(id, T0 + 3_600_000);
    expect(retry).toMatchObject({ status: "queued", kind: "scheduled", stream: scheduleStream(id) });
    expect(s.jobs.listJobs({ status: "queued" })).toHaveLength(1);
    expect(s.lifecycle.liveStreams().size).toBe(0);
    expect(s.lifecycle.recover()).toEqual([]);
  });

  it("does not queue again the slot of a deleted schedule", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock, ME, new Set([100]));
    const { id } = s.schedules.create(def);
    startedInChild(s, slotJob(s, id, T0 + 3_600_000), 555);
    s.schedules.delete("a");
    expect(s.lifecycle.recover()).toHaveLength(1);
    expect(s.jobs.listJobs({ status: "queued" })).toHaveLength(0);
  });
});

describe("a resumed run that found nothing left to import (soak finding)", () => {
  it("becomes the cursor's job, so the next run of a non-incremental load starts a new copy instead of resuming the failed one", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const full = { in: { start_time: "2026-01-02T00:00:00Z" } };
    // Job A committed the whole window (ledger and state at seq 1), then its process died: error.
    const a = s.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "copies" });
    if (a.status !== "started") throw new Error(a.status);
    s.cursors.advance("copies", full, { epoch: 0, seq: 1 }, a.job.id, a.token);
    s.lifecycle.finish(a.job, a.token, { status: "error", records: 10, skippedRecords: 0, bytes: 0, error: "interrupted" });
    // Job B resumed A, committed no slice, succeeded: it records the same position as its own.
    const b = s.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "copies" });
    if (b.status !== "started") throw new Error(b.status);
    expect(s.cursors.advance("copies", full, { epoch: 0, seq: 1 }, b.job.id, b.token)).toBe(true);
    s.lifecycle.finish(b.job, b.token, { status: "success", records: 0, skippedRecords: 0, bytes: 0 });
    const ledger = { cursor: full, jobId: String(a.job.id), committedAt: T0, position: { epoch: 0, seq: 1 } };
    // The next run sees B (a success) as where the stream stands: it starts a fresh copy.
    expect(newestCommitted(ledger, s.cursors.get("copies"))).toMatchObject({ jobId: b.job.id, from: "state" });
  });
});

describe("unstart", () => {
  it("gives a started job back to the queue and frees its stream (a daemon that lost its lease before launching it)", () => {
    const s = open(home(), new FakeClock(T0));
    const { id } = s.schedules.create(def);
    const q = s.lifecycle.queueSlot(slotJob(s, id, T0 + 3_600_000));
    if (q.status !== "queued") throw new Error(q.status);
    const started = s.lifecycle.start(q.job.id);
    if (started.status !== "started") throw new Error(started.status);
    s.lifecycle.unstart(started.job, started.token);
    expect(s.jobs.getJob(q.job.id)).toMatchObject({ status: "queued", startAt: null, pid: null });
    expect(s.lifecycle.liveLease(scheduleStream(id))).toBeUndefined();
    expect(s.lifecycle.start(q.job.id).status).toBe("started");
  });
});

describe("the daemon lease", () => {
  it("refuses a second daemon while the first renews it, and hands the home over once it stalls past it", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const first = s.daemon.acquire(ME, 10_000, () => true);
    if (!("token" in first)) throw new Error("refused");
    clock.advance(9_000);
    expect(s.daemon.acquire({ pid: 200, host: "here" }, 10_000, () => true)).toEqual({ busy: { pid: 100, host: "here" } });
    expect(s.daemon.beat(first.token)).toBe(true);
    clock.advance(10_001);
    const second = s.daemon.acquire({ pid: 200, host: "here" }, 10_000, () => true);
    if (!("token" in second)) throw new Error("refused");
    expect(s.daemon.beat(first.token)).toBe(false);
    expect(s.daemon.holds(first.token)).toBe(false);
    expect(s.daemon.holds(second.token)).toBe(true);
    expect(s.daemon.alive()?.pid).toBe(200);
  });

  it("is free at once when its holder's process is gone", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    s.daemon.acquire(ME, 10_000, () => true);
    expect("token" in s.daemon.acquire({ pid: 200, host: "here" }, 10_000, (pid) => pid !== 100)).toBe(true);
  });
});

describe("one cursor truth", () => {
  const at = (day: number) => ({ in: { start_time: `2026-01-0${day}T00:00:00Z` } });

  it("starts from the newer position, wherever it was committed: a ledger left behind by a rename or a database switch loses", () => {
    const state = { configDiff: at(5), jobId: 9, updatedAt: 100, position: { epoch: 0, seq: 7 } };
    const oldLedger = { cursor: at(3), jobId: "4", committedAt: 50, position: { epoch: 0, seq: 4 } };
    expect(newestCommitted(oldLedger, state)).toMatchObject({ diff: at(5), from: "state" });
    // Killed between the ledger commit and the state write: the ledger is ahead.
    const ahead = { cursor: at(6), jobId: "10", committedAt: 120, position: { epoch: 0, seq: 8 } };
    expect(newestCommitted(ahead, state)).toMatchObject({ diff: at(6), from: "ledger", position: { epoch: 0, seq: 8 } });
  });

  it("lets a rewind's new epoch win over everything committed before it", () => {
    const clock = new FakeClock(T0);
    const s = open(home(), clock);
    const started = s.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "", stream: "x" });
    if (started.status !== "started") throw new Error(started.status);
    expect(s.cursors.advance("x", at(5), { epoch: 0, seq: 3 }, started.job.id, started.token)).toBe(true);
    expect(s.cursors.advance("x", at(4), { epoch: 0, seq: 2 }, started.job.id, started.token)).toBe(false); // never backwards
    const rewound = s.cursors.rewind("x", at(2));
    expect(rewound).toEqual({ epoch: 1, seq: 0 });
    const ledger = { cursor: at(5), jobId: "1", committedAt: T0 + 1, position: { epoch: 0, seq: 3 } };
    expect(newestCommitted(ledger, s.cursors.get("x"))).toMatchObject({ diff: at(2), position: { epoch: 1, seq: 0 } });
  });

  it("orders ledger rows written before positions existed by time against a migrated state cursor", () => {
    const state = { configDiff: at(3), jobId: 2, updatedAt: 1000, position: { epoch: 0, seq: 0 } };
    expect(newestCommitted({ cursor: at(4), jobId: "3", committedAt: 2000, position: undefined }, state)).toMatchObject({ diff: at(4) });
    expect(newestCommitted({ cursor: at(2), jobId: "1", committedAt: 500, position: undefined }, state)).toMatchObject({ diff: at(3) });
  });
});

describe("migrating a home written before ids (schema 5)", () => {
  it("keeps every schedule, job, cursor and mark, keyed by the new ids; a schedule file adopts its name's state", () => {
    const clock = new FakeClock(T0);
    // A home exactly as the previous itd left it: migrations 1-5, then its rows.
    const legacyDir = home();
    mkdirSync(legacyDir, { recursive: true, mode: 0o700 });
    const legacy = new Database(join(legacyDir, "state.db"));
    for (const m of MIGRATIONS.slice(0, 5)) legacy.exec(m);
    legacy.pragma("user_version = 5");
    legacy.exec(`
      INSERT INTO schedules (name, cron, timezone, delay, database_name, table_name, priority, catchup, config, paused, created_at, updated_at)
        VALUES ('daily', '10 0 * * *', 'Asia/Tokyo', 600, 'db1', 't1', 0, 'all', '{}', 0, 1, 1);
      INSERT INTO jobs (kind, schedule, scheduled_time, status, database_name, table_name, config, stream, created_at, end_at)
        VALUES ('scheduled', 'daily', 86400000, 'success', 'db1', 't1', '', 'schedule:daily', 1, 2),
               ('run', 'daily', 999999999, 'success', 'db1', 't1', '', 'schedule:daily', 1, 2),
               ('scheduled', 'from_file', 3600000, 'success', 'db1', 't2', '', 'schedule:from_file', 1, 2);
      INSERT INTO cursors (stream, config_diff, job_id, updated_at) VALUES
        ('schedule:daily', '{"in":{"start_time":"2026-01-02T00:00:00Z"}}', 1, 5),
        ('schedule:from_file', '{"in":{"start_time":"2026-01-03T00:00:00Z"}}', 3, 5),
        ('issue:db1.t1:abc', '{"in":{"start_time":"2026-01-04T00:00:00Z"}}', 7, 5);
      INSERT INTO schedule_marks (name, first_seen) VALUES ('daily', 1000), ('from_file', 2000), ('never_ran', 3000), ('pruned', 4000);
      INSERT INTO schedules (name, cron, timezone, delay, database_name, table_name, priority, catchup, config, paused, created_at, updated_at)
        VALUES ('pruned', '*/5 * * * * *', 'UTC', 0, 'db1', 't3', 0, 'all', '{}', 0, 1, 1);
      INSERT INTO daemon (id, pid, host, started_at, heartbeat_at) VALUES (1, 4242, 'old', 100, 7200000);
    `);
    legacy.close();

    const s = open(legacyDir, clock);
    expect(s.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    const daily = s.schedules.get("daily");
    expect(daily).toMatchObject({ cron: "10 0 * * *", timezone: "Asia/Tokyo", delay: 600 });
    // Its last cron slot (not the later manual run), above what the old daemon's heartbeat proves.
    expect(s.schedules.firedThrough(daily.id)).toBe(86_400_000);
    expect(s.cursors.get(scheduleStream(daily.id))).toMatchObject({ configDiff: { in: { start_time: "2026-01-02T00:00:00Z" } }, position: { epoch: 0, seq: 0 } });
    expect(s.schedules.legacyStream(daily.id)).toBe("schedule:daily");
    expect(s.jobs.listJobs({ scheduleId: daily.id }).map((j) => j.kind).sort()).toEqual(["run", "scheduled"]);
    expect(s.cursors.get("issue:db1.t1:abc")).toBeDefined();
    // The slot the old daemon ran is still taken.
    expect(s.lifecycle.queueSlot({ ...slotJob(s, daily.id, 86_400_000) }).status).toBe("taken");
    // The file schedule `from_file` adopts its history, cursor and mark when its file is first seen.
    const fileId = s.schedules.fileScheduleId("/srv/schedules/from_file.yml", "from_file", () => true);
    expect(s.schedules.firedThrough(fileId)).toBe(7_140_000); // its last slot (1 h), raised to the heartbeat's proof
    expect(s.cursors.get(scheduleStream(fileId))).toMatchObject({ configDiff: { in: { start_time: "2026-01-03T00:00:00Z" } } });
    expect(s.jobs.listJobs({ scheduleId: fileId })).toHaveLength(1);
    const never = s.schedules.fileScheduleId("/srv/schedules/never_ran.yml", "never_ran", () => true);
    expect(s.schedules.firedThrough(never)).toBe(7_140_000); // its first sight, raised to what the old daemon's heartbeat proves
    // History pruned to nothing: the last daemon's heartbeat (less a minute) is where it stood, not its first sight.
    expect(s.schedules.firedThrough(s.schedules.get("pruned").id)).toBe(7_200_000 - 60_000);
    // Another file of an adopted name, beside it, starts fresh.
    const other = s.schedules.fileScheduleId("/srv/schedules/other.yml", "from_file", () => true);
    expect(s.schedules.firedThrough(other)).toBeUndefined();
  });
});
