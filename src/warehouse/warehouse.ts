/**
 * The warehouse: databases as SQLite files under `<home>/warehouse/`, their
 * tables, read-only queries and loads (design §1, §4, §5).
 */
import { accessSync, constants } from "node:fs";
import type { Clock } from "../clock.js";
import { systemClock } from "../clock.js";
import { ConfigError, ItdError, NotFoundError } from "../errors.js";
import { accessError, type Want } from "../home.js";
import type { Connection } from "./connection.js";
import { asStoreError, openReadonly, openWritable } from "./connection.js";
import {
  createDatabaseFile,
  databaseBytes,
  databaseFile,
  databaseFileNames,
  ensureDir,
  fileExists,
  warehouseDir,
} from "./layout.js";
import { lastCommitted, lastImportAt, readLedger } from "./ledger.js";
import { beginLoad } from "./load.js";
import { checkDatabaseName, checkTableName, quoteIdent } from "./names.js";
import { runQuery } from "./query.js";
import { checkLoadColumns, createTableWith, readTableColumns, tableExistsIn, userTables } from "./schema.js";
import { checkLoadMode } from "./load-rules.js";
import type {
  BeginLoadOptions,
  CommittedCursor,
  CreateOptions,
  DatabaseInfo,
  LedgerFilter,
  LedgerRow,
  SqliteLoad,
  QueryParams,
  QueryResult,
  TableDescription,
  TableInfo,
  SqliteWarehouse,
} from "./types.js";

export interface WarehouseOptions {
  /** Timestamps of ledger rows and staging tables. */
  clock?: Clock;
}

export function databaseNotFound(database: string): NotFoundError {
  return new NotFoundError(`Database '${database}' does not exist`, {
    hints: ["Use 'itd db:list' to show the list of databases."],
  });
}

export function tableNotFound(database: string, table: string): NotFoundError {
  return new NotFoundError(`Table '${database}.${table}' does not exist`, {
    hints: [`Use 'itd table:list ${database}' to show the list of tables.`],
  });
}

/** Opens the warehouse of an itd home. Touches nothing on disk until a database is created or used. */
export function openSqliteWarehouse(home: string, options: WarehouseOptions = {}): SqliteWarehouse {
  return new SqliteWarehouseImpl(home, options.clock ?? systemClock);
}

class SqliteWarehouseImpl implements SqliteWarehouse {
  readonly dir: string;
  private readonly writable = new Map<string, Connection>();
  private readonly readable = new Map<string, Connection>();
  private readonly loads = new Set<SqliteLoad>();
  private readonly live = new Set<string>();
  private closed = false;

  constructor(
    readonly home: string,
    private readonly clock: Clock,
  ) {
    this.dir = warehouseDir(home);
  }

  databasePath(database: string): string {
    return databaseFile(this.dir, checkDatabaseName(database));
  }

  listDatabases(): DatabaseInfo[] {
    const names = databaseFileNames(this.dir).filter((n) => isValidName(n, checkDatabaseName));
    return names.map((name) => ({
      name,
      tables: userTables(this.conn(name)).length,
      sizeBytes: databaseBytes(databaseFile(this.dir, name)),
    }));
  }

  databaseExists(database: string): boolean {
    return fileExists(this.databasePath(database), `Cannot open database '${database}'`, this.home);
  }

  createDatabase(database: string, options: CreateOptions = {}): boolean {
    const file = this.databasePath(database);
    this.assertOpen();
    ensureDir(this.home);
    ensureDir(this.dir);
    const created = createDatabaseFile(file);
    if (!created && options.ifNotExists !== true) {
      throw new ItdError("conflict", `Database '${database}' already exists`);
    }
    this.conn(database); // WAL, 0600 files, itd's tables
    return created;
  }

  listTables(database: string): TableInfo[] {
    const conn = this.conn(database);
    return this.read(database, () =>
      userTables(conn).map((name) => {
        const schema = readTableColumns(conn, name) ?? [];
        // One pass for both (no index on time: a table is written far more often than listed).
        const stats = conn.prepare(`SELECT count(*) AS n, max("time") AS hi FROM ${quoteIdent(name)}`).get() as { n: number; hi: number | null };
        return { name, rows: stats.n, columns: schema.length, schema, maxTime: stats.hi, lastImportAt: lastImportAt(conn, name) };
      }),
    );
  }

  tableExists(database: string, table: string): boolean {
    checkTableName(table);
    return tableExistsIn(this.conn(database), table);
  }

  createTable(database: string, table: string, options: CreateOptions = {}): boolean {
    checkTableName(table);
    const conn = this.conn(database);
    return this.read(database, () =>
      conn
        .transaction(() => {
          if (tableExistsIn(conn, table)) {
            if (options.ifNotExists === true) return false;
            throw new ItdError("conflict", `Table '${database}.${table}' already exists`);
          }
          createTableWith(conn, table, []);
          return true;
        })
        .immediate(),
    );
  }

  describeTable(database: string, table: string): TableDescription {
    checkTableName(table);
    const conn = this.conn(database);
    return this.read(database, () => {
      // One read transaction: columns and counts from the same snapshot.
      return conn.transaction(() => {
        const columns = readTableColumns(conn, table);
        if (columns === undefined) throw tableNotFound(database, table);
        const stats = conn
          .prepare(`SELECT count(*) AS n, min("time") AS lo, max("time") AS hi FROM ${quoteIdent(table)}`)
          .get() as { n: number; lo: number | null; hi: number | null };
        return { database, name: table, columns, rows: stats.n, minTime: stats.lo, maxTime: stats.hi };
      })();
    });
  }

  query(database: string, sql: string, params?: QueryParams): QueryResult {
    checkDatabaseName(database);
    this.assertOpen();
    let conn = this.readable.get(database);
    if (conn === undefined) {
      this.requireDatabase(database, "read");
      conn = openReadonly(this.databasePath(database));
      this.readable.set(database, conn);
    }
    return runQuery(conn, sql, params);
  }

  beginLoad(options: BeginLoadOptions): SqliteLoad {
    const { database, table } = options;
    checkDatabaseName(database);
    checkTableName(table);
    checkLoadMode(options);
    if (options.jobId.length === 0 || options.stream.length === 0) {
      throw new ConfigError("A load needs a job id and a stream");
    }
    checkLoadColumns(options.columns);
    this.assertOpen();
    this.requireDatabase(database, "read-write");
    const load = beginLoad(
      {
        file: this.databasePath(database),
        clock: this.clock,
        live: this.live,
        ended: (l) => this.loads.delete(l),
      },
      options,
    );
    this.loads.add(load);
    return load;
  }

  lastCursor(database: string, stream: string): CommittedCursor | undefined {
    if (!this.databaseExists(database)) return undefined;
    const conn = this.conn(database);
    return this.read(database, () => lastCommitted(conn, stream));
  }

  ledger(database: string, filter: LedgerFilter = {}): LedgerRow[] {
    const conn = this.conn(database);
    return this.read(database, () => readLedger(conn, filter));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const load of [...this.loads]) load.abort();
    for (const conn of [...this.writable.values(), ...this.readable.values()]) conn.close();
    this.writable.clear();
    this.readable.clear();
  }

  /** The shared read-write connection to an existing database (opened once). */
  private conn(database: string): Connection {
    checkDatabaseName(database);
    this.assertOpen();
    let conn = this.writable.get(database);
    if (conn === undefined) {
      this.requireDatabase(database, "read-write");
      conn = openWritable(this.databasePath(database));
      this.writable.set(database, conn);
    }
    return conn;
  }

  /** The database's file exists and this process may use it so; a permission problem names the file, its owner and mode. */
  private requireDatabase(database: string, want: Want): void {
    if (!this.databaseExists(database)) throw databaseNotFound(database);
    const file = this.databasePath(database);
    try {
      accessSync(file, want === "read" ? constants.R_OK : constants.R_OK | constants.W_OK);
    } catch (err) {
      throw accessError(`Cannot open database '${database}'`, file, err, { home: this.home, want });
    }
  }

  /** Runs a metadata read, wrapping SQLite failures. */
  private read<T>(database: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw asStoreError(err, `Cannot read database '${database}'`);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ItdError("internal", "The warehouse is closed");
  }
}

function isValidName(name: string, check: (n: string) => string): boolean {
  try {
    check(name);
    return true;
  } catch {
    return false;
  }
}
