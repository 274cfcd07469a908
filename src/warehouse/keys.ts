/**
 * The key of a table that de-duplicates or upserts (issue 15), on the
 * embedded engine: a unique index the load keeps in step with its
 * `RowMatch`, and the INSERT forms that use it.
 *
 * - `skip_present`: `INSERT OR IGNORE` against a unique index on the key's
 *   values made null-equal (`ifnull(col, x'')`: an empty blob equals no text
 *   or number), so a re-read record whose key has a null part still matches.
 * - `upsert`: `INSERT … ON CONFLICT (key) DO UPDATE` against a unique index
 *   on the key's columns; the stored row is replaced only by a row at least
 *   as new (`time`) that differs, so a replay changes nothing.
 *
 * An index's name says what it is for (`itd_key_` and a hash of the table
 * and the key); a load drops the ones it no longer wants (a key changed, or
 * lookback switched off — a plain append would otherwise fail on it).
 */
import { createHash } from "node:crypto";
import { DataError, StoreError } from "../errors.js";
import type { Connection } from "./connection.js";
import { quoteIdent } from "./names.js";
import { TIME_COLUMN } from "./schema.js";
import type { RowMatch, SliceCounts } from "./types.js";

export const KEY_INDEX_PREFIX = "itd_key_";

/** The name of the index a match wants on a table (at most 20 characters: fits PostgreSQL's 63 in any schema). */
export function keyIndexName(table: string, match: RowMatch): string | undefined {
  if (match.kind === "insert") return undefined;
  const h = createHash("sha256").update([table, match.kind, ...match.key].join("\u0000")).digest("hex");
  return `${KEY_INDEX_PREFIX}${h.slice(0, 12)}`;
}

/** What the key is, for messages: `(message_id, created_at)`. */
export const keyText = (key: readonly string[]): string => `(${key.join(", ")})`;

/** A table's key already has repeats: the index cannot be made. */
export function duplicateKeys(database: string, table: string, match: Exclude<RowMatch, { kind: "insert" }>, repeats: number, example: string): DataError {
  const what = match.kind === "upsert" ? "out.primary_keys" : "in.dedup_keys";
  return new DataError(
    `Cannot ${match.kind === "upsert" ? "upsert into" : "de-duplicate"} ${database}.${table} by ${keyText(match.key)}: ` +
      `the table already holds ${repeats} key${repeats === 1 ? "" : "s"} more than once (e.g. ${example}). ` +
      `Remove the repeated rows first, or choose another key (${what})`,
  );
}

const nullEqual = (column: string): string => `ifnull(${quoteIdent(column)}, x'')`;

/** The table's key as a load uses it: the index it relies on, and the match its rows are written by. */
export interface TableKey {
  /** The `itd_key_` index a keyed load relies on: every commit checks it is still there. */
  index: string | undefined;
  /** A plain load into a table that has a key de-duplicates by it (skip_present, whatever the key's columns). */
  match: RowMatch;
}

/** A keyed slice whose index went away (another load changed the table's key, or replaced the table). */
export function keyIndexGone(database: string, table: string, index: string): StoreError {
  return new StoreError(
    `The key of ${database}.${table} changed while this load ran (its index ${index} is gone: another load with another key, or a replacing load); nothing of this slice was committed`,
  );
}

/**
 * Inside the caller's write transaction: the table's key for a load with
 * `match`. A keyed load finds its index, or (a default key) the table's
 * own de-duplication key, or replaces the table's key by its own — checked
 * against the rows (a DataError naming the repeats). A plain load never
 * drops a key: another load may rely on it.
 */
export function reconcileKeyIndex(conn: Connection, database: string, table: string, match: RowMatch): TableKey {
  const existing = (
    conn
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND substr(name, 1, ?) = ?")
      .all(table, KEY_INDEX_PREFIX.length, KEY_INDEX_PREFIX) as { name: string; sql: string | null }[]
  ).map((e) => ({ name: e.name, skip: (e.sql ?? "").includes("ifnull(") }));
  if (match.kind === "insert") return { index: undefined, match: existing.length > 0 ? { kind: "skip_present", key: [] } : match };
  const wanted = keyIndexName(table, match) as string;
  if (existing.some((e) => e.name === wanted)) return { index: wanted, match };
  // A default key that gained or lost an optional column (in.columns changed) keeps the key the rows were checked by.
  const kept = match.kind === "skip_present" && match.keep === true ? existing.find((e) => e.skip) : undefined;
  if (kept !== undefined) return { index: kept.name, match };
  for (const { name } of existing) conn.exec(`DROP INDEX ${quoteIdent(name)}`);
  const parts = match.kind === "skip_present" ? match.key.map(nullEqual) : match.key.map(quoteIdent);
  const list = parts.join(", ");
  const repeat = conn
    .prepare(`SELECT count(*) AS n, min(k) AS example FROM (SELECT ${match.key.map((c) => `quote(${quoteIdent(c)})`).join(" || ', ' || ")} AS k FROM ${quoteIdent(table)} GROUP BY ${list} HAVING count(*) > 1)`)
    .get() as { n: number; example: string | null };
  if (repeat.n > 0) throw duplicateKeys(database, table, match, repeat.n, `${keyText(match.key)} = (${repeat.example ?? ""})`);
  conn.exec(`CREATE UNIQUE INDEX ${quoteIdent(wanted)} ON ${quoteIdent(table)} (${list})`);
  return { index: wanted, match };
}

/**
 * How rows are inserted: `INSERT OR IGNORE` for skip_present; for upsert the
 * ON CONFLICT clause (after a VALUES list, or after `SELECT … WHERE true`).
 * `columns`: the load's columns, `time` last.
 */
export interface InsertForm {
  verb: string;
  /** After the rows (empty for insert and skip_present). */
  conflict: string;
  /** An INSERT … SELECT needs `WHERE true` before an ON CONFLICT clause (SQLite's parser). */
  selectWhere: string;
}

export function insertForm(table: string, match: RowMatch | undefined, columns: readonly string[]): InsertForm {
  if (match === undefined || match.kind === "insert") return { verb: "INSERT INTO", conflict: "", selectWhere: "" };
  if (match.kind === "skip_present") return { verb: "INSERT OR IGNORE INTO", conflict: "", selectWhere: "" };
  const key = new Set(match.key);
  const target = quoteIdent(table);
  const rest = columns.filter((c) => !key.has(c));
  const set = rest.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(", ");
  // A version differs by its data: a re-read with only a newer import time (no time_column) changes nothing.
  const data = rest.filter((c) => c !== TIME_COLUMN);
  const differs = data.map((c) => `${target}.${quoteIdent(c)} IS NOT excluded.${quoteIdent(c)}`).join(" OR ");
  const time = quoteIdent(TIME_COLUMN);
  const conflict =
    data.length === 0
      ? ` ON CONFLICT (${match.key.map(quoteIdent).join(", ")}) DO NOTHING`
      : ` ON CONFLICT (${match.key.map(quoteIdent).join(", ")}) DO UPDATE SET ${set} WHERE excluded.${time} >= ${target}.${time} AND (${differs})`;
  return { verb: "INSERT INTO", conflict, selectWhere: " WHERE true" };
}

/**
 * Counts a slice's writes, inside its transaction: `begin()` before the
 * first write, `add(changes)` after each, `end(rows)` after the last.
 * Upsert tells new rows from replaced ones by rowid: a new row's rowid is
 * above every rowid the table had (SQLite gives max + 1 while it can).
 */
export class WriteCounter {
  private changes = 0;
  private maxRowid = 0;

  constructor(
    private readonly conn: Connection,
    private readonly table: string,
    private readonly match: RowMatch | undefined,
    /** The index a keyed load relies on (checked at each commit), and the database's name for messages. */
    private readonly index?: { name: string; database: string },
  ) {}

  get counting(): boolean {
    return this.match !== undefined && this.match.kind !== "insert";
  }

  begin(): void {
    this.changes = 0;
    const index = this.index;
    if (index !== undefined && this.conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(index.name) === undefined) {
      throw keyIndexGone(index.database, this.table, index.name);
    }
    if (this.match?.kind === "upsert") {
      const r = this.conn.prepare(`SELECT max(rowid) AS m FROM ${quoteIdent(this.table)}`).get() as { m: number | bigint | null };
      this.maxRowid = Number(r.m ?? 0);
    }
  }

  add(changes: number | bigint): void {
    this.changes += Number(changes);
  }

  end(rows: number): SliceCounts {
    if (!this.counting) return { present: 0, updated: 0 };
    if (this.match?.kind !== "upsert") return { present: rows - this.changes, updated: 0 };
    const r = this.conn.prepare(`SELECT count(*) AS n FROM ${quoteIdent(this.table)} WHERE rowid > ?`).get(this.maxRowid) as { n: number };
    const updated = this.changes - r.n;
    return { present: rows - this.changes, updated };
  }
}
