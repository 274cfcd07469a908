/**
 * A load's scratch file. Rows of a slice beyond the in-memory buffer wait
 * here (attached to the load's connection as `itd_scratch`) instead of in an
 * open transaction on the database, so the database's write lock is held
 * only for the short copy when the slice commits, never while rows stream in
 * from Iterable: other loads into the same database go on meanwhile (the soak
 * and the resources test found one big slice failing every other schedule of
 * its database with "database is locked").
 *
 * One file per load, next to its database, 0600, removed when the load ends;
 * the files of a killed process are removed by the next load of the database.
 */
import fs from "node:fs";
import path from "node:path";
import { isProcessAlive } from "../pid.js";
import type { Connection } from "./connection.js";
import { FILE_MODE } from "./layout.js";
import type { InsertForm } from "./keys.js";
import { quoteIdent } from "./names.js";
import type { Row } from "./types.js";
import { RowWriter } from "./writer.js";

export const SCRATCH_SCHEMA = "itd_scratch";
const SCRATCH_TABLE = "rows";
const PLAIN_COPY = { verb: "INSERT INTO", conflict: "", selectWhere: "" };
let serial = 0;

function prefixOf(dbFile: string): string {
  return `.${path.basename(dbFile)}.scratch-`;
}

/** Removes scratch files of `dbFile` left by processes that are gone. */
export function removeStaleScratch(dbFile: string, isAlive: (pid: number) => boolean = isProcessAlive): string[] {
  const dir = path.dirname(dbFile);
  const prefix = prefixOf(dbFile);
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // another load is removing it
    }
  }
  return removed;
}

/** A new scratch file of `dbFile` (0600, empty), named for this process so a dead one's are found and removed. */
export function createScratchFile(dbFile: string): string {
  const file = path.join(path.dirname(dbFile), `${prefixOf(dbFile)}${process.pid}-${++serial}-${Date.now()}`);
  fs.closeSync(fs.openSync(file, "wx", FILE_MODE));
  fs.chmodSync(file, FILE_MODE);
  return file;
}

/** Removes a scratch file and its journal. */
export function removeScratchFile(file: string): void {
  for (const f of [file, `${file}-journal`]) fs.rmSync(f, { force: true });
}

export class Scratch {
  readonly file: string;
  private readonly writer: RowWriter;
  private readonly columnList: string;
  private spilled = 0;

  /** Creates the file (0600), attaches it and makes its table of `columns` (untyped: values are kept as given). */
  constructor(
    private readonly conn: Connection,
    dbFile: string,
    columns: readonly string[],
  ) {
    this.file = createScratchFile(dbFile);
    conn.prepare(`ATTACH DATABASE ? AS ${SCRATCH_SCHEMA}`).run(this.file);
    // Disposable data: no fsync, the rollback journal in memory.
    conn.pragma(`${SCRATCH_SCHEMA}.journal_mode = MEMORY`);
    conn.pragma(`${SCRATCH_SCHEMA}.synchronous = OFF`);
    this.columnList = columns.map(quoteIdent).join(", ");
    conn.exec(`CREATE TABLE ${SCRATCH_SCHEMA}.${SCRATCH_TABLE} (${this.columnList})`);
    this.writer = new RowWriter(conn, SCRATCH_TABLE, columns, SCRATCH_SCHEMA);
  }

  /** Rows waiting in the scratch file. */
  get rows(): number {
    return this.spilled;
  }

  /** Writes rows to the scratch file in its own transaction (the database itself is not locked). */
  spill(rows: readonly Row[]): void {
    this.conn.exec("BEGIN");
    try {
      this.writer.write(rows);
      this.conn.exec("COMMIT");
    } catch (err) {
      // SQLite may have rolled back already (a full disk): the original error is the one to tell.
      if (this.conn.inTransaction) this.conn.exec("ROLLBACK");
      throw err;
    }
    this.spilled += rows.length;
  }

  /** Inside the caller's transaction: copies the waiting rows into `table` (in order) and empties the scratch table. */
  /** Returns SQLite's count of changed rows (`form`: a key's OR IGNORE or ON CONFLICT, issue 15). */
  copyInto(table: string, form: InsertForm = PLAIN_COPY): number {
    if (this.spilled === 0) return 0;
    const copied = this.conn
      .prepare(
        `${form.verb} main.${quoteIdent(table)} (${this.columnList}) SELECT ${this.columnList} FROM ${SCRATCH_SCHEMA}.${SCRATCH_TABLE}` +
          `${form.selectWhere} ORDER BY rowid${form.conflict}`,
      )
      .run().changes;
    this.conn.exec(`DELETE FROM ${SCRATCH_SCHEMA}.${SCRATCH_TABLE}`);
    this.spilled = 0;
    return copied;
  }

  /** Forgets the waiting rows (a rolled-back slice). */
  clear(): void {
    if (this.spilled === 0) return;
    this.conn.exec(`DELETE FROM ${SCRATCH_SCHEMA}.${SCRATCH_TABLE}`);
    this.spilled = 0;
  }

  /** Detaches (when the connection is still open) and removes the file. */
  dispose(): void {
    try {
      if (this.conn.open && !this.conn.inTransaction) this.conn.exec(`DETACH DATABASE ${SCRATCH_SCHEMA}`);
    } catch {
      // closing the connection detaches it anyway
    }
    removeScratchFile(this.file);
  }
}
