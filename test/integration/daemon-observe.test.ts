/**
 * What an operator sees of a real `itd daemon` process: its JSON log (level
 * names, one key per name, a failure before start-up as one fatal line) and
 * its /metrics (records counted as slices commit, the queue, last successes,
 * broken schedule files; `promtool check metrics` on a live scrape).
 */
import { hostname } from "node:os";
import Database from "better-sqlite3";
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeIterable, type FakeIterable } from "../../src/fake-iterable/index.js";
import { runItd, spawnDaemon, tempDir, until } from "./helpers.js";

const KEY = "observe-test-key-8e1f2a";
const PROMTOOL = spawnSync("promtool", ["--version"]).error === undefined;

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable({ apiKey: KEY, seed: 11, eventsPerDay: 20_000, rateLimits: false });
});
afterAll(async () => fake.close());

const daemons: ChildProcess[] = [];
afterEach(() => {
  for (const d of daemons.splice(0)) if (d.exitCode === null) d.kill("SIGKILL");
  fake.clearFaults();
});

function home(configText = "") {
  const dir = tempDir("itd-observe-");
  const port = 19000 + Math.floor(Math.random() * 2000);
  const env = {
    ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_SCHEDULES: join(dir, "schedules"), ITD_RATE_LIMITS: "export=1000/1s",
    ITD_CONFIG: join(dir, "itd.yml"),
  };
  writeFileSync(env.ITD_CONFIG, `http_port: ${port}\nshutdown_grace: 5\n${configText}`);
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const load = (start: number, more = ""): string =>
    [
      "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data",
      "  export_data_type: emailOpen", "  incremental: true", `  start_time: '${iso(start)}'`, more,
      "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "",
    ].filter((l) => l !== "").join("\n") + "\n";
  const itd = (...args: string[]) => runItd(args, { cwd: dir, env });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await itd(...args);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.stdout;
  };
  const jobs = async (name: string) =>
    JSON.parse(await ok("connector:history", name, "-n", "100", "-f", "json")) as { JobID: number; Status: string; Records: number }[];
  const committed = (db: string): number => {
    const file = join(dir, "home", "warehouse", `${db}.db`);
    if (!existsSync(file)) return 0;
    const conn = new Database(file, { readonly: true });
    try {
      return (conn.prepare("SELECT COALESCE(SUM(rows), 0) AS n FROM _itd_loads").get() as { n: number }).n;
    } catch {
      return 0; // no ledger yet
    } finally {
      conn.close();
    }
  };
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return { dir, env, port, itd, ok, jobs, committed, scrape, load, write: (n: string, t: string) => writeFileSync(join(dir, n), t) };
}

/** The value of one sample (`name{labels}` exactly as exposed), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once("exit", (code) => r(code)));
}

/** A broken schedule file in the schedules directory (a cron that cannot be). */
function brokenScheduleFile(h: ReturnType<typeof home>): void {
  mkdirSync(h.env.ITD_SCHEDULES, { recursive: true });
  writeFileSync(join(h.env.ITD_SCHEDULES, "broken.yml"), "name: broken\ncron: '61 * * * *'\ndatabase: x_db\ntable: t\nconfig: ../load.yml\n");
}

describe("the daemon's log", () => {
  it("is JSON lines with level names and each key once: the daemon's pid is pid, a job's process jobPid", async () => {
    const h = home();
    h.write("load.yml", h.load(Date.now() - 60_000));
    await h.ok("connector:create", "every3", "*/3 * * * * *", "log_db", "opens", "load.yml", "--auto-create-table");
    const d = spawnDaemon(h.dir, h.env, daemons);
    await until("a job finished", () => /"msg":"finish"/.test(d.log()) || undefined, 60_000, d.log);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    const lines = d.log().split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      // Parsed and written again it is the same line: no key twice (JSON.parse keeps only the last of two).
      expect(JSON.stringify(JSON.parse(line)), line).toBe(line);
      const e = JSON.parse(line) as { level: unknown; pid: unknown };
      expect(["trace", "debug", "info", "warn", "error", "fatal"], line).toContain(e.level);
      expect(e.pid, line).toBe(d.child.pid);
    }
    const started = lines.map((l) => JSON.parse(l) as { msg: string; jobPid?: number }).filter((e) => e.msg === "start");
    expect(started.length).toBeGreaterThan(0);
    for (const e of started) {
      expect(typeof e.jobPid).toBe("number");
      expect(e.jobPid).not.toBe(d.child.pid);
    }
  }, 90_000);

  it("says a failure before start-up in one fatal JSON line on stdout, and exits non-zero", async () => {
    const h = home("max_concurrent_jobs: 0\n");
    const bad = await h.itd("daemon");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("");
    const lines = bad.stdout.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    const e = JSON.parse(lines[0] ?? "") as { level: string; msg: string; code: string; pid: number };
    expect(e).toMatchObject({ level: "fatal", code: "config" });
    expect(e.msg).toContain(`${h.env.ITD_CONFIG}: max_concurrent_jobs:`);

    const flag = await h.itd("daemon", "--log-level", "loud");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe("");
    expect(flag.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(flag.stdout)).toMatchObject({ level: "fatal", code: "usage", msg: expect.stringContaining('--log-level: expected one of') as unknown });
  }, 60_000);
});

describe("the daemon's metrics", () => {
  it("count records as slices commit, the queue, each schedule's last success and broken schedule files", async () => {
    const h = home();
    const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000;
    h.write("load.yml", h.load(t0, "  slice_hours: 2"));
    await h.ok("connector:create", "big", "", "big_db", "opens", "load.yml", "--auto-create-table");
    brokenScheduleFile(h);
    // Two runs of one schedule: the second waits in the queue while the first, slowed down, commits slice after slice.
    const now = Math.floor(Date.now() / 1000);
    await h.ok("connector:run", "big", String(now - 20));
    await h.ok("connector:run", "big", String(now - 10));
    fake.addFaults(["export.json:slow=300@100%"]);
    const d = spawnDaemon(h.dir, h.env, daemons);
    await until("the health server", () => /health and metrics listening/.test(d.log()) || undefined, 30_000, d.log);

    const during = await until("records counted while the first job runs", async () => {
      const text = await h.scrape();
      return (sample(text, 'itd_records_imported_total{schedule="big"}') ?? 0) > 0 ? text : undefined;
    }, 60_000, d.log);
    const first = (await h.jobs("big")).at(-1);
    expect(first?.Status, "the job was still running when its records were counted").toBe("running");
    expect(sample(during, "itd_jobs_queued")).toBe(1);
    expect(sample(during, "itd_jobs_running")).toBe(1);
    expect(sample(during, 'itd_schedule_last_success_timestamp_seconds{schedule="big"}')).toBeUndefined();
    expect(sample(during, "itd_schedule_file_errors_total")).toBe(1);
    expect(sample(during, "itd_schedule_files_broken")).toBe(1);
    expect(during).toMatch(/^itd_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    // Which daemon this is (issue 14: several may share a state): host:pid:start, the same in its logs, /healthz and /metrics.
    const instance = `${hostname()}:${d.child.pid}:`;
    expect(during).toMatch(new RegExp(`^itd_daemon_info\\{instance="${instance}[^"]+",state="sqlite"\\} 1$`, "m"));
    const health = (await (await fetch(`http://127.0.0.1:${h.port}/healthz`)).json()) as { instance?: string };
    expect(health.instance?.startsWith(instance)).toBe(true);
    expect(d.log().split("\n").filter((l) => l.startsWith("{")).every((l) => (JSON.parse(l) as { instance?: string }).instance === health.instance)).toBe(true);

    fake.clearFaults();
    await until("both runs succeeded", async () => {
      const runs = await h.jobs("big");
      return runs.length === 2 && runs.every((r) => r.Status === "success") ? runs : undefined;
    }, 90_000, d.log);
    // Everything committed is counted, once: the jobs' ends add nothing.
    // (A job records its own success before its process exits; the daemon counts the job when the process is gone.)
    const text = await until("the count caught up with the ledger, and both jobs' ends counted", async () => {
      const t = await h.scrape();
      return sample(t, 'itd_records_imported_total{schedule="big"}') === h.committed("big_db") && sample(t, 'itd_jobs_total{status="success"}') === 2 ? t : undefined;
    }, 20_000, () => `${h.committed("big_db")} committed\n${d.log()}`);
    expect(h.committed("big_db")).toBeGreaterThan(0);
    expect(sample(text, "itd_jobs_queued")).toBe(0);
    expect(sample(text, 'itd_jobs_total{status="success"}')).toBe(2);
    const lastSuccess = sample(text, 'itd_schedule_last_success_timestamp_seconds{schedule="big"}') ?? 0;
    expect(Math.abs(lastSuccess - Date.now() / 1000)).toBeLessThan(120);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
  }, 180_000);

  describe.skipIf(!PROMTOOL)("checked by promtool (skipped: promtool is not installed; Debian's package prometheus has it)", () => {
    it("passes promtool check metrics on a live scrape of a daemon that ran a job", async () => {
      const h = home();
      h.write("load.yml", h.load(Date.now() - 60_000));
      await h.ok("connector:create", "every3", "*/3 * * * * *", "prom_db", "opens", "load.yml", "--auto-create-table");
      brokenScheduleFile(h);
      const d = spawnDaemon(h.dir, h.env, daemons);
      await until("a job finished", () => /"msg":"finish"/.test(d.log()) || undefined, 60_000, d.log);
      const text = await h.scrape();
      expect(text).toMatch(/^itd_records_imported_total\{schedule="every3"\} \d+$/m);
      expect(text).toMatch(/^itd_iterable_requests_total\{/m);
      const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      expect(`${check.stdout}${check.stderr}`).toBe("");
      expect(check.status).toBe(0);
      d.child.kill("SIGTERM");
      expect(await exited(d.child)).toBe(0);
    }, 90_000);
  });
});
