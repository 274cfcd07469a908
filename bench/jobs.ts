/**
 * Job start-up benchmark (issue 11): a real `itd daemon` with 200 schedules
 * firing every 2 s, each job importing a few records from the bundled fake
 * Iterable (its own process, rate limits off; the daemon's export budget
 * loosened so it never waits), run once with warm job processes
 * (`job_processes` = max_concurrent_jobs) and once with a fresh process per
 * job (`job_processes: 0`), in the same run. The load is more than either can
 * run on 2 cores, so the daemon runs jobs back to back and a backlog grows:
 * what is measured is how many jobs it starts, and at what cost.
 *
 * - jobs started per minute: `start` lines in the measured window;
 * - CPU s per job: the CPU of the daemon's whole process tree over the window
 *   (from /proc: the daemon, its live children, and its reaped children's
 *   cutime/cstime) over the jobs that finished in it; "the job's own" is the
 *   mean `jobCpuMs` the job processes report (CPU from taking the job over to
 *   its end), and "beyond it" the difference: process start-up, module
 *   loading, opening the store, IPC and the daemon's dispatching;
 * - pick → run: `pickToRunMs` of the `finish` lines (from the dispatcher
 *   picking the job to its process running it, its pid recorded).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { systemClock } from "../src/clock.js";
import { openStore } from "../src/store/index.js";
import { openSqliteWarehouse } from "../src/warehouse/index.js";
import { childPids } from "./procs.js";
import { fmt, percentile } from "./stats.js";

const ITD = fileURLToPath(new URL("../../bin/itd", import.meta.url));
const KEY = "bench-jobs-key";
const SCHEDULES = 200;
/** Schedules of the unsaturated run (5 jobs a second). */
const LIGHT_SCHEDULES = 10;
const DATABASES = 8;
const MAX_CONCURRENT_JOBS = 4;
/** Clock ticks per second of /proc/PID/stat (USER_HZ: 100 on Linux). */
const TICKS = 100;

export interface JobsBenchRow {
  mode: string;
  jobProcesses: number;
  schedules: number;
  seconds: number;
  started: number;
  finished: number;
  success: number;
  cpuS: number;
  daemonCpuS: number;
  jobCpuMs: number[];
  pickToRunMs: number[];
  queuedAtEnd: number;
  loadavg: string;
}

/** CPU ticks of `pid` (user + system) and of its reaped children, from /proc. */
function ticksOf(pid: number): { own: number; reaped: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
  return { own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
}

/** CPU seconds of the daemon's whole tree so far, and of the daemon alone. */
function treeCpu(pid: number): { tree: number; daemon: number } {
  const d = ticksOf(pid);
  let tree = d.own + d.reaped;
  for (const c of childPids(pid)) {
    try {
      const t = ticksOf(c);
      tree += t.own + t.reaped;
    } catch {
      // exited between the listing and the read: its ticks are in the daemon's reaped ones (next sample)
    }
  }
  return { tree: tree / TICKS, daemon: d.own / TICKS };
}

async function startFake(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [ITD, "fake-iterable", "--port", "0", "--api-key", KEY, "--no-rate-limits", "--events-per-day", "100000"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (l: string) => resolve(l.replace("listening on ", ""))));
  return { url, child };
}

interface Line {
  msg?: string;
  time?: string;
  status?: string;
  pickToRunMs?: number | null;
  jobCpuMs?: number | null;
}

/** One daemon with `schedules` schedules and `jobProcesses` warm processes, measured over `seconds` after `warmupSeconds`. */
async function runMode(mode: string, jobProcesses: number, schedules: number, fakeUrl: string, warmupSeconds: number, seconds: number): Promise<JobsBenchRow> {
  const dir = mkdtempSync(join(tmpdir(), "itd-bench-jobs-"));
  const home = join(dir, "home");
  const store = openStore(home, systemClock);
  const warehouse = openSqliteWarehouse(home);
  const start = new Date(Date.now() - 10_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const config = {
    in: {
      type: "iterable", api_key: "${ITERABLE_API_KEY}", base_url: fakeUrl, data_type: "export_data", export_data_type: "emailSend",
      incremental: true, start_time: start,
      columns: [{ name: "created_at", type: "timestamp" }, { name: "message_id", type: "string" }, { name: "email", type: "string" }],
    },
  };
  for (let d = 0; d < DATABASES; d++) warehouse.createDatabase(`bench_jobs_${d}`);
  store.db.transaction(() => {
    for (let i = 0; i < schedules; i++) {
      const database = `bench_jobs_${i % DATABASES}`;
      const table = `t_${String(i).padStart(3, "0")}`;
      warehouse.createTable(database, table);
      store.schedules.create({
        name: `jobs_${i}`, cron: "*/2 * * * * *", timezone: "UTC", delay: 0, database, table, timeColumn: null, priority: 0, catchup: "latest",
        config, paused: false,
      });
    }
  })();
  warehouse.close();
  store.close();
  writeFileSync(join(dir, "itd.yml"), `http_port: 0\nmax_concurrent_jobs: ${MAX_CONCURRENT_JOBS}\njob_processes: ${jobProcesses}\nshutdown_grace: 10\n`);
  const daemon = spawn(process.execPath, [ITD, "daemon", "--config", join(dir, "itd.yml")], {
    env: { ...process.env, ITD_HOME: home, ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=100000/1s", ITD_SCHEDULES: join(dir, "schedules") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: { at: number; line: Line }[] = [];
  let started = (): void => undefined;
  const up = new Promise<void>((resolve) => (started = resolve));
  createInterface({ input: daemon.stdout as NodeJS.ReadableStream }).on("line", (l: string) => {
    if (!l.startsWith("{")) return;
    const line = JSON.parse(l) as Line;
    if (line.msg === "daemon started") started();
    if (line.msg === "start" || line.msg === "finish") lines.push({ at: Date.parse(line.time ?? ""), line });
  });
  await up;
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  const pid = daemon.pid as number;
  const loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const c0 = treeCpu(pid);
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c1 = treeCpu(pid);
  const w1 = Date.now();
  const loadAfter = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  daemon.kill("SIGTERM");
  await new Promise((r) => daemon.once("exit", r));
  const inWindow = lines.filter((l) => l.at >= w0 && l.at < w1).map((l) => l.line);
  const finished = inWindow.filter((l) => l.msg === "finish");
  const after = openStore(home, systemClock, { readonly: true });
  const queuedAtEnd = after.jobs.countQueued();
  after.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    mode, jobProcesses, schedules, seconds: (w1 - w0) / 1000,
    started: inWindow.filter((l) => l.msg === "start").length,
    finished: finished.length,
    success: finished.filter((l) => l.status === "success").length,
    cpuS: c1.tree - c0.tree,
    daemonCpuS: c1.daemon - c0.daemon,
    jobCpuMs: finished.flatMap((l) => (typeof l.jobCpuMs === "number" ? [l.jobCpuMs] : [])),
    pickToRunMs: finished.flatMap((l) => (typeof l.pickToRunMs === "number" ? [l.pickToRunMs] : [])),
    queuedAtEnd,
    loadavg: `${loadBefore} → ${loadAfter}`,
  };
}

export async function jobsBench(options: { quick: boolean }): Promise<JobsBenchRow[]> {
  const seconds = options.quick ? 30 : 120;
  const warmup = options.quick ? 5 : 15;
  const fake = await startFake();
  try {
    const pooled = await runMode("warm processes", MAX_CONCURRENT_JOBS, SCHEDULES, fake.url, warmup, seconds);
    const fresh = await runMode("a process per job", 0, SCHEDULES, fake.url, warmup, seconds);
    // The same warm processes at a load the machine keeps up with: pick → run without a saturated CPU.
    const light = await runMode("warm processes", MAX_CONCURRENT_JOBS, LIGHT_SCHEDULES, fake.url, warmup, options.quick ? 20 : 60);
    return [pooled, fresh, light];
  } finally {
    fake.child.kill("SIGTERM");
  }
}

export function jobsBenchMarkdown(rows: JobsBenchRow[]): string {
  const mean = (xs: number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
  const perMinute = (r: JobsBenchRow): number => (r.started / r.seconds) * 60;
  const base = rows.find((r) => r.jobProcesses === 0 && r.schedules === SCHEDULES);
  const body = rows.map((r) => {
    const cpuPerJob = r.cpuS / r.finished;
    const own = mean(r.jobCpuMs) / 1000;
    const ratio = base && r.schedules === base.schedules ? `${fmt(perMinute(r) / perMinute(base), 1)}×` : "";
    return `| ${r.mode} (\`job_processes: ${r.jobProcesses}\`), ${r.schedules} schedules | ${fmt(perMinute(r))} | ${ratio} | ${fmt(r.finished)} (${fmt(r.success)} ok) | ${fmt(cpuPerJob, 3)} | ${fmt(own, 3)} | ${fmt(cpuPerJob - own, 3)} | ${fmt(r.daemonCpuS / r.finished, 3)} | ${fmt(percentile(r.pickToRunMs, 50), 0)} | ${fmt(percentile(r.pickToRunMs, 99), 0)} | ${fmt(r.queuedAtEnd)} | ${r.loadavg} |`;
  });
  return [
    `A real \`itd daemon\` with ${SCHEDULES} schedules (and, for the last row, ${LIGHT_SCHEDULES}: a load the machine keeps up with) firing every 2 s (\`*/2 * * * * *\`, incremental emailSend exports of a few records a job into ` +
      `${DATABASES} databases), \`max_concurrent_jobs: ${MAX_CONCURRENT_JOBS}\`, against the fake Iterable in its own process (rate limits off, the ` +
      "daemon's export budget loosened with `ITD_RATE_LIMITS=export=100000/1s`, so jobs never wait for Iterable's budget); each mode in a fresh " +
      `home, measured over ${rows.map((r) => fmt(r.seconds)).join(", ")} s (in the rows' order) after a warm-up. CPU is the daemon's whole process tree (/proc); "the job's own" is what job ` +
      'processes report for the job itself; "beyond" is the rest: process start-up and module loading, opening the store, IPC, the daemon. ' +
      "Pick → run is from the dispatcher picking a job to the job running in its process. Targets: ≥ 5× jobs/min, p99 < 50 ms, < 0.1 s CPU per job beyond its own work.",
    "",
    "| mode | jobs started /min | vs a process per job | jobs finished | CPU s per job | of it the job's own | beyond the job | of it the daemon | pick → run p50 ms | p99 ms | queued at the end | load average (1 5 15 min) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...body,
  ].join("\n");
}
