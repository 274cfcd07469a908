/**
 * Regression tests for state that a schedule, a daemon or a load owns — and
 * that today leaks to whoever comes next: a cursor that follows the name or the
 * database instead of the schedule, two runs or two daemons working one
 * schedule at once, slot history used as the schedule's place in its cron,
 * an interrupted slot forgotten, a queued future slot run at once, scratch
 * files of a dead load left behind, a heartbeat that kills the daemon on a busy
 * state.db.
 *
 * Black-box: real `itd` subprocesses (CLI, daemons, foreground runs) against
 * the fake Iterable; outcomes are read with the CLI (`connector:history`,
 * `job:show`, `query`) and from the warehouse files (read-only); waits poll the
 * daemon's JSON log (cheap: no CLI process per poll). Each test asserts the
 * correct behaviour, so on a build with the defect it fails. The tests run
 * concurrently (each in its own home), the long daemon scenarios first.
 */
import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startFakeIterable, type FakeIterable } from "../../src/fake-iterable/index.js";
import { ITD, runItd, sleep, spawnDaemon, spawnFake, tempDir, until, type FakeProcess } from "./helpers.js";
import { alive, childPids, exited, killTree } from "./procs.js";

const KEY = "owned-state-key-5e6f7a";
const DATA_START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Yesterday 00:00 UTC: every slot the foreground tests use (up to D + 6 h) is in the past, so its window is whole. */
const D = Math.floor(Date.now() / DAY) * DAY - DAY;

let fast: FakeIterable; // 240 events a day
let slow: FakeIterable; // the same data, every export request answered after 3 s
let dense: FakeIterable; // 2 events a second: daemon runs of a few seconds import rows
let big: FakeProcess | undefined; // 400,000 events a day (a slice that spills to a scratch file)

beforeAll(async () => {
  const base = { apiKey: KEY, seed: 13, rateLimits: false, dataStart: DATA_START } as const;
  [fast, slow, dense] = await Promise.all([
    startFakeIterable({ ...base, eventsPerDay: 240 }),
    startFakeIterable({ ...base, eventsPerDay: 240, faults: ["export:slow=3000@100%"] }),
    startFakeIterable({ ...base, eventsPerDay: 172_800 }),
  ]);
});

// Every process a test starts; whatever a test leaves (a failed assertion, a timeout) is killed here.
const everything = new Set<ChildProcess>();
afterAll(async () => {
  for (const c of everything) if (c.exitCode === null && c.signalCode === null) killTree(c.pid);
  await Promise.all([fast?.close(), slow?.close(), dense?.close(), big?.stop()]);
});

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const nowSecond = (): number => Math.floor(Date.now() / 1000) * 1000;

/** "2026-06-02 00:00:00 +0000" (TD's display) → epoch ms. */
function tdTime(text: string): number {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d)(\d\d)$/.exec(text);
  if (!m) throw new Error(`not a TD time: ${JSON.stringify(text)}`);
  return Date.parse(`${m[1]}T${m[2]}${m[3]}:${m[4]}`);
}

interface LoggedJob {
  jobId: number;
  schedule: string;
  /** The job's slot (epoch ms). */
  slot: number;
  /** When the daemon started it (epoch ms, its log's time). */
  startedAt: number;
  /** When the daemon last found it held the home's lease before launching it (epoch ms). */
  leaseCheckedAt: number;
  status?: string;
}

interface LogLine {
  msg?: string;
  time?: string;
  jobId?: number;
  schedule?: string;
  slot?: string | null;
  status?: string;
  leaseCheckedAt?: string;
}

function logLines(log: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of log.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by the read
    }
  }
  return out;
}

/** The jobs a daemon started, with their end, from its JSON log (cheap to poll: no CLI process). */
function loggedJobs(log: string): LoggedJob[] {
  const jobs = new Map<number, LoggedJob>();
  for (const e of logLines(log)) {
    if (e.msg === "start" && e.jobId !== undefined) {
      jobs.set(e.jobId, { jobId: e.jobId, schedule: e.schedule ?? "", slot: Date.parse(e.slot ?? ""), startedAt: Date.parse(e.time ?? ""), leaseCheckedAt: Date.parse(e.leaseCheckedAt ?? "") });
    } else if (e.msg === "finish" && e.jobId !== undefined) {
      const j = jobs.get(e.jobId);
      if (j && e.status !== undefined) j.status = e.status;
    }
  }
  return [...jobs.values()];
}

/** The slots a daemon fired (queued as jobs), from its log. */
function loggedFires(log: string): { schedule: string; slot: number }[] {
  return logLines(log)
    .filter((e) => e.msg === "fire")
    .map((e) => ({ schedule: e.schedule ?? "", slot: Date.parse(e.slot ?? "") }));
}

interface HistoryRow {
  JobID: number;
  Status: string;
  Records: number;
  Scheduled: string;
  slot: number;
}

interface LoadOptions {
  url: string;
  start: number;
  end?: number;
  incremental?: boolean;
  more?: string[];
}

/** A home of its own, with the CLI, a daemon starter, load.yml writers and read-only views of the outcome. */
function workspace() {
  const dir = tempDir("itd-owned-");
  const home = join(dir, "home");
  const env = {
    ITD_HOME: home, ITERABLE_API_KEY: KEY, ITD_SCHEDULES: join(dir, "schedules"), ITD_RATE_LIMITS: "export=1000/1s",
    ITD_CONFIG: join(dir, "itd.yml"),
  };
  writeFileSync(env.ITD_CONFIG, "http_port: 0\nshutdown_grace: 5\n");
  const mine: ChildProcess[] = [];
  const track = (c: ChildProcess): ChildProcess => {
    mine.push(c);
    everything.add(c);
    c.once("exit", () => everything.delete(c));
    return c;
  };
  const itd = (...args: string[]) => runItd(args, { cwd: dir, env, timeoutMs: 90_000 });
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return name;
  };
  const load = (name: string, o: LoadOptions): string =>
    write(
      name,
      [
        "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${o.url}`, "  data_type: export_data",
        "  export_data_type: emailSend", `  incremental: ${o.incremental ?? true}`, `  start_time: '${iso(o.start)}'`,
        ...(o.end !== undefined ? [`  end_time: '${iso(o.end)}'`] : []), ...(o.more ?? []),
        "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "  - {name: email, type: string}",
        "",
      ].join("\n"),
    );
  /** message_id of every row of db.table ([] when the database or table does not exist). */
  const rows = (db: string, table: string): string[] => {
    const file = join(home, "warehouse", `${db}.db`);
    if (!existsSync(file)) return [];
    const conn = new Database(file, { readonly: true, fileMustExist: true });
    try {
      conn.pragma("busy_timeout = 5000");
      return (conn.prepare(`SELECT message_id FROM "${table}"`).all() as { message_id: string }[]).map((r) => r.message_id);
    } catch (err) {
      if (/no such table/.test((err as Error).message)) return [];
      throw err;
    } finally {
      conn.close();
    }
  };
  const history = async (name: string): Promise<HistoryRow[]> => {
    const r = await itd("connector:history", name, "-n", "1000", "-f", "json");
    if (r.code !== 0) throw new Error(`connector:history ${name}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as Omit<HistoryRow, "slot">[]).map((h) => ({ ...h, slot: tdTime(h.Scheduled) }));
  };
  const status = async (jobId: number): Promise<string> => /^Status +: (\S+)$/m.exec((await itd("job:show", String(jobId))).stdout)?.[1] ?? "?";
  const daemon = () => {
    const d = spawnDaemon(dir, env, []);
    track(d.child);
    return d;
  };
  const started = (d: ReturnType<typeof daemon>): Promise<true> =>
    until("the daemon started", () => /"msg":"daemon started"/.test(d.log()) || undefined, 30_000, d.log);
  /** SIGTERM, and its exit code (SIGKILL after 20 s). */
  const stop = async (child: ChildProcess): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const t = setTimeout(() => killTree(child.pid), 20_000);
    const code = await exited(child);
    clearTimeout(t);
    return code;
  };
  const spawnItd = (args: string[]) => {
    const child = spawn(process.execPath, [ITD, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    track(child);
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) =>
      child.once("close", (code) => res({ code, stdout, stderr })),
    );
    return { child, done };
  };
  const cleanup = (): void => {
    // Only processes not yet reaped: the pid of one that exited may belong to someone else by now.
    for (const c of mine) if (c.exitCode === null && c.signalCode === null) killTree(c.pid);
  };
  return { dir, home, env, itd, write, load, rows, history, status, daemon, started, stop, spawnItd, cleanup };
}

type Ws = ReturnType<typeof workspace>;

/** Fails with the command's output unless it exited 0. */
async function ok(w: Ws, ...args: string[]): Promise<string> {
  const r = await w.itd(...args);
  if (r.code !== 0) throw new Error(`itd ${args.join(" ")} exited ${r.code}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}

function duplicates(ids: readonly string[]): number {
  return ids.length - new Set(ids).size;
}

describe.concurrent("state a schedule, a daemon or a load owns", () => {
  // ---- the long daemon scenarios first, so they overlap the short ones ----

  it("a pruned job history does not make a restarted daemon run its slots again (defect 5)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    // Not incremental: every run appends the same fixed window, so the row count counts the runs.
    w.load("load.yml", { url: fast.url, start: D - DAY, end: D - DAY + 6 * HOUR, incremental: false });
    await ok(w, "connector:create", "every5", "*/5 * * * * *", "prune_db", "sends", "load.yml", "--auto-create-table");
    const first = w.daemon();
    await until("3 successful slots", () => loggedJobs(first.log()).filter((j) => j.status === "success").length >= 3 || undefined, 45_000, first.log);
    expect(await w.stop(first.child)).toBe(0);
    const before = await w.history("every5");
    const successBefore = before.filter((j) => j.Status === "success");
    const perRun = successBefore[0]?.Records ?? 0;
    expect(perRun).toBeGreaterThan(0);
    const lastSlotBefore = Math.max(...before.map((j) => j.slot));
    const lastJobBefore = Math.max(...before.map((j) => j.JobID)); // job ids are never reused
    expect(await ok(w, "job:prune", "--older-than", "0m", "--yes")).toMatch(/Pruned \d+ job\(s\)/);

    const restartedAt = Date.now();
    const second = w.daemon();
    await w.started(second);
    // Until it fires an old slot again, or runs a slot after the restart with nothing old fired.
    await until(
      "an old slot fired again or a new slot run",
      () =>
        loggedFires(second.log()).some((f) => f.slot <= lastSlotBefore) ||
        loggedJobs(second.log()).some((j) => j.slot >= restartedAt && j.status === "success") ||
        undefined,
      30_000,
      second.log,
    );
    await sleep(1_000);
    expect(await w.stop(second.child)).toBe(0);
    const after = (await w.history("every5")).filter((j) => j.JobID > lastJobBefore); // the jobs made after the stop
    const rerun = after.filter((j) => j.slot <= lastSlotBefore).map((j) => `${j.Scheduled} (${j.Status})`);
    expect(rerun, `slots up to ${iso(lastSlotBefore)} (before the stop) got jobs again after job:prune and a restart`).toEqual([]);
    // Every success: those pruned (seen before the prune) and all in history now — including slots the first daemon
    // claimed but had not run yet when it stopped (queued, not pruned), which the second one ran.
    const successNow = (await w.history("every5")).filter((j) => j.Status === "success");
    const slotsRun = new Set([...successBefore, ...successNow].map((j) => j.slot));
    expect(successBefore.length + successNow.filter((j) => !successBefore.some((b) => b.JobID === j.JobID)).length, "a slot succeeded twice").toBe(slotsRun.size);
    expect(w.rows("prune_db", "sends").length, "rows = distinct slots run × rows per run").toBe(slotsRun.size * perRun);
  }, 100_000);

  it("a daemon that stalled past its lease exits when it wakes, and only the daemon that took over runs jobs (defect 6)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: dense.url, start: nowSecond() - 60_000 });
    await ok(w, "connector:create", "every3", "*/3 * * * * *", "lease_db", "sends", "load.yml", "--auto-create-table");
    const first = w.daemon();
    await until("a first success", () => loggedJobs(first.log()).some((j) => j.status === "success") || undefined, 30_000, first.log);
    const pid1 = first.child.pid as number;
    process.kill(pid1, "SIGSTOP");
    const stoppedAt = Date.now();
    await sleep(11_000); // its heartbeat (every 2 s) is now older than the 10 s lease
    const second = w.daemon();
    // If daemon 1 was stopped holding state.db's write lock, daemon 2 cannot start until it wakes: it says so
    // after ~10 s of waiting, and then daemon 1 must be woken (below) for either to go on.
    await until(
      "the second daemon started (or locked out by the stopped one)",
      () =>
        /"msg":"daemon started"/.test(second.log()) ||
        /state\.db is locked by another process/.test(second.log()) ||
        second.child.exitCode !== null ||
        undefined,
      20_000,
      second.log,
    );
    await sleep(Math.max(0, stoppedAt + 12_000 - Date.now()));
    process.kill(pid1, "SIGCONT");
    const woke = Date.now();
    await Promise.race([exited(first.child), sleep(10_000)]);
    const firstCode = first.child.exitCode;
    const firstGone = first.child.exitCode !== null || first.child.signalCode !== null;
    const goneAfter = Date.now() - woke;
    await sleep(4_000); // the second daemon alone (if the first went)
    // SIGSTOP can land while daemon 1 holds state.db's write lock (a heartbeat, a claim): then no one can take
    // the lease until it wakes and finishes that write, and whichever daemon renews or takes it first keeps the
    // home — the other must go. Either way, one daemon runs jobs.
    const lockedOut = /state\.db is locked by another process/.test(second.log());
    if (lockedOut && !firstGone) {
      await until("the second daemon to give up the home", () => second.child.exitCode !== null || undefined, 20_000, second.log);
      expect(second.child.exitCode, "the daemon that found the home taken exits non-zero").not.toBe(0);
      await w.stop(first.child);
    } else {
      if (!firstGone) killTree(pid1);
      await exited(first.child);
      expect(second.child.exitCode, `the second daemon did not take over: ${second.log().slice(-500)}`).toBeNull();
      await w.stop(second.child);
      expect(firstGone, `daemon 1 still running ${Math.round(goneAfter / 1000)} s after SIGCONT although daemon 2 holds the home`).toBe(true);
      expect(firstCode, "daemon 1 should exit non-zero (it lost its lease)").not.toBe(0);
      // A launch decided just before the stop may be carried out after it (the launch itself is not atomic);
      // what must never happen is a decision to launch made after the wake, when the lease was gone.
      const lateStarts = loggedJobs(first.log()).filter((j) => !(j.leaseCheckedAt <= woke)).map((j) => j.jobId);
      expect(lateStarts, "jobs daemon 1 decided to start after it woke").toEqual([]);
    }
    const h = await w.history("every3");
    const slots = h.filter((j) => j.Status === "success" || j.Status === "running" || j.Status === "queued").map((j) => j.Scheduled);
    expect(slots.length - new Set(slots).size, "a slot ran twice").toBe(0);
    expect(duplicates(w.rows("lease_db", "sends")), "duplicate rows (two daemons ran the schedule at once)").toBe(0);
  }, 100_000);

  it("a resume records the slots missed before the pause while no daemon ran as skipped, so none vanishes (review)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: fast.url, start: nowSecond() - HOUR });
    await ok(w, "connector:create", "gap", "*/2 * * * * *", "gap_db", "sends", "load.yml", "--auto-create-table");
    const d = w.daemon();
    await until("a first success", () => loggedJobs(d.log()).some((j) => j.status === "success") || undefined, 30_000, d.log);
    expect(await w.stop(d.child)).toBe(0);
    const stoppedAt = Date.now();
    await sleep(7_000); // three or four slots due with no daemon
    await ok(w, "connector:update", "gap", "--pause");
    const pausedAt = Date.now();
    await sleep(3_000);
    await ok(w, "connector:update", "gap", "--resume");
    const h = await w.history("gap");
    const missed = h.filter((j) => j.slot > stoppedAt && j.slot <= pausedAt);
    expect(missed.length, "slots due between the daemon's stop and the pause are in history").toBeGreaterThanOrEqual(3);
    expect(missed.every((j) => j.Status === "skipped"), JSON.stringify(missed)).toBe(true);
    const everySlot = h.filter((j) => j.slot > stoppedAt - 4_000 && j.slot <= pausedAt).map((j) => j.slot).sort((a, b) => a - b);
    for (let i = 1; i < everySlot.length; i++) expect((everySlot[i] as number) - (everySlot[i - 1] as number), "no slot absent").toBe(2_000);
  }, 60_000);

  it("resuming a schedule while the daemon is down does not catch up its paused stretch (defect 8)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: fast.url, start: nowSecond() - HOUR });
    await ok(w, "connector:create", "pz", "*/2 * * * * *", "pause_db", "sends", "load.yml", "--auto-create-table");
    const first = w.daemon();
    await until("a first success", () => loggedJobs(first.log()).some((j) => j.status === "success") || undefined, 30_000, first.log);
    await ok(w, "connector:update", "pz", "--pause");
    // The daemon sees a CLI change within a second: a slot claimed just before that is not the defect.
    const pausedFrom = Date.now() + 1_500;
    await sleep(1_500);
    expect(await w.stop(first.child)).toBe(0);
    await sleep(8_000);
    const pausedTo = Date.now();
    await ok(w, "connector:update", "pz", "--resume");
    const second = w.daemon();
    await w.started(second);
    await until(
      "a slot of the paused stretch fired, or one after the resume",
      // (Firing, not running: slots claimed before the pause may still be queued ahead of it — jobs slower than a
      // 2-second cron on a busy machine, and a paused schedule's queued runs wait for the resume.)
      () => loggedFires(second.log()).some((f) => f.slot > pausedFrom) || undefined,
      45_000,
      second.log,
    );
    await sleep(1_000);
    expect(await w.stop(second.child)).toBe(0);
    const inStretch = (await w.history("pz")).filter((j) => j.slot > pausedFrom && j.slot < pausedTo).map((j) => `${j.Scheduled} (${j.Status})`);
    expect(inStretch, `jobs for slots of the paused stretch ${iso(pausedFrom)} … ${iso(pausedTo)}`).toEqual([]);
  }, 100_000);

  it("the daemon survives another process holding state.db's write lock longer than the busy timeout (defect 12)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: fast.url, start: nowSecond() - HOUR });
    await ok(w, "connector:create", "busy", "*/3 * * * * *", "busy_db", "sends", "load.yml", "--auto-create-table");
    const d = w.daemon();
    await until("a first success", () => loggedJobs(d.log()).some((j) => j.status === "success") || undefined, 30_000, d.log);
    const state = new Database(join(w.home, "state.db"));
    try {
      state.pragma("busy_timeout = 5000");
      state.exec("BEGIN IMMEDIATE");
      await sleep(13_000);
      state.exec("ROLLBACK");
    } finally {
      state.close();
    }
    const released = Date.now();
    await sleep(2_000);
    const why = d.log().split("\n").filter((l) => /SQLITE_BUSY|SqliteError|database is locked/.test(l)).slice(0, 2).join(" | ");
    expect(d.child.exitCode, `the daemon died while state.db was locked: ${why || d.log().slice(-600)}`).toBeNull();
    await until(
      "a job started after the lock was released to succeed",
      () => loggedJobs(d.log()).some((j) => j.startedAt > released && j.status === "success") || undefined,
      15_000,
      d.log,
    );
    expect(await w.stop(d.child)).toBe(0);
  }, 100_000);

  it("a slot interrupted by a daemon crash is run again even when a foreground run comes before the restart (defect 9)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    const slotA = D + 6 * HOUR;
    w.load("a.yml", { url: slow.url, start: slotA - 12 * HOUR }); // one slice, 3 s at least
    w.load("b.yml", { url: fast.url, start: D - DAY });
    await ok(w, "connector:create", "sched_a", "", "crash_db", "a_sends", "a.yml", "--auto-create-table");
    await ok(w, "connector:create", "sched_b", "", "crash_db", "b_sends", "b.yml", "--auto-create-table");
    await ok(w, "connector:run", "sched_a", iso(slotA)); // queued for the daemon
    const first = w.daemon();
    await until("sched_a's job started", () => loggedJobs(first.log()).some((j) => j.schedule === "sched_a") || undefined, 30_000, first.log);
    const daemonPid = first.child.pid as number;
    const jobPids = await until("the job process", () => {
      const c = childPids(daemonPid);
      return c.length > 0 ? c : undefined;
    }, 10_000);
    process.kill(daemonPid, "SIGKILL");
    for (const p of jobPids) process.kill(p, "SIGKILL");
    await exited(first.child);
    await until("the job process gone", () => jobPids.every((p) => !alive(p)) || undefined, 10_000);
    expect((await w.history("sched_a")).map((j) => j.Status), "sched_a's job was running when killed (precondition)").toEqual(["running"]);

    const b = await w.itd("connector:run", "sched_b", iso(D), "--foreground");
    expect(b.code, b.stdout + b.stderr).toBe(0);

    const second = w.daemon();
    await w.started(second);
    const retried = await until(
      "the interrupted slot of sched_a to succeed",
      () => loggedJobs(second.log()).some((j) => j.schedule === "sched_a" && j.slot === slotA && j.status === "success") || undefined,
      20_000,
      second.log,
    ).catch(() => false);
    await w.stop(second.child);
    const h = await w.history("sched_a");
    expect(retried, `the interrupted slot ${iso(slotA)} of sched_a never ran again: ${JSON.stringify(h.map((j) => j.Status))}`).toBe(true);
    expect(h.some((j) => j.slot === slotA && j.Status === "success")).toBe(true);
  }, 100_000);

  it("renaming a schedule while the daemon runs its job never runs two jobs of it at once (defect 3)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: slow.url, start: nowSecond() - 6 * HOUR }); // each run ≥ 3 s, the first one ~60 rows
    await ok(w, "connector:create", "ren1", "*/2 * * * * *", "ren_db", "sends", "load.yml", "--auto-create-table");
    const d = w.daemon();
    await until("ren1's first job started", () => loggedJobs(d.log()).some((j) => j.schedule === "ren1") || undefined, 30_000, d.log);
    const rename = await w.itd("connector:update", "ren1", "-n", "ren2");
    // Refusing the rename while the job runs is correct too; renaming it is, if the two names never run at once.
    if (rename.code !== 0) expect(rename.stderr).toMatch(/running/);
    const renamedAt = Date.now();
    await until(
      "two jobs started after the rename to succeed",
      () => loggedJobs(d.log()).filter((j) => j.startedAt > renamedAt && j.status === "success").length >= 2 || undefined,
      40_000,
      d.log,
    ).catch(() => undefined);
    expect(await w.stop(d.child)).toBe(0);
    const ids = w.rows("ren_db", "sends");
    expect(ids.length).toBeGreaterThan(0);
    expect(duplicates(ids), "duplicate rows: the renamed schedule ran while its job under the old name was still running").toBe(0);
  }, 100_000);

  it("a run queued for a future slot waits for its time, then runs once (defect 11)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: fast.url, start: nowSecond() - HOUR });
    await ok(w, "connector:create", "later", "", "future_db", "sends", "load.yml", "--auto-create-table");
    const d = w.daemon();
    await w.started(d);
    const slot = nowSecond() + 15_000;
    const queued = await ok(w, "connector:run", "later", iso(slot));
    const jobId = Number(/^Job (\d+) is queued\.$/m.exec(queued)?.[1]);
    expect(jobId).toBeGreaterThan(0);
    // Watch it for 5 s: it must not start (its slot is ~10 s later still).
    const early = await until("the job to start early", () => loggedJobs(d.log()).find((j) => j.jobId === jobId && j.startedAt < slot - 1_000), 5_000).catch(
      () => undefined,
    );
    expect(
      early === undefined,
      `job ${jobId} for the slot ${iso(slot)} started ${early ? Math.round((slot - early.startedAt) / 1000) : "?"} s before its time`,
    ).toBe(true);
    // (On a loaded machine the CLI calls around the watch can take long enough for the slot to come.)
    const status = await w.status(jobId);
    if (Date.now() < slot - 1_000) expect(status).toBe("queued");
    await until("the job to run at its time", () => loggedJobs(d.log()).some((j) => j.jobId === jobId && j.status === "success") || undefined, 30_000, d.log);
    const started = loggedJobs(d.log()).find((j) => j.jobId === jobId)?.startedAt ?? 0;
    expect(started, "started at its slot (1 s of slack), not before").toBeGreaterThanOrEqual(slot - 1_000);
    const h = await w.history("later");
    expect(await w.stop(d.child)).toBe(0);
    expect(h.filter((j) => j.slot === slot).length, "jobs for the slot").toBe(1);
  }, 100_000);

  // ---- foreground runs ----

  it("two foreground runs of one schedule at once do not both import the same window (defect 2)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: slow.url, start: D - 2 * DAY, more: ["  slice_hours: 24"] }); // two slices, 3 s each at least
    await ok(w, "connector:create", "con1", "", "race_db", "sends", "load.yml", "--auto-create-table");
    const one = w.spawnItd(["connector:run", "con1", iso(D), "--foreground"]);
    await sleep(1_000);
    const two = w.spawnItd(["connector:run", "con1", iso(D + 6 * HOUR), "--foreground"]);
    const results = await Promise.all([one.done, two.done]);
    const ids = w.rows("race_db", "sends");
    expect(ids.length).toBeGreaterThan(0);
    expect(results.some((r) => r.code === 0), results.map((r) => r.stdout + r.stderr).join("\n")).toBe(true);
    expect(duplicates(ids), "duplicate rows: both runs imported the same window").toBe(0);
    const refused = results.filter((r) => r.code !== 0);
    expect(refused.length, "at most one run refused").toBeLessThanOrEqual(1);
    for (const r of refused) expect(r.stderr).toMatch(/schedule con1 is running \(job \d+\)/);
  }, 60_000);

  it("refuses a --config-diff while a run of the schedule goes on, and a rewind after it is where the next run starts (review)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: slow.url, start: D - 2 * DAY, more: ["  slice_hours: 24"] }); // two slices, 3 s each at least
    await ok(w, "connector:create", "rw", "", "rw_db", "sends", "load.yml", "--auto-create-table");
    w.write("rewind.yml", `in: {start_time: '${iso(D - DAY)}'}\n`);
    const run = w.spawnItd(["connector:run", "rw", iso(D), "--foreground"]);
    await sleep(1_500);
    const during = await w.itd("connector:update", "rw", "--config-diff", "rewind.yml");
    expect(during.code, during.stdout + during.stderr).not.toBe(0);
    expect(during.stderr).toMatch(/schedule rw is running \(job \d+\): --config-diff waits until it ends/);
    expect((await run.done).code).toBe(0);
    await ok(w, "connector:update", "rw", "--config-diff", "rewind.yml");
    const next = await ok(w, "connector:run", "rw", iso(D + 6 * HOUR), "--foreground");
    expect(next).toContain(`continuing from the committed cursor start_time ${iso(D - DAY)}`);
  }, 60_000);

  it("renaming a schedule away and back does not import a window twice (defect 1)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: fast.url, start: D - 4 * DAY });
    await ok(w, "connector:create", "sch1", "", "db_a", "tab1", "load.yml", "--auto-create-table");
    await ok(w, "connector:run", "sch1", iso(D - 2 * DAY), "--foreground");
    await ok(w, "connector:run", "sch1", iso(D - DAY), "--foreground");
    await ok(w, "connector:update", "sch1", "-n", "sch2");
    await ok(w, "connector:run", "sch2", iso(D), "--foreground");
    await ok(w, "connector:update", "sch2", "-n", "sch1");
    await ok(w, "connector:run", "sch1", iso(D + 6 * HOUR), "--foreground");
    const q = JSON.parse(await ok(w, "query", "-d", "db_a", "-f", "json", "SELECT count(*) AS n, count(DISTINCT message_id) AS d FROM tab1")) as { n: number; d: number }[];
    expect(q[0]?.n, "rows of db_a.tab1 vs distinct message_id").toBe(q[0]?.d);
  }, 60_000);

  it("moving a schedule to another database and back imports each record once (defect 1, database switch)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: fast.url, start: D - 4 * DAY });
    await ok(w, "connector:create", "sch1", "", "db_a", "tab1", "load.yml", "--auto-create-table");
    await ok(w, "connector:create", "make_b", "", "db_b", "tab1", "load.yml", "--auto-create-table"); // creates db_b.tab1
    await ok(w, "connector:run", "sch1", iso(D - 2 * DAY), "--foreground");
    await ok(w, "connector:run", "sch1", iso(D - DAY), "--foreground");
    await ok(w, "connector:update", "sch1", "-d", "db_b");
    await ok(w, "connector:run", "sch1", iso(D), "--foreground");
    await ok(w, "connector:update", "sch1", "-d", "db_a");
    await ok(w, "connector:run", "sch1", iso(D + 6 * HOUR), "--foreground");
    const a = w.rows("db_a", "tab1");
    const b = w.rows("db_b", "tab1");
    expect(b.length, "the run into db_b imported rows").toBeGreaterThan(0);
    expect(duplicates(a), "duplicate rows in db_a.tab1").toBe(0);
    // The schedule's cursor is the schedule's: back in db_a it goes on from where its run into db_b ended.
    expect(duplicates([...a, ...b]), "records imported by the schedule twice (once into db_b, again into db_a)").toBe(0);
  }, 60_000);

  it("a --config-diff given after runs committed is where the next run starts (defect 4)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: fast.url, start: D - 4 * DAY });
    await ok(w, "connector:create", "cd", "", "diff_db", "sends", "load.yml", "--auto-create-table");
    await ok(w, "connector:run", "cd", iso(D - 2 * DAY), "--foreground");
    await ok(w, "connector:run", "cd", iso(D - DAY), "--foreground");
    const rewound = D - 3 * DAY + 12 * HOUR;
    w.write("diff.yml", `in: {start_time: '${iso(rewound)}'}\n`);
    await ok(w, "connector:update", "cd", "--config-diff", "diff.yml");
    const run = await ok(w, "connector:run", "cd", iso(D), "--foreground");
    expect(run, `the run after --config-diff ${iso(rewound)} continued from elsewhere:\n${run.slice(0, 300)}`).toContain(iso(rewound));
  }, 60_000);

  it("a schedule deleted and created again starts from its load's start_time, not the old cursor (defect 7)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    w.load("load.yml", { url: fast.url, start: D - 5 * DAY });
    await ok(w, "connector:create", "sch", "", "re_db", "tab1", "load.yml", "--auto-create-table");
    await ok(w, "connector:run", "sch", iso(D - DAY), "--foreground");
    const old = w.rows("re_db", "tab1");
    expect(old.length).toBeGreaterThan(0);
    await ok(w, "connector:delete", "sch");
    await ok(w, "connector:create", "sch", "", "re_db", "tab2", "load.yml", "--auto-create-table");
    await ok(w, "connector:run", "sch", iso(D), "--foreground");
    const fresh = new Set(w.rows("re_db", "tab2"));
    const missing = old.filter((id) => !fresh.has(id)).length;
    expect(missing, `records from start_time ${iso(D - 5 * DAY)} to the old cursor ${iso(D - DAY)} missing from the new schedule's tab2`).toBe(0);
  }, 60_000);

  it("the scratch file of a killed load is removed by the next load of its database, even one that does not spill (defect 10)", async ({ expect, onTestFinished }) => {
    const w = workspace();
    onTestFinished(w.cleanup);
    big ??= await spawnFake(["--api-key", KEY, "--seed", "13", "--events-per-day", "400000", "--no-rate-limits", "--data-start", iso(DATA_START)]);
    everything.add(big.child);
    // ~100,000 rows in one slice: past 10,000 they spill to the scratch file.
    w.load("big.yml", { url: big.url, start: D - DAY, end: D - DAY + 6 * HOUR, incremental: false });
    w.load("small.yml", { url: fast.url, start: D - DAY, end: D, incremental: false });
    const issue = w.spawnItd(["connector:issue", "big.yml", "--database", "scr_db", "--table", "big", "--auto-create-table"]);
    const pid = issue.child.pid as number;
    const warehouse = join(w.home, "warehouse");
    const prefix = `.scr_db.db.scratch-${pid}-`;
    const scratchOfDead = (): string[] => (existsSync(warehouse) ? readdirSync(warehouse).filter((f) => f.startsWith(prefix)) : []);
    await until("a scratch file of the load", () => scratchOfDead().length > 0 || undefined, 30_000);
    issue.child.kill("SIGKILL");
    await issue.done;
    expect(scratchOfDead().length, "the killed load left its scratch file (precondition)").toBeGreaterThan(0);
    await ok(w, "connector:issue", "small.yml", "--database", "scr_db", "--table", "small", "--auto-create-table");
    expect(w.rows("scr_db", "small").length).toBeGreaterThan(0);
    expect(scratchOfDead(), "scratch files of the dead load after the next load of scr_db").toEqual([]);
  }, 60_000);
});
