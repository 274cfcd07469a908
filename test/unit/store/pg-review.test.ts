/**
 * Review of issue 14 (the state store on PostgreSQL): attacks on the engine, each against the suite's real server.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hostId, thisHost } from "../../../src/pid.js";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jobKillCommand } from "../../../src/cli/commands/job-kill.js";
import { FakeClock, systemClock, type Clock } from "../../../src/clock.js";
import { DAEMON_LEASE_MS } from "../../../src/store/leases.js";
import { openStore, scheduleStream, type Store } from "../../../src/store/index.js";
import { parsePostgresUrl } from "../../../src/warehouse/postgres/url.js";
import { randomBytes } from "node:crypto";
import { freshPgDatabase, withPg } from "../../support/postgres.js";

const opened: Store[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

function pgStore(url: string, clock: Clock = new FakeClock(Date.UTC(2026, 0, 1)), holder = { pid: process.pid, host: "h1" }, isAlive: (pid: number) => boolean = () => true): Store {
  const s = openStore(mkdtempSync(join(tmpdir(), "itd-pgrev-")), clock, {
    state: { engine: "postgres", target: parsePostgresUrl(url, {}, "test") },
    holder,
    isAlive,
  });
  opened.push(s);
  return s;
}

const sched = (name: string) => ({
  name, cron: "*/5 * * * *", timezone: "UTC", delay: 0, database: "d", table: "t", timeColumn: null, priority: 0,
  catchup: "all" as const, config: { in: { type: "iterable" } }, paused: false,
});

describe("the state store on PostgreSQL (review 14)", () => {
  it("runs every store call", async () => {
    const url = await freshPgDatabase();
    const s = pgStore(url);
    const a = s.schedules.create(sched("a"));
    s.schedules.create(sched("B"));
    expect(s.schedules.list().map((r) => r.name)).toEqual(["B", "a"]);
    expect(s.schedules.summaries().map((r) => r.name)).toEqual(["B", "a"]);
    s.schedules.update("a", { ...sched("a2"), paused: true });
    s.schedules.update("a2", { ...sched("a2"), paused: false });
    expect(s.schedules.firstSeen(a.id, 1000)).toBeGreaterThan(0);
    s.schedules.pass(a.id, Date.UTC(2027, 0, 1));
    expect(s.schedules.firedThrough(a.id)).toBe(Date.UTC(2027, 0, 1));
    expect(typeof s.schedules.dataVersion()).toBe("number");
    expect(typeof s.schedules.version()).toBe("number");
    const fid = s.schedules.fileScheduleId("/x/y.yml", "filey", () => true);
    expect(s.schedules.fileScheduleId("/x/y.yml", "filey", () => true)).toBe(fid);
    expect(s.schedules.pausedAt(a.id)).toBeTypeOf("number");
    expect(s.schedules.legacyStream(a.id)).toBeUndefined();
    const spec = { scheduleId: a.id, schedule: "a2", database: "d", table: "t", priority: 0, config: "c", stream: scheduleStream(a.id) };
    const q = s.lifecycle.queueSlot({ ...spec, slot: Date.UTC(2027, 0, 2), kind: "run" });
    expect(q.status).toBe("queued");
    s.lifecycle.skipSlots(spec, [Date.UTC(2027, 0, 3)], "why");
    expect(s.jobs.listQueued().length).toBe(1);
    expect(s.jobs.listQueued(Date.now()).length).toBe(1);
    expect(s.jobs.listQueuedToPick(Date.now()).length).toBe(1);
    expect(s.jobs.queuedBySchedule().get(a.id)).toBe(1);
    expect(s.jobs.countQueued()).toBe(1);
    const st = s.lifecycle.start(q.status === "queued" ? q.job.id : 0);
    if (st.status !== "started") throw new Error(st.status);
    expect(s.lifecycle.heartbeat(spec.stream, st.token)).toBe(true);
    expect(s.lifecycle.holds(spec.stream, st.token)).toBe(true);
    expect(s.lifecycle.handOver(st.job, st.token, { pid: 7, host: "h1" })).toBe(true);
    expect(s.lifecycle.liveStreams().has(spec.stream)).toBe(true);
    expect(s.cursors.advance(spec.stream, { in: { start_time: "x" } }, { epoch: 0, seq: 1 }, st.job.id, st.token)).toBe(true);
    expect(s.cursors.get(spec.stream)?.position).toEqual({ epoch: 0, seq: 1 });
    s.cursors.rememberDensity(spec.stream, { recordsPerHour: 1.5, recordsPerSecond: 0.25 });
    expect(s.cursors.densityOf(spec.stream)).toEqual({ recordsPerHour: 1.5, recordsPerSecond: 0.25 });
    s.jobs.appendLog(st.job.id, "info", "one");
    s.jobs.appendLog(st.job.id, "info", "two");
    expect(s.jobs.logs(st.job.id).map((l) => l.seq)).toEqual([1, 2]);
    s.jobs.recordProgress(st.job.id, { records: 3, skippedRecords: 0, bytes: 9 });
    s.jobs.setPid(st.job.id, 8);
    const done = s.lifecycle.finish(st.job, st.token, { status: "success", records: 3, skippedRecords: 0, bytes: 9 });
    expect(done.status).toBe("success");
    expect(s.jobs.lastStatuses().get(a.id)).toBe("skipped");
    expect(s.jobs.lastSuccesses().get(a.id)).toBeTypeOf("number");
    expect(s.jobs.listJobs({ scheduleId: a.id }).length).toBe(2);
    expect(s.jobs.listJobs({ schedule: "a2", limit: 1, offset: 1 }).length).toBe(1);
    expect(s.jobs.listJobs({ status: "success" }).length).toBe(1);
    expect(s.cursors.rewind(spec.stream, { a: 1 })).toEqual({ epoch: 1, seq: 0 });
    s.cursors.delete(spec.stream);
    expect(s.jobs.prunable(Date.UTC(2100, 0, 1)).count).toBe(2);
    expect(s.jobs.prune(Date.UTC(2100, 0, 1))).toBe(2);
    const started = s.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "c", stream: "issue-1" });
    expect(started.status).toBe("started");
    if (started.status === "started") s.lifecycle.unstart(started.job, started.token);
    expect(s.lifecycle.recover()).toEqual([]);
    expect(s.lifecycle.skipQueued(a.id, "why")).toBe(0);
    s.schedules.delete("a2");
    expect(s.homeId()).toMatch(/^[0-9a-f]{16}$/);
    const d = s.daemon.acquire({ pid: 1, host: "h1" }, 10_000, () => true, "h1:1");
    if (!("token" in d)) throw new Error("busy");
    expect(s.daemon.beat(d.token)).toBe(true);
    expect(s.daemon.holds(d.token)).toBe(true);
    expect(s.daemon.list().length).toBe(1);
    s.daemon.release(d.token);
  });

  it("opens for a role that owns the itd_state schema a DBA made but may not create schemas in the database", async () => {
    const url = await freshPgDatabase();
    const role = `itd_app_${randomBytes(4).toString("hex")}`;
    await withPg(url, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'; CREATE SCHEMA itd_state AUTHORIZATION ${role};`));
    const as = new URL(url);
    as.username = role;
    as.password = "pw";
    const s = pgStore(as.href);
    expect(s.schedules.create(sched("a")).name).toBe("a");
    // And again, migrated.
    expect(pgStore(as.href).schedules.list()).toHaveLength(1);
  });

  it("opens, once migrated, for a role that may read and write the state's tables and create nothing", async () => {
    const url = await freshPgDatabase();
    pgStore(url).schedules.create(sched("a"));
    const role = `itd_dml_${randomBytes(4).toString("hex")}`;
    await withPg(url, (c) =>
      c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'; GRANT USAGE ON SCHEMA itd_state TO ${role};
               GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA itd_state TO ${role};
               GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA itd_state TO ${role};`),
    );
    const as = new URL(url);
    as.username = role;
    as.password = "pw";
    const s = pgStore(as.href);
    expect(s.schedules.list().map((r) => r.name)).toEqual(["a"]);
    s.schedules.create(sched("b"));
  });

  it("a daemon stopped (SIGSTOP) inside a claim holds the schedule's row no longer than the other daemons' leases survive", async () => {
    const url = await freshPgDatabase();
    const b = pgStore(url, systemClock, { pid: process.pid, host: "hB" });
    const a = b.schedules.create(sched("a"));
    // Daemon A, in a process of its own: locks the schedule's row as its claim does, and is stopped right there.
    const dist = fileURLToPath(new URL("../../../dist/src/", import.meta.url));
    const script = `
      const { openStore } = await import(${JSON.stringify(dist + "store/index.js")});
      const { parsePostgresUrl } = await import(${JSON.stringify(dist + "warehouse/postgres/url.js")});
      const { systemClock } = await import(${JSON.stringify(dist + "clock.js")});
      const s = openStore("/nonexistent", systemClock, { state: { engine: "postgres", target: parsePostgresUrl(${JSON.stringify(url)}, {}, "t") } });
      s.db.transaction(() => {
        s.db.prepare("SELECT 1 FROM schedule_state WHERE id = ? FOR UPDATE").get(${a.id});
        process.stdout.write("locked\\n");
        process.kill(process.pid, "SIGSTOP");
        s.db.prepare("SELECT 1").get();
      })();`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
        child.once("exit", (code) => reject(new Error(`child exited ${code}`)));
      });
      // Daemon B holds its lease and claims the same slot: it waits for A's row lock, its event loop blocked.
      const lease = b.daemon.acquire({ pid: process.pid, host: "hB" }, DAEMON_LEASE_MS, () => true);
      if (!("token" in lease)) throw new Error("busy");
      const spec = { scheduleId: a.id, schedule: "a", database: "d", table: "t", priority: 0, config: "c", stream: scheduleStream(a.id) };
      const t0 = Date.now();
      let claimed: string;
      try {
        claimed = b.lifecycle.queueSlot({ ...spec, slot: Date.UTC(2030, 0, 1), kind: "scheduled" }, lease.token).status;
      } catch (err) {
        claimed = `error: ${(err as Error).message}`;
      }
      const waited = Date.now() - t0;
      // B's beat comes every 2 s: whatever the wait, it must leave B's lease alive (or B exits, as every daemon
      // that claims this slot would: one stalled host takes the whole fleet down).
      expect(b.daemon.beat(lease.token), `B waited ${waited} ms for the stopped daemon's lock (${claimed})`).toBe(true);
      expect(waited).toBeLessThan(DAEMON_LEASE_MS - 2_000);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("two daemons starting two queued slots of one schedule at the same moment start one (held)", async () => {
    const url = await freshPgDatabase();
    const a = pgStore(url, systemClock, { pid: 1, host: "hA" });
    const b = pgStore(url, systemClock, { pid: 2, host: "hB" });
    const s1 = a.schedules.create(sched("x"));
    const spec = { scheduleId: s1.id, schedule: "x", database: "d", table: "t", priority: 0, config: "c", stream: scheduleStream(s1.id) };
    const j1 = a.lifecycle.queueSlot({ ...spec, slot: 1_000, kind: "run" });
    const j2 = a.lifecycle.queueSlot({ ...spec, slot: 2_000, kind: "run" });
    if (j1.status !== "queued" || j2.status !== "queued") throw new Error("not queued");
    // B reads the stream's lease (none); A starts its job and commits; then B writes its own lease.
    const get = b.leases.get.bind(b.leases);
    let once = true;
    b.leases.get = (stream) => {
      const r = get(stream);
      if (once) {
        once = false;
        expect(a.lifecycle.start(j1.job.id).status).toBe("started");
      }
      return r;
    };
    const second = b.lifecycle.start(j2.job.id);
    expect(second.status).toBe("busy");
    expect(a.jobs.listRunning().map((j) => j.id)).toEqual([j1.job.id]);
  });

  // A process is known by (host, pid), and a lease or a running job of "this host" is judged dead by its pid alone.
  // Two hosts with one host name (cloned VMs: "localhost.localdomain", "ubuntu") sharing a state store saw each
  // other's live pids as dead: the second took the stream of a job running on the first (two runs of one schedule
  // at once) and recovered that job. A host is now its name with an id of its kernel boot and pid namespace
  // (thisHost), so twins differ.
  it("two hosts with one host name never run one schedule's stream at once", async () => {
    const url = await freshPgDatabase();
    const [twin1, twin2] = [hostId("twin", "boot-1", "pid:[4026531836]"), hostId("twin", "boot-2", "pid:[4026531836]")];
    expect(twin1).not.toBe(twin2);
    expect(hostId("twin", "boot-1", "pid:[4026532001]")).not.toBe(twin1); // a container on the same kernel
    expect(thisHost()).toMatch(/^[^/]+\/[0-9a-f]{8}$/);
    // Host 1 and host 2 are both "twin"; each sees only its own processes.
    const one = pgStore(url, systemClock, { pid: 4_000_001, host: twin1 }, (pid) => pid === 4_000_001);
    const two = pgStore(url, systemClock, { pid: 4_000_002, host: twin2 }, (pid) => pid === 4_000_002);
    const x = one.schedules.create(sched("x"));
    const spec = { kind: "run" as const, schedule: "x", scheduleId: x.id, database: "d", table: "t", config: "c", stream: scheduleStream(x.id) };
    expect(one.lifecycle.startNew({ ...spec, scheduledTime: 1_000 }).status).toBe("started");
    expect(two.lifecycle.recover()).toEqual([]);
    expect(two.lifecycle.startNew({ ...spec, scheduledTime: 2_000 }).status).toBe("busy");
  });

  it("job:kill signals a running job's process while holding its job's row: the job cannot end (and a warm process move on to its next job) in between", async () => {
    const url = await freshPgDatabase();
    const store = pgStore(url, systemClock, { pid: process.pid, host: thisHost() });
    const probe = pgStore(url, systemClock, { pid: process.pid, host: thisHost() });
    const x = store.schedules.create(sched("x"));
    const started = store.lifecycle.startNew({ kind: "run", schedule: "x", scheduleId: x.id, scheduledTime: 0, database: "d", table: "t", config: "c", stream: scheduleStream(x.id) });
    if (started.status !== "started") throw new Error(started.status);
    const worker = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      store.lifecycle.handOver(started.job, started.token, { pid: worker.pid as number, host: thisHost() });
      const real = process.kill.bind(process);
      const seen: number[] = [];
      let lockedAtKill: boolean | undefined;
      vi.spyOn(process, "kill").mockImplementation((pid: number, signal?: string | number) => {
        if (signal !== "SIGTERM" || pid !== worker.pid) return real(pid, signal);
        seen.push(pid);
        // Could the job process write its job's end now? (It would, then take its next job, and this signal hit that.)
        try {
          probe.db.transaction(() => probe.db.prepare(`SELECT 1 FROM jobs WHERE id = ? FOR UPDATE NOWAIT`).get(started.job.id))();
          lockedAtKill = false;
        } catch (err) {
          lockedAtKill = (err as { sqlState?: string }).sqlState === "55P03";
        }
        setTimeout(() => store.lifecycle.finish(started.job, started.token, { status: "killed", records: 0, skippedRecords: 0, bytes: 0, error: "killed" }), 10);
        return true;
      });
      const stdout = new PassThrough();
      let out = "";
      stdout.on("data", (b: Buffer) => (out += b.toString()));
      const code = await jobKillCommand.run({
        argv: [String(started.job.id)], env: { ITD_HOME: mkdtempSync(join(tmpdir(), "itd-pgrev-kill-")), ITD_STATE: url }, stdout, stderr: new PassThrough(),
        cwd: tmpdir(), signal: new AbortController().signal,
      });
      expect(code).toBe(0);
      expect(seen).toEqual([worker.pid]);
      expect(lockedAtKill, "the job's row was locked when the signal went").toBe(true);
      expect(out).toContain(`Job ${started.job.id} killed`);
    } finally {
      vi.restoreAllMocks();
      worker.kill("SIGKILL");
    }
  });

  it("a schedule changed by hand (psql, no search_path) is a change the daemons notice, not an error", async () => {
    const url = await freshPgDatabase();
    const s = pgStore(url);
    s.schedules.create(sched("a"));
    const before = s.schedules.version();
    await withPg(url, (c) => c.query(`UPDATE itd_state.schedules SET paused = 1 WHERE name = 'a'`));
    expect(s.schedules.version()).toBeGreaterThan(before);
  });

  it("prunes history a batch at a time, oldest first, with the batch's logs", async () => {
    const url = await freshPgDatabase();
    const s = pgStore(url);
    for (let i = 0; i < 5; i++) {
      const started = s.lifecycle.startNew({ kind: "issue", database: "d", table: "t", config: "c", stream: `st${i}` });
      if (started.status !== "started") throw new Error(started.status);
      s.jobs.appendLog(started.job.id, "info", "x");
      s.lifecycle.finish(started.job, started.token, { status: "success", records: 0, skippedRecords: 0, bytes: 0 });
    }
    const queued = s.jobs.createJob({ kind: "run", database: "d", table: "t", config: "c", stream: "q" });
    expect(s.jobs.prune(Date.UTC(2100, 0, 1), 2)).toBe(2);
    expect(s.jobs.listJobs().map((j) => j.id)).toEqual([queued.id, 5, 4, 3]);
    expect(s.jobs.logs(1)).toEqual([]);
    expect(s.jobs.logs(3)).toHaveLength(1);
    expect(s.jobs.prune(Date.UTC(2100, 0, 1), 2)).toBe(2);
    expect(s.jobs.prune(Date.UTC(2100, 0, 1), 2)).toBe(1);
    expect(s.jobs.prune(Date.UTC(2100, 0, 1), 2)).toBe(0);
    expect(s.jobs.listJobs().map((j) => j.id)).toEqual([queued.id]);
  });
});
