/**
 * Resources (hardening issue 6), with a real `itd daemon` against fake
 * Iterables (one per schedule, so a fault reaches only its schedule; the big
 * one in its own process):
 * an export far larger than a job process's memory bound, a response that
 * stalls forever (ITD_TIMEOUTS idle), Iterable answering slower than the rate
 * budget, and the daemon's job_timeout — while a small schedule keeps firing
 * every 3 s, on time, with no slot missed.
 *
 * Time limits here are hang guards, not performance assertions.
 */
import Database from "better-sqlite3";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { countExportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { runItd, sleep, spawnDaemon, spawnFake, tempDir, until, type FakeProcess } from "./helpers.js";

const KEY = "resources-test-key-5e6f7a";
const MB = 1024 * 1024;
/** Records per day of the big export: one day of it is several times the memory bound in JSON. */
const BIG_EVENTS = 1_500_000;
/** The most a job process may hold (VmRSS, and its high-water mark VmHWM) while it imports that day. */
const RSS_BOUND = 250 * MB;
const DAY = 86_400_000;

const BIG: FakeIterableOptions = { apiKey: KEY, seed: 61, eventsPerDay: BIG_EVENTS, rateLimits: false };
const SMALL: FakeIterableOptions = { apiKey: KEY, seed: 62, eventsPerDay: 20_000, rateLimits: false };

const fakes: FakeIterable[] = [];
async function fake(opts: FakeIterableOptions, faults: string[] = []): Promise<FakeIterable> {
  const f = await startFakeIterable({ ...opts, faults });
  fakes.push(f);
  return f;
}
afterAll(async () => {
  await Promise.all([...fakes.map((f) => f.close()), bigFake?.stop()]);
});

const daemons: ChildProcess[] = [];
afterEach(() => {
  for (const d of daemons.splice(0)) if (d.exitCode === null) d.kill("SIGKILL");
});

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once("exit", (code) => r(code)));
}

interface JobRow {
  id: number;
  schedule: string;
  kind: string;
  status: string;
  scheduled_time: number;
  start_at: number | null;
  end_at: number | null;
  error: string | null;
  pid: number | null;
  records: number;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** A temporary home with its env, its daemon config, and cheap reads of state.db (no CLI process per poll). */
function home(daemonConfig: string, extraEnv: Record<string, string> = {}) {
  const dir = tempDir("itd-resources-");
  const env = {
    ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_SCHEDULES: join(dir, "schedules"), ITD_CONFIG: join(dir, "itd.yml"),
    ...extraEnv,
  };
  writeFileSync(env.ITD_CONFIG, `http_port: 0\nshutdown_grace: 5\n${daemonConfig}`);
  const itd = (...args: string[]) => runItd(args, { cwd: dir, env });
  const load = (name: string, o: { url: string; type: string; start: number; more?: string[] }): string => {
    const file = `${name}.yml`;
    const lines = [
      "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${o.url}`, "  data_type: export_data",
      `  export_data_type: ${o.type}`, "  incremental: true", `  start_time: '${iso(o.start)}'`, ...(o.more ?? []).map((l) => `  ${l}`),
      "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}",
    ];
    writeFileSync(join(dir, file), `${lines.join("\n")}\n`);
    return file;
  };
  // One database per schedule: a slice holds its database's write lock until it commits.
  const create = async (name: string, cron: string, loadFile: string): Promise<void> => {
    const r = await itd("connector:create", name, cron, `res_${name}`, name, loadFile, "--auto-create-table");
    expect(r.code, r.stderr).toBe(0);
  };
  const start = (): { child: ChildProcess; log: () => string } => spawnDaemon(dir, env, daemons);
  let state: Database.Database | undefined;
  const jobs = (schedule?: string): JobRow[] => {
    state ??= new Database(join(dir, "home", "state.db"), { readonly: true });
    const sql = "SELECT id, schedule, kind, status, scheduled_time, start_at, end_at, error, pid, records FROM jobs";
    return (schedule === undefined ? state.prepare(`${sql} ORDER BY id`).all() : state.prepare(`${sql} WHERE schedule = ? ORDER BY id`).all(schedule)) as JobRow[];
  };
  const count = (schedule: string): number => {
    const file = join(dir, "home", "warehouse", `res_${schedule}.db`);
    if (!existsSync(file)) return 0;
    const c = new Database(file, { readonly: true });
    try {
      return (c.prepare(`SELECT count(*) AS n FROM ${schedule}`).get() as { n: number }).n;
    } finally {
      c.close();
    }
  };
  const history = async (name: string) =>
    JSON.parse((await itd("connector:history", name, "-n", "1000", "-f", "json")).stdout) as { JobID: number; Status: string; Scheduled: string }[];
  return { dir, itd, load, create, start, jobs, count, history, close: () => state?.close() };
}

/** VmRSS (resident now) and VmHWM (the most it ever was) of a live process in bytes, and its CPU time; undefined once it is gone. */
function memoryOf(pid: number): { rss: number; hwm: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    // utime and stime (fields 14 and 15 of /proc/PID/stat, after the parenthesised name), in clock ticks (100 Hz)
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    const stat = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / 100;
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
    const m = { rss: kb("VmRSS"), hwm: kb("VmHWM"), cpuSeconds };
    return Number.isNaN(m.rss) ? undefined : m;
  } catch {
    return undefined;
  }
}

/** The `fire` lines of a daemon's log for one schedule: slot and lateness. */
function fires(log: string, schedule: string): { slot: number; lateMs: number }[] {
  const out: { slot: number; lateMs: number }[] = [];
  for (const line of log.split("\n")) {
    if (!line.includes('"msg":"fire"')) continue;
    const e = JSON.parse(line) as { schedule: string; slot: string; lateMs: number };
    if (e.schedule === schedule) out.push({ slot: Date.parse(e.slot), lateMs: e.lateMs });
  }
  return out;
}

/**
 * The big export's fake runs in its own process: generating 1.5M records keeps its event loop busy as fast as
 * the import reads (the parse threads read as fast as it generates), which would delay the small fakes sharing
 * this process and make the ticks wait for the big import to end.
 */
let bigFake: FakeProcess;
let stallFake: FakeIterable;
let slowFake: FakeIterable;
beforeAll(async () => {
  bigFake = await spawnFake(["--api-key", KEY, "--seed", String(BIG.seed), "--events-per-day", String(BIG_EVENTS), "--no-rate-limits"]);
  // Every export request stalls mid-body for 10 minutes: only the idle timeout can end it.
  stallFake = await fake(SMALL, ["export.json:stall=600000@100%"]);
  // Every export request waits 1 s for its headers: longer than the budget's interval (export=2/1s, one per 500 ms).
  slowFake = await fake(SMALL, ["export.json:slow=1000@100%"]);
});

describe("resources", () => {
  it("imports an export far larger than a job's memory, times out a stalled response, and keeps a 3 s schedule firing on time throughout", async () => {
    const h = home("", { ITD_RATE_LIMITS: "export=2/1s", ITD_TIMEOUTS: "idle=2s" });
    const now = Date.now();
    const dayEnd = Math.floor(now / DAY) * DAY - DAY; // a whole past day: [dayEnd - 1 day, dayEnd)
    const window = { start: dayEnd - DAY, end: dayEnd };
    const expected = countExportRecords(generatorConfig(BIG), "emailSend", window);
    expect(expected).toBeGreaterThan(1_000_000);

    await Promise.all([
      // (a) one slice of a whole day: a single response of hundreds of MB (not split: max_slice_records above it)
      h.create("big", "", h.load("big", { url: bigFake.url, type: "emailSend", start: window.start, more: ["slice_hours: 24", "max_slice_records: 2000000"] })),
      // (b) a response that never ends; one retry, so the job ends after two idle timeouts
      h.create("stall", "", h.load("stall", { url: stallFake.url, type: "emailOpen", start: now - DAY, more: ["retry_limit: 1", "initial_retry_wait: 200"] })),
      // (c) every 3 s, each request slower than the rate budget's interval
      h.create("tick", "*/3 * * * * *", h.load("tick", { url: slowFake.url, type: "emailOpen", start: now - 30_000 })),
    ]);
    const runs = await Promise.all([h.itd("connector:run", "big", String(window.end / 1000)), h.itd("connector:run", "stall")]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);

    const d = h.start();
    const detail = (): string => `${JSON.stringify(h.jobs(), null, 1)}\n${d.log().slice(-4000)}`;
    const done = (r: JobRow | undefined): boolean => r !== undefined && r.status !== "queued" && r.status !== "running";
    let peak = 0;
    let hwm = 0;
    let samples = 0;
    let cpu = 0;
    const sampler = setInterval(() => {
      const pid = h.jobs("big")[0]?.pid;
      const m = pid === null || pid === undefined ? undefined : memoryOf(pid);
      if (m === undefined) return;
      samples++;
      peak = Math.max(peak, m.rss);
      hwm = Math.max(hwm, m.hwm); // catches a peak between two samples
      cpu = m.cpuSeconds;
    }, 200);
    try {
      await until("the big import and the stalled job to end", () => done(h.jobs("big")[0]) && done(h.jobs("stall")[0]), 120_000, detail);
    } finally {
      clearInterval(sampler);
    }
    const big = h.jobs("big")[0] as JobRow;
    // One more tick after both, so the ticks cover the whole stretch.
    await until("a tick after the big import", () => h.jobs("tick").some((j) => j.status === "success" && (j.start_at ?? 0) > (big.end_at ?? 0)), 30_000, detail);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);

    // (a) every record, while the process held a fraction of what went through it
    const served = ((await (await fetch(`${bigFake.url}/_fake/stats`)).json()) as { bytesServed: Record<string, number> }).bytesServed["export.json"] ?? 0;
    const stall = h.jobs("stall")[0] as JobRow;
    const stallSeconds = ((stall.end_at ?? 0) - (stall.start_at ?? 0)) / 1000;
    console.log(
      `resources: big import ${expected} records, ${(served / MB).toFixed(0)} MB served in ${(((big.end_at ?? 0) - (big.start_at ?? 0)) / 1000).toFixed(1)} s; ` +
        `job process peak VmRSS ${(peak / MB).toFixed(0)} MB over ${samples} samples (VmHWM ${(hwm / MB).toFixed(0)} MB, CPU ${cpu.toFixed(1)} s); ` +
        `stalled job ended after ${stallSeconds.toFixed(1)} s`,
    );
    expect(big.status, detail()).toBe("success");
    expect(h.count("big")).toBe(expected);
    expect(samples).toBeGreaterThanOrEqual(10);
    // ~480 bytes a record: ~690 MiB went through a process held under 250 MiB.
    expect(served).toBeGreaterThan(2.5 * RSS_BOUND);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(RSS_BOUND);
    expect(hwm).toBeLessThan(RSS_BOUND);

    // (b) the stalled response ends the job with the timeout named, well before the stall would
    expect(stall.status).toBe("error");
    expect(stall.error).toMatch(/Timeout "the response body was silent for 2 s"/);
    expect(stallSeconds).toBeLessThan(60); // a hang guard: the stall alone would last 600 s
    expect(stallFake.stats().faultsInjected["stall"]).toBe(2);
    const shown = await h.itd("job:show", String(stall.id));
    expect(shown.stdout).toMatch(/Error\s+: .*silent for 2 s/);

    // (c) every 3 s slot fired, on time, none missed, each run a success — during (a) and (b) too
    const ticks = h.jobs("tick");
    const slots = ticks.map((j) => j.scheduled_time).sort((x, y) => x - y);
    expect(slots.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < slots.length; i++) expect((slots[i] as number) - (slots[i - 1] as number), `slot ${i} follows the one before`).toBe(3000);
    const fired = fires(d.log(), "tick");
    expect(fired.map((f) => f.slot).sort((x, y) => x - y)).toEqual(slots);
    expect(Math.max(...fired.map((f) => f.lateMs))).toBeLessThan(2500);
    const finished = ticks.filter((j) => j.status !== "queued");
    expect(finished.filter((j) => j.status !== "success" && j.status !== "killed")).toEqual([]);
    // Fired on time while the import ran (every slot inside it), and runs of it went on meanwhile.
    const bigSeconds = ((big.end_at ?? 0) - (big.start_at ?? 0)) / 1000;
    const firedDuring = fired.filter((f) => f.slot >= (big.start_at ?? 0) && f.slot <= (big.end_at ?? 0));
    expect(firedDuring.length, detail()).toBeGreaterThanOrEqual(Math.max(1, Math.floor(bigSeconds / 3) - 1));
    // Whole runs inside the import: it does not hold other jobs back (its threads share the cores).
    const during = ticks.filter((j) => j.status === "success" && (j.start_at ?? 0) >= (big.start_at ?? 0) && (j.end_at ?? Infinity) <= (big.end_at ?? 0));
    expect(during.length, detail()).toBeGreaterThanOrEqual(Math.min(3, Math.floor(bigSeconds / 3) - 1));
    expect(ticks.some((j) => j.status === "success" && (j.start_at ?? 0) <= (stall.end_at ?? 0) && (j.end_at ?? 0) >= (stall.start_at ?? 0))).toBe(true);
    // Iterable slower than the budget: every tick's request waited for its slow headers.
    expect(slowFake.stats().faultsInjected["slow"]).toBeGreaterThanOrEqual(during.length);
    const history = await h.history("tick");
    expect(history.filter((j) => j.Status === "success").length).toBe(ticks.filter((j) => j.status === "success").length);
    h.close();
  }, 150_000);

  it("stops a job that outlives job_timeout (killed, the limit named, its slot not run again) and goes on firing the others", async () => {
    const hung = await fake(SMALL, ["export.json:slow=600000@100%"]); // headers never come in time
    const quick = await fake(SMALL);
    const h = home("job_timeout: 3\n", { ITD_RATE_LIMITS: "export=100/1s" });
    const now = Date.now();
    await Promise.all([
      h.create("hung", "", h.load("hung", { url: hung.url, type: "emailOpen", start: now - DAY })),
      h.create("quick", "*/2 * * * * *", h.load("quick", { url: quick.url, type: "emailOpen", start: now - 30_000 })),
    ]);
    expect((await h.itd("connector:run", "hung")).code).toBe(0);
    const d = h.start();
    const detail = (): string => `${JSON.stringify(h.jobs(), null, 1)}\n${d.log().slice(-4000)}`;
    const killed = await until("the hung job stopped", () => {
      const j = h.jobs("hung")[0];
      return j !== undefined && j.status !== "queued" && j.status !== "running" ? j : undefined;
    }, 60_000, detail);
    // The job process ends its own row ("killed: interrupted by SIGTERM"); the daemon names the reason once it exits.
    await until("the hung job's finish logged", () => new RegExp(`"jobId":${killed.id},[^\n]*"msg":"finish"`).test(d.log()) || undefined, 30_000, detail);
    Object.assign(killed, h.jobs("hung")[0]);
    expect(killed.status).toBe("killed");
    expect(killed.error).toBe("killed: the job_timeout of 3s was exceeded");
    const ranFor = (killed.end_at ?? 0) - (killed.start_at ?? 0);
    expect(ranFor).toBeGreaterThanOrEqual(3000);
    expect(ranFor).toBeLessThan(20_000);
    // The others go on: two more quick runs after the kill.
    await until("two quick runs after the kill", () => h.jobs("quick").filter((j) => j.status === "success" && (j.start_at ?? 0) > (killed.end_at ?? 0)).length >= 2, 30_000, detail);
    // The process is gone, and its end (written by the daemon) stays.
    await until("the hung job's process gone", () => killed.pid !== null && memoryOf(killed.pid) === undefined, 20_000, detail);
    expect(d.log()).toMatch(/"msg":"job_timeout exceeded: stopping the job"/);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    const after = h.jobs("hung");
    expect(after.map((j) => [j.status, j.error])).toEqual([["killed", "killed: the job_timeout of 3s was exceeded"]]);
    // A restart finds no running row to recover: the killed slot is not queued again as if interrupted.
    const again = h.start();
    await until("the daemon restarted", () => /"msg":"daemon started"/.test(again.log()) || undefined, 30_000, () => again.log());
    await sleep(1500);
    again.child.kill("SIGTERM");
    expect(await exited(again.child)).toBe(0);
    expect(h.jobs("hung").map((j) => j.status)).toEqual(["killed"]);
    expect(again.log()).not.toMatch(/job interrupted|queued again/);
    expect(h.jobs().filter((j) => j.status === "running")).toEqual([]);
    expect((await h.itd("job:show", String(killed.id))).stdout).toMatch(/Error\s+: killed: the job_timeout of 3s was exceeded/);
    h.close();
  }, 90_000);
});
