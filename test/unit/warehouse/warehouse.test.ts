import Database from "better-sqlite3";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, ItdError, NotFoundError } from "../../../src/errors.js";
import { openSqliteWarehouse } from "../../../src/warehouse/index.js";
import { freshWarehouse, loadOnce, onCleanup, tempHome } from "./helpers.js";

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

describe("warehouse layout", () => {
  it("gives a new database 16 KB pages and leaves an existing file's page size alone", () => {
    const home = tempHome();
    const wh = openSqliteWarehouse(home);
    onCleanup(() => wh.close());
    wh.createDatabase("fresh_db");
    loadOnce(wh, { database: "fresh_db" }, [[1, "a@x", 100]]);
    // A database made before: SQLite's 4 KB pages, with a table in it.
    const old = path.join(home, "warehouse", "old_db.db");
    const made = new Database(old);
    made.exec("CREATE TABLE t (a)");
    made.close();
    loadOnce(wh, { database: "old_db" }, [[1, "a@x", 100]]);
    const pageSize = (file: string): number => {
      const c = new Database(file, { readonly: true });
      try {
        return c.pragma("page_size", { simple: true }) as number;
      } finally {
        c.close();
      }
    };
    expect(pageSize(path.join(home, "warehouse", "fresh_db.db"))).toBe(16_384);
    expect(pageSize(old)).toBe(4096);
  });

  it("creates the home and warehouse directories 0700 and database files 0600, WAL files included", () => {
    const home = tempHome();
    const wh = openSqliteWarehouse(home);
    onCleanup(() => wh.close());
    expect(fs.existsSync(home)).toBe(false);
    wh.createDatabase("db1");
    loadOnce(wh, {}, [[1, "a@x", 100]]);
    const file = path.join(home, "warehouse", "db1.db");
    expect(wh.databasePath("db1")).toBe(file);
    expect(mode(home)).toBe(0o700);
    expect(mode(path.join(home, "warehouse"))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
  });

  it("leaves an existing home directory's mode alone", () => {
    const home = tempHome();
    fs.mkdirSync(home, { mode: 0o755 });
    fs.chmodSync(home, 0o755);
    const wh = openSqliteWarehouse(home);
    onCleanup(() => wh.close());
    wh.createDatabase("db1");
    expect(mode(home)).toBe(0o755);
    expect(mode(path.join(home, "warehouse"))).toBe(0o700);
  });

  it("lists nothing and creates nothing for a home without a warehouse", () => {
    const home = tempHome();
    const wh = openSqliteWarehouse(home);
    onCleanup(() => wh.close());
    expect(wh.listDatabases()).toEqual([]);
    expect(wh.databaseExists("db1")).toBe(false);
    expect(fs.existsSync(home)).toBe(false);
  });
});

describe("databases and tables", () => {
  it("creates, lists and refuses to re-create a database unless asked ifNotExists", () => {
    const { wh } = freshWarehouse();
    expect(wh.databaseExists("db1")).toBe(true);
    expect(() => wh.createDatabase("db1")).toThrow("Database 'db1' already exists");
    expect(wh.createDatabase("db1", { ifNotExists: true })).toBe(false);
    expect(wh.createDatabase("db2")).toBe(true);
    const list = wh.listDatabases();
    expect(list.map((d) => d.name)).toEqual(["db1", "db2"]);
    expect(list[0]?.tables).toBe(0);
    expect(list[0]?.sizeBytes).toBeGreaterThan(0);
  });

  it("ignores files in the warehouse directory that are not valid database names", () => {
    const { wh } = freshWarehouse();
    fs.writeFileSync(path.join(wh.dir, "Not-A-Name.db"), "");
    fs.writeFileSync(path.join(wh.dir, "notes.txt"), "");
    expect(wh.listDatabases().map((d) => d.name)).toEqual(["db1"]);
  });

  it("creates a table with only the time column and describes it", () => {
    const { wh } = freshWarehouse();
    expect(wh.tableExists("db1", "events")).toBe(false);
    expect(wh.createTable("db1", "events")).toBe(true);
    expect(wh.tableExists("db1", "events")).toBe(true);
    expect(() => wh.createTable("db1", "events")).toThrow("Table 'db1.events' already exists");
    expect(wh.createTable("db1", "events", { ifNotExists: true })).toBe(false);
    expect(wh.describeTable("db1", "events")).toEqual({
      database: "db1",
      name: "events",
      columns: [{ name: "time", type: "time" }],
      rows: 0,
      minTime: null,
      maxTime: null,
    });
  });

  it("describes itd column types, row count and the time range", () => {
    const { wh } = freshWarehouse();
    loadOnce(
      wh,
      {
        columns: [
          { name: "flag", type: "boolean" },
          { name: "n", type: "long" },
          { name: "x", type: "double" },
          { name: "s", type: "string" },
          { name: "at", type: "timestamp" },
          { name: "doc", type: "json" },
        ],
      },
      [
        [1, 2, 1.5, "a", "2024-01-01 00:00:00.000", "{}", 300],
        [0, 3, 2.5, "b", "2024-01-02 00:00:00.000", "[]", 100],
      ],
    );
    const d = wh.describeTable("db1", "events");
    expect(d.columns).toEqual([
      { name: "time", type: "time" },
      { name: "flag", type: "boolean" },
      { name: "n", type: "long" },
      { name: "x", type: "double" },
      { name: "s", type: "string" },
      { name: "at", type: "timestamp" },
      { name: "doc", type: "json" },
    ]);
    expect([d.rows, d.minTime, d.maxTime]).toEqual([2, 100, 300]);
    const declared = wh.query("db1", "SELECT name, type FROM pragma_table_info('events') ORDER BY cid").rows;
    expect(declared.map((r) => r[1])).toEqual(["INTEGER", "INTEGER", "INTEGER", "REAL", "TEXT", "TEXT", "TEXT"]);
  });

  it("lists tables with rows, columns and the last import time, hiding itd's own tables", () => {
    const { wh, clock } = freshWarehouse();
    wh.createTable("db1", "empty_one");
    clock.set(1_700_000_000_000);
    loadOnce(wh, {}, [[1, "a", 1], [2, "b", 2]]);
    const tables = wh.listTables("db1");
    expect(tables.map(({ schema: _schema, ...t }) => t)).toEqual([
      { name: "empty_one", rows: 0, columns: 1, maxTime: null, lastImportAt: null },
      { name: "events", rows: 2, columns: 3, maxTime: 2, lastImportAt: 1_700_000_000_000 },
    ]);
    // td's Schema column: every column with its type, time included (the CLI leaves time out).
    expect(tables[1]?.schema.map((c) => `${c.name}:${c.type}`)).toEqual(wh.describeTable("db1", "events").columns.map((c) => `${c.name}:${c.type}`));
    expect(tables[1]?.schema.some((c) => c.name === "time")).toBe(true);
    expect(wh.listDatabases()[0]?.tables).toBe(2);
  });

  it("answers a missing database with TD's message and hint", () => {
    const { wh } = freshWarehouse();
    for (const call of [
      () => wh.listTables("nope"),
      () => wh.createTable("nope", "events"),
      () => wh.describeTable("nope", "events"),
      () => wh.query("nope", "SELECT 1"),
      () => wh.ledger("nope"),
      () => wh.beginLoad({ database: "nope", table: "events", mode: "append", columns: [], jobId: "j", stream: "s" }),
    ]) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).message).toBe("Database 'nope' does not exist");
      expect((err as NotFoundError).hints).toEqual(["Use 'itd db:list' to show the list of databases."]);
    }
    expect(wh.lastCursor("nope", "s")).toBeUndefined();
    expect(fs.existsSync(wh.databasePath("nope"))).toBe(false);
  });

  it("answers a missing table with TD's message and hint", () => {
    const { wh } = freshWarehouse();
    const err = (() => {
      try {
        wh.describeTable("db1", "missing");
      } catch (e) {
        return e as ItdError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err?.message).toBe("Table 'db1.missing' does not exist");
    expect(err?.hints).toEqual(["Use 'itd table:list db1' to show the list of tables."]);
  });

  it("validates database and table names on every entry point", () => {
    const { wh } = freshWarehouse();
    expect(() => wh.createDatabase("../etc")).toThrow(ConfigError);
    expect(() => wh.createTable("db1", 'x"; DROP TABLE events; --')).toThrow(ConfigError);
    expect(() => wh.tableExists("db1", "_itd_loads")).toThrow(/reserved/);
    expect(() => wh.beginLoad({ database: "db1", table: "A-B", mode: "append", columns: [], jobId: "j", stream: "s" })).toThrow(
      "Invalid table name 'A-B'",
    );
  });

  it("refuses use after close", () => {
    const { wh } = freshWarehouse();
    wh.close();
    wh.close();
    expect(() => wh.listTables("db1")).toThrow(/closed/);
  });
});
