import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import { leadingKeyword } from "../../../src/warehouse/query.js";
import { openSqliteWarehouse } from "../../../src/warehouse/index.js";
import { count, freshWarehouse, loadOnce, onCleanup } from "./helpers.js";

describe("read-only queries", () => {
  it("returns column names and rows as arrays, with positional and named parameters", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a@x", 10], [2, "b@x", 20]]);
    expect(wh.query("db1", "SELECT id, email AS mail FROM events WHERE id > ? ORDER BY id", [0])).toEqual({
      columns: ["id", "mail"],
      rows: [
        [1, "a@x"],
        [2, "b@x"],
      ],
    });
    expect(wh.query("db1", "SELECT id FROM events WHERE email = :e", { e: "b@x" }).rows).toEqual([[2]]);
    expect(wh.query("db1", "  -- comment\n/* block */ WITH t AS (SELECT 1 AS x) SELECT x FROM t;").rows).toEqual([[1]]);
    expect(wh.query("db1", "PRAGMA table_info(events)").columns).toContain("name");
  });

  it.each([
    ["INSERT INTO events (id) VALUES (3)", /would modify the database/],
    ["UPDATE events SET id = 5", /would modify the database/],
    ["DELETE FROM events", /would modify the database/],
    ["DROP TABLE events", /would modify the database/],
    ["CREATE TABLE zzz (a)", /would modify the database/],
    ["ATTACH DATABASE '/tmp/x.db' AS x", /ATTACH is not allowed/],
    ["DETACH DATABASE main", /DETACH is not allowed/],
    ["BEGIN", /BEGIN is not allowed/],
    ["VACUUM", /VACUUM is not allowed/],
    ["PRAGMA user_version = 7", /PRAGMA user_version is not allowed/],
    ["PRAGMA journal_mode = DELETE", /PRAGMA journal_mode is not allowed/],
    ["PRAGMA query_only(0)", /PRAGMA query_only is not allowed/],
    ["/* x */ pragma main.writable_schema=1", /PRAGMA writable_schema is not allowed/],
    ["WITH x AS (SELECT 1) DELETE FROM events", /would modify the database/],
  ])("refuses %s", (sql, message) => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    let err: unknown;
    try {
      wh.query("db1", sql);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^itd query is read-only: /);
    expect((err as Error).message).toMatch(message);
    expect(count(wh)).toBe(1);
    expect(wh.query("db1", "PRAGMA user_version").rows).toEqual([[2]]);
  });

  it("refuses more than one statement", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    expect(() => wh.query("db1", "SELECT 1; DROP TABLE events")).toThrow("itd query runs one statement at a time");
    expect(() => wh.query("db1", "SELECT 1; SELECT 2")).toThrow(UsageError);
    expect(count(wh)).toBe(1);
  });

  it("reports SQL mistakes as usage errors", () => {
    const { wh } = freshWarehouse();
    expect(() => wh.query("db1", "SELEC 1")).toThrow(/^Query failed: .*syntax error/);
    expect(() => wh.query("db1", "SELECT * FROM nope")).toThrow(/no such table: nope/);
    expect(() => wh.query("db1", "SELECT ?")).toThrow(UsageError);
  });

  it("reads a database whose WAL files were removed by the last writer closing", () => {
    const { wh, home } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const file = wh.databasePath("db1");
    wh.close();
    expect(fs.existsSync(`${file}-shm`)).toBe(false);
    const other = openSqliteWarehouse(home);
    onCleanup(() => other.close());
    expect(other.query("db1", "SELECT id FROM events").rows).toEqual([[1]]);
  });

  it("finds the first keyword after blanks and comments", () => {
    expect(leadingKeyword(" \n-- a\n /* b */ attach 'x' as y").keyword).toBe("ATTACH");
    expect(leadingKeyword("pragma x").rest).toBe(" x");
    expect(leadingKeyword("/* never closed").keyword).toBe("");
  });
});
