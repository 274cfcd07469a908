/**
 * `itd query -d DB "SELECT …"`: one read-only statement on a read-only
 * connection; rows as arrays. The CLI runs it in a child process
 * (`queryInSubprocess`) that it kills at the deadline: SQLite offers no
 * statement timeout through better-sqlite3, and a statement that never
 * returns to JavaScript (`WITH RECURSIVE … SELECT count(*)`) can be stopped
 * neither by a timer nor by terminating a worker thread.
 */
import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ItdErrorCode } from "../errors.js";
import { ItdError, NotFoundError, StoreError, UsageError } from "../errors.js";
import type { Connection } from "./connection.js";
import { asStoreError } from "./connection.js";
import type { CellValue, QueryParams, QueryResult } from "./types.js";

/** How long after the deadline the query process kills itself should its parent not have. */
export const WATCHDOG_GRACE_MS = 5_000;

/** PRAGMAs that only read, with an argument (`PRAGMA table_info(t)`). */
const READ_PRAGMAS = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
]);

/** PRAGMAs that read when given no value (`PRAGMA user_version`) and write when given one. */
const VALUE_PRAGMAS = new Set([
  "user_version",
  "schema_version",
  "data_version",
  "page_count",
  "page_size",
  "freelist_count",
  "encoding",
  "journal_mode",
  "compile_options",
  "database_list",
]);

/** Statements that SQLite calls read-only but that change the connection (or attach other files). */
const REFUSED_KEYWORDS = new Set([
  "ATTACH",
  "DETACH",
  "BEGIN",
  "COMMIT",
  "END",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
  "VACUUM",
  "REINDEX",
  "ANALYZE",
]);

const readOnly = (why: string): UsageError => new UsageError(`itd query is read-only: ${why}`);

/** The statement's first keyword and what follows, after leading blanks and comments. */
export function leadingKeyword(sql: string): { keyword: string; rest: string } {
  let s = sql;
  for (;;) {
    const t = s.trimStart();
    if (t.startsWith("--")) {
      const nl = t.indexOf("\n");
      s = nl < 0 ? "" : t.slice(nl + 1);
    } else if (t.startsWith("/*")) {
      const end = t.indexOf("*/", 2);
      s = end < 0 ? "" : t.slice(end + 2);
    } else {
      s = t;
      break;
    }
  }
  const m = /^[A-Za-z_]+/.exec(s);
  const keyword = m?.[0].toUpperCase() ?? "";
  return { keyword, rest: s.slice(keyword.length) };
}

/** Throws a UsageError unless the SQL is one statement that only reads. Pure apart from `prepare`. */
function checkStatement(sql: string, readonlyFlag: boolean, reader: boolean): void {
  const { keyword, rest } = leadingKeyword(sql);
  if (REFUSED_KEYWORDS.has(keyword)) throw readOnly(`${keyword} is not allowed`);
  if (keyword === "PRAGMA") checkPragma(rest);
  if (!readonlyFlag) throw readOnly("the statement would modify the database");
  if (!reader) throw readOnly("the statement returns no rows");
}

function checkPragma(rest: string): void {
  const m = /^\s*(?:[A-Za-z_]\w*\s*\.\s*)?([A-Za-z_]\w*)([\s\S]*)$/.exec(rest);
  const name = m?.[1]?.toLowerCase() ?? "";
  const args = m?.[2]?.trim() ?? "";
  const bare = args === "" || args === ";";
  const allowed = (READ_PRAGMAS.has(name) && !args.includes("=")) || (VALUE_PRAGMAS.has(name) && bare);
  if (!allowed) {
    throw readOnly(
      `PRAGMA ${name} is not allowed (allowed: ${[...READ_PRAGMAS].join(", ")}; ` +
        `and without a value: ${[...VALUE_PRAGMAS].join(", ")})`,
    );
  }
}

/** A result cut at a row limit: `truncated` when the statement had more rows. */
export interface LimitedQueryResult extends QueryResult {
  truncated: boolean;
}

/** Runs one read-only statement on a read-only connection; every row. */
export function runQuery(conn: Connection, sql: string, params?: QueryParams): QueryResult {
  const { columns, rows } = runLimitedQuery(conn, sql, params, 0);
  return { columns, rows };
}

/**
 * Runs one read-only statement and keeps its first `maxRows` rows (0 = all);
 * SQLite stops stepping there, so an endless statement that yields rows ends.
 */
export function runLimitedQuery(conn: Connection, sql: string, params: QueryParams | undefined, maxRows: number): LimitedQueryResult {
  let stmt;
  try {
    stmt = conn.prepare(sql);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (err instanceof RangeError && /more than one statement/.test(msg)) {
      throw new UsageError("itd query runs one statement at a time; remove the others", { cause: err });
    }
    throw new UsageError(`Query failed: ${msg}`, { cause: err });
  }
  checkStatement(sql, stmt.readonly, stmt.reader);
  try {
    const columns = stmt.columns().map((c) => c.name);
    stmt.raw(true);
    if (maxRows === 0) {
      const rows = (params === undefined ? stmt.all() : stmt.all(params)) as CellValue[][];
      return { columns, rows, truncated: false };
    }
    const rows: CellValue[][] = [];
    let truncated = false;
    for (const row of (params === undefined ? stmt.iterate() : stmt.iterate(params)) as Iterable<CellValue[]>) {
      if (rows.length === maxRows) {
        truncated = true;
        break; // ends the iterator: the statement is reset
      }
      rows.push(row);
    }
    return { columns, rows, truncated };
  } catch (err) {
    // Wrong parameters are the user's; anything else is the database's.
    if (err instanceof RangeError || err instanceof TypeError) {
      throw new UsageError(`Query failed: ${err.message}`, { cause: err });
    }
    throw asStoreError(err, "Query failed");
  }
}

/** What `queryInSubprocess` sends the query process (query-worker.ts). */
export interface QueryRequest {
  file: string;
  sql: string;
  maxRows: number;
  /** The query process kills itself when this pid is no longer its parent. */
  parentPid: number;
  /** ...and this long after it started (0 = never): a backstop behind the parent's own timer. */
  killAfterMs: number;
}

/** The query process's one answer. */
export type QueryReply =
  | { t: "rows"; columns: string[]; rows: CellValue[][]; truncated: boolean }
  | { t: "error"; code: ItdErrorCode; message: string; hints: string[]; retryable: boolean };

export interface SubprocessQueryOptions {
  /** Kill the statement after this many milliseconds; 0 = no limit. */
  timeoutMs: number;
  /** Keep the first rows only (0 = all); see runLimitedQuery. */
  maxRows: number;
  /** Aborting kills the statement and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The compiled query-worker.js; defaults to the one beside this module. */
  workerFile?: string;
}

/** The compiled query process: beside this module (the build), else the build's (this module run from its source, as under vitest). */
function queryWorkerFile(): string {
  for (const rel of ["./query-worker.js", "../../dist/src/warehouse/query-worker.js"]) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  return fileURLToPath(new URL("./query-worker.js", import.meta.url));
}

/** `300 s`, `1.5 s`: a timeout as the user gave it. */
function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

export function queryTimedOut(timeoutMs: number): StoreError {
  return new StoreError(`query: timed out after ${seconds(timeoutMs)}`, {
    hints: ["Raise --timeout (0 = no limit), or bound the query: a LIMIT, or a stop condition in a recursive CTE."],
  });
}

/** Rebuilds the query process's error with the same code (hence the same exit code). */
function replyError(reply: Extract<QueryReply, { t: "error" }>): ItdError {
  const options = { hints: reply.hints, retryable: reply.retryable };
  switch (reply.code) {
    case "usage":
      return new UsageError(reply.message, options);
    case "store":
      return new StoreError(reply.message, options);
    case "not_found":
      return new NotFoundError(reply.message, options);
    default:
      return new ItdError(reply.code, reply.message, options);
  }
}

/**
 * Runs one read-only statement on a database file in a child process, and
 * kills that process (SIGKILL) at the deadline or on abort. Rejects with
 * `query: timed out after N s` (a StoreError) on the deadline, and with the
 * child's own ItdError (read-only refusals, SQL mistakes) otherwise.
 */
export function queryInSubprocess(file: string, sql: string, options: SubprocessQueryOptions): Promise<LimitedQueryResult> {
  const { timeoutMs, maxRows, signal } = options;
  const workerFile = options.workerFile ?? queryWorkerFile();
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    // No loaders or flags of ours: the child is plain node running compiled JavaScript.
    const child = fork(workerFile, [], { execArgv: [], serialization: "advanced", stdio: ["ignore", "ignore", "inherit", "ipc"] });
    let done = false;
    // Once there is an outcome the child has nothing left to do (it closed its connection before
    // answering): killing it beats waiting for it to wind down its watchdog thread.
    const settle = (outcome: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      outcome();
    };
    const fail = (err: unknown): void => settle(() => reject(err));
    const onAbort = (): void => fail(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = timeoutMs > 0 ? setTimeout(() => fail(queryTimedOut(timeoutMs)), timeoutMs) : undefined;

    child.on("message", (message) => {
      const reply = message as QueryReply;
      if (reply.t === "rows") settle(() => resolve({ columns: reply.columns, rows: reply.rows, truncated: reply.truncated }));
      else fail(replyError(reply));
    });
    child.on("error", (err) => fail(new StoreError(`query: cannot run the query process: ${err.message}`, { cause: err })));
    // `close`, not `exit`: the IPC channel is drained by then, so an answer sent just before exiting is not lost.
    child.on("close", (code, sig) => {
      if (sig === "SIGINT" || sig === "SIGTERM") fail(new ItdError("interrupted", `interrupted by ${sig}`));
      else fail(new StoreError(`query: the query process ended without an answer (${sig ?? `exit code ${String(code)}`})`));
    });
    const request: QueryRequest = {
      file,
      sql,
      maxRows,
      parentPid: process.pid,
      killAfterMs: timeoutMs > 0 ? timeoutMs + WATCHDOG_GRACE_MS : 0,
    };
    child.send(request);
  });
}
