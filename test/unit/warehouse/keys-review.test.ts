/**
 * Review of issue 15 (a table's key): cases where the key does not hold —
 * a second load on the same table taking the key's index away while a
 * keyed load is open, and a PostgreSQL table with a column of its own that
 * a plain append fills by its default.
 */
import { describe, expect, it } from "vitest";
import type { BeginLoadOptions, ColumnSpec, RowMatch, Warehouse } from "../../../src/warehouse/index.js";
import { withPg } from "../../support/postgres.js";
import { fresh, load, opts, rowsOf, SKIP, UPSERT, type Cell, type Engine } from "./keyed.js";

describe.each<Engine>(["sqlite", "postgres"])("a table's key under other loads on the %s engine", (engine) => {
  it("a lookback load's re-read adds nothing twice while another (plain) load of the same table begins", async () => {
    const { wh } = await fresh(engine);
    await load(wh, SKIP, [["a", 1, "x", 1], ["b", 2, "x", 2]]);
    // The scheduled lookback load is running (its first slice committed) …
    const keyed = await wh.beginLoad(opts(SKIP));
    const first = await keyed.beginSlice("k1");
    await first.insert([["c", 3, "x", 3]]);
    await first.commit({ seq: 1 }, { epoch: 0, seq: 1 });
    // … when a plain append of another stream (a connector:issue, a second schedule without lookback) begins on the table.
    const plain = await wh.beginLoad(opts(undefined));
    // The lookback load's next slice re-reads records the table holds.
    const second = await keyed.beginSlice("k2");
    await second.insert([["a", 1, "x", 1], ["b", 2, "x", 2], ["d", 4, "x", 4]]);
    const counts = await second.commit({ seq: 2 }, { epoch: 0, seq: 2 });
    await keyed.finish();
    await plain.finish();
    expect(counts).toEqual({ present: 2, updated: 0 });
    expect(await rowsOf(wh, "SELECT message_id, count(*) FROM events GROUP BY message_id ORDER BY message_id")).toEqual([
      ["a", 1],
      ["b", 1],
      ["c", 1],
      ["d", 1],
    ]);
  });

  it("an upsert load keeps one row per key while another (plain) load of the same table begins", async () => {
    const { wh } = await fresh(engine);
    await load(wh, UPSERT, [["a", 1, "Oslo", 100]]);
    const keyed = await wh.beginLoad(opts(UPSERT));
    const plain = await wh.beginLoad({ ...opts(undefined), table: "events" });
    await plain.finish();
    const s = await keyed.beginSlice("u1");
    await s.insert([["a", 2, "Bern", 200]]);
    await s.commit({ seq: 1 }, { epoch: 0, seq: 1 });
    await keyed.finish();
    expect(await rowsOf(wh, "SELECT message_id, city FROM events")).toEqual([["a", "Bern"]]);
  });
});

describe("a table's key on the postgres engine, on a table with columns of its own", () => {
  it("a lookback load works on a table with a serial id (NOT NULL, filled by its default) as a plain append does", async () => {
    const { wh, url } = await fresh("postgres");
    await load(wh, undefined, [["a", 1, "x", 1]]);
    // The user numbers the table's rows (a very common first change to an imported table).
    await withPg(url as string, (c) => c.query(`ALTER TABLE db1.events ADD COLUMN id bigserial NOT NULL`));
    await load(wh, undefined, [["b", 2, "x", 2]]);
    // The same table with lookback switched on: the re-read's rows go through the slice's temporary table.
    const counts = await load(wh, SKIP, [["b", 2, "x", 2], ["c", 3, "x", 3]]);
    expect(counts).toEqual([{ present: 1, updated: 0 }]);
    expect(await rowsOf(wh, "SELECT message_id FROM events ORDER BY id")).toEqual([["a"], ["b"], ["c"]]);
  });

  it("an upsert works on a table with a loaded_at column NOT NULL DEFAULT now()", async () => {
    const { wh, url } = await fresh("postgres");
    await load(wh, UPSERT, [["a", 1, "Oslo", 100]]);
    await withPg(url as string, (c) => c.query(`ALTER TABLE db1.events ADD COLUMN loaded_at timestamptz NOT NULL DEFAULT now()`));
    await load(wh, UPSERT, [["a", 2, "Bern", 200], ["b", 3, "Rome", 200]]);
    expect(await rowsOf(wh, "SELECT message_id, city FROM events ORDER BY message_id")).toEqual([
      ["a", "Bern"],
      ["b", "Rome"],
    ]);
  });
});

describe("json and jsonb on the postgres engine", () => {
  const JCOLS: ColumnSpec[] = [
    { name: "message_id", type: "string" },
    { name: "list_ids", type: "json" },
    { name: "city", type: "string" },
  ];
  const jopts = (match: RowMatch, over: Partial<BeginLoadOptions> = {}): BeginLoadOptions => ({ ...opts(match), columns: JCOLS, ...over });
  async function jload(wh: Warehouse, match: RowMatch, rows: Cell[][]) {
    const l = await wh.beginLoad(jopts(match));
    const s = await l.beginSlice("j");
    await s.insert(rows);
    const c = await s.commit({}, { epoch: 0, seq: 1 });
    await l.finish();
    return c;
  }

  it("a lookback whose key has a json part holds on a table whose column is json (not jsonb)", async () => {
    const { wh, url } = await fresh("postgres");
    const KEYJ: RowMatch = { kind: "skip_present", key: ["message_id", "list_ids"] };
    await jload(wh, { kind: "insert" }, [["a", "[1,2]", "x", 1]]);
    await withPg(url as string, (c) => c.query(`ALTER TABLE db1.events ALTER COLUMN list_ids TYPE json USING list_ids::json`));
    expect(await jload(wh, KEYJ, [["a", "[1,2]", "x", 1], ["b", "[3]", "x", 2]])).toEqual({ present: 1, updated: 0 });
  });
});
