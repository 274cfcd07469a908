/**
 * Adversarial review of the PostgreSQL engine (issue 13, commit b5aca15):
 * each test reproduces a defect found, fixed in src/.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { runScheduleJob } from "../../../src/connector/index.js";
import type { ScheduleDefinition } from "../../../src/schedule/index.js";
import type { Job } from "../../../src/store/index.js";
import { parsePostgresUrl, type BeginLoadOptions, type ColumnSpec, type Warehouse } from "../../../src/warehouse/index.js";
import { openWarehouse } from "../../../src/warehouse/open.js";
import { freshPgDatabase, withPg } from "../../support/postgres.js";
import { tempHome } from "./helpers.js";

const opened: Warehouse[] = [];
afterEach(async () => {
  for (const w of opened.splice(0)) await w.close();
});

async function fresh(): Promise<{ wh: Warehouse; url: string }> {
  const url = await freshPgDatabase("itd_review");
  const wh = openWarehouse({ engine: "postgres", target: parsePostgresUrl(url, {}, "test") }, "/nonexistent", new FakeClock(Date.UTC(2024, 0, 1)));
  opened.push(wh);
  await wh.createDatabase("db1");
  return { wh, url };
}

const opts = (over: Partial<BeginLoadOptions> = {}): BeginLoadOptions => ({
  database: "db1",
  table: "events",
  mode: "append",
  columns: [{ name: "id", type: "long" }],
  jobId: "job1",
  stream: "s1",
  ...over,
});

async function loadOnce(wh: Warehouse, over: Partial<BeginLoadOptions>, rows: (string | number | null)[][], slice = "w1") {
  const load = await wh.beginLoad(opts(over));
  try {
    const s = await load.beginSlice(slice);
    await s.insert(rows);
    await s.commit({ slice }, { epoch: 0, seq: 1 });
    return await load.finish();
  } finally {
    await load.abort();
  }
}

const q = async (wh: Warehouse, sql: string) => (await wh.query("db1", sql, { timeoutMs: 10_000, maxRows: 0 })).rows;

describe("the PostgreSQL engine under review", () => {
  it("stores JSON whose strings hold a lone UTF-16 surrogate (jsonb refuses the escape), keeping real pairs and escaped backslashes", async () => {
    const { wh } = await fresh();
    const cols: ColumnSpec[] = [{ name: "j", type: "json" }];
    const values = [
      { s: "cut emoji \ud83d" },
      { s: "\udc00 low first" },
      { s: "pair 😀 ok" },
      { s: "\\ud83d is text, as is \\u0000" },
      { s: "nul \u0000 inside" },
    ];
    await loadOnce(wh, { columns: cols }, values.map((v, i) => [JSON.stringify(v), i]));
    const rows = await q(wh, "SELECT j::text FROM events ORDER BY time");
    expect(rows.map((r) => (JSON.parse(r[0] as string) as { s: string }).s)).toEqual([
      "cut emoji \ufffd",
      "\ufffd low first",
      "pair 😀 ok",
      "\\ud83d is text, as is \\u0000",
      "nul \ufffd inside",
    ]);
  });

  it("stores a timestamp of year 0000 (the converter's range starts there; PostgreSQL calls it 1 BC)", async () => {
    const { wh } = await fresh();
    const cols: ColumnSpec[] = [{ name: "t", type: "timestamp" }];
    await loadOnce(wh, { columns: cols }, [["0000-02-29 12:34:56.789", 1], ["0001-01-01 00:00:00.000", 2]]);
    expect(await q(wh, "SELECT (extract(epoch FROM t) * 1000)::bigint FROM events ORDER BY time")).toEqual([
      [-62_162_076_303_211],
      [-62_135_596_800_000],
    ]);
  });

  it("a load outlasts a statement_timeout, idle_session_timeout or transaction_timeout the server sets for its role or database", async () => {
    const { wh, url } = await fresh();
    await withPg(url, (c) =>
      c.query(`DO $$ DECLARE s text; BEGIN
        FOREACH s IN ARRAY ARRAY['statement_timeout', 'idle_session_timeout', 'idle_in_transaction_session_timeout', 'transaction_timeout'] LOOP
          IF EXISTS (SELECT 1 FROM pg_settings WHERE name = s) THEN EXECUTE format('ALTER DATABASE %I SET %s = 300', current_database(), s); END IF;
        END LOOP; END $$`),
    );
    const pause = () => new Promise((r) => setTimeout(r, 800));
    for (const mode of ["append", "replace"] as const) {
      const load = await wh.beginLoad(opts({ mode, jobId: mode }));
      const a = await load.beginSlice("a");
      await a.insert([[1, 1]]);
      // A slice's COPY lasts as long as its download from Iterable; between slices the connection waits for the next one.
      await pause();
      await a.insert([[2, 2]]);
      await a.commit({ a: 1 });
      await pause();
      const b = await load.beginSlice("b");
      await b.insert([[3, 3]]);
      await b.commit({ b: 1 });
      await load.finish();
    }
    expect(await q(wh, "SELECT id FROM events ORDER BY id")).toEqual([[1], [2], [3]]);
  });


  it("metadata calls made at the same time do not share one transaction", async () => {
    const { wh } = await fresh();
    const results = await Promise.allSettled([
      wh.createTable("db1", "aaa"),
      wh.describeTable("db1", "missing1"),
      wh.createTable("db1", "bbb"),
      wh.describeTable("db1", "missing2"),
      wh.createDatabase("db2"),
      wh.describeTable("db1", "aaa"),
    ]);
    const outcome = results.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as Error).message));
    expect(outcome[0]).toBe("ok");
    expect(outcome[1]).toMatch(/not found|does not exist/i);
    expect(outcome[2]).toBe("ok");
    expect(outcome[3]).toMatch(/not found|does not exist/i);
    expect(outcome[4]).toBe("ok");
    expect(outcome[5]).toBe("ok");
    expect((await wh.listTables("db1")).map((t) => t.name)).toEqual(["aaa", "bbb"]);
    expect(await wh.databaseExists("db2")).toBe(true);
  });

  it("the metadata connection is made again when the server ended it (a restart), without failing the call", async () => {
    const { wh, url } = await fresh();
    expect(await wh.databaseExists("db1")).toBe(true);
    await withPg(url, (c) =>
      c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'itd metadata' AND datname = current_database()"),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(await wh.databaseExists("db1")).toBe(true);
    expect(await wh.lastCursor("db1", "s1")).toBeUndefined();
  });

  it("a load column matches the table's column whose name differs only in case (one column, as on SQLite)", async () => {
    const { wh } = await fresh();
    for (const [i, [name, mode]] of ([["Email", "append"], ["email", "append"], ["EMAIL", "replace"], ["eMail", "truncate"]] as const).entries()) {
      expect((await loadOnce(wh, { columns: [{ name, type: "string" }], jobId: `j${i}`, mode }, [[`v${i}`, i]])).rows).toBe(1);
      if (i === 1) expect(await q(wh, 'SELECT "Email" FROM events ORDER BY time')).toEqual([["v0"], ["v1"]]);
    }
    expect((await wh.describeTable("db1", "events")).columns.map((c) => c.name).sort()).toEqual(["Email", "time"]);
    expect(await q(wh, 'SELECT "Email" FROM events')).toEqual([["v3"]]);
  });

  it("a replace never shows an empty table, even to a reader whose snapshot is older than the swap (REPEATABLE READ)", async () => {
    const { wh, url } = await fresh();
    await loadOnce(wh, {}, [[1, 1], [2, 2]]);
    const load = await wh.beginLoad(opts({ mode: "replace", jobId: "j2" }));
    const s = await load.beginSlice("r");
    await s.insert([[7, 7], [8, 8], [9, 9]]);
    await s.commit({ r: 1 });
    const seen = await withPg(url, async (c) => {
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
      await c.query("SELECT 1"); // its snapshot, taken before the swap
      await load.finish();
      const n = Number((await c.query("SELECT count(*) AS n FROM db1.events")).rows[0].n);
      await c.query("COMMIT");
      return n;
    });
    expect(seen).toBe(2);
    expect(await q(wh, "SELECT id FROM events ORDER BY id")).toEqual([[7], [8], [9]]);
  });

  it("a connection error names the user node-postgres took ($PGUSER) when the URL names none", async () => {
    const url = new URL(await freshPgDatabase("itd_review"));
    url.username = "";
    url.password = "";
    url.port = "1";
    const before = process.env["PGUSER"];
    process.env["PGUSER"] = "itd_review_env_user";
    try {
      const wh = openWarehouse({ engine: "postgres", target: parsePostgresUrl(url.href, {}, "test") }, "/x", new FakeClock(0));
      opened.push(wh);
      await expect(wh.listDatabases()).rejects.toThrow(/^Cannot connect to the PostgreSQL warehouse at 127\.0\.0\.1:1 as user 'itd_review_env_user', database '\w+': connection refused/);
    } finally {
      if (before === undefined) delete process.env["PGUSER"];
      else process.env["PGUSER"] = before;
    }
  });

  it("doctor's check fails on a warehouse database whose encoding cannot hold Iterable's text (an emoji in LATIN1 fails its slice for ever)", async () => {
    const admin = inject("pgUrl");
    const name = `itd_review_latin1_${Date.now()}`;
    await withPg(admin, (c) => c.query(`CREATE DATABASE ${name} ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'`));
    const url = new URL(admin);
    url.pathname = `/${name}`;
    const wh = openWarehouse({ engine: "postgres", target: parsePostgresUrl(url.href, {}, "test") }, "/x", new FakeClock(0));
    opened.push(wh);
    await wh.createDatabase("db1");
    const load = await wh.beginLoad(opts({ columns: [{ name: "s", type: "string" }] }));
    const s = await load.beginSlice("a");
    await expect(s.insert([["🚀", 1]]).then(() => s.commit({}))).rejects.toThrow(/has no equivalent in encoding "LATIN1"/);
    await load.abort();
    await expect(wh.check()).rejects.toThrow(/its encoding is LATIN1/);
    const utf8 = await fresh();
    expect((await utf8.wh.check()).map((d) => d.name)).toEqual(["db1"]);
  });

  it("a newer holder whose load adds a column wins over an older holder's open slice (no deadlock, the older commits nothing)", async () => {
    const { wh, url } = await fresh();
    const other = openWarehouse({ engine: "postgres", target: parsePostgresUrl(url, {}, "test") }, "/x", new FakeClock(0));
    opened.push(other);
    const older = await wh.beginLoad(opts({ fence: 5 }));
    const slice = await older.beginSlice("a");
    await slice.insert([[1, 1]]);
    // The newer run's load adds a column: ALTER TABLE waits for the older slice's transaction.
    const newer = other.beginLoad(opts({ fence: 6, jobId: "j2", columns: [{ name: "id", type: "long" }, { name: "extra", type: "string" }] }));
    await new Promise((r) => setTimeout(r, 300));
    await expect(slice.commit({ a: 1 }, { epoch: 0, seq: 1 })).rejects.toThrow(/lost its lease: a newer run \(token 6\)/);
    await older.abort();
    const load = await newer;
    const s = await load.beginSlice("b");
    await s.insert([[2, "x", 2]]);
    await s.commit({ b: 1 }, { epoch: 0, seq: 1 });
    await load.finish();
    expect(await q(wh, "SELECT id, extra FROM events")).toEqual([[2, "x"]]);
    expect((await wh.ledger("db1")).map((r) => r.jobId)).toEqual(["j2"]);
  });

  it("a newer holder's replace swaps in while an older holder's append slice is open on the table (no deadlock, the older commits nothing)", async () => {
    const { wh, url } = await fresh();
    await loadOnce(wh, { jobId: "j0", fence: 4 }, [[0, 0]]);
    const other = openWarehouse({ engine: "postgres", target: parsePostgresUrl(url, {}, "test") }, "/x", new FakeClock(0));
    opened.push(other);
    const older = await wh.beginLoad(opts({ fence: 5 }));
    const slice = await older.beginSlice("a");
    await slice.insert([[1, 1]]);
    const newer = await other.beginLoad(opts({ fence: 6, jobId: "j2", mode: "replace" }));
    const s = await newer.beginSlice("b");
    await s.insert([[2, 2]]);
    await s.commit({ b: 1 });
    // The swap waits for the older slice's transaction, which holds the table.
    const finishing = newer.finish();
    await new Promise((r) => setTimeout(r, 300));
    await expect(slice.commit({ a: 1 }, { epoch: 0, seq: 1 })).rejects.toThrow(/lost its lease: a newer run \(token 6\)/);
    await older.abort();
    await expect(finishing).resolves.toMatchObject({ rows: 1, replaced: true });
    expect(await q(wh, "SELECT id FROM events")).toEqual([[2]]);
  });

  it("an interrupted query is cancelled on the server, not left running there", async () => {
    const { wh, url } = await fresh();
    for (const maxRows of [0, 10]) {
      const ac = new AbortController();
      const running = wh.query("db1", "SELECT pg_sleep(30)", { timeoutMs: 0, maxRows, signal: ac.signal });
      await new Promise((r) => setTimeout(r, 500));
      ac.abort(new Error("interrupted"));
      await expect(running).rejects.toThrow(/interrupted/);
      const left = async () =>
        withPg(url, async (c) => (await c.query("SELECT query FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'itd query' AND state = 'active'")).rows);
      for (let i = 0; i < 20 && (await left()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await left()).toEqual([]);
    }
  });

  it("a column named like a PostgreSQL system column (xmin, ctid, ...) is stored under a stable other name, with a warning", async () => {
    const { wh } = await fresh();
    const cols: ColumnSpec[] = [{ name: "xmin", type: "long" }, { name: "ctid", type: "string" }];
    const r = await loadOnce(wh, { columns: cols }, [[1, "a", 1]]);
    expect(r.warnings.join("\n")).toMatch(/'xmin' is named 'xmin_[0-9a-f]{8}' in PostgreSQL \(a system column has its name\)/);
    await loadOnce(wh, { columns: cols, jobId: "j2" }, [[2, "b", 2]]);
    const d = await wh.describeTable("db1", "events");
    expect([d.columns.length, d.rows]).toEqual([3, 2]);
  });

  it("a certificate file the URL names that is not there fails as a connection error naming the server", async () => {
    const url = await freshPgDatabase("itd_review");
    const wh = openWarehouse({ engine: "postgres", target: parsePostgresUrl(`${url}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem`, {}, "test") }, "/x", new FakeClock(0));
    opened.push(wh);
    await expect(wh.listDatabases()).rejects.toThrow(/^Cannot connect to the PostgreSQL warehouse at 127\.0\.0\.1:\d+ as user 'postgres', database '\w+': .*\/nonexistent\/ca\.pem/);
  });

  it("a load waiting to add a column behind a reader's open transaction does not stall loads into the database's other tables", async () => {
    const { wh, url } = await fresh();
    const other = openWarehouse({ engine: "postgres", target: parsePostgresUrl(url, {}, "test") }, "/x", new FakeClock(0));
    opened.push(other);
    await loadOnce(wh, {}, [[1, 1]]);
    await withPg(url, async (reader) => {
      await reader.query("BEGIN");
      await reader.query("SELECT count(*) FROM db1.events"); // a BI session left idle in its transaction
      const adding = wh.beginLoad(opts({ jobId: "j2", stream: "s2", columns: [{ name: "id", type: "long" }, { name: "new_col", type: "string" }] }));
      await new Promise((r) => setTimeout(r, 300));
      const elsewhere = other.beginLoad(opts({ table: "other_table", jobId: "j3", stream: "s3" })).then(async (l) => {
        await l.abort();
        return "began";
      });
      expect(await Promise.race([elsewhere, new Promise((r) => setTimeout(() => r("stalled"), 5000))])).toBe("began");
      await reader.query("ROLLBACK");
      await (await adding).abort();
    });
  });

  it("a password given as the URL's password parameter is shown as ***, like one in the user part", () => {
    const t = parsePostgresUrl("postgresql://u@h:5432/db?sslmode=disable&password=sekrit-1", {}, "test");
    expect(t.shown).not.toContain("sekrit-1");
    expect(t.shown).toContain("password=***");
    const env = { PW: "sekrit-2" };
    expect(parsePostgresUrl("postgresql://u@h/db?password=${PW}", env, "test").shown).not.toContain("sekrit-2");
    const bad = (() => {
      try {
        parsePostgresUrl("postgresql://u@h:99999/db?password=sekrit-3", {}, "--warehouse");
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(bad).toMatch(/not a valid URL: .*password=\*\*\*/);
    expect(bad).not.toContain("sekrit-3");
  });
});

describe.each(["sqlite", "postgres"] as const)("a schedule file's first run (%s)", (engine) => {
  it("creates the schedule's database before the load (the port's calls are awaited)", async () => {
    let wh: Warehouse;
    if (engine === "sqlite") wh = openWarehouse({ engine: "sqlite" }, tempHome(), new FakeClock(0));
    else wh = openWarehouse({ engine: "postgres", target: parsePostgresUrl(await freshPgDatabase("itd_review"), {}, "test") }, "/x", new FakeClock(0));
    opened.push(wh);
    const def = {
      id: 1,
      name: "nightly",
      cron: "0 * * * *",
      timezone: "UTC",
      delay: 0,
      database: "filedb",
      table: "events",
      timeColumn: null,
      priority: 0,
      catchup: "latest",
      config: { in: { type: "iterable", api_key: "k", data_type: "campaign" }, out: { mode: "append" } },
      paused: false,
      source: "schedules/nightly.yml",
    } as ScheduleDefinition;
    const logs: string[] = [];
    const deps = {
      warehouse: wh,
      env: {},
      jobs: { appendLog: (_id: number, _level: string, message: string) => void logs.push(message) },
      clientFor: () => Promise.reject(new Error("stop before Iterable")),
      lifecycle: { finish: () => ({}) },
    } as unknown as Parameters<typeof runScheduleJob>[0];
    await expect(runScheduleJob(deps, def, { id: 7 } as Job, 1)).rejects.toThrow(/stop before Iterable/);
    expect(await wh.databaseExists("filedb")).toBe(true);
    expect(logs.join("\n")).toMatch(/database filedb created for the schedule file/);
  });
});
