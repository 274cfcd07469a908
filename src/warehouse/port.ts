/**
 * The warehouse port (issue 13): what commands and the load runner use, the
 * same for both engines — the embedded SQLite files (sqlite-engine.ts) and a
 * PostgreSQL database (postgres/). Asynchronous, because PostgreSQL is a
 * server; the embedded engine answers at once.
 *
 * The guarantees are the port's, not an engine's: a slice's rows and its
 * ledger row commit in one transaction, under the stream's fencing token;
 * replace, truncate and replace_on_new_data swap in at `finish()` in one
 * transaction, readers never seeing a partial or empty table.
 */
import type {
  BeginLoadOptions,
  CommittedCursor,
  CreateOptions,
  DatabaseInfo,
  LedgerFilter,
  LedgerRow,
  LoadResult,
  OutMode,
  QueryResult,
  Row,
  RunFiles,
  RunRef,
  SliceCounts,
  StreamPosition,
  TableDescription,
  TableInfo,
} from "./types.js";

/** Which engine, for messages and for the few places that differ (doctor, the query's process). */
export type WarehouseEngine = "sqlite" | "postgres";

export interface QueryOptions {
  /** The statement is stopped after this long (0 = no limit). */
  timeoutMs: number;
  /** At most this many rows are returned (0 = all); `truncated` says there were more. */
  maxRows: number;
  signal?: AbortSignal | undefined;
}

export interface BoundedQueryResult extends QueryResult {
  truncated: boolean;
}

/** One database as `itd doctor` checks it. */
export interface DatabaseCheck {
  name: string;
  /** Where it is: its file, or its schema in the PostgreSQL database. */
  where: string;
  tables?: number | undefined;
  /** What is wrong with it, if anything. */
  problem?: string | undefined;
}

export interface Warehouse {
  readonly engine: WarehouseEngine;
  /** Where the data is, for people: a directory, or the URL with its password as `***`. */
  readonly location: string;
  listDatabases(): Promise<DatabaseInfo[]>;
  databaseExists(database: string): Promise<boolean>;
  /** Returns true when it created the database. */
  createDatabase(database: string, options?: CreateOptions): Promise<boolean>;
  listTables(database: string): Promise<TableInfo[]>;
  tableExists(database: string, table: string): Promise<boolean>;
  /** Creates a table with only the `time` column. Returns true when it created it. */
  createTable(database: string, table: string, options?: CreateOptions): Promise<boolean>;
  describeTable(database: string, table: string): Promise<TableDescription>;
  /** One read-only statement, stopped at its timeout; writes are refused. */
  query(database: string, sql: string, options: QueryOptions): Promise<BoundedQueryResult>;
  beginLoad(options: BeginLoadOptions): Promise<Load>;
  /** The latest committed cursor of a stream; undefined when none, or when the database does not exist. */
  lastCursor(database: string, stream: string): Promise<CommittedCursor | undefined>;
  /** Ledger rows in commit order. */
  ledger(database: string, filter?: LedgerFilter): Promise<LedgerRow[]>;
  /** `itd doctor`: each database and what is wrong with it; throws when the warehouse cannot be reached. */
  check(): Promise<DatabaseCheck[]>;
  /** Aborts open loads and closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** One load of rows into one table with one mode (design §5). */
export interface Load {
  readonly database: string;
  readonly table: string;
  readonly mode: OutMode;
  /** Starts a slice: its rows and its ledger row commit in one transaction. One slice at a time. */
  beginSlice(sliceId: string): Promise<Slice>;
  /**
   * The embedded engine's parse threads (issue 12) write runs of rows into
   * scratch files of their own; undefined on an engine that takes rows only
   * by `insert` (PostgreSQL: the server parses COPY on a core of its own).
   */
  readonly runFiles: ((count: number) => RunFiles) | undefined;
  /** The stream's latest committed cursor in this database, read after the load fenced the stream. */
  lastCommitted(stream: string): Promise<CommittedCursor | undefined>;
  /** Ends the load; the staging modes swap their rows in (one transaction, with the ledger rows). No slice may be open. */
  finish(): Promise<LoadResult>;
  /** Rolls back an open slice and drops staged rows; append slices already committed stay. Idempotent. */
  abort(): Promise<void>;
}

export interface Slice {
  readonly id: string;
  /** Rows inserted so far, runs included. */
  readonly rows: number;
  /** Adds rows: values in the load's column order, then `time`. Resolves when the engine can take more. */
  insert(rows: readonly Row[]): Promise<void>;
  /** Adopts a run of the load's run files (engines with `runFiles` only). */
  addRun(run: RunRef): void;
  /** Commits the rows together with the slice's ledger row at `position` (append) or its staged rows (other modes). */
  commit(cursor: unknown, position?: StreamPosition): Promise<SliceCounts>;
  /** Forgets the slice's rows. Idempotent. */
  rollback(): Promise<void>;
}
