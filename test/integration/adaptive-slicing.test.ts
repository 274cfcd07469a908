/**
 * Issue 18 against the fake Iterable, the CLI as a subprocess: backfills
 * bounded by Iterable (export windows sized to the data, counted in requests,
 * never in time), splits that lose and double nothing, and waits and retries
 * that are said out loud (job log, stdout of issue, stderr of guess/preview).
 */
import Database from "better-sqlite3";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countExportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { runItd, tempDir } from "./helpers.js";

const KEY = "slicing-test-key-5e6f7a8b";
const NOW = Date.UTC(2026, 5, 2);
const YEAR_AGO = Date.UTC(2025, 5, 2);
const FAKE: FakeIterableOptions = { apiKey: KEY, now: NOW, dataStart: YEAR_AGO, seed: 18, eventsPerDay: 1000, users: 200, campaigns: 8, lists: 1, rateLimits: false };
const cfg = generatorConfig(FAKE);
const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());
beforeEach(() => fake.clearFaults());

/** Export requests the fake has answered, whatever the status. */
function exportRequests(): number {
  return Object.values(fake.stats().requests["export.json"] ?? {}).reduce((a, b) => a + b, 0);
}

function workspace(env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir("itd-slicing-");
  const fullEnv = { ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=1000/1s", ...env };
  return {
    dir,
    itd: (...args: string[]) => runItd(args, { cwd: dir, env: fullEnv }),
    write(name: string, text: string): string {
      writeFileSync(join(dir, name), text);
      return name;
    },
    sql<T>(db: string, query: string): T[] {
      const conn = new Database(join(dir, "home", "warehouse", `${db}.db`), { readonly: true });
      try {
        return conn.prepare(query).all() as T[];
      } finally {
        conn.close();
      }
    },
  };
}

const COLUMNS = `  columns:
  - {name: created_at, type: timestamp}
  - {name: message_id, type: string, src: messageId}
  - {name: email, type: string}
`;

function load(start: number, end: number, more = "", url = fake.url): string {
  return (
    `in:\n  type: iterable\n  api_key: \${ITERABLE_API_KEY}\n  base_url: ${url}\n  data_type: export_data\n  export_data_type: emailSend\n` +
    `  start_time: '${iso(start)}'\n  end_time: '${iso(end)}'\n${more}${COLUMNS}`
  );
}

const ARGS = (table: string): string[] => ["--database", "slicing_db", "--table", table, "--auto-create-table"];

describe("backfills bounded by Iterable", () => {
  it("imports a year of 1,000 events a day in at most 10 export requests, every record once", async () => {
    const w = workspace();
    w.write("load.yml", load(YEAR_AGO, NOW));
    const before = exportRequests();
    const r = await w.itd("connector:issue", "load.yml", ...ARGS("year"));
    const requests = exportRequests() - before;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const expected = countExportRecords(cfg, "emailSend", { start: YEAR_AGO, end: NOW });
    expect(expected).toBeGreaterThan(360_000);
    expect(w.sql("slicing_db", "SELECT count(*) n, count(DISTINCT message_id) d FROM year")[0]).toEqual({ n: expected, d: expected });
    console.log(`adaptive slicing: a year of ${expected} records in ${requests} export request(s); 1-day slices would take 365`);
    expect(requests).toBeLessThanOrEqual(10);
    expect(r.stdout).toContain("in windows sized to the data");
  });

  it("splits a window whose response holds too many records before it commits: nothing lost or doubled, the cursor at each committed end", async () => {
    const w = workspace();
    const start = NOW - 60 * DAY;
    w.write("load.yml", load(start, NOW, "  incremental: true\n  max_slice_records: 20000\n"));
    const before = exportRequests();
    const r = await w.itd("connector:issue", "load.yml", ...ARGS("split"));
    const requests = exportRequests() - before;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`slice ${iso(start)} → ${iso(NOW)}: more than 20,000 records (max_slice_records); reading ${iso(start)} → `);
    const expected = countExportRecords(cfg, "emailSend", { start, end: NOW });
    expect(w.sql("slicing_db", "SELECT count(*) n, count(DISTINCT message_id) d FROM split")[0]).toEqual({ n: expected, d: expected });
    // Every committed window has its ledger row, and they chain from start to end; the abandoned one left none.
    const ledger = w.sql<{ slice: string; rows: number }>("slicing_db", "SELECT slice, rows FROM _itd_loads ORDER BY slice");
    const committed = r.stdout.split("\n").filter((l) => / records committed$/.test(l)).length;
    expect(ledger).toHaveLength(committed);
    expect(requests).toBe(committed + 1);
    expect(ledger.reduce((n, l) => n + l.rows, 0)).toBe(expected);
    const bounds = ledger.map((l) => l.slice.split("/"));
    expect(bounds[0]?.[0]).toBe(iso(start));
    expect(bounds[bounds.length - 1]?.[1]).toBe(iso(NOW));
    for (let i = 1; i < bounds.length; i++) expect(bounds[i]?.[0]).toBe(bounds[i - 1]?.[1]);
    for (const l of ledger) expect(l.rows).toBeLessThanOrEqual(20_000);
    const show = await w.itd("job:show", "1", "-f", "json");
    expect(JSON.parse(show.stdout).config_diff).toEqual({ in: { start_time: iso(NOW) } });
  });

  it("remembers a stream's density: its next run sizes the first window at once", async () => {
    const w = workspace();
    w.write("load.yml", load(NOW - 40 * DAY, NOW, "  max_slice_records: 20000\n").replace("in:\n", "out:\n  mode: replace\nin:\n"));
    const first = exportRequests();
    const one = await w.itd("connector:issue", "load.yml", ...ARGS("dense"));
    const second = exportRequests();
    const two = await w.itd("connector:issue", "load.yml", ...ARGS("dense"));
    const after = exportRequests();
    expect([one.code, two.code]).toEqual([0, 0]);
    const slices = (out: string): number => out.split("\n").filter((l) => / records committed$/.test(l)).length;
    expect(second - first).toBe(slices(one.stdout) + 1); // one abandoned response
    expect(after - second).toBe(slices(two.stdout)); // none
    expect(two.stdout).not.toContain("max_slice_records); reading");
    expect(two.stdout).toMatch(/last seen [\d,]+ records\/h/);
    const expected = countExportRecords(cfg, "emailSend", { start: NOW - 40 * DAY, end: NOW });
    expect(w.sql("slicing_db", "SELECT count(*) n, count(DISTINCT message_id) d FROM dense")[0]).toEqual({ n: expected, d: expected });
  });

  it("splits a window whose response is too slow (a stall past max_slice_seconds, headers past response_timeout) and still imports every record once", async () => {
    const w = workspace();
    const start = NOW - 10 * DAY;
    w.write("stall.yml", load(start, NOW, "  max_slice_seconds: 1\n"));
    fake.addFaults(["export.json:stall=3000@1"]);
    const stalled = await w.itd("connector:issue", "stall.yml", ...ARGS("stall"));
    expect(stalled.code, stalled.stdout).toBe(0);
    expect(stalled.stdout).toContain(`slice ${iso(start)} → ${iso(NOW)}: no complete response within 1 s (max_slice_seconds); reading ${iso(start)} → ${iso(start + 30 * 3_600_000)} first`);
    const expected = countExportRecords(cfg, "emailSend", { start, end: NOW });
    expect(w.sql("slicing_db", "SELECT count(*) n, count(DISTINCT message_id) d FROM stall")[0]).toEqual({ n: expected, d: expected });

    w.write("slow.yml", load(start, NOW, "  response_timeout: 1\n"));
    fake.addFaults(["export.json:slow=3000@1"]);
    const slow = await w.itd("connector:issue", "slow.yml", ...ARGS("slow"));
    expect(slow.code, slow.stdout).toBe(0);
    expect(slow.stdout).toContain("Iterable too slow (no response headers within 1 s), retry 1 of 5");
    expect(slow.stdout).toContain(`: no response headers in time (no response headers within 1 s); reading ${iso(start)} → ${iso(start + 5 * DAY)} first`);
    expect(w.sql("slicing_db", "SELECT count(*) n, count(DISTINCT message_id) d FROM slow")[0]).toEqual({ n: expected, d: expected });
  });
});

describe("waits and retries said out loud", () => {
  it("issue prints each retry with its reason in the job log, and long budget waits", async () => {
    const w = workspace({ ITD_RATE_LIMITS: "export=1/6s" });
    w.write("load.yml", load(NOW - 2 * DAY, NOW, "  slice_hours: 24\n"));
    fake.addFaults(["export.json:429@1"]);
    const r = await w.itd("connector:issue", "load.yml", ...ARGS("waits"));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`slice ${iso(NOW - 2 * DAY)} → ${iso(NOW - DAY)}: rate-limited by Iterable \\(429 RateLimitExceeded .*\\), retry 1 of 5: next request in [67] s`),
    );
    // One request per 6 s: the second window waits for the budget, and says so; the retry's own short wait
    // for the budget (its backoff already spaced it) stays off the log.
    expect(r.stdout).toMatch(/waiting for Iterable's export limit \(1\/6 s\): next request in [67] s/);
    expect(r.stdout.split("\n").filter((l) => l.includes("waiting for Iterable's"))).toHaveLength(1);
    const show = await w.itd("job:show", "1", "-v");
    expect(show.stdout).toContain("rate-limited by Iterable (429 RateLimitExceeded");
    expect(show.stdout).toContain("waiting for Iterable's export limit (1/6 s)");
  });

  it("guess and preview say on stderr when they retry a 429 or an unreachable host", async () => {
    const w = workspace();
    w.write("load.yml", load(NOW - DAY, NOW, "  initial_retry_wait: 100\n"));
    fake.addFaults(["export.json:429@2"]);
    const preview = await w.itd("connector:preview", "load.yml", "--limit", "1", "-f", "json");
    expect(preview.code).toBe(0);
    const lines = preview.stderr.split("\n").filter((l) => l.startsWith("rate-limited by Iterable"));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^rate-limited by Iterable \(429 RateLimitExceeded .*\), retry 2 of 5: next request in /);
    expect(JSON.parse(preview.stdout)).toHaveLength(1);

    w.write("down.yml", load(NOW - DAY, NOW, "  retry_limit: 2\n  initial_retry_wait: 100\n", "http://127.0.0.1:1"));
    const guess = await w.itd("connector:guess", "down.yml", "-o", "out.yml");
    expect(guess.code).toBe(1);
    const retries = guess.stderr.split("\n").filter((l) => l.startsWith("Iterable unreachable"));
    expect(retries).toEqual([
      expect.stringMatching(/^Iterable unreachable \(.*ECONNREFUSED.*\), retry 1 of 2: next request in under 1 s$/),
      expect.stringMatching(/^Iterable unreachable \(.*ECONNREFUSED.*\), retry 2 of 2: next request in under 1 s$/),
    ]);
    expect(guess.stderr).toContain("Error: Iterable GET /api/export/data.json failed after 3 attempts");
  });
});
