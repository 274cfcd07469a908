/**
 * Tables and their columns: itd types kept in `_itd_columns`, SQLite declared
 * types derived from them (design §4), schema evolution planned by pure functions.
 */
import { ConfigError } from "../errors.js";
import type { Connection } from "./connection.js";
import { identKey, quoteIdent } from "./names.js";
import type { ColumnSpec, ColumnType, TableColumn, TableColumnType } from "./types.js";
import { COLUMN_TYPES } from "./types.js";

export const TIME_COLUMN = "time";
export const TIME: TableColumn = { name: TIME_COLUMN, type: "time" };

export type SqliteType = "INTEGER" | "REAL" | "TEXT";

export function sqliteType(type: TableColumnType): SqliteType {
  switch (type) {
    case "time":
    case "boolean":
    case "long":
      return "INTEGER";
    case "double":
      return "REAL";
    case "string":
    case "timestamp":
    case "json":
      return "TEXT";
    default: {
      const never: never = type;
      throw new Error(`unknown column type ${String(never)}`);
    }
  }
}

/** The itd type of a column itd did not create, from its declared SQLite type. */
function typeFromDeclared(declared: string): ColumnType {
  const d = declared.toUpperCase();
  if (d.includes("INT")) return "long";
  if (d.includes("REAL") || d.includes("FLOA") || d.includes("DOUB")) return "double";
  return "string";
}

/** A load's columns must be named, unique (as SQLite compares names) and must not include `time`. */
export function checkLoadColumns(columns: readonly ColumnSpec[]): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.name.length === 0) throw new ConfigError("A column name must not be empty");
    if (!(COLUMN_TYPES as readonly string[]).includes(c.type)) {
      throw new ConfigError(`Column '${c.name}' has unknown type '${String(c.type)}'; expected one of ${COLUMN_TYPES.join(", ")}`);
    }
    const key = identKey(c.name);
    if (key === TIME_COLUMN) {
      throw new ConfigError(`Column '${c.name}' clashes with the time column; time is the last value of each row, not a load column`);
    }
    if (seen.has(key)) throw new ConfigError(`Column '${c.name}' appears twice`);
    seen.add(key);
  }
}

export function tableExistsIn(conn: Connection, table: string): boolean {
  return conn.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

/** User tables of a database, by name (itd's `_itd*` and SQLite's own excluded). */
export function userTables(conn: Connection): string[] {
  const names = conn
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  return names.filter((n) => !n.startsWith("_itd") && !n.startsWith("sqlite_"));
}

/** A table's columns in table order with their itd types; undefined when there is no such table. */
export function readTableColumns(conn: Connection, table: string): TableColumn[] | undefined {
  const info = conn.prepare(`SELECT name, type FROM pragma_table_info(?) ORDER BY cid`).all(table) as {
    name: string;
    type: string;
  }[];
  if (info.length === 0) return undefined;
  const typed = new Map<string, ColumnType>();
  const meta = conn.prepare("SELECT name, type FROM _itd_columns WHERE table_name = ?").all(table) as {
    name: string;
    type: string;
  }[];
  for (const m of meta) {
    if ((COLUMN_TYPES as readonly string[]).includes(m.type)) typed.set(identKey(m.name), m.type as ColumnType);
  }
  return info.map((c) => ({
    name: c.name,
    type: identKey(c.name) === TIME_COLUMN ? "time" : (typed.get(identKey(c.name)) ?? typeFromDeclared(c.type)),
  }));
}

export function createTableSql(table: string, columns: readonly TableColumn[]): string {
  const defs = columns.map((c) => `${quoteIdent(c.name)} ${sqliteType(c.type)}`);
  return `CREATE TABLE ${quoteIdent(table)} (${defs.join(", ")})`;
}

/** Creates a table (`time` first, then the given columns) and records its column types. */
export function createTableWith(conn: Connection, table: string, columns: readonly TableColumn[]): void {
  const all = columns.some((c) => c.type === "time") ? columns : [TIME, ...columns];
  conn.exec(createTableSql(table, all));
  writeColumnTypes(conn, table, all);
}

/** Rewrites a table's `_itd_columns` rows (the time column is implicit and not stored). */
export function writeColumnTypes(conn: Connection, table: string, columns: readonly TableColumn[]): void {
  conn.prepare("DELETE FROM _itd_columns WHERE table_name = ?").run(table);
  const insert = conn.prepare("INSERT INTO _itd_columns (table_name, position, name, type) VALUES (?, ?, ?, ?)");
  columns.forEach((c, position) => {
    if (c.type !== "time") insert.run(table, position, c.name, c.type);
  });
}

export interface SchemaPlan {
  /** The table's columns after the load, in table order. */
  columns: TableColumn[];
  /** Load columns the table lacks, appended at its end. */
  added: TableColumn[];
  warnings: string[];
}

/**
 * Append and truncate: existing columns keep their place and type, new load
 * columns are appended. A load column declared with another type keeps the
 * table's type and yields a warning. Pure.
 */
export function planKeepColumns(table: string, existing: readonly TableColumn[], load: readonly ColumnSpec[]): SchemaPlan {
  const byKey = new Map(existing.map((c) => [identKey(c.name), c]));
  // A table made outside itd may lack `time`; every itd table has it.
  const added: TableColumn[] = byKey.has(TIME_COLUMN) ? [] : [TIME];
  const warnings: string[] = [];
  for (const c of load) {
    const old = byKey.get(identKey(c.name));
    if (old === undefined) {
      added.push({ name: c.name, type: c.type });
    } else if (old.type !== c.type) {
      warnings.push(`Column '${c.name}' of table '${table}' keeps its type ${old.type}; the load declares ${c.type}`);
    }
  }
  return { columns: [...existing, ...added], added, warnings };
}

/** Adds columns at the end of a table and rewrites its column types. */
export function addColumns(conn: Connection, table: string, plan: SchemaPlan): void {
  for (const c of plan.added) {
    conn.exec(`ALTER TABLE ${quoteIdent(table)} ADD COLUMN ${quoteIdent(c.name)} ${sqliteType(c.type)}`);
  }
  writeColumnTypes(conn, table, plan.columns);
}
