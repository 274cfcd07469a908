/**
 * The state store's PostgreSQL engine (issue 14): the store's synchronous
 * port (db.ts) over a shared PostgreSQL, so several daemons on several hosts
 * and every CLI share schedules, jobs, cursors and leases.
 *
 * node-postgres is asynchronous and the store is not: a worker thread holds
 * the connection and the calling thread waits for each answer (synckit), as
 * it waits for SQLite's disk. Statements keep the store's `?` / `@name`
 * parameters (translated to `$n` once per statement).
 *
 * Transactions run SERIALIZABLE, the isolation that makes PostgreSQL behave
 * as SQLite's one writer did for every invariant the store keeps (a slot's
 * one job, a mark that moves with its claim, one lease per stream): a
 * transaction that collides with another daemon's fails with a serialization
 * failure and is run again, whole. Row locks (FOR UPDATE … SKIP LOCKED) keep
 * daemons from colliding on the hot paths in the first place.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createSyncFn } from "synckit";
import { StoreError } from "../../errors.js";
import { describeTarget, type PostgresTarget } from "../../warehouse/postgres/url.js";
import type { Db, RunResult, Statement, Transaction } from "../db.js";
import { DAEMON_LEASE_MS } from "../leases.js";
import type { BridgeAnswer, BridgeRequest } from "./bridge-worker.js";

/** The schema the state lives in (next to any warehouse schemas in the same database). */
export const STATE_SCHEMA = "itd_state";

/** How long one request may wait for the server before the store gives up on it. */
const ANSWER_TIMEOUT_MS = 120_000;
/** The longest a session waits for another's lock, and stays idle inside a transaction: half a daemon's lease. */
const LOCK_WAIT_MS = Math.floor(DAEMON_LEASE_MS / 2);
/** Serialization failures a transaction is run again for before the error is the caller's. */
const MAX_ATTEMPTS = 30;

type SyncCall = (req: BridgeRequest) => BridgeAnswer;

/**
 * The compiled thread entry: beside this module (dist/, or the bundle's
 * `state-pg-worker.js`), or the build's when this module runs from its
 * TypeScript source (the tests).
 */
function workerFile(): string {
  for (const rel of ["./bridge-worker.js", "./state-pg-worker.js", "../../../dist/src/store/postgres/bridge-worker.js"]) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new StoreError("the PostgreSQL state store's thread is not built; run `npm run build`");
}

let bridge: SyncCall | undefined;
function call(req: BridgeRequest): BridgeAnswer {
  bridge ??= createSyncFn(workerFile(), { timeout: ANSWER_TIMEOUT_MS }) as unknown as SyncCall;
  return bridge(req);
}

let nextConn = 1;

/** A statement's SQL with `?` and `@name` as `$n`, and the names in `$n` order. */
export function translate(sql: string): { text: string; names: string[] | undefined } {
  let out = "";
  let positional = 0;
  const names: string[] = [];
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop + 1);
      i = stop;
    } else if (c === "?") {
      out += `$${++positional}`;
    } else if (c === "@" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))?.[0] as string;
      let k = names.indexOf(name);
      if (k < 0) k = names.push(name) - 1;
      out += `$${k + 1}`;
      i += name.length;
    } else {
      out += c;
    }
  }
  if (positional > 0 && names.length > 0) throw new Error(`a statement mixes ? and @name parameters: ${sql}`);
  return { text: out, names: names.length > 0 ? names : undefined };
}

/** Waits `ms` on this thread (a retry's back-off; the thread has nothing else to do while the store waits). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class PgSyncDb implements Db {
  readonly engine = "postgres" as const;
  private readonly conn = nextConn++;
  private depth = 0;
  private broken = false;
  private closed = false;
  private readonly cache = new Map<string, { text: string; names: string[] | undefined }>();

  private constructor(readonly target: PostgresTarget, private readonly setup: string[], private readonly purpose: string) {}

  /** Connects (the session runs SERIALIZABLE, in the state's schema); `readonly`: every transaction read-only. */
  static open(target: PostgresTarget, options: { readonly?: boolean; purpose?: string } = {}): PgSyncDb {
    const setup = [
      `SET search_path TO ${STATE_SCHEMA}`,
      `SET default_transaction_isolation TO 'serializable'`,
      // A process stopped inside a transaction (SIGSTOP, a stalled VM) holds its row locks: the server ends its
      // session after this, so other daemons wait at most that long. Both bounds stay well inside a daemon's
      // lease: a daemon waits for a lock with its event loop blocked (no heartbeat), and one that waited past its
      // lease would be fenced and exit — every daemon claiming the slot a stalled one had locked.
      `SET idle_in_transaction_session_timeout TO '${LOCK_WAIT_MS}ms'`,
      `SET lock_timeout TO '${LOCK_WAIT_MS}ms'`,
      `SET statement_timeout TO '60s'`,
      ...(options.readonly === true ? [`SET default_transaction_read_only TO on`] : []),
    ];
    const db = new PgSyncDb(target, setup, options.purpose ?? "state");
    db.connect();
    return db;
  }

  private connect(): void {
    const a = call({ op: "open", conn: this.conn, target: this.target, purpose: this.purpose, setup: this.setup });
    if (!a.ok) throw new StoreError(a.error.message.startsWith("Cannot connect") ? a.error.message : `the PostgreSQL state store at ${describeTarget(this.target)}: ${a.error.message}`, { retryable: true });
    this.broken = false;
  }

  /** Runs one statement; errors carry the SQLSTATE as `sqlState` (40001 is a serialization failure). */
  query(sql: string, params: unknown[], array = false): { rows: unknown[]; rowCount: number } {
    if (this.closed) throw new StoreError("the PostgreSQL state store is closed");
    if (this.broken) {
      // Reconnecting inside a transaction would run its rest outside it.
      if (this.depth > 0) throw new StoreError(`the connection to the PostgreSQL state store at ${describeTarget(this.target)} broke inside a transaction`, { retryable: true });
      this.connect();
    }
    let a: BridgeAnswer;
    try {
      a = call({ op: "query", conn: this.conn, sql, params, array });
    } catch (err) {
      // No answer within ANSWER_TIMEOUT_MS (a network that drops everything): the connection is not to be trusted.
      this.broken = true;
      throw new StoreError(`no answer from the PostgreSQL state store at ${describeTarget(this.target)} within ${ANSWER_TIMEOUT_MS / 1000} s`, { cause: err, retryable: true });
    }
    if (a.ok) return a;
    if (a.error.broken) this.broken = true;
    const err = new StoreError(
      a.error.broken
        ? `the PostgreSQL state store at ${describeTarget(this.target)} went away (${a.error.message})`
        : `the PostgreSQL state store at ${describeTarget(this.target)}: ${a.error.message}`,
      { retryable: a.error.broken || a.error.code === "40001" || a.error.code === "40P01" || a.error.code === "55P03" },
    );
    // The SQLSTATE beside the error's own code ("store", which the CLI maps to its exit status: overwritten, a
    // failed command exited 0).
    (err as { sqlState?: string | undefined }).sqlState = a.error.code;
    throw err;
  }

  private compiled(sql: string): { text: string; names: string[] | undefined } {
    let c = this.cache.get(sql);
    if (c === undefined) {
      c = translate(sql);
      this.cache.set(sql, c);
    }
    return c;
  }

  prepare(sql: string): Statement {
    const { text, names } = this.compiled(sql);
    const values = (params: unknown[]): unknown[] => {
      if (names === undefined) return params.map((v) => (v === undefined ? null : v));
      const bag = (params[0] ?? {}) as Record<string, unknown>;
      return names.map((n) => bag[n] ?? null);
    };
    const statement = (array: boolean): Statement => ({
      get: (...params) => this.run(text, values(params), array).rows[0],
      all: (...params) => this.run(text, values(params), array).rows,
      run: (...params): RunResult => ({ changes: this.run(text, values(params), array).rowCount }),
      raw: () => statement(true),
    });
    return statement(false);
  }

  /** A statement on its own (not in a transaction) is one too, SERIALIZABLE like the rest: run again when it collides. */
  private run(text: string, params: unknown[], array: boolean): { rows: unknown[]; rowCount: number } {
    if (this.depth > 0) return this.query(text, params, array);
    for (let attempt = 1; ; attempt++) {
      try {
        return this.query(text, params, array);
      } catch (err) {
        if (!this.retryable(err, attempt)) throw err;
        pause(backoff(attempt));
      }
    }
  }

  private retryable(err: unknown, attempt: number): boolean {
    const code = sqlStateOf(err);
    return (code === "40001" || code === "40P01") && attempt < MAX_ATTEMPTS;
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): Transaction<A, R> {
    const run = (...args: A): R => (this.depth > 0 ? this.savepoint(fn, args) : this.outermost(fn, args));
    return Object.assign(run, { immediate: run });
  }

  private outermost<A extends unknown[], R>(fn: (...args: A) => R, args: A): R {
    return this.attempts("BEGIN", () => fn(...args));
  }

  /**
   * `fn` between `begin` and COMMIT, run again after a serialization failure or a deadlock (rolled back, so
   * nothing of the failed attempt stays) — never after a connection that broke: it may have committed.
   */
  private attempts<R>(begin: string, fn: () => R): R {
    for (let attempt = 1; ; attempt++) {
      this.query(begin, []);
      this.depth = 1;
      try {
        const result = fn();
        this.query("COMMIT", []);
        return result;
      } catch (err) {
        if (!this.broken) {
          try {
            this.query("ROLLBACK", []);
          } catch {
            // the connection broke: the server rolls the transaction back when the session ends
          }
        }
        if (this.broken || !this.retryable(err, attempt)) throw err;
      } finally {
        this.depth = 0;
      }
      pause(backoff(attempt));
    }
  }

  private savepoint<A extends unknown[], R>(fn: (...args: A) => R, args: A): R {
    const name = `s${this.depth}`;
    this.query(`SAVEPOINT ${name}`, []);
    this.depth++;
    try {
      const result = fn(...args);
      this.query(`RELEASE SAVEPOINT ${name}`, []);
      return result;
    } catch (err) {
      // A serialization failure dooms the whole transaction: the outermost one runs again.
      if (!this.broken && sqlStateOf(err) !== "40001") this.query(`ROLLBACK TO SAVEPOINT ${name}`, []);
      throw err;
    } finally {
      this.depth--;
    }
  }

  /**
   * `fn` in one READ COMMITTED transaction: for work whose every invariant is
   * kept by its own row locks (the batched claim), so that daemons claiming
   * side by side never fail each other's transactions. Run again after a deadlock.
   */
  readCommitted<R>(fn: () => R): R {
    if (this.depth > 0) throw new Error("readCommitted inside a transaction");
    return this.attempts("BEGIN ISOLATION LEVEL READ COMMITTED", fn);
  }

  batch<R>(fn: () => R): R {
    return fn();
  }

  exec(sql: string): void {
    this.run(sql, [], false);
  }

  pragma(source: string): unknown {
    // The change counter the daemon polls: bumped by every change of a schedule (the triggers of the schema).
    if (source === "data_version") return (this.prepare(`SELECT value FROM meta WHERE key = 'schedules_version'`).get() as { value: number }).value;
    throw new StoreError(`PRAGMA ${source} is SQLite's; the state store is on PostgreSQL`);
  }

  /** How far `hostNow` (this process's clock, epoch ms) is from the database's: ms to add to it. */
  clockOffset(hostNow: () => number): number {
    const before = hostNow();
    const { rows } = this.run(`SELECT floor(extract(epoch from clock_timestamp()) * 1000)::bigint AS now`, [], false);
    const after = hostNow();
    return (rows[0] as { now: number }).now - Math.round((before + after) / 2);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      call({ op: "close", conn: this.conn });
    } catch {
      // the thread is gone with its connection
    }
  }
}

/** The SQLSTATE of a state store error (PgSyncDb.query's), if any. */
export function sqlStateOf(err: unknown): string | undefined {
  const code = (err as { sqlState?: unknown } | null)?.sqlState;
  return typeof code === "string" ? code : undefined;
}

/** Jittered, growing back-off between attempts (ms): colliding daemons do not collide again in step. */
function backoff(attempt: number): number {
  return Math.min(200, 2 ** Math.min(attempt, 7)) * (0.5 + Math.random());
}
