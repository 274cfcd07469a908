import { describe, expect, it } from "vitest";
import { planKeepColumns, sqliteType, TIME } from "../../../src/warehouse/schema.js";
import { batchRows, insertSql } from "../../../src/warehouse/writer.js";

describe("column types", () => {
  it("map itd types to SQLite declared types", () => {
    expect(
      (["time", "boolean", "long", "double", "string", "timestamp", "json"] as const).map((t) => sqliteType(t)),
    ).toEqual(["INTEGER", "INTEGER", "INTEGER", "REAL", "TEXT", "TEXT", "TEXT"]);
  });
});

describe("keeping columns", () => {
  it("appends new load columns after the table's and keeps the table's types", () => {
    const plan = planKeepColumns(
      "t",
      [TIME, { name: "id", type: "long" }, { name: "Email", type: "string" }],
      [
        { name: "email", type: "json" },
        { name: "score", type: "double" },
      ],
    );
    expect(plan.columns).toEqual([TIME, { name: "id", type: "long" }, { name: "Email", type: "string" }, { name: "score", type: "double" }]);
    expect(plan.added).toEqual([{ name: "score", type: "double" }]);
    expect(plan.warnings).toEqual(["Column 'email' of table 't' keeps its type string; the load declares json"]);
  });

  it("adds the time column to a table made without one", () => {
    const plan = planKeepColumns("t", [{ name: "a", type: "string" }], []);
    expect(plan.added).toEqual([TIME]);
  });
});

describe("insert statements", () => {
  it("quote every column and repeat the tuple per row", () => {
    expect(insertSql("t", ['a"b', "time"], 2)).toBe('INSERT INTO "t" ("a""b", "time") VALUES (?, ?), (?, ?)');
  });

  it("batch at most 100 rows and stay under SQLite's variable limit", () => {
    expect(batchRows(16)).toBe(100);
    expect(batchRows(2000)).toBe(16);
    expect(batchRows(40_000)).toBe(1);
  });
});
