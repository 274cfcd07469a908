/**
 * The embedded engine behind the warehouse port: the synchronous SQLite
 * warehouse (warehouse.ts) answered through promises. A query runs in a
 * child process that is killed at its deadline (query.ts).
 */
import type { Clock } from "../clock.js";
import { probeDatabases } from "./probe.js";
import { queryInSubprocess } from "./query.js";
import { databaseNotFound, openSqliteWarehouse } from "./warehouse.js";
import type { BoundedQueryResult, DatabaseCheck, Load, QueryOptions, Slice, Warehouse } from "./port.js";
import type { BeginLoadOptions, CreateOptions, LedgerFilter, Row, RunRef, SqliteLoad, SqliteSlice, SqliteWarehouse, StreamPosition } from "./types.js";

/** The embedded warehouse of an itd home, behind the port. Touches nothing on disk until a database is created or used. */
export function sqliteWarehouse(home: string, clock: Clock): Warehouse {
  return new SqliteEngine(openSqliteWarehouse(home, { clock }));
}

class SqliteEngine implements Warehouse {
  readonly engine = "sqlite" as const;
  readonly location: string;

  constructor(private readonly wh: SqliteWarehouse) {
    this.location = wh.dir;
  }

  async listDatabases() {
    return this.wh.listDatabases();
  }

  async databaseExists(database: string) {
    return this.wh.databaseExists(database);
  }

  async createDatabase(database: string, options?: CreateOptions) {
    return this.wh.createDatabase(database, options);
  }

  async listTables(database: string) {
    return this.wh.listTables(database);
  }

  async tableExists(database: string, table: string) {
    return this.wh.tableExists(database, table);
  }

  async createTable(database: string, table: string, options?: CreateOptions) {
    return this.wh.createTable(database, table, options);
  }

  async describeTable(database: string, table: string) {
    return this.wh.describeTable(database, table);
  }

  async query(database: string, sql: string, options: QueryOptions): Promise<BoundedQueryResult> {
    if (!this.wh.databaseExists(database)) throw databaseNotFound(database);
    return queryInSubprocess(this.wh.databasePath(database), sql, {
      timeoutMs: options.timeoutMs,
      maxRows: options.maxRows,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  }

  async beginLoad(options: BeginLoadOptions): Promise<Load> {
    return new SqliteEngineLoad(this.wh.beginLoad(options));
  }

  async lastCursor(database: string, stream: string) {
    return this.wh.lastCursor(database, stream);
  }

  async ledger(database: string, filter?: LedgerFilter) {
    return this.wh.ledger(database, filter);
  }

  async check(): Promise<DatabaseCheck[]> {
    return probeDatabases(this.wh.home).map((p) => ({ name: p.name, where: p.file, tables: p.tables, problem: p.problem }));
  }

  async close(): Promise<void> {
    this.wh.close();
  }
}

class SqliteEngineLoad implements Load {
  readonly runFiles;

  constructor(private readonly load: SqliteLoad) {
    this.runFiles = (count: number) => load.openRunFiles(count);
  }

  get database() {
    return this.load.database;
  }

  get table() {
    return this.load.table;
  }

  get mode() {
    return this.load.mode;
  }

  async beginSlice(sliceId: string): Promise<Slice> {
    return new SqliteEngineSlice(this.load.beginSlice(sliceId));
  }

  async lastCommitted(stream: string) {
    return this.load.lastCommitted(stream);
  }

  async finish() {
    return this.load.finish();
  }

  async abort() {
    this.load.abort();
  }
}

class SqliteEngineSlice implements Slice {
  constructor(private readonly slice: SqliteSlice) {}

  get id() {
    return this.slice.id;
  }

  get rows() {
    return this.slice.rows;
  }

  async insert(rows: readonly Row[]) {
    this.slice.insert(rows);
  }

  addRun(run: RunRef) {
    this.slice.addRun(run);
  }

  async commit(cursor: unknown, position?: StreamPosition) {
    return this.slice.commit(cursor, position);
  }

  async rollback() {
    this.slice.rollback();
  }
}
