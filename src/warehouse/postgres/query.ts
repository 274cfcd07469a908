/**
 * `itd query` on the PostgreSQL warehouse: one statement in a `READ ONLY`
 * transaction with a `statement_timeout`, on a connection of its own, in the
 * database's schema (`search_path`). Rows come through a cursor, so a row
 * limit stops the statement there; values as text, numbers as numbers.
 */
import { ItdError, UsageError } from "../../errors.js";
import type { BoundedQueryResult, QueryOptions } from "../port.js";
import { leadingKeyword, queryTimedOut } from "../query.js";
import { databaseNotFound } from "../warehouse.js";
import type { CellValue } from "../types.js";
import { asPgError, connect, sqlState } from "./connect.js";
import { ident } from "./sql.js";
import type { PostgresTarget } from "./url.js";

/** Statements that can be read through a cursor; SHOW and EXPLAIN run as they are. */
const CURSOR_KEYWORDS = new Set(["SELECT", "WITH", "VALUES", "TABLE"]);
const ALLOWED = new Set([...CURSOR_KEYWORDS, "SHOW", "EXPLAIN"]);

const INT_OIDS = new Set([20, 21, 23, 26]);
const FLOAT_OIDS = new Set([700, 701]);
const BOOL_OID = 16;

/** Values as text, but integers and floats as numbers (a bigint past 2^53 as a BigInt) and booleans as true/false. */
const types = {
  getTypeParser: (oid: number): ((text: string) => CellValue) => {
    if (INT_OIDS.has(oid)) {
      return (t) => {
        const n = Number(t);
        return Number.isSafeInteger(n) ? n : BigInt(t);
      };
    }
    if (FLOAT_OIDS.has(oid)) return (t) => Number(t);
    if (oid === BOOL_OID) return (t) => (t === "t" ? "true" : "false");
    return (t) => t;
  },
};

const isAborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

/** The statement without a trailing semicolon (it goes inside DECLARE … CURSOR FOR). */
function bare(sql: string): string {
  return sql.trim().replace(/;\s*$/, "");
}

export async function pgQuery(target: PostgresTarget, schema: string, sql: string, options: QueryOptions): Promise<BoundedQueryResult> {
  const { keyword } = leadingKeyword(sql);
  if (!ALLOWED.has(keyword)) {
    throw new UsageError(`itd query is read-only: ${keyword === "" ? "not a statement" : `${keyword} statements are refused`} (allowed: ${[...ALLOWED].join(", ")})`);
  }
  if (options.signal?.aborted === true) throw options.signal.reason;
  const client = await connect(target, "query");
  /** The statement's server process: an interrupted query is cancelled there, not left running. */
  let pid: number | undefined;
  let cancelling: Promise<void> | undefined;
  const onAbort = (): void => {
    if (pid !== undefined) cancelling = cancelBackend(target, pid);
    void client.end().catch(() => undefined);
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    pid = (await client.query<{ pid: number }>("SELECT pg_catalog.pg_backend_pid() AS pid")).rows[0]?.pid;
    if (isAborted(options.signal)) throw (options.signal as AbortSignal).reason;
    await client.query("BEGIN READ ONLY");
    await client.query(`SET LOCAL statement_timeout = ${Math.max(0, Math.floor(options.timeoutMs))}`);
    await client.query("SET LOCAL TimeZone = 'UTC'");
    await client.query(`SET LOCAL search_path = ${ident(schema)}`);
    const exists = await client.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", [schema]);
    if ((exists.rowCount ?? 0) === 0) throw databaseNotFound(schema);
    const limit = options.maxRows;
    if (CURSOR_KEYWORDS.has(keyword) && limit > 0) {
      // The extended protocol takes one statement: a second one (`SELECT 1; DELETE …`) is refused, not run.
      await client.query({ text: `DECLARE itd_query NO SCROLL CURSOR FOR ${bare(sql)}`, queryMode: "extended" } as never);
      const r = await client.query({ text: `FETCH FORWARD ${limit + 1} FROM itd_query`, rowMode: "array", types });
      const rows = r.rows as CellValue[][];
      const truncated = rows.length > limit;
      return { columns: r.fields.map((f) => f.name), rows: truncated ? rows.slice(0, limit) : rows, truncated };
    }
    const r = await client.query({ text: sql, rowMode: "array", types, queryMode: "extended" } as never);
    const result = r as unknown as { fields: { name: string }[]; rows: CellValue[][] };
    return { columns: result.fields.map((f) => f.name), rows: result.rows, truncated: false };
  } catch (err) {
    if (isAborted(options.signal)) throw (options.signal as AbortSignal).reason;
    const state = sqlState(err);
    if (state === "57014") throw queryTimedOut(options.timeoutMs);
    if (state === "25006") throw new UsageError(`itd query is read-only: ${(err as Error).message}`, { cause: err });
    // 42xxx: a syntax error, an unknown table or column — the query's, not the warehouse's.
    if (state !== undefined && (state.startsWith("42") || state.startsWith("22") || state === "0A000" || state === "34000")) {
      throw new UsageError(`Query failed: ${(err as Error).message}`, { cause: err });
    }
    if (err instanceof ItdError) throw err;
    throw asPgError(err, target, "Query failed");
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await client.query("ROLLBACK").catch(() => undefined);
    await client.end().catch(() => undefined);
    await cancelling;
  }
}

/**
 * Cancels what a server process runs, from a connection of its own: ending the query's connection alone
 * leaves the statement running (PostgreSQL notices a gone client only when it next writes to it).
 */
async function cancelBackend(target: PostgresTarget, pid: number): Promise<void> {
  try {
    const c = await connect(target, "query cancel");
    try {
      await c.query("SELECT pg_catalog.pg_cancel_backend($1)", [pid]);
    } finally {
      await c.end().catch(() => undefined);
    }
  } catch {
    // The server is gone or full: the statement ends at its timeout.
  }
}

