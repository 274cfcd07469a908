/**
 * The shared vocabulary of columns and rows between the connector (which
 * converts Iterable records) and the warehouse (which stores them).
 * Design §4.
 */

/** Embulk/TD column types. */
export const COLUMN_TYPES = ["boolean", "long", "double", "string", "timestamp", "json"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** A column of load.yml's `in.columns` (as `connector:guess` writes it). */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** For timestamps: the source format, informational (TD writes e.g. 'yyyy-MM-dd HH:mm:ss xxx'). */
  format?: string;
}

/**
 * A stored value. SQLite storage per type: boolean → 0/1, long → integer,
 * double → real, string → text, timestamp → text `YYYY-MM-DD HH:MM:SS.SSS` (UTC),
 * json → text (valid JSON). Missing/null → null.
 */
export type CellValue = number | bigint | string | null;

/**
 * One row as the sink receives it: values in the order of the load's columns,
 * followed by the `time` value (unix seconds) as the last element.
 */
export type Row = CellValue[];

/** out.mode (design §5); `upsert` (issue 15) keeps one row per primary key. */
export const OUT_MODES = ["append", "replace", "truncate", "replace_on_new_data", "upsert"] as const;
export type OutMode = (typeof OUT_MODES)[number];

/**
 * How a slice's rows meet the table's (issue 15), by a unique index on `key`
 * (columns of the load, or `time`) that the load creates with the table:
 * - `insert`: every row is added — except into a table that has a key
 *   already (a lookback's or an upsert's): a row whose key is there is not
 *   added again, so a backfill beside a lookback schedule doubles nothing;
 * - `skip_present`: a row whose key is already in the table is not added (a
 *   lookback re-reading records); key values compare null-equal;
 * - `upsert`: a row whose key is present replaces that row when its `time`
 *   is not older and it differs; key values are never null (the connector
 *   treats a record without them as invalid).
 */
export type RowMatch =
  | { kind: "insert" }
  /** `keep`: a key chosen by default, not named by the user — a key the table already de-duplicates by wins over it. */
  | { kind: "skip_present"; key: readonly string[]; keep?: boolean }
  | { kind: "upsert"; key: readonly string[] };

/** What a committed slice did beyond adding rows (issue 15). */
export interface SliceCounts {
  /** Rows not added because their key was already in the table (and, for upsert, the stored row was as new and the same). */
  present: number;
  /** Rows that replaced an existing row with the same key (upsert). */
  updated: number;
}

export const NO_MATCHES: SliceCounts = { present: 0, updated: 0 };

/** A column as the warehouse reports it: an itd type, or `time` for the time column. */
export type TableColumnType = ColumnType | "time";

export interface TableColumn {
  name: string;
  type: TableColumnType;
}

/** One database of `database:list`. */
export interface DatabaseInfo {
  name: string;
  /** User tables (itd's own `_itd*` tables not counted). */
  tables: number;
  /** Bytes on disk: the database file plus its write-ahead log. */
  sizeBytes: number;
}

/** One table of `table:list`. */
export interface TableInfo {
  name: string;
  rows: number;
  /** Columns, `time` included. */
  columns: number;
  /** When the last slice into this table was committed (ms since the epoch); null if never loaded. */
  lastImportAt: number | null;
  /** The columns and their types, `time` included (td's Schema column). */
  schema: TableColumn[];
  /** The newest `time` (unix seconds; td's "Last log timestamp"); null when empty. */
  maxTime: number | null;
}

/** `table:show`. */
export interface TableDescription {
  database: string;
  name: string;
  /** In table order, `time` included. */
  columns: TableColumn[];
  rows: number;
  /** Smallest and largest `time` (unix seconds); null when the table is empty. */
  minTime: number | null;
  maxTime: number | null;
}

/** `itd query`: column names and rows as arrays. */
export interface QueryResult {
  columns: string[];
  rows: CellValue[][];
}

/** Positional (`?`) or named (`:name`) parameters of a query. */
export type QueryParams = readonly CellValue[] | Readonly<Record<string, CellValue>>;

/** One committed slice, as recorded in a database's `_itd_loads` ledger. */
export interface LedgerRow {
  stream: string;
  jobId: string;
  slice: string;
  table: string;
  /** The cursor passed to `Slice.commit`, as JSON round-trips it. */
  cursor: unknown;
  rows: number;
  /** Milliseconds since the epoch. */
  committedAt: number;
}

/** A stream's commit position (design §6b): epoch, then sequence within it. */
export interface StreamPosition {
  epoch: number;
  seq: number;
}

/** The latest committed cursor of a stream. */
export interface CommittedCursor {
  cursor: unknown;
  jobId: string;
  slice: string;
  /** Milliseconds since the epoch. */
  committedAt: number;
  /** Undefined for a row written before positions existed. */
  position: StreamPosition | undefined;
}

export interface LedgerFilter {
  stream?: string;
  jobId?: string;
}

export interface BeginLoadOptions {
  database: string;
  table: string;
  mode: OutMode;
  /** The load's columns, in row order; `time` is not one of them (it is each row's last value). */
  columns: readonly ColumnSpec[];
  jobId: string;
  /** What the cursor belongs to (a schedule's id, a config's identity); the ledger is keyed by (stream, jobId, slice). */
  stream: string;
  /**
   * The stream lease's fencing token: recorded in the database when the load
   * begins (refused if a newer one is there), and checked again in every
   * commit's transaction, so a holder that lost its lease commits nothing.
   */
  fence?: number | undefined;
  /** How rows meet the table's (append and upsert modes); default `insert`. */
  match?: RowMatch | undefined;
  /**
   * Rows a slice keeps in memory before it opens its SQLite transaction and
   * writes them (default 10 000). Small slices therefore hold the database's
   * write lock only during `commit()`.
   */
  bufferRows?: number;
}

export interface LoadResult {
  /** Rows of the committed slices. */
  rows: number;
  /** Committed slices. */
  slices: number;
  /** Whether the table was replaced by this load's rows (replace, truncate, replace_on_new_data with rows). */
  replaced: boolean;
  /** Schema notes, e.g. a column whose declared type differs from the table's (the table's is kept). */
  warnings: string[];
}

/** One load of rows into one table with one mode (design §5), on the embedded engine (synchronous). */
export interface SqliteLoad {
  readonly database: string;
  readonly table: string;
  readonly mode: OutMode;
  /** Starts a slice: its rows and its ledger row are committed in one SQLite transaction. One slice at a time. */
  beginSlice(sliceId: string): SqliteSlice;
  /** Makes `count` run files for parse threads (once per load); removed when the load ends. */
  openRunFiles(count: number): RunFiles;
  /** The stream's latest committed cursor in this database, read after the load fenced the stream. */
  lastCommitted(stream: string): CommittedCursor | undefined;
  /**
   * Ends the load. For replace, truncate and replace_on_new_data, swaps the
   * staging table in (one transaction, with the ledger rows). No slice may be open.
   */
  finish(): LoadResult;
  /** Rolls back an open slice and drops the staging table; append slices already committed stay. Idempotent. */
  abort(): void;
}

/**
 * Scratch files a load's parse threads write rows into (issue 12), one per
 * thread, each thread with its own connection: a run of rows is a table
 * (`r` and digits) made with `CREATE TABLE "rN" ${columnsSql}` and filled in
 * `insertColumns` order (the load's columns, then time); a slice adopts its
 * runs with `addRun` and copies them into the table at commit.
 */
export interface RunFiles {
  readonly files: readonly string[];
  /**
   * The target database's file. The load's connection no longer checkpoints
   * its WAL after a commit: the parse threads' pool does, on a connection of
   * its own, while the job reads on (its close checkpoints what is left).
   */
  readonly database: string;
  /** The target's column definitions, parenthesized: a run table has the target's very columns, so its copy is SQLite's bulk transfer. */
  readonly columnsSql: string;
  readonly insertColumns: readonly string[];
}

/** A run table written into one of the load's run files. */
export interface RunRef {
  /** Index into `RunFiles.files`. */
  file: number;
  table: string;
  rows: number;
}

export interface SqliteSlice {
  readonly id: string;
  /** Rows inserted so far (buffered or written), runs included. */
  readonly rows: number;
  /** Adds rows: values in the load's column order, then `time`. */
  insert(rows: readonly Row[]): void;
  /** Adopts a run (in slice order): copied into the table at commit. A slice takes rows by `insert` or by runs, not both. */
  addRun(run: RunRef): void;
  /** Commits the rows together with the slice's ledger row at `position` (append) or its staging rows (other modes). */
  commit(cursor: unknown, position?: StreamPosition): SliceCounts;
  /** Forgets the slice's rows. Idempotent. */
  rollback(): void;
}

export interface CreateOptions {
  /** Succeed quietly when it already exists. */
  ifNotExists?: boolean;
}

/**
 * The embedded engine: one SQLite file per database under `<home>/warehouse/`,
 * synchronous (better-sqlite3). Commands and the load runner use it through
 * the asynchronous port (`Warehouse`, port.ts), as they use PostgreSQL.
 */
export interface SqliteWarehouse {
  readonly home: string;
  /** `<home>/warehouse`. */
  readonly dir: string;
  databasePath(database: string): string;
  listDatabases(): DatabaseInfo[];
  databaseExists(database: string): boolean;
  /** Returns true when it created the database. */
  createDatabase(database: string, options?: CreateOptions): boolean;
  listTables(database: string): TableInfo[];
  tableExists(database: string, table: string): boolean;
  /** Creates a table with only the `time` column. Returns true when it created it. */
  createTable(database: string, table: string, options?: CreateOptions): boolean;
  describeTable(database: string, table: string): TableDescription;
  /** Runs one read-only statement on a read-only connection. */
  query(database: string, sql: string, params?: QueryParams): QueryResult;
  beginLoad(options: BeginLoadOptions): SqliteLoad;
  /** The latest committed cursor of a stream; undefined when none, or when the database does not exist. */
  lastCursor(database: string, stream: string): CommittedCursor | undefined;
  /** Ledger rows in commit order. */
  ledger(database: string, filter?: LedgerFilter): LedgerRow[];
  /** Aborts open loads and closes every connection. Idempotent. */
  close(): void;
}
