/**
 * The state store's port (design §6b: engines behind ports): the small,
 * synchronous SQL surface the store's modules use — statements with `?` or
 * `@name` parameters, and transactions — with two engines: the home's
 * `state.db` (better-sqlite3, the default) and a shared PostgreSQL
 * (`postgres/sync-db.ts`, several daemons on several hosts). The store's SQL
 * is written once, in the dialect both accept; the few places that differ ask
 * `engine`.
 */
import type Database from "better-sqlite3";

export type StateEngine = "sqlite" | "postgres";

export interface RunResult {
  changes: number;
}

export interface Statement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): RunResult;
  /** Rows as arrays of values (a listing of 10,000 schedules makes no objects). */
  raw(): Statement;
}

/** A function run as one transaction: `immediate` takes the write lock at once (SQLite); both engines retry nothing the caller sees. */
export interface Transaction<A extends unknown[], R> {
  (...args: A): R;
  immediate(...args: A): R;
}

export interface Db {
  readonly engine: StateEngine;
  prepare(sql: string): Statement;
  /**
   * `fn` as one transaction (nested: a savepoint). On PostgreSQL it runs
   * SERIALIZABLE and is run again after a serialization failure, so it must
   * do nothing but store work (it does: every caller's `fn` reads and writes
   * the store only).
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R>;
  /**
   * `fn` as one unit of bulk work: one transaction on SQLite (10,000 marks are
   * one commit), its statements each their own on PostgreSQL (a long
   * SERIALIZABLE transaction there would collide with every other daemon's).
   */
  batch<R>(fn: () => R): R;
  exec(sql: string): void;
  /** SQLite's PRAGMA; on PostgreSQL only `data_version` (a change counter) is known. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): void;
}

/** The SQLite engine: better-sqlite3's own statements and transactions, unchanged. */
export function sqliteDb(raw: Database.Database): Db & { readonly raw: Database.Database } {
  return {
    engine: "sqlite",
    raw,
    prepare: (sql) => raw.prepare(sql) as unknown as Statement,
    transaction: <A extends unknown[], R>(fn: (...args: A) => R) => raw.transaction(fn) as unknown as Transaction<A, R>,
    batch: (fn) => raw.transaction(fn).immediate(),
    exec: (sql) => void raw.exec(sql),
    pragma: (source, options) => raw.pragma(source, options),
    close: () => raw.close(),
  };
}
