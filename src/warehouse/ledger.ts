/**
 * The exactly-once ledger `_itd_loads` (design §5): one row per committed
 * slice, written in the same transaction as the slice's rows.
 */
import { DataError, ItdError } from "../errors.js";
import type { Connection } from "./connection.js";
import { sqliteCode } from "./connection.js";
import type { CommittedCursor, LedgerFilter, LedgerRow, StreamPosition } from "./types.js";

export interface LedgerEntry {
  stream: string;
  jobId: string;
  slice: string;
  table: string;
  /** The cursor, already encoded by `encodeCursor`. */
  cursorJson: string;
  rows: number;
  committedAt: number;
  position: StreamPosition | undefined;
}

interface LedgerRecord {
  stream: string;
  job_id: string;
  slice: string;
  table_name: string;
  cursor: string;
  rows: number;
  committed_at: number;
}

/** The cursor as stored: JSON text. */
export function encodeCursor(cursor: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(cursor ?? null);
  } catch (err) {
    throw new DataError(`The cursor cannot be stored as JSON: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  // JSON.stringify returns undefined for functions and symbols.
  return text ?? "null";
}

export function alreadyCommitted(stream: string, jobId: string, slice: string): ItdError {
  return new ItdError("conflict", `Slice '${slice}' of job ${jobId} (stream '${stream}') is already committed`);
}

export function isCommitted(conn: Connection, stream: string, jobId: string, slice: string): boolean {
  return (
    conn.prepare("SELECT 1 FROM _itd_loads WHERE stream = ? AND job_id = ? AND slice = ?").get(stream, jobId, slice) !==
    undefined
  );
}

/** Writes a ledger row; must run inside the slice's transaction. A (stream, job, slice) committed before is a conflict. */
export function recordSlice(conn: Connection, entry: LedgerEntry): void {
  try {
    conn
      .prepare(
        `INSERT INTO _itd_loads (stream, job_id, slice, table_name, cursor, rows, committed_at, epoch, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(entry.stream, entry.jobId, entry.slice, entry.table, entry.cursorJson, entry.rows, entry.committedAt,
        entry.position?.epoch ?? null, entry.position?.seq ?? null);
  } catch (err) {
    if (sqliteCode(err) === "SQLITE_CONSTRAINT_UNIQUE") throw alreadyCommitted(entry.stream, entry.jobId, entry.slice);
    throw err;
  }
}

export function lastCommitted(conn: Connection, stream: string): CommittedCursor | undefined {
  const r = conn
    .prepare(
      "SELECT job_id, slice, cursor, committed_at, epoch, seq FROM _itd_loads WHERE stream = ? ORDER BY id DESC LIMIT 1",
    )
    .get(stream) as (Pick<LedgerRecord, "job_id" | "slice" | "cursor" | "committed_at"> & { epoch: number | null; seq: number | null }) | undefined;
  if (r === undefined) return undefined;
  const position = r.epoch === null || r.seq === null ? undefined : { epoch: r.epoch, seq: r.seq };
  return { cursor: JSON.parse(r.cursor), jobId: r.job_id, slice: r.slice, committedAt: r.committed_at, position };
}

/** A commit under `token` is no longer allowed: a newer lease holder fenced the stream. */
export function fenced(stream: string, token: number, newer: number): ItdError {
  return new ItdError(
    "conflict",
    `stream '${stream}' lost its lease: a newer run (token ${newer}) took it over from this one (token ${token}); nothing of this slice was committed`,
  );
}

/**
 * Inside a write transaction: records `token` as the stream's fence, or
 * throws when a newer token is already there (this holder lost its lease).
 */
export function fenceStream(conn: Connection, stream: string, token: number): void {
  const seen = conn.prepare("SELECT token FROM _itd_fences WHERE stream = ?").pluck().get(stream) as number | undefined;
  if (seen !== undefined && seen > token) throw fenced(stream, token, seen);
  if (seen !== token) conn.prepare("INSERT OR REPLACE INTO _itd_fences (stream, token) VALUES (?, ?)").run(stream, token);
}

export function readLedger(conn: Connection, filter: LedgerFilter = {}): LedgerRow[] {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.stream !== undefined) {
    where.push("stream = ?");
    params.push(filter.stream);
  }
  if (filter.jobId !== undefined) {
    where.push("job_id = ?");
    params.push(filter.jobId);
  }
  const sql = `SELECT stream, job_id, slice, table_name, cursor, rows, committed_at FROM _itd_loads
               ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id`;
  const records = conn.prepare(sql).all(...params) as LedgerRecord[];
  return records.map((r) => ({
    stream: r.stream,
    jobId: r.job_id,
    slice: r.slice,
    table: r.table_name,
    cursor: JSON.parse(r.cursor) as unknown,
    rows: r.rows,
    committedAt: r.committed_at,
  }));
}

/** When a table last received a committed slice (ms since the epoch), or null. */
export function lastImportAt(conn: Connection, table: string): number | null {
  const v = conn.prepare("SELECT max(committed_at) FROM _itd_loads WHERE table_name = ?").pluck().get(table);
  return typeof v === "number" ? v : null;
}
