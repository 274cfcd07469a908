/**
 * `itd job:kill` run in process against a real state.db, with the signal it
 * sends observed: it signals a running job's process only while it holds
 * state.db's write lock and the job still runs under that process — so a warm
 * job process (which goes on to other jobs) never gets a kill meant for a job
 * it has finished.
 */
import { spawn, type ChildProcess } from "node:child_process";
import Database from "better-sqlite3";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { thisHost } from "../../../src/pid.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jobKillCommand } from "../../../src/cli/commands/job-kill.js";
import { systemClock } from "../../../src/clock.js";
import { openStore, scheduleStream, type Job, type Store } from "../../../src/store/index.js";

const sleepers: ChildProcess[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const c of sleepers.splice(0)) c.kill("SIGKILL");
});

function sleeper(): number {
  const c = spawn("sleep", ["60"], { stdio: "ignore" });
  sleepers.push(c);
  return c.pid as number;
}

/** A home with one job of schedule `s` started (its lease taken by this test process). */
function startedJob(): { home: string; store: Store; job: Job; token: number } {
  const home = join(mkdtempSync(join(tmpdir(), "itd-kill-")), "home");
  const store = openStore(home, systemClock);
  const { id } = store.schedules.create({
    name: "s", cron: "", timezone: "UTC", delay: 0, database: "db", table: "t", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: false,
  });
  const q = store.lifecycle.queueSlot({ scheduleId: id, schedule: "s", slot: Date.now(), kind: "run", database: "db", table: "t", priority: 0, config: "", stream: scheduleStream(id) });
  if (q.status !== "queued") throw new Error(q.status);
  const started = store.lifecycle.start(q.job.id);
  if (started.status !== "started") throw new Error(started.status);
  return { home, store, job: started.job, token: started.token };
}

async function jobKill(home: string, id: number): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough();
  let out = "";
  stdout.on("data", (b: Buffer) => (out += b.toString()));
  const code = await jobKillCommand.run({
    argv: [String(id)], env: { ITD_HOME: home }, stdout, stderr: new PassThrough(), cwd: tmpdir(), signal: new AbortController().signal,
  });
  return { code, stdout: out };
}

/**
 * Observes SIGTERMs to `pids` (signal 0, the liveness probe, goes through); `onTerm` plays the target's
 * reaction, `onProbe` is told each liveness probe.
 */
function watchKills(pids: number[], onTerm: (pid: number) => void, onProbe: (pid: number) => void = () => undefined): number[] {
  const real = process.kill.bind(process);
  const seen: number[] = [];
  vi.spyOn(process, "kill").mockImplementation((pid: number, signal?: string | number) => {
    if (signal === 0) onProbe(pid);
    if (signal === "SIGTERM" && pids.includes(pid)) {
      seen.push(pid);
      onTerm(pid);
      return true;
    }
    return real(pid, signal);
  });
  return seen;
}

describe("job:kill", () => {
  it("signals a running job's process while holding state.db's write lock: the job cannot end (and its process move on) in between", async () => {
    const { home, store, job, token } = startedJob();
    const worker = sleeper();
    store.lifecycle.handOver(job, token, { pid: worker, host: thisHost() });
    let lockedAtKill: boolean | undefined;
    const seen = watchKills([worker], () => {
      const other = new Database(join(home, "state.db"));
      other.pragma("busy_timeout = 0");
      try {
        other.exec("BEGIN IMMEDIATE");
        other.exec("ROLLBACK");
        lockedAtKill = false;
      } catch (err) {
        lockedAtKill = (err as { code?: string }).code === "SQLITE_BUSY";
      } finally {
        other.close();
      }
      // The job process stops its job and records it, once it can write.
      setTimeout(() => store.lifecycle.finish(job, token, { status: "killed", records: 0, skippedRecords: 0, bytes: 0, error: "killed: interrupted by SIGTERM" }), 10);
    });
    const r = await jobKill(home, job.id);
    expect(r.code).toBe(0);
    expect(seen).toEqual([worker]);
    expect(lockedAtKill, "the write lock was held when the signal went").toBe(true);
    expect(r.stdout).toContain(`Job ${job.id} killed`);
    store.close();
  });

  it("does not signal a process whose job ended between job:kill's look at it and the signal (it would hit that process's next job)", async () => {
    const { home, store, job, token } = startedJob();
    // The daemon holds the job until it hands it over: job:kill waits for that.
    const daemon = sleeper();
    const acquired = store.daemon.acquire({ pid: daemon, host: thisHost() }, 600_000, () => true);
    if (!("token" in acquired)) throw new Error("no daemon lease");
    store.lifecycle.handOver(job, token, { pid: daemon, host: thisHost() });
    const worker = sleeper();
    let waiting = (): void => undefined;
    const inLoop = new Promise<void>((r) => (waiting = r));
    const seen = watchKills([worker, daemon], () => undefined, (pid) => pid === daemon && waiting());
    const killing = jobKill(home, job.id);
    // While it waits (it looks whether the daemon lives): the job is handed to a warm process, which finishes it at
    // once and takes other work — seen by job:kill as a lease that names that live process while the job is over.
    await inLoop;
    store.db.transaction(() => {
      store.db.prepare(`UPDATE leases SET pid = ? WHERE stream = ?`).run(worker, job.stream);
      store.jobs.finishJob(job.id, { status: "success", records: 3, skippedRecords: 0, bytes: 30 });
    }).immediate();
    const r = await killing;
    expect(seen, "no process was signalled").toEqual([]);
    expect(r.stdout).toContain(`Job ${job.id} ended success before the kill took effect.`);
    store.close();
  });
});
