/**
 * The sink (design §5). `append` writes each slice straight into the table
 * with its ledger row; `replace`, `truncate` and `replace_on_new_data` write
 * slices into a staging table that `finish()` swaps in with one transaction,
 * so readers never see a half-written or empty table.
 */
import type { Clock } from "../clock.js";
import { insertForm, reconcileKeyIndex, WriteCounter, type InsertForm, type TableKey } from "./keys.js";
import { replacesTable, sliceStillOpen, usesStaging } from "./load-rules.js";
import { ItdError } from "../errors.js";
import type { Connection } from "./connection.js";
import { asStoreError, openWritable } from "./connection.js";
import { alreadyCommitted, fenceStream, isCommitted, lastCommitted, recordSlice } from "./ledger.js";
import { quoteIdent, stagingTableName } from "./names.js";
import {
  TIME,
  TIME_COLUMN,
  addColumns,
  createTableSql,
  createTableWith,
  planKeepColumns,
  readTableColumns,
  tableExistsIn,
  writeColumnTypes,
} from "./schema.js";
import { createScratchFile, removeScratchFile, removeStaleScratch, Scratch } from "./scratch.js";
import { SliceImpl } from "./slice.js";
import type { SliceHost } from "./slice.js";
import { currentOwner, dropStaging, dropStaleStaging, registerStaging, unregisterStaging } from "./staging.js";
import type {
  BeginLoadOptions,
  CommittedCursor,
  SqliteLoad,
  LoadResult,
  OutMode,
  Row,
  RunFiles,
  RunRef,
  SqliteSlice,
  StreamPosition,
  TableColumn,
} from "./types.js";
import { RowWriter } from "./writer.js";

export const DEFAULT_BUFFER_ROWS = 10_000;

/** What a load needs from its warehouse. */
export interface LoadContext {
  /** The database file (it exists). */
  file: string;
  clock: Clock;
  /** Staging tables of this warehouse's open loads (never dropped as stale). */
  live: Set<string>;
  /** The load is over (finished or aborted). */
  ended(load: SqliteLoad): void;
}

/** Names, columns and the database are already checked by the caller. */
export function beginLoad(ctx: LoadContext, opts: BeginLoadOptions): SqliteLoad {
  const conn = openWritable(ctx.file);
  try {
    return new LoadImpl(ctx, conn, opts);
  } catch (err) {
    conn.close();
    throw asStoreError(err, `Cannot start loading into ${opts.database}.${opts.table}`);
  }
}

interface Target {
  /** Where slices insert: the table (append) or its staging table. */
  table: string;
  /** Staging modes: the table's columns after the swap. */
  columns: TableColumn[];
  warnings: string[];
  /** Append and upsert: the table's key as this load uses it (issue 15). */
  key?: TableKey;
}

interface Committed {
  slice: string;
  cursorJson: string;
  rows: number;
  position: StreamPosition | undefined;
}

/**
 * A key's load keeps this much of the table's pages (KB): an upsert's index (emails, ids in no order) takes rows
 * all over it — a commit into a million-row table took 9.8 s with 2 MB, 3.2 s with 64 MB (sorting the rows by the
 * key first saved little more, and cost more than it saved on a fresh table).
 */
const KEYED_CACHE_KB = 65_536;

/** A run table's name (issue 12): `r` and digits, made by the load's parse threads. */
const RUN_TABLE = /^r[0-9]{1,15}$/;
const runSchema = (file: number): string => `itd_run${file}`;

/** A table's columns as SQLite declares them, in order. */
interface DeclaredColumn {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

function declaredColumns(conn: Connection, table: string): DeclaredColumn[] {
  return conn.prepare("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid").all(table) as DeclaredColumn[];
}

const sameColumns = (a: readonly DeclaredColumn[], b: readonly DeclaredColumn[]): boolean =>
  a.length === b.length &&
  a.every((c, i) => {
    const d = b[i];
    return d !== undefined && c.name === d.name && c.type === d.type && c.notnull === d.notnull && c.dflt_value === d.dflt_value && c.pk === d.pk;
  });

/**
 * A run table's definition: the target's columns with their types and
 * defaults (a column the load does not fill gets its default, as an insert
 * into the target would give it). NOT NULL is left to the target: SQLite then
 * copies row by row and names the target's column, as a direct insert would.
 */
function runColumnsSql(columns: readonly DeclaredColumn[]): string {
  const defs = columns.map((c) => `${quoteIdent(c.name)}${c.type === "" ? "" : ` ${c.type}`}${c.dflt_value === null ? "" : ` DEFAULT (${c.dflt_value})`}`);
  return `(${defs.join(", ")})`;
}

interface OpenRuns extends RunFiles {
  /** The target's columns when the files were made: a run table's. */
  columns: DeclaredColumn[];
}

class LoadImpl implements SqliteLoad, SliceHost {
  readonly database: string;
  readonly table: string;
  readonly mode: OutMode;
  readonly writer: RowWriter;
  readonly counter: WriteCounter;
  readonly width: number;
  readonly bufferRows: number;
  private readonly target: Target;
  private readonly committedSlices: Committed[] = [];
  private readonly sliceIds = new Set<string>();
  private current: SliceImpl | undefined;
  private scratch: Scratch | undefined;
  private runs: OpenRuns | undefined;
  /** How rows meet the table's (a key's OR IGNORE or ON CONFLICT; plain for the staging modes). */
  private readonly form: InsertForm;
  private state: "open" | "finished" | "aborted" = "open";

  constructor(
    private readonly ctx: LoadContext,
    readonly conn: Connection,
    private readonly opts: BeginLoadOptions,
  ) {
    this.database = opts.database;
    this.table = opts.table;
    this.mode = opts.mode;
    this.width = opts.columns.length + 1;
    this.bufferRows = Math.max(1, opts.bufferRows ?? DEFAULT_BUFFER_ROWS);
    // Scratch files of loads killed before they could remove theirs (design: every load cleans up at its start).
    removeStaleScratch(ctx.file);
    this.target = conn.transaction(() => {
      this.checkFence();
      return usesStaging(opts.mode) ? this.prepareStaging() : this.prepareAppend();
    }).immediate();
    if (usesStaging(opts.mode)) ctx.live.add(this.target.table);
    const columns = [...opts.columns.map((c) => c.name), TIME_COLUMN];
    const key = this.target.key;
    const match = key?.match;
    this.form = insertForm(this.target.table, match, columns);
    if (match !== undefined && match.kind !== "insert") conn.pragma(`main.cache_size = -${KEYED_CACHE_KB}`);
    this.counter = new WriteCounter(conn, this.target.table, match, key?.index === undefined ? undefined : { name: key.index, database: opts.database });
    try {
      this.writer = new RowWriter(conn, this.target.table, columns, undefined, this.form);
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Append and upsert: create the table or add the load's new columns; the key's index as the match wants it. */
  private prepareAppend(): Target {
    const { conn, table, opts } = this;
    dropStaleStaging(conn, table, this.ctx.live);
    const existing = readTableColumns(conn, table);
    let warnings: string[] = [];
    if (existing === undefined) {
      createTableWith(conn, table, opts.columns);
    } else {
      const plan = planKeepColumns(table, existing, opts.columns);
      if (plan.added.length > 0) addColumns(conn, table, plan);
      warnings = plan.warnings;
    }
    const key = reconcileKeyIndex(conn, this.database, table, opts.match ?? { kind: "insert" });
    return { table, columns: [], warnings, key };
  }

  /** Other modes: drop stale staging tables, create this load's. */
  private prepareStaging(): Target {
    const { conn, table, opts } = this;
    dropStaleStaging(conn, table, this.ctx.live);
    const stage = stagingTableName(opts.jobId, table);
    if (this.ctx.live.has(stage) || tableExistsIn(conn, stage)) {
      throw new ItdError("conflict", `Job ${opts.jobId} is already loading into ${opts.database}.${table}`);
    }
    const existing = opts.mode === "truncate" ? readTableColumns(conn, table) : undefined;
    const plan =
      existing === undefined
        ? { columns: [TIME, ...opts.columns.map((c) => ({ name: c.name, type: c.type }))], warnings: [] }
        : planKeepColumns(table, existing, opts.columns);
    conn.exec(createTableSql(stage, plan.columns));
    registerStaging(conn, { stageTable: stage, table, jobId: opts.jobId, ...currentOwner() }, this.ctx.clock.now());
    return { table: stage, columns: plan.columns, warnings: plan.warnings };
  }

  beginSlice(sliceId: string): SqliteSlice {
    this.assertOpen();
    if (this.current !== undefined) {
      throw sliceStillOpen(this.current.id, "first");
    }
    const { stream, jobId } = this.opts;
    if (this.sliceIds.has(sliceId) || isCommitted(this.conn, stream, jobId, sliceId)) {
      throw alreadyCommitted(stream, jobId, sliceId);
    }
    this.current = new SliceImpl(sliceId, this);
    return this.current;
  }

  /** Inside a write transaction: the load's lease token is still the stream's newest (records it the first time). */
  private checkFence(): void {
    if (this.opts.fence !== undefined) fenceStream(this.conn, this.opts.stream, this.opts.fence);
  }

  lastCommitted(stream: string): CommittedCursor | undefined {
    this.assertOpen();
    return lastCommitted(this.conn, stream);
  }

  spill(rows: readonly Row[]): void {
    if (this.scratch === undefined) {
      this.scratch = new Scratch(this.conn, this.ctx.file, [...this.opts.columns.map((c) => c.name), TIME_COLUMN]);
    }
    this.scratch.spill(rows);
  }

  copySpilled(): void {
    this.counter.add(this.scratch?.copyInto(this.target.table, this.form) ?? 0);
  }

  clearSpilled(): void {
    this.scratch?.clear();
  }

  openRunFiles(count: number): RunFiles {
    this.assertOpen();
    if (this.runs !== undefined) throw new ItdError("internal", `The load into ${this.database}.${this.table} already has its run files`);
    const columns = declaredColumns(this.conn, this.target.table);
    const runs: OpenRuns = {
      files: [],
      database: this.ctx.file,
      columns,
      columnsSql: runColumnsSql(columns),
      insertColumns: [...this.opts.columns.map((c) => c.name), TIME_COLUMN],
    };
    this.runs = runs;
    this.conn.pragma("wal_autocheckpoint = 0");
    // The commit appends the runs' pages: a bigger cache than 2 MB only holds pages already written — unless the
    // table has a key, whose index takes rows all over it.
    this.conn.pragma(`main.cache_size = -${this.counter.counting ? KEYED_CACHE_KB : 2048}`);
    for (let i = 0; i < count; i++) {
      const file = createScratchFile(this.ctx.file);
      (runs.files as string[]).push(file);
      this.conn.prepare(`ATTACH DATABASE ? AS ${runSchema(i)}`).run(file);
      // Read once, in order, at commit: no use for better-sqlite3's 16 MB page cache per schema.
      this.conn.pragma(`${runSchema(i)}.cache_size = -2048`);
    }
    return runs;
  }

  checkRun(run: RunRef): void {
    const files = this.runs?.files.length ?? 0;
    if (!Number.isInteger(run.file) || run.file < 0 || run.file >= files || !RUN_TABLE.test(run.table) || !(run.rows >= 0)) {
      throw new ItdError("internal", `Not a run of this load: ${JSON.stringify(run)}`);
    }
  }

  copyRuns(runs: readonly RunRef[]): void {
    const open = this.runs as OpenRuns;
    const target = quoteIdent(this.target.table);
    // A run table has the target's columns: the copy is SQLite's transfer of whole records. When the target
    // changed meanwhile (another load added columns) or has a key of its own, the load's columns by name.
    // A key (issue 15) takes the load's columns by name too, with its OR IGNORE or ON CONFLICT.
    const now = declaredColumns(this.conn, this.target.table);
    const form = this.form;
    const whole = sameColumns(now, open.columns) && now.every((c) => c.pk === 0) && form.verb === "INSERT INTO" && form.conflict === "";
    const list = open.insertColumns.map(quoteIdent).join(", ");
    for (const run of runs) {
      const from = `${runSchema(run.file)}.${quoteIdent(run.table)}`;
      const sql = whole
        ? `INSERT INTO main.${target} SELECT * FROM ${from}`
        : `${form.verb} main.${target} (${list}) SELECT ${list} FROM ${from}${form.selectWhere}${form.conflict}`;
      this.counter.add(this.conn.prepare(sql).run().changes);
    }
  }

  beforeCommit(slice: string, cursorJson: string, rows: number, position: StreamPosition | undefined): void {
    if (usesStaging(this.mode)) return;
    this.checkFence();
    this.record({ slice, cursorJson, rows, position }, this.ctx.clock.now());
  }

  committed(slice: string, cursorJson: string, rows: number, position: StreamPosition | undefined): void {
    this.sliceIds.add(slice);
    this.committedSlices.push({ slice, cursorJson, rows, position });
  }

  ended(slice: SliceImpl): void {
    if (this.current === slice) this.current = undefined;
  }

  finish(): LoadResult {
    this.assertOpen();
    if (this.current !== undefined) {
      throw sliceStillOpen(this.current.id, "before finish()");
    }
    const rows = this.committedSlices.reduce((n, s) => n + s.rows, 0);
    const replaced = replacesTable(this.mode, rows);
    if (usesStaging(this.mode)) {
      try {
        this.conn.transaction(() => this.swap(replaced)).immediate();
      } catch (err) {
        throw asStoreError(err, `Cannot finish loading into ${this.database}.${this.table}`);
      }
    }
    this.end("finished");
    return { rows, slices: this.committedSlices.length, replaced, warnings: [...this.target.warnings] };
  }

  /** One transaction: the table becomes the staging table (or stays, with no new data), plus the ledger rows. */
  private swap(replace: boolean): void {
    const { conn, table } = this;
    const stage = this.target.table;
    this.checkFence();
    if (replace) {
      conn.exec(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
      conn.exec(`ALTER TABLE ${quoteIdent(stage)} RENAME TO ${quoteIdent(table)}`);
      unregisterStaging(conn, stage);
      writeColumnTypes(conn, table, this.target.columns);
    } else {
      dropStaging(conn, stage);
    }
    const now = this.ctx.clock.now();
    for (const s of this.committedSlices) this.record(s, now);
  }

  private record(s: Committed, committedAt: number): void {
    const { stream, jobId } = this.opts;
    recordSlice(this.conn, { stream, jobId, slice: s.slice, table: this.table, cursorJson: s.cursorJson, rows: s.rows, committedAt, position: s.position });
  }

  abort(): void {
    if (this.state !== "open") return;
    try {
      this.current?.rollback();
      if (usesStaging(this.mode)) this.conn.transaction(() => dropStaging(this.conn, this.target.table)).immediate();
    } catch {
      // Left for the stale-staging cleanup of the next load on this table.
    } finally {
      this.end("aborted");
    }
  }

  private end(state: "finished" | "aborted"): void {
    this.state = state;
    if (usesStaging(this.mode)) this.ctx.live.delete(this.target.table);
    try {
      try {
        this.scratch?.dispose();
      } finally {
        this.conn.close();
        for (const file of this.runs?.files ?? []) removeScratchFile(file);
      }
    } finally {
      this.ctx.ended(this);
    }
  }

  private assertOpen(): void {
    if (this.state !== "open") {
      throw new ItdError("internal", `The load into ${this.database}.${this.table} is already ${this.state}`);
    }
  }
}
