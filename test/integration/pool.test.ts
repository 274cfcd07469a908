/**
 * The daemon's warm job processes (issue 11), with real processes and real
 * signals against the fake Iterable: jobs run one after another in the same
 * warm processes; a warm process SIGKILLed mid-job, a job:kill, a job_timeout,
 * a SIGKILLed daemon and a SIGTERMed one each end the way they did with a
 * process per job; the rate budget stays the daemon's; `job_processes: 0`
 * still gives each job a fresh process, and SIGHUP switches between the two.
 */
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, it } from "vitest";
import { exportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { sleep, until } from "./helpers.js";
import { DAY, finishes, iso, nowSecond, ok, poolWorkspace, starts } from "./pool-workspace.js";
import { alive, childPids, exited, killTree } from "./procs.js";

const KEY = "pool-key-5d1e2f";
const BASE: FakeIterableOptions = { apiKey: KEY, seed: 21, rateLimits: false, dataStart: Date.UTC(2026, 0, 1), eventsPerDay: 2_400 };

let fast: FakeIterable;
let slow: FakeIterable; // every export request answered after 3 s
let limited: FakeIterable; // Iterable's 429 past 2 export requests in 1.5 s
beforeAll(async () => {
  [fast, slow, limited] = await Promise.all([
    startFakeIterable(BASE),
    startFakeIterable({ ...BASE, faults: ["export:slow=3000@100%"] }),
    startFakeIterable({ ...BASE, rateLimits: true, rateLimitOverrides: { export: { limit: 2, windowMs: 1_500 } } }),
  ]);
});
const everything = new Set<ChildProcess>();
const workspace = (config: string, env: NodeJS.ProcessEnv = {}) => poolWorkspace(config, everything, { env: { ITERABLE_API_KEY: KEY, ...env } });
afterAll(async () => {
  for (const c of everything) if (c.exitCode === null && c.signalCode === null) killTree(c.pid);
  await Promise.all([fast?.close(), slow?.close(), limited?.close()]);
});

function expectedIds(start: number, end: number): Set<string> {
  return new Set([...exportRecords(generatorConfig(BASE), "emailSend", { start, end })].map((r) => r["messageId"] as string));
}

describe.concurrent("warm job processes (job_processes)", () => {
  it("run job after job in the same processes: start lines pooled and warm, every record once, and no process left after SIGTERM", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\nmax_concurrent_jobs: 2\njob_processes: 2\n");
    await ok(w.itd("connector:create", "every1", "* * * * * *", "pool_db", "sends", w.load("load.yml", fast.url, nowSecond() - 120_000), "--auto-create-table"));
    const d = w.daemon();
    await until("six successful jobs", () => finishes(d.lines(), "every1").filter((l) => l.status === "success").length >= 6 || undefined, 60_000, d.log);
    const workers = childPids(d.child.pid as number);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    const s = starts(d.lines(), "every1");
    expect(s.length).toBeGreaterThanOrEqual(6);
    expect(s.every((l) => l.pooled === true), JSON.stringify(s)).toBe(true);
    const pids = new Set(s.map((l) => l.jobPid));
    expect(pids.size, "the jobs ran in the two warm processes, not one process each").toBeLessThanOrEqual(2);
    for (const pid of pids) expect(workers).toContain(pid);
    // Once loaded, a process takes the next job warm, and runs it well within a second of the pick.
    const warm = s.slice(2);
    expect(warm.every((l) => l.warm === true), JSON.stringify(warm)).toBe(true);
    const later = finishes(d.lines(), "every1").slice(2).filter((l) => l.status === "success");
    expect(later.every((l) => typeof l.pickToRunMs === "number" && l.pickToRunMs < 1_000), JSON.stringify(later.map((l) => l.pickToRunMs))).toBe(true);
    await until("the warm processes gone with the daemon", () => workers.every((p) => !alive(p)) || undefined, 10_000);
    const got = w.ids("pool_db", "sends");
    expect(got.length).toBeGreaterThan(0);
    expect(new Set(got).size, "no record twice").toBe(got.length);
  }, 120_000);

  it("a warm process SIGKILLed mid-job: the job is error (interrupted), its slot runs again and succeeds in another process, nothing lost or twice", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\njob_processes: 2\n");
    const t0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
    await ok(w.itd("connector:create", "crash", "", "pool_db", "crash", w.load("load.yml", slow.url, t0, ["  slice_hours: 12"]), "--auto-create-table"));
    const slot = nowSecond() - 60_000;
    await ok(w.itd("connector:run", "crash", iso(slot)));
    const d = w.daemon();
    const first = await until("the job started", () => starts(d.lines(), "crash")[0], 60_000, d.log);
    expect(first.pooled).toBe(true);
    await sleep(1_000); // inside its first (3-second) export request
    process.kill(first.jobPid as number, "SIGKILL");
    await until("the slot run again to success", () => finishes(d.lines(), "crash").some((l) => l.status === "success") || undefined, 90_000, d.log);
    const retry = starts(d.lines(), "crash")[1];
    expect(retry?.pooled).toBe(true);
    expect(retry?.jobPid).not.toBe(first.jobPid);
    const ended = finishes(d.lines(), "crash")[0];
    expect(ended).toMatchObject({ status: "error", err: "interrupted: the job process exited (SIGKILL) before finishing" });
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    const h = await w.history("crash");
    expect(h.map((j) => j.Status).sort()).toEqual(["error", "success"]);
    expect(new Set(h.map((j) => j.Scheduled)).size, "the same slot").toBe(1);
    const got = w.ids("pool_db", "crash");
    const want = expectedIds(t0, slot);
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBe(want.size);
    expect(got.every((id) => want.has(id))).toBe(true);
  }, 150_000);

  it("job:kill of a job in a warm process: killed and not retried; the process leaves and a new one runs the next job", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\nmax_concurrent_jobs: 1\njob_processes: 1\n");
    const t0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
    await ok(w.itd("connector:create", "victim", "", "pool_db", "victim", w.load("v.yml", slow.url, t0, ["  slice_hours: 6"]), "--auto-create-table"));
    await ok(w.itd("connector:create", "after", "", "pool_db", "after", w.load("a.yml", fast.url, t0), "--auto-create-table"));
    await ok(w.itd("connector:run", "victim", iso(nowSecond() - 60_000)));
    const d = w.daemon();
    const started = await until("the victim running", () => starts(d.lines(), "victim")[0], 60_000, d.log);
    const kill = await ok(w.itd("job:kill", String(started.jobId)));
    expect(kill.stdout).toMatch(new RegExp(`Job ${started.jobId} killed`));
    await until("the killed job's process gone", () => !alive(started.jobPid as number) || undefined, 15_000, d.log);
    await ok(w.itd("connector:run", "after"));
    const next = await until("the next job done", () => finishes(d.lines(), "after")[0], 60_000, d.log);
    expect(next.status).toBe("success");
    const nextStart = starts(d.lines(), "after")[0];
    expect(nextStart?.pooled).toBe(true);
    expect(nextStart?.jobPid, "a new warm process, not the one that got SIGTERM").not.toBe(started.jobPid);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    expect((await w.history("victim")).map((j) => j.Status), "killed, not retried").toEqual(["killed"]);
  }, 150_000);

  it("job_timeout: the warm process gets SIGTERM, the job ends killed with the limit named, and the process is replaced", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\njob_processes: 1\njob_timeout: 2\n");
    const t0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
    await ok(w.itd("connector:create", "hung", "", "pool_db", "hung", w.load("h.yml", slow.url, t0, ["  slice_hours: 6"]), "--auto-create-table"));
    await ok(w.itd("connector:run", "hung", iso(nowSecond() - 60_000)));
    const d = w.daemon();
    const started = await until("the job started", () => starts(d.lines(), "hung")[0], 60_000, d.log);
    const ended = await until("the job stopped", () => finishes(d.lines(), "hung")[0], 60_000, d.log);
    expect(ended).toMatchObject({ status: "killed", err: "killed: the job_timeout of 2s was exceeded" });
    await until("its process gone", () => !alive(started.jobPid as number) || undefined, 15_000, d.log);
    await until("a new warm process", () => childPids(d.child.pid as number).some((p) => p !== started.jobPid) || undefined, 15_000, d.log);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    expect((await w.history("hung")).map((j) => j.Status)).toEqual(["killed"]);
  }, 120_000);

  it("a SIGKILLed daemon: its warm processes, busy and idle, exit at once, and the next daemon runs the interrupted slot again", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\njob_processes: 2\nlog_level: debug\n");
    const t0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
    await ok(w.itd("connector:create", "orphan", "", "pool_db", "orphan", w.load("o.yml", slow.url, t0, ["  slice_hours: 12"]), "--auto-create-table"));
    const slot = nowSecond() - 60_000;
    await ok(w.itd("connector:run", "orphan", iso(slot)));
    const first = w.daemon();
    const started = await until("the job started", () => starts(first.lines(), "orphan")[0], 60_000, first.log);
    // Both loaded (one busy, one idle): a process still loading leaves only once it has loaded.
    const workers = await until("two warm processes ready", () => {
      const ready = first.lines().filter((l) => l.msg === "job process ready").map((l) => l.jobPid as number);
      return ready.length >= 2 ? ready : undefined;
    }, 30_000, first.log);
    expect(workers).toContain(started.jobPid);
    process.kill(first.child.pid as number, "SIGKILL");
    await exited(first.child);
    const killedAt = Date.now();
    await until("every warm process gone", () => workers.every((p) => !alive(p)) || undefined, 10_000);
    expect(Date.now() - killedAt, "they left at once, not after their job").toBeLessThan(2_500);
    expect((await w.history("orphan")).map((j) => j.Status)).toEqual(["running"]);
    const second = w.daemon();
    await until("the slot run again to success", () => finishes(second.lines(), "orphan").some((l) => l.status === "success") || undefined, 90_000, second.log);
    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toBe(0);
    const h = await w.history("orphan");
    expect(h.map((j) => j.Status).sort()).toEqual(["error", "success"]);
    const got = w.ids("pool_db", "orphan");
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBe(expectedIds(t0, slot).size);
  }, 150_000);

  it("keeps the daemon's rate budget across the jobs of its warm processes: no 429 from an Iterable whose limit the budget keeps under", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\nmax_concurrent_jobs: 3\njob_processes: 3\n", { ITD_RATE_LIMITS: "export=2/2s" });
    for (const name of ["bud1", "bud2", "bud3"]) {
      await ok(w.itd("connector:create", name, "* * * * * *", "pool_db", name, w.load(`${name}.yml`, limited.url, nowSecond() - 60_000), "--auto-create-table"));
    }
    const before = limited.stats();
    const d = w.daemon();
    await until("nine successful jobs", () => finishes(d.lines()).filter((l) => l.status === "success").length >= 9 || undefined, 90_000, d.log);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    const after = limited.stats();
    const served = (s: typeof after): number => Object.values(s.requests["export.json"] ?? {}).reduce((a, b) => a + b, 0);
    expect(served(after) - served(before)).toBeGreaterThanOrEqual(9);
    expect(after.rateLimited - before.rateLimited, "requests past the budget reached Iterable").toBe(0);
    expect(starts(d.lines()).every((l) => l.pooled === true)).toBe(true);
  }, 150_000);

  it("job_processes: 0 gives every job a fresh process, as before; SIGHUP to 2 moves the next jobs to warm processes", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\njob_processes: 0\n");
    await ok(w.itd("connector:create", "fresh", "*/2 * * * * *", "pool_db", "fresh", w.load("f.yml", fast.url, nowSecond() - 60_000), "--auto-create-table"));
    const d = w.daemon();
    await until("two jobs done", () => finishes(d.lines(), "fresh").length >= 2 || undefined, 60_000, d.log);
    const before = starts(d.lines(), "fresh");
    expect(before.every((l) => l.pooled === false)).toBe(true);
    expect(new Set(before.map((l) => l.jobPid)).size, "a process each").toBe(before.length);
    writeFileSync(w.env.ITD_CONFIG, "http_port: 0\nshutdown_grace: 5\njob_processes: 2\n");
    d.child.kill("SIGHUP");
    await until("SIGHUP applied", () => d.lines().some((l) => l.msg === "SIGHUP: settings applied") || undefined, 30_000, d.log);
    const at = d.lines().findIndex((l) => l.msg === "SIGHUP: settings applied");
    await until("three jobs started after it", () => starts(d.lines().slice(at), "fresh").length >= 3 || undefined, 60_000, d.log);
    const afterHup = starts(d.lines().slice(at), "fresh");
    expect(afterHup.every((l) => l.pooled === true), JSON.stringify(afterHup)).toBe(true);
    expect(new Set(afterHup.map((l) => l.jobPid)).size).toBeLessThanOrEqual(2);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
  }, 120_000);
});
