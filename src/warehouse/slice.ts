/**
 * One slice of a load: its rows and (in append mode) its ledger row are
 * committed in one SQLite transaction. Rows wait in memory until
 * `bufferRows` of them gather, then in the load's scratch file (memory stays
 * flat); the database's write lock is taken only at commit, for the copy.
 */
import { DataError, ItdError } from "../errors.js";
import type { Connection } from "./connection.js";
import { asStoreError } from "./connection.js";
import { encodeCursor } from "./ledger.js";
import type { WriteCounter } from "./keys.js";
import type { Row, RunRef, SliceCounts, SqliteSlice, StreamPosition } from "./types.js";
import type { RowWriter } from "./writer.js";

/** What a slice needs from its load. */
export interface SliceHost {
  readonly conn: Connection;
  readonly writer: RowWriter;
  /** Counts what a key did to the slice's rows (issue 15). */
  readonly counter: WriteCounter;
  /** Values per row: the load's columns plus time. */
  readonly width: number;
  readonly bufferRows: number;
  /** Moves rows out of memory into the load's scratch file (no lock on the database). */
  spill(rows: readonly Row[]): void;
  /** Inside the commit's transaction: copies the spilled rows into the target, first. */
  copySpilled(): void;
  /** Forgets the spilled rows. */
  clearSpilled(): void;
  /** Checks a run before the slice adopts it (throws when it names no run file of the load). */
  checkRun(run: RunRef): void;
  /** Inside the commit's transaction: copies the runs into the target, in order. */
  copyRuns(runs: readonly RunRef[]): void;
  /** Runs inside the slice's transaction just before COMMIT (append: the ledger row). */
  beforeCommit(slice: string, cursorJson: string, rows: number, position: StreamPosition | undefined): void;
  /** After COMMIT (staging modes: remember the cursor for finish()). */
  committed(slice: string, cursorJson: string, rows: number, position: StreamPosition | undefined): void;
  /** The slice is over, committed or not. */
  ended(slice: SliceImpl): void;
}

type SliceState = "open" | "committed" | "rolled_back";

export class SliceImpl implements SqliteSlice {
  private buffer: Row[] = [];
  private readonly runs: RunRef[] = [];
  private count = 0;
  private state: SliceState = "open";

  constructor(
    readonly id: string,
    private readonly host: SliceHost,
  ) {}

  get rows(): number {
    return this.count;
  }

  insert(rows: readonly Row[]): void {
    this.assertOpen("insert into");
    if (this.runs.length > 0) throw new ItdError("internal", `Slice '${this.id}' takes its rows by runs; insert() is not for it`);
    const { width } = this.host;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!Array.isArray(row) || row.length !== width) {
        throw new DataError(
          `Row ${this.count + i + 1} of slice '${this.id}' has ${Array.isArray(row) ? row.length : "no"} values; ` +
            `expected ${width} (${width - 1} columns, then time)`,
        );
      }
    }
    for (const row of rows) this.buffer.push(row);
    this.count += rows.length;
    if (this.buffer.length >= this.host.bufferRows) {
      this.guard(() => {
        this.host.spill(this.buffer);
        this.buffer = [];
      });
    }
  }

  addRun(run: RunRef): void {
    this.assertOpen("add a run to");
    if (this.count > this.runs.reduce((n, r) => n + r.rows, 0)) {
      throw new ItdError("internal", `Slice '${this.id}' takes its rows by insert(); addRun() is not for it`);
    }
    this.host.checkRun(run);
    this.runs.push(run);
    this.count += run.rows;
  }

  commit(cursor: unknown, position?: StreamPosition): SliceCounts {
    this.assertOpen("commit");
    const cursorJson = encodeCursor(cursor);
    let counts: SliceCounts = { present: 0, updated: 0 };
    this.guard(() => {
      const { conn, counter } = this.host;
      conn.exec("BEGIN IMMEDIATE");
      counter.begin();
      this.host.copySpilled();
      if (this.runs.length > 0) this.host.copyRuns(this.runs);
      if (this.buffer.length > 0) {
        counter.add(this.host.writer.write(this.buffer));
        this.buffer = [];
      }
      counts = counter.end(this.count);
      this.host.beforeCommit(this.id, cursorJson, this.count, position);
      conn.exec("COMMIT");
    });
    this.state = "committed";
    this.host.committed(this.id, cursorJson, this.count, position);
    this.host.ended(this);
    return counts;
  }

  rollback(): void {
    if (this.state !== "open") return;
    this.buffer = [];
    this.runs.length = 0;
    this.state = "rolled_back";
    try {
      if (this.host.conn.open && this.host.conn.inTransaction) this.host.conn.exec("ROLLBACK");
      if (this.host.conn.open) this.host.clearSpilled();
    } finally {
      this.host.ended(this);
    }
  }

  /** Any failure while writing rolls the whole slice back: nothing of it stays. */
  private guard(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.rollback();
      throw asStoreError(err, `Slice '${this.id}' failed`);
    }
  }

  private assertOpen(what: string): void {
    if (this.state !== "open") {
      throw new ItdError("internal", `Cannot ${what} slice '${this.id}': it is ${this.state.replace("_", " ")}`);
    }
  }
}
