import { describe, expect, it } from "vitest";
import { ConfigError, DataError } from "../../../src/errors.js";
import type { ColumnSpec } from "../../../src/warehouse/index.js";
import { COLS, count, freshWarehouse, loadOnce, loadOpts } from "./helpers.js";

const names = (cols: { name: string }[]): string[] => cols.map((c) => c.name);

describe("append", () => {
  it("creates a missing table and adds slices to it", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts());
    expect(wh.tableExists("db1", "events")).toBe(true);
    const a = load.beginSlice("a");
    a.insert([[1, "a@x", 10]]);
    a.insert([[2, "b@x", 20], [3, null, 30]]);
    expect(a.rows).toBe(3);
    a.commit({ at: 1 });
    const b = load.beginSlice("b");
    b.insert([[4, "d@x", 40]]);
    b.commit({ at: 2 });
    expect(load.finish()).toEqual({ rows: 4, slices: 2, replaced: false, warnings: [] });
    expect(wh.query("db1", "SELECT id, email, time FROM events ORDER BY id").rows).toEqual([
      [1, "a@x", 10],
      [2, "b@x", 20],
      [3, null, 30],
      [4, "d@x", 40],
    ]);
  });

  it("appends new columns at the end, fills missing ones with NULL and keeps existing types with a warning", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a@x", 10]]);
    const next: ColumnSpec[] = [
      { name: "id", type: "string" },
      { name: "campaign_id", type: "long" },
    ];
    const result = loadOnce(wh, { columns: next, jobId: "job2" }, [["2", 77, 20]]);
    expect(result.warnings).toEqual(["Column 'id' of table 'events' keeps its type long; the load declares string"]);
    const d = wh.describeTable("db1", "events");
    expect(d.columns).toEqual([
      { name: "time", type: "time" },
      { name: "id", type: "long" },
      { name: "email", type: "string" },
      { name: "campaign_id", type: "long" },
    ]);
    expect(wh.query("db1", "SELECT id, email, campaign_id FROM events ORDER BY time").rows).toEqual([
      [1, "a@x", null],
      [2, null, 77],
    ]);
  });

  it("keeps committed slices when the load is aborted and drops the open one", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ bufferRows: 1 }));
    const a = load.beginSlice("a");
    a.insert([[1, "a", 1]]);
    a.commit(null);
    const b = load.beginSlice("b");
    b.insert([[2, "b", 2]]);
    load.abort();
    load.abort();
    expect(count(wh)).toBe(1);
    expect(wh.ledger("db1").map((r) => r.slice)).toEqual(["a"]);
    expect(() => load.beginSlice("c")).toThrow(/already aborted/);
  });

  it("treats an injection-looking column name as a plain name", () => {
    const { wh } = freshWarehouse();
    const evil = '"; DROP TABLE events; --';
    loadOnce(wh, { columns: [{ name: evil, type: "string" }] }, [["boom", 1]]);
    loadOnce(wh, { columns: [{ name: evil, type: "string" }], jobId: "job2" }, [["again", 2]]);
    expect(names(wh.describeTable("db1", "events").columns)).toEqual(["time", evil]);
    expect(wh.query("db1", `SELECT "${evil.replaceAll('"', '""')}" FROM events ORDER BY time`).rows).toEqual([
      ["boom"],
      ["again"],
    ]);
  });
});

describe("replace", () => {
  it("makes the table exactly this run's result and drops old columns", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1], [2, "b", 2]]);
    const cols: ColumnSpec[] = [{ name: "list_id", type: "long" }];
    const result = loadOnce(wh, { mode: "replace", columns: cols, jobId: "job2" }, [[9, 5]]);
    expect(result).toEqual({ rows: 1, slices: 1, replaced: true, warnings: [] });
    expect(names(wh.describeTable("db1", "events").columns)).toEqual(["time", "list_id"]);
    expect(wh.query("db1", "SELECT * FROM events").rows).toEqual([[5, 9]]);
    expect(wh.query("db1", "SELECT count(*) FROM _itd_columns WHERE table_name = 'events'").rows).toEqual([[1]]);
  });

  it("empties the table when the run brought no rows", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const load = wh.beginLoad(loadOpts({ mode: "replace", jobId: "job2" }));
    expect(load.finish()).toEqual({ rows: 0, slices: 0, replaced: true, warnings: [] });
    expect(count(wh)).toBe(0);
  });

  it("creates a missing table and leaves no staging table behind", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, { mode: "replace" }, [[1, "a", 1]]);
    expect(count(wh)).toBe(1);
    const tables = wh.query("db1", "SELECT name FROM sqlite_schema WHERE name LIKE '_itd_stage%'").rows;
    expect(tables).toEqual([]);
    expect(wh.query("db1", "SELECT count(*) FROM _itd_staging").rows).toEqual([[0]]);
  });

  it("keeps the old table when the load is aborted", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const load = wh.beginLoad(loadOpts({ mode: "replace", jobId: "job2" }));
    const s = load.beginSlice("x");
    s.insert([[2, "b", 2]]);
    s.commit(null);
    load.abort();
    expect(wh.query("db1", "SELECT id FROM events").rows).toEqual([[1]]);
    expect(wh.query("db1", "SELECT count(*) FROM sqlite_schema WHERE name LIKE '_itd_stage%'").rows).toEqual([[0]]);
    expect(wh.ledger("db1", { jobId: "job2" })).toEqual([]);
  });
});

describe("truncate", () => {
  it("replaces the rows but keeps the existing columns, appending new ones", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const cols: ColumnSpec[] = [
      { name: "email", type: "string" },
      { name: "score", type: "double" },
    ];
    const result = loadOnce(wh, { mode: "truncate", columns: cols, jobId: "job2" }, [["z@x", 0.5, 7]]);
    expect(result.replaced).toBe(true);
    expect(wh.describeTable("db1", "events").columns).toEqual([
      { name: "time", type: "time" },
      { name: "id", type: "long" },
      { name: "email", type: "string" },
      { name: "score", type: "double" },
    ]);
    expect(wh.query("db1", "SELECT * FROM events").rows).toEqual([[7, null, "z@x", 0.5]]);
  });
});

describe("replace_on_new_data", () => {
  it("leaves the table unchanged when the run brought no rows, but records the slices", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const load = wh.beginLoad(loadOpts({ mode: "replace_on_new_data", columns: [{ name: "x", type: "long" }], jobId: "job2" }));
    const s = load.beginSlice("empty");
    s.commit({ upTo: 5 });
    expect(load.finish()).toEqual({ rows: 0, slices: 1, replaced: false, warnings: [] });
    expect(names(wh.describeTable("db1", "events").columns)).toEqual(["time", "id", "email"]);
    expect(wh.query("db1", "SELECT id, email FROM events").rows).toEqual([[1, "a"]]);
    expect(wh.lastCursor("db1", "s1")?.cursor).toEqual({ upTo: 5 });
    expect(wh.query("db1", "SELECT count(*) FROM sqlite_schema WHERE name LIKE '_itd_stage%'").rows).toEqual([[0]]);
  });

  it("replaces the table when the run brought rows", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const result = loadOnce(wh, { mode: "replace_on_new_data", columns: [{ name: "x", type: "long" }], jobId: "job2" }, [
      [42, 3],
    ]);
    expect(result).toEqual({ rows: 1, slices: 1, replaced: true, warnings: [] });
    expect(wh.query("db1", "SELECT * FROM events").rows).toEqual([[3, 42]]);
  });
});

describe("load checks", () => {
  it("refuses rows of the wrong length before writing any of them", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ bufferRows: 1 }));
    const s = load.beginSlice("a");
    expect(() => s.insert([[1, "a", 1], [2, "b"]])).toThrow(DataError);
    expect(() => s.insert([[1, "a", 1], [2, "b"]])).toThrow("Row 2 of slice 'a' has 2 values; expected 3 (2 columns, then time)");
    expect(s.rows).toBe(0);
    s.insert([[3, "c", 3]]);
    s.commit(null);
    expect(wh.query("db1", "SELECT id FROM events").rows).toEqual([[3]]);
  });

  it("names the column of a value SQLite cannot store and rolls the slice back", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ bufferRows: 1 }));
    const s = load.beginSlice("a");
    s.insert([[1, "ok", 1]]);
    expect(() => s.insert([[2, true as unknown as string, 2]])).toThrow("Column 'email' got a boolean value");
    expect(() => s.commit(null)).toThrow(/rolled back/);
    expect(count(wh)).toBe(0);
    load.beginSlice("b").commit(null);
  });

  it("refuses a time column among the load's columns, duplicates and unknown modes", () => {
    const { wh } = freshWarehouse();
    expect(() => wh.beginLoad(loadOpts({ columns: [{ name: "TIME", type: "long" }] }))).toThrow(/clashes with the time column/);
    expect(() => wh.beginLoad(loadOpts({ columns: [...COLS, { name: "ID", type: "long" }] }))).toThrow("Column 'ID' appears twice");
    expect(() => wh.beginLoad(loadOpts({ mode: "merge" as "append" }))).toThrow(ConfigError);
    // Issue 15: upsert needs its key, a key its mode, and a key names the load's columns.
    expect(() => wh.beginLoad(loadOpts({ mode: "upsert" }))).toThrow("Mode upsert needs its primary keys (out.primary_keys)");
    expect(() => wh.beginLoad(loadOpts({ mode: "replace", match: { kind: "skip_present", key: ["id"] } }))).toThrow("De-duplication keys are for mode append, not replace");
    expect(() => wh.beginLoad(loadOpts({ mode: "upsert", match: { kind: "upsert", key: ["nope"] } }))).toThrow("A key must name columns of the load; nope is not");
    expect(wh.tableExists("db1", "events")).toBe(false);
  });

  it("allows one open slice at a time and no finish while a slice is open", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts());
    const s = load.beginSlice("a");
    expect(() => load.beginSlice("b")).toThrow("Slice 'a' is still open");
    expect(() => load.finish()).toThrow(/still open/);
    s.rollback();
    expect(load.finish().slices).toBe(0);
    expect(() => load.finish()).toThrow(/already finished/);
  });

  it("writes many rows across buffer and batch boundaries without losing any", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ bufferRows: 777 }));
    const s = load.beginSlice("a");
    for (let i = 0; i < 25; i++) s.insert(Array.from({ length: 401 }, (_, j) => [i * 401 + j, `e${j}`, j]));
    s.commit(null);
    load.finish();
    expect(wh.query("db1", "SELECT count(*), sum(id) FROM events").rows).toEqual([[10025, (10024 * 10025) / 2]]);
  });
});
