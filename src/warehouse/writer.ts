/**
 * Fast inserts: statements prepared once per load, rows written in multi-row
 * `INSERT … VALUES (…),(…)` batches (about 1.5× single-row inserts here).
 */
import type { Statement } from "better-sqlite3";
import { DataError } from "../errors.js";
import type { Connection } from "./connection.js";
import type { InsertForm } from "./keys.js";
import { quoteIdent } from "./names.js";
import type { Row } from "./types.js";

/** SQLite's SQLITE_MAX_VARIABLE_NUMBER as better-sqlite3 builds it. */
const MAX_VARIABLES = 32_766;
const MAX_BATCH_ROWS = 100;

export function batchRows(width: number): number {
  return Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_VARIABLES / width)));
}

const PLAIN: Pick<InsertForm, "verb" | "conflict"> = { verb: "INSERT INTO", conflict: "" };

export function insertSql(table: string, columns: readonly string[], rows: number, schema?: string, form = PLAIN): string {
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const target = schema === undefined ? quoteIdent(table) : `${schema}.${quoteIdent(table)}`;
  return `${form.verb} ${target} (${columns.map(quoteIdent).join(", ")}) VALUES ${Array(rows).fill(tuple).join(", ")}${form.conflict}`;
}

export class RowWriter {
  private readonly width: number;
  private readonly batch: number;
  private readonly many: Statement;
  private readonly one: Statement;
  private readonly params: Row;

  /**
   * `columns`: the target columns in row order, `time` last; `schema`: an attached database's name (trusted);
   * `form`: how rows meet the table's (a key's OR IGNORE or ON CONFLICT, issue 15).
   */
  constructor(
    conn: Connection,
    table: string,
    private readonly columns: readonly string[],
    schema?: string,
    form = PLAIN,
  ) {
    this.width = columns.length;
    this.batch = batchRows(this.width);
    this.many = conn.prepare(insertSql(table, columns, this.batch, schema, form));
    this.one = conn.prepare(insertSql(table, columns, 1, schema, form));
    this.params = new Array<Row[number]>(this.batch * this.width);
  }

  /** Writes rows (already checked for length) inside the caller's transaction; returns SQLite's count of changed rows. */
  write(rows: readonly Row[]): number {
    const { batch, width, params } = this;
    let i = 0;
    let changes = 0;
    try {
      for (; i + batch <= rows.length; i += batch) {
        let k = 0;
        for (let j = i; j < i + batch; j++) {
          const row = rows[j] as Row;
          for (let c = 0; c < width; c++) params[k++] = row[c] as Row[number];
        }
        changes += this.many.run(params).changes;
      }
      for (; i < rows.length; i++) changes += this.one.run(rows[i] as Row).changes;
    } catch (err) {
      throw this.explain(err, rows, i) ?? err;
    }
    return changes;
  }

  /** better-sqlite3 refuses booleans, objects and undefined with a bare TypeError; name the culprit. */
  private explain(err: unknown, rows: readonly Row[], from: number): DataError | undefined {
    if (!(err instanceof TypeError)) return undefined;
    for (let r = from; r < rows.length; r++) {
      const row = rows[r] as Row;
      for (let c = 0; c < this.width; c++) {
        const v: unknown = row[c];
        const t = typeof v;
        if (v !== null && t !== "number" && t !== "bigint" && t !== "string") {
          return new DataError(
            `Column '${this.columns[c] ?? c}' got a ${v === undefined ? "undefined" : t} value; ` +
              "stored values are numbers, bigints, strings or null",
            { cause: err },
          );
        }
      }
    }
    return new DataError(`A row could not be stored: ${err.message}`, { cause: err });
  }
}
