/**
 * `itd query -d DB "SELECT …"`: one read-only statement on a read-only
 * connection; rows as arrays.
 */
import { UsageError } from "../errors.js";
import type { Connection } from "./connection.js";
import { asStoreError } from "./connection.js";
import type { CellValue, QueryParams, QueryResult } from "./types.js";

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

export function runQuery(conn: Connection, sql: string, params?: QueryParams): QueryResult {
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
    const rows = (params === undefined ? stmt.all() : stmt.all(params)) as CellValue[][];
    return { columns, rows };
  } catch (err) {
    // Wrong parameters are the user's; anything else is the database's.
    if (err instanceof RangeError || err instanceof TypeError) {
      throw new UsageError(`Query failed: ${err.message}`, { cause: err });
    }
    throw asStoreError(err, "Query failed");
  }
}
