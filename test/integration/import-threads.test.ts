/**
 * Imports through the parse threads (issue 12) against imports on the job's
 * own thread (ITD_IMPORT_THREADS=0, the path before): the same rows in the
 * same order, the same counts, warnings and errors; no scratch file left; a
 * kill -9 while threads hold written runs commits nothing, and the next run
 * imports everything once. Real `bin/itd` processes against the fake.
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countExportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { ITD, runItd, tempDir } from "./helpers.js";
import { exited } from "./procs.js";

const KEY = "threads-test-key-5e6f7a8b";
// ~15,000 emailSend records a day: a one-day slice is several runs (1 MB each) for the threads.
const FAKE: FakeIterableOptions = { apiKey: KEY, now: Date.UTC(2026, 5, 10), seed: 23, eventsPerDay: 15_000, campaigns: 8, lists: 1, users: 2000, rateLimits: false };
const cfg = generatorConfig(FAKE);
const D = (day: number): number => Date.UTC(2026, 5, day);

let fake: FakeIterable;
let loadYml: string;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
  const dir = tempDir("itd-threads-guess-");
  writeFileSync(
    join(dir, "seed.yml"),
    `in:\n  type: iterable\n  api_key: \${ITERABLE_API_KEY}\n  base_url: ${fake.url}\n  data_type: export_data\n  export_data_type: emailSend\n` +
      `  start_time: '2026-06-01T00:00:00Z'\n  end_time: '2026-06-03T00:00:00Z'\n  slice_hours: 24\n  retry_limit: 0\n`,
  );
  const r = await runItd(["connector:guess", "seed.yml", "-o", "load.yml"], { cwd: dir, env: { ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY } });
  expect(r.code).toBe(0);
  loadYml = readFileSync(join(dir, "load.yml"), "utf8");
}, 60_000);
afterAll(async () => fake.close());

interface Run {
  dir: string;
  code: number | null;
  stdout: string;
  rows: unknown[][];
}

async function issue(threads: number, yml: string, table = "sends"): Promise<Run> {
  const dir = tempDir(`itd-threads-${threads}-`);
  writeFileSync(join(dir, "load.yml"), yml);
  const env = { ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_IMPORT_THREADS: String(threads) };
  const r = await runItd(["connector:issue", "load.yml", "--database", "thr_db", "--table", table, "--auto-create-table"], { cwd: dir, env });
  return { dir, code: r.code, stdout: r.stdout, rows: tableRows(dir, table) };
}

function tableRows(dir: string, table: string): unknown[][] {
  let conn: Database.Database;
  try {
    conn = new Database(join(dir, "home", "warehouse", "thr_db.db"), { readonly: true, fileMustExist: true });
  } catch {
    return [];
  }
  try {
    // All but `time`: without a time column it is each job's start (runs side by side start in different seconds).
    const columns = (conn.prepare(`SELECT name FROM pragma_table_info(?) WHERE name <> 'time' ORDER BY cid`).pluck().all(table) as string[]).map((c) => `"${c}"`);
    return conn.prepare(`SELECT ${columns.join(", ")} FROM "${table}" ORDER BY rowid`).raw().all() as unknown[][];
  } catch {
    return [];
  } finally {
    conn.close();
  }
}

/** Run tables the job's parse threads have written so far, in all its scratch files. */
function runTables(dir: string): number {
  const wh = join(dir, "home", "warehouse");
  if (!existsSync(wh)) return 0;
  let n = 0;
  for (const f of readdirSync(wh).filter((name) => name.includes(".scratch-") && !name.endsWith("-journal"))) {
    try {
      const c = new Database(join(wh, f), { readonly: true, fileMustExist: true });
      try {
        n += (c.prepare("SELECT count(*) n FROM sqlite_schema WHERE type = 'table' AND name LIKE 'r%'").get() as { n: number }).n;
      } finally {
        c.close();
      }
    } catch {
      // being made
    }
  }
  return n;
}

const scratchFiles = (dir: string): string[] => readdirSync(join(dir, "home", "warehouse")).filter((f) => f.includes(".scratch-"));
/** The job's log lines as connector:issue prints them, less timings. */
const logLines = (stdout: string): string[] =>
  stdout
    .split("\n")
    .filter((l) => /(warn|error|info)/.test(l) && !/done: |Duration|Start|End|parse threads/.test(l))
    .map((l) => l.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?( UTC)?/g, "T").replace(/in [\d.]+ s/g, "in X s"));

describe("imports through the parse threads", () => {
  it("import exactly what the job's own thread imports: same rows in the same order, counts and warnings", async () => {
    // One column left out: its field is reported as not imported, counted the same way.
    const yml = loadYml.replace(/ {2}- \{name: esp_name, type: string\}\n/, "");
    expect(yml).not.toBe(loadYml);
    const [solo, two, three] = await Promise.all([issue(0, yml), issue(2, yml), issue(3, yml)]);
    const want = countExportRecords(cfg, "emailSend", { start: D(1), end: D(3) });
    expect(want).toBeGreaterThan(20_000);
    for (const r of [solo, two, three]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Records    : ${want}`);
      expect(r.rows).toHaveLength(want);
      expect(r.stdout).toMatch(/fields not in in\.columns were not imported: espName \(\d+\)/);
      expect(scratchFiles(r.dir)).toEqual([]);
    }
    // The threads did the work (and the job's own thread did it for ITD_IMPORT_THREADS=0).
    expect(solo.stdout).not.toContain("parse threads");
    expect(two.stdout).toContain("on 2 parse threads");
    expect(three.stdout).toContain("on 3 parse threads");
    expect(two.rows).toEqual(solo.rows);
    expect(three.rows).toEqual(solo.rows);
    expect(logLines(two.stdout)).toEqual(logLines(solo.stdout));
  }, 120_000);

  it("report a malformed line of Iterable's by the same line number as the job's own thread", async () => {
    const results: Run[] = [];
    for (const threads of [0, 2]) {
      fake.clearFaults();
      // The first slice's body gets a broken line in its middle: a run in the middle of the threads' work.
      fake.addFaults(["export.json:malformed@1"]);
      results.push(await issue(threads, loadYml));
    }
    fake.clearFaults();
    const [solo, two] = results as [Run, Run];
    expect(solo.code).toBe(1);
    const message = /sent a malformed response: (line \d+ [^\n]*)/.exec(solo.stdout)?.[1];
    expect(message).toMatch(/^line \d{4,} is not valid JSON/);
    expect(two.code).toBe(1);
    expect(two.stdout).toContain(message);
    expect(two.rows).toEqual([]);
    expect(scratchFiles(two.dir)).toEqual([]);
  }, 120_000);

  it("name an invalid record the same way, and skip the same records with skip_invalid_records", async () => {
    const broken = loadYml.replace("{name: user_id, type: string}", "{name: user_id, type: long}");
    expect(broken).not.toBe(loadYml);
    const [solo, two] = await Promise.all([issue(0, broken), issue(2, broken)]);
    expect(solo.code).toBe(1);
    const message = /(record \d+: column user_id \(long\): cannot convert [^\n]*)/.exec(solo.stdout)?.[1];
    expect(message).toBeDefined();
    expect(two.code).toBe(1);
    expect(two.stdout).toContain(message);
    const skipping = broken.replace("  columns:", "  skip_invalid_records: true\n  columns:");
    const [s0, s2] = await Promise.all([issue(0, skipping), issue(2, skipping)]);
    const skipped = /(\d+) invalid records skipped/.exec(s0.stdout)?.[1];
    expect(Number(skipped)).toBeGreaterThan(0);
    expect(s2.stdout).toContain(`${skipped} invalid records skipped`);
    expect(s2.rows).toEqual(s0.rows);
  }, 120_000);

  it("commit nothing of a slice whose job is killed -9 while threads hold written runs; the next run imports each record once", async () => {
    // A proxy in front of the fake that sends the first 6 MB of each response (a slice is ~7 MB), then holds it open:
    // the job's threads have written runs of the slice by then, and the slice cannot commit.
    const held: ServerResponse[] = [];
    const proxy = createServer((req, res) => {
      void (async () => {
        const upstream = await request(`${fake.url}${req.url ?? "/"}`, { headers: { "api-key": String(req.headers["api-key"] ?? "") } });
        res.writeHead(upstream.statusCode, { "content-type": String(upstream.headers["content-type"] ?? "text/plain") });
        let sent = 0;
        for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
          res.write(chunk);
          sent += chunk.length;
          if (sent >= 6 * 1024 * 1024) break;
        }
        held.push(res);
      })().catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as AddressInfo).port;
    try {
      const dir = tempDir("itd-threads-kill-");
      writeFileSync(join(dir, "held.yml"), loadYml.replace(fake.url, `http://127.0.0.1:${port}`));
      writeFileSync(join(dir, "load.yml"), loadYml);
      const env = { ...process.env, ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_IMPORT_THREADS: "2", NO_COLOR: "1" };
      const args = ["--database", "thr_db", "--table", "sends", "--auto-create-table"];
      const child = spawn(process.execPath, [ITD, "connector:issue", "held.yml", ...args], { cwd: dir, env, stdio: "ignore" });
      // Wait until the threads have written runs (a scratch file holds run tables), then kill.
      const deadline = Date.now() + 30_000;
      let runs = 0;
      while (runs < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        runs = runTables(dir);
      }
      expect(runs).toBeGreaterThanOrEqual(2);
      child.kill("SIGKILL");
      await exited(child);
      expect(tableRows(dir, "sends")).toEqual([]);
      expect(scratchFiles(dir).length).toBeGreaterThan(0);
      // The same stream (the same data and table), straight from the fake this time.
      const again = await runItd(["connector:issue", "load.yml", ...args], { cwd: dir, env });
      expect(again.code).toBe(0);
      const want = countExportRecords(cfg, "emailSend", { start: D(1), end: D(3) });
      const conn = new Database(join(dir, "home", "warehouse", "thr_db.db"), { readonly: true });
      expect(conn.prepare("SELECT count(*) n, count(DISTINCT message_id) d FROM sends").get()).toEqual({ n: want, d: want });
      conn.close();
      // The dead job's scratch files went with the next load of the database.
      expect(scratchFiles(dir)).toEqual([]);
    } finally {
      for (const res of held) res.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 120_000);
});
