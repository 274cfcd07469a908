/**
 * The warehouse port's promises, held by both engines (issue 13): the same
 * tests against the embedded SQLite files and a real PostgreSQL (the suite's
 * server, a fresh database per test).
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { parsePostgresUrl, type BeginLoadOptions, type ColumnSpec, type Warehouse } from "../../../src/warehouse/index.js";
import { openWarehouse } from "../../../src/warehouse/open.js";
import { freshPgDatabase, withPg } from "../../support/postgres.js";
import { tempHome } from "./helpers.js";

const opened: Warehouse[] = [];
afterEach(async () => {
  for (const w of opened.splice(0)) await w.close();
});

type Engine = "sqlite" | "postgres";

async function fresh(engine: Engine): Promise<{ wh: Warehouse; url: string | undefined }> {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  let wh: Warehouse;
  let url: string | undefined;
  if (engine === "sqlite") {
    wh = openWarehouse({ engine: "sqlite" }, tempHome(), clock);
  } else {
    url = await freshPgDatabase();
    wh = openWarehouse({ engine: "postgres", target: parsePostgresUrl(url, {}, "test") }, "/nonexistent", clock);
  }
  opened.push(wh);
  await wh.createDatabase("db1");
  return { wh, url };
}

const COLS: ColumnSpec[] = [
  { name: "id", type: "long" },
  { name: "email", type: "string" },
];

const opts = (over: Partial<BeginLoadOptions> = {}): BeginLoadOptions => ({
  database: "db1",
  table: "events",
  mode: "append",
  columns: COLS,
  jobId: "job1",
  stream: "s1",
  ...over,
});

async function loadOnce(wh: Warehouse, over: Partial<BeginLoadOptions>, rows: (string | number | null)[][], slice = "w1") {
  const load = await wh.beginLoad(opts(over));
  const s = await load.beginSlice(slice);
  await s.insert(rows);
  await s.commit({ slice }, { epoch: 0, seq: 1 });
  return load.finish();
}

async function rowsOf(wh: Warehouse, sql: string): Promise<unknown[][]> {
  return (await wh.query("db1", sql, { timeoutMs: 10_000, maxRows: 0 })).rows;
}

describe.each<Engine>(["sqlite", "postgres"])("the %s engine", (engine) => {
  it("appends slices, each with its ledger row, and reads the stream's last cursor back", async () => {
    const { wh } = await fresh(engine);
    const load = await wh.beginLoad(opts());
    const a = await load.beginSlice("a");
    await a.insert([[1, "a@x", 10]]);
    await a.insert([[2, "b@x", 20], [3, null, 30]]);
    await a.commit({ start_time: "A" }, { epoch: 0, seq: 1 });
    const b = await load.beginSlice("b");
    await b.insert([[4, "d@x", 40]]);
    await b.commit({ start_time: "B" }, { epoch: 0, seq: 2 });
    expect(await load.finish()).toEqual({ rows: 4, slices: 2, replaced: false, warnings: [] });
    expect(await rowsOf(wh, "SELECT id, email, time FROM events ORDER BY id")).toEqual([
      [1, "a@x", 10],
      [2, "b@x", 20],
      [3, null, 30],
      [4, "d@x", 40],
    ]);
    expect((await wh.ledger("db1")).map((r) => [r.slice, r.rows, r.cursor])).toEqual([
      ["a", 3, { start_time: "A" }],
      ["b", 1, { start_time: "B" }],
    ]);
    expect(await wh.lastCursor("db1", "s1")).toMatchObject({ cursor: { start_time: "B" }, jobId: "job1", slice: "b", position: { epoch: 0, seq: 2 } });
    expect(await wh.lastCursor("db1", "other")).toBeUndefined();
    expect(await wh.lastCursor("nodb", "s1")).toBeUndefined();
    const tables = await wh.listTables("db1");
    expect(tables.map((t) => [t.name, t.rows, t.maxTime])).toEqual([["events", 4, 40]]);
    expect((await wh.listDatabases()).map((d) => [d.name, d.tables])).toEqual([["db1", 1]]);
  });

  it("a slice rolled back, or failed on a bad value, leaves nothing; a slice committed once cannot commit again", async () => {
    const { wh } = await fresh(engine);
    await loadOnce(wh, {}, [[1, "a", 1]], "w1");
    const load = await wh.beginLoad(opts({ jobId: "job2" }));
    const s = await load.beginSlice("w2");
    await s.insert([[2, "b", 2]]);
    await s.rollback();
    await expect(load.beginSlice("w2").then((x) => x.rollback())).resolves.toBeUndefined();
    await load.finish();
    await expect(wh.beginLoad(opts()).then((l) => l.beginSlice("w1"))).rejects.toThrow(/already committed/);
    expect(await rowsOf(wh, "SELECT id FROM events")).toEqual([[1]]);
    expect((await wh.ledger("db1")).length).toBe(1);
  });

  it("stores every type, nulls and awkward text as itself", async () => {
    const { wh } = await fresh(engine);
    const cols: ColumnSpec[] = [
      { name: "b", type: "boolean" },
      { name: "l", type: "long" },
      { name: "d", type: "double" },
      { name: "s", type: "string" },
      { name: "t", type: "timestamp" },
      { name: "j", type: "json" },
    ];
    const awkward = "tab\there\nnew line\\back slash \r done ünïcødé 🚀 \"quoted\" 'single'";
    await loadOnce(wh, { columns: cols }, [
      [1, 9007199254740991, 1.5, awkward, "2024-01-02 03:04:05.678", JSON.stringify({ a: [1, "x\ty"], n: null }), 100],
      [0, -42, -0.25, "", "1970-01-01 00:00:00.000", "[]", 200],
      [null, null, null, null, null, null, 300],
    ]);
    const sql =
      engine === "postgres"
        ? `SELECT b::int, l, d, s, to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), j::text, time FROM events ORDER BY time`
        : "SELECT b, l, d, s, t, j, time FROM events ORDER BY time";
    const rows = await rowsOf(wh, sql);
    expect(rows[0]).toEqual([1, 9007199254740991, 1.5, awkward, "2024-01-02 03:04:05.678", expect.any(String), 100]);
    expect(JSON.parse(rows[0]?.[5] as string)).toEqual({ a: [1, "x\ty"], n: null });
    expect(rows[1]).toEqual([0, -42, -0.25, "", "1970-01-01 00:00:00.000", "[]", 200]);
    expect(rows[2]).toEqual([null, null, null, null, null, null, 300]);
    const d = await wh.describeTable("db1", "events");
    expect(d.columns.map((c) => `${c.name}:${c.type}`).sort()).toEqual(["b:boolean", "d:double", "j:json", "l:long", "s:string", "t:timestamp", "time:time"]);
    expect([d.rows, d.minTime, d.maxTime]).toEqual([3, 100, 300]);
  });

  it("replace swaps the load's rows in at finish; replace_on_new_data without rows keeps the table", async () => {
    const { wh } = await fresh(engine);
    await loadOnce(wh, {}, [[1, "old", 1], [2, "old", 2]]);
    const load = await wh.beginLoad(opts({ mode: "replace", jobId: "job2" }));
    const s = await load.beginSlice("r1");
    await s.insert([[3, "new", 3]]);
    await s.commit({ at: 1 });
    expect(await rowsOf(wh, "SELECT id FROM events ORDER BY id")).toEqual([[1], [2]]);
    expect(await load.finish()).toMatchObject({ rows: 1, replaced: true });
    expect(await rowsOf(wh, "SELECT id, email FROM events")).toEqual([[3, "new"]]);
    expect(await loadOnce(wh, { mode: "replace_on_new_data", jobId: "job3" }, [])).toMatchObject({ replaced: false });
    expect(await rowsOf(wh, "SELECT id FROM events")).toEqual([[3]]);
    expect(await loadOnce(wh, { mode: "truncate", jobId: "job4" }, [[5, "t", 5]])).toMatchObject({ replaced: true });
    expect(await rowsOf(wh, "SELECT id FROM events")).toEqual([[5]]);
  });

  it("a load aborted halfway leaves the table as it was", async () => {
    const { wh } = await fresh(engine);
    await loadOnce(wh, {}, [[1, "a", 1]]);
    for (const mode of ["append", "replace"] as const) {
      const load = await wh.beginLoad(opts({ mode, jobId: `abort-${mode}` }));
      const s = await load.beginSlice("x");
      await s.insert([[9, "never", 9]]);
      await load.abort();
    }
    expect(await rowsOf(wh, "SELECT id FROM events")).toEqual([[1]]);
  });

  it("a holder whose lease was taken over commits nothing (the fencing token)", async () => {
    const { wh } = await fresh(engine);
    const stale = await wh.beginLoad(opts({ fence: 5 }));
    const staleSlice = await stale.beginSlice("w1");
    await staleSlice.insert([[1, "a", 1]]);
    await loadOnce(wh, { fence: 6, jobId: "job2" }, [[2, "b", 2]], "w0");
    await expect(staleSlice.commit({ at: 1 }, { epoch: 0, seq: 1 })).rejects.toThrow(/lost its lease: a newer run \(token 6\)/);
    await stale.abort();
    await expect(wh.beginLoad(opts({ fence: 4, jobId: "job3" }))).rejects.toThrow(/lost its lease/);
    expect(await rowsOf(wh, "SELECT id FROM events")).toEqual([[2]]);
  });

  it("query is read-only and stops at its timeout", async () => {
    const { wh } = await fresh(engine);
    await loadOnce(wh, {}, [[1, "a", 1], [2, "b", 2], [3, "c", 3]]);
    const q = (sql: string, timeoutMs = 10_000, maxRows = 0) => wh.query("db1", sql, { timeoutMs, maxRows });
    await expect(q("DELETE FROM events")).rejects.toThrow(/read-only/);
    await expect(q("INSERT INTO events (id) VALUES (7)")).rejects.toThrow(/read-only/);
    await expect(q("SELECT 1; DELETE FROM events")).rejects.toThrow(/one statement|multiple commands/);
    expect(await q("SELECT id FROM events ORDER BY id", 10_000, 2)).toEqual({ columns: ["id"], rows: [[1], [2]], truncated: true });
    const endless = engine === "postgres" ? "SELECT pg_sleep(30)" : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    await expect(q(endless, 300)).rejects.toThrow(/timed out after 0.3 s/);
    expect((await q("SELECT count(*) AS n FROM events")).rows).toEqual([[3]]);
  });

  it("hostile column names are stored as given, quotes and all", async () => {
    const { wh } = await fresh(engine);
    const cols: ColumnSpec[] = [
      { name: 'we"ird', type: "string" },
      { name: "Mixed Case", type: "long" },
      { name: "drop table x; --", type: "string" },
      { name: "ünï", type: "string" },
    ];
    await loadOnce(wh, { columns: cols }, [["q", 1, "d", "u", 10]]);
    const d = await wh.describeTable("db1", "events");
    expect(d.columns.map((c) => c.name).sort()).toEqual(['we"ird', "Mixed Case", "drop table x; --", "time", "ünï"].sort());
    expect(await rowsOf(wh, 'SELECT "we""ird", "Mixed Case", "drop table x; --", "ünï" FROM events')).toEqual([["q", 1, "d", "u"]]);
  });
});

describe("the postgres engine", () => {
  it("keeps the table's identity through replace: a view and a grant on it survive", async () => {
    const { wh, url } = await fresh("postgres");
    await loadOnce(wh, {}, [[1, "a", 1]]);
    const before = await withPg(url as string, async (c) => {
      await c.query("CREATE ROLE itd_reader_test_role").catch(() => undefined);
      await c.query("CREATE VIEW db1.recent AS SELECT id FROM db1.events");
      await c.query("GRANT SELECT ON db1.events TO itd_reader_test_role");
      return (await c.query("SELECT 'db1.events'::regclass::oid AS oid")).rows[0].oid as number;
    });
    await loadOnce(wh, { mode: "replace", jobId: "job2", columns: [...COLS, { name: "extra", type: "double" }] }, [[5, "r", 0.5, 5]]);
    await withPg(url as string, async (c) => {
      expect((await c.query("SELECT 'db1.events'::regclass::oid AS oid")).rows[0].oid).toBe(before);
      expect((await c.query("SELECT id FROM db1.recent")).rows).toEqual([{ id: "5" }]);
      expect((await c.query("SELECT has_table_privilege('itd_reader_test_role', 'db1.events', 'SELECT') AS ok")).rows[0].ok).toBe(true);
    });
  });

  it("a reader during a replace waits for the swap and sees the new rows, never an empty table", async () => {
    const { wh, url } = await fresh("postgres");
    await loadOnce(wh, {}, [[1, "a", 1], [2, "b", 2]]);
    const load = await wh.beginLoad(opts({ mode: "replace", jobId: "job2" }));
    const s = await load.beginSlice("r");
    await s.insert(Array.from({ length: 50_000 }, (_, i) => [i, "n", i]));
    await s.commit({ at: 1 });
    const counts: number[] = [];
    let done = false;
    const reading = withPg(url as string, async (c) => {
      while (!done) counts.push(Number((await c.query("SELECT count(*) AS n FROM db1.events")).rows[0].n));
      counts.push(Number((await c.query("SELECT count(*) AS n FROM db1.events")).rows[0].n));
    });
    await load.finish();
    done = true;
    await reading;
    expect(counts.length).toBeGreaterThan(1);
    expect(counts.every((n) => n === 2 || n === 50_000)).toBe(true);
    expect(counts.at(-1)).toBe(50_000);
  });

  it("a replace whose table went away while it ran makes it again, time first, with the staged rows", async () => {
    const { wh, url } = await fresh("postgres");
    await loadOnce(wh, {}, [[1, "a", 1]]);
    const load = await wh.beginLoad(opts({ mode: "replace", jobId: "job2" }));
    const s = await load.beginSlice("r");
    await s.insert([[7, "new", 7]]);
    await s.commit({ at: 1 });
    await withPg(url as string, (c) => c.query("DROP TABLE db1.events"));
    expect(await load.finish()).toMatchObject({ rows: 1, replaced: true });
    const d = await wh.describeTable("db1", "events");
    expect(d.columns.map((c) => `${c.name}:${c.type}`)).toEqual(["time:time", "id:long", "email:string"]);
    expect(await rowsOf(wh, "SELECT id, email, time FROM events")).toEqual([[7, "new", 7]]);
  });

  it("a column name over PostgreSQL's 63 bytes gets a stable shorter name, with a warning", async () => {
    const { wh } = await fresh("postgres");
    const long = `custom_${"x".repeat(70)}`;
    const r1 = await loadOnce(wh, { columns: [{ name: long, type: "string" }] }, [["a", 1]]);
    expect(r1.warnings.join("\n")).toMatch(/is named 'custom_x+_[0-9a-f]{8}' in PostgreSQL/);
    await loadOnce(wh, { columns: [{ name: long, type: "string" }], jobId: "job2" }, [["b", 2]]);
    const d = await wh.describeTable("db1", "events");
    expect(d.columns.length).toBe(2);
    expect(d.rows).toBe(2);
  });

  it("names PostgreSQL cannot hold are refused with the rule", async () => {
    const { wh } = await fresh("postgres");
    await expect(wh.createDatabase("pg_stuff")).rejects.toThrow(/PostgreSQL reserves schema names starting with 'pg_'/);
    await expect(wh.createTable("db1", "t".repeat(64))).rejects.toThrow(/at most 63 characters/);
  });

  it("a server that is not there, or refuses the password, fails naming host, port and user, never the password", async () => {
    const url = await freshPgDatabase();
    const good = new URL(url);
    const refused = new URL(good.href);
    refused.port = "1";
    const wh1 = openWarehouse({ engine: "postgres", target: parsePostgresUrl(refused.href, {}, "test") }, "/x", new FakeClock(0));
    opened.push(wh1);
    const e1 = await wh1.listDatabases().catch((e: unknown) => e as Error);
    expect((e1 as Error).message).toMatch(/^Cannot connect to the PostgreSQL warehouse at 127\.0\.0\.1:1 as user 'postgres', database '\w+': connection refused/);
    expect((e1 as Error).message).not.toContain(good.password);
    const wrong = new URL(good.href);
    wrong.password = "not-the-password-123";
    const wh2 = openWarehouse({ engine: "postgres", target: parsePostgresUrl(wrong.href, {}, "test") }, "/x", new FakeClock(0));
    opened.push(wh2);
    const e2 = await wh2.listDatabases().catch((e: unknown) => e as Error);
    expect((e2 as Error).message).toMatch(/as user 'postgres'.*the password was refused/);
    expect((e2 as Error).message).not.toContain("not-the-password-123");
    expect(wh2.location).toContain(":***@");
  });
});
