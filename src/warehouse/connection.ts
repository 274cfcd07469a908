/**
 * Opening SQLite connections to a database file: WAL, a busy timeout (5 s, writers 120 s),
 * synchronous=NORMAL, 0600 files; read-only connections for queries.
 */
import Database from "better-sqlite3";
import { ItdError, StoreError } from "../errors.js";
import { explainAccess, type Want } from "../home.js";
import { secureDatabaseFiles } from "./layout.js";
import { migrateMetadata } from "./metadata.js";

export type Connection = Database.Database;

export const BUSY_TIMEOUT_MS = 5_000;
/**
 * Writers wait longer: another load holds the write lock only while it copies
 * a committed slice from its scratch file or swaps a staging table, which is
 * bounded by the slice's size, not by Iterable.
 */
export const WRITE_BUSY_TIMEOUT_MS = 120_000;

/**
 * Page size of a new database file: 16 KB, not SQLite's 4 KB. Imports write
 * rows in bulk and queries mostly scan: measured, 1M records in 24 slices
 * imported in 4.4 s instead of 4.8 s (fewer pages to write, copy and checkpoint).
 */
export const PAGE_SIZE = 16_384;

/** A read-write connection to an existing database file, with itd's tables in place. */
export function openWritable(file: string): Connection {
  const conn = open(file, false);
  try {
    // A new database file gets its page size before its first table (WAL mode fixes it too); older files keep theirs.
    if ((conn.pragma("page_count", { simple: true }) as number) === 0) conn.pragma(`page_size = ${PAGE_SIZE}`);
    conn.pragma("journal_mode = WAL");
    conn.pragma("synchronous = NORMAL");
    conn.pragma(`busy_timeout = ${WRITE_BUSY_TIMEOUT_MS}`);
    migrateMetadata(conn);
    secureDatabaseFiles(file);
  } catch (err) {
    conn.close();
    throw accessProblem(err, file, "read-write") ?? asStoreError(err, `Cannot prepare database file ${file}`);
  }
  return conn;
}

/** A read-only connection (`query_only` too) to an existing database file. */
export function openReadonly(file: string): Connection {
  const conn = open(file, true);
  conn.pragma("query_only = ON");
  return conn;
}

function open(file: string, readonly: boolean): Connection {
  try {
    return new Database(file, { readonly, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw accessProblem(err, file, readonly ? "read" : "read-write") ?? asStoreError(err, `Cannot open database file ${file}`);
  }
}

/** SQLite could not open or write the file for want of permission (a file or -wal another user left): says which and why. */
function accessProblem(err: unknown, file: string, want: Want): StoreError | undefined {
  const code = sqliteCode(err) ?? "";
  if (!code.startsWith("SQLITE_CANTOPEN") && !code.startsWith("SQLITE_READONLY") && !code.startsWith("SQLITE_PERM")) return undefined;
  const why = explainAccess(file, err, want);
  return new StoreError(`Cannot open database file ${file}: ${why === (err as Error).message ? why : `${(err as Error).message}: ${why}`}`, { cause: err });
}

/** SQLite's error code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`...), if any. */
export function sqliteCode(err: unknown): string | undefined {
  if (err instanceof Database.SqliteError) return err.code;
  return undefined;
}

/** Wraps a SQLite failure in a StoreError (retryable when the database was busy or locked); ItdErrors pass through. */
export function asStoreError(err: unknown, message: string): Error {
  if (err instanceof ItdError) return err;
  const code = sqliteCode(err) ?? "";
  const retryable = code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
  const detail = err instanceof Error ? err.message : String(err);
  return new StoreError(`${message}: ${detail}`, { cause: err, retryable });
}
