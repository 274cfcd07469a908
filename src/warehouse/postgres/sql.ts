/**
 * The PostgreSQL warehouse's names, types and statements (issue 13). Pure.
 *
 * A TD database is a schema, a TD table a table in it; itd's ledger
 * (`_itd_loads`) and stream fences (`_itd_fences`) live in each schema. Names
 * are quoted everywhere, so any column name Iterable sends is safe; one
 * longer than PostgreSQL's 63 bytes is shortened the same way every time (a
 * prefix, `_` and 8 hex digits of its hash), since PostgreSQL would cut it.
 */
import { createHash } from "node:crypto";
import { ConfigError } from "../../errors.js";
import { identKey } from "../names.js";
import { TIME_COLUMN } from "../schema.js";
import type { ColumnSpec, TableColumn, TableColumnType } from "../types.js";

/** PostgreSQL's NAMEDATALEN - 1. */
export const MAX_NAME_BYTES = 63;

export const LEDGER_TABLE = "_itd_loads";
export const FENCES_TABLE = "_itd_fences";

/** A quoted identifier (inner quotes doubled). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`. */
export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`;
}

/** A string literal. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A database or table name as a PostgreSQL name: TD's rule is checked before; PostgreSQL's own limits here. */
export function checkPgName(kind: "database" | "table", name: string): string {
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new ConfigError(`Invalid ${kind} name '${name}': PostgreSQL names are at most ${MAX_NAME_BYTES} characters`);
  }
  if (kind === "database" && name.startsWith("pg_")) {
    throw new ConfigError(`Invalid database name '${name}': PostgreSQL reserves schema names starting with 'pg_'`);
  }
  return name;
}

/** PostgreSQL's system columns: every table has them, so no column of a table can take their names. */
const SYSTEM_COLUMNS = new Set(["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"]);

/** The column's name in PostgreSQL: itself, or (too long, with a NUL, or a system column's) a stable shortening. */
export function pgColumnName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES && !name.includes("\0") && !SYSTEM_COLUMNS.has(name)) return name;
  const hash = createHash("sha1").update(name).digest("hex").slice(0, 8);
  let prefix = "";
  for (const ch of name.replaceAll("\0", "")) {
    if (Buffer.byteLength(prefix + ch) > MAX_NAME_BYTES - 9) break;
    prefix += ch;
  }
  return `${prefix}_${hash}`;
}

const PG_TYPES: Record<TableColumnType, string> = {
  boolean: "boolean",
  long: "bigint",
  double: "double precision",
  string: "text",
  timestamp: "timestamptz",
  json: "jsonb",
  time: "bigint",
};

export function pgType(type: TableColumnType): string {
  return PG_TYPES[type];
}

/**
 * A column's itd type from PostgreSQL's (`format_type`): exact for the types
 * itd creates; a table or column made outside itd is read as near as can be.
 */
export function itdType(name: string, pgTypeName: string): TableColumnType {
  if (name === TIME_COLUMN) return "time";
  const t = pgTypeName.toLowerCase();
  if (t === "boolean") return "boolean";
  if (t === "bigint" || t === "integer" || t === "smallint") return "long";
  if (t === "double precision" || t === "real" || t.startsWith("numeric")) return "double";
  if (t.startsWith("timestamp") || t === "date") return "timestamp";
  if (t === "jsonb" || t === "json") return "json";
  return "string";
}

/** A column as the warehouse has it: its PostgreSQL name and type. */
export interface PgColumn {
  name: string;
  /** `format_type` of its type: boolean, bigint, double precision, text, timestamp with time zone, jsonb, ... */
  pgType: string;
}

export function columnDefinition(c: TableColumn): string {
  return `${ident(pgColumnName(c.name))} ${pgType(c.type)}`;
}

export function createTableSql(schema: string, table: string, columns: readonly TableColumn[]): string {
  return `CREATE TABLE ${qualified(schema, table)} (${columns.map(columnDefinition).join(", ")})`;
}

/** What a load changes in an existing table: columns it adds, and types it keeps. */
export interface PgSchemaPlan {
  added: TableColumn[];
  /** The table's name of each load column, in the load's order. */
  names: string[];
  warnings: string[];
}

/**
 * Keeps the table as it is (its identity, types, grants and views) and adds
 * the load's new columns; a column of another type keeps its own (with a warning).
 * A load column matches a table column of the same name or, when there is none,
 * the one column whose name differs only in case (itd's rule, as on SQLite).
 */
export function planColumns(table: string, existing: readonly PgColumn[], load: readonly ColumnSpec[]): PgSchemaPlan {
  const byName = new Map(existing.map((c) => [c.name, c]));
  const byKey = new Map<string, PgColumn | null>();
  for (const c of existing) byKey.set(identKey(c.name), byKey.has(identKey(c.name)) ? null : c);
  const added: TableColumn[] = byName.has(TIME_COLUMN) ? [] : [{ name: TIME_COLUMN, type: "time" }];
  const names: string[] = [];
  const warnings: string[] = [];
  for (const c of load) {
    const name = pgColumnName(c.name);
    const old = byName.get(name) ?? byKey.get(identKey(name)) ?? undefined;
    if (old === undefined) {
      added.push({ name: c.name, type: c.type });
      names.push(name);
      continue;
    }
    names.push(old.name);
    if (old.pgType !== PG_TYPES[c.type] && !(old.pgType === "timestamp with time zone" && c.type === "timestamp")) {
      warnings.push(`Column '${c.name}' of table '${table}' keeps its type ${old.pgType}; the load declares ${c.type}`);
    }
  }
  for (const c of load) {
    if (pgColumnName(c.name) !== c.name) {
      const why = SYSTEM_COLUMNS.has(c.name) ? "a system column has its name" : `names are at most ${MAX_NAME_BYTES} bytes, without NUL`;
      warnings.push(`Column '${c.name}' is named '${pgColumnName(c.name)}' in PostgreSQL (${why})`);
    }
  }
  return { added, names, warnings };
}

/** The ledger and the fences of one schema (created with it, or when an older schema lacks them). */
export function ledgerDdl(schema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, LEDGER_TABLE)} (
      id bigserial PRIMARY KEY,
      stream text NOT NULL,
      job_id text NOT NULL,
      slice text NOT NULL,
      table_name text NOT NULL,
      cursor text NOT NULL,
      rows bigint NOT NULL,
      committed_at bigint NOT NULL,
      epoch bigint,
      seq bigint,
      UNIQUE (stream, job_id, slice)
    )`,
    `CREATE INDEX IF NOT EXISTS ${ident(`${LEDGER_TABLE}_table`)} ON ${qualified(schema, LEDGER_TABLE)} (table_name, committed_at)`,
    `CREATE TABLE IF NOT EXISTS ${qualified(schema, FENCES_TABLE)} (stream text PRIMARY KEY, token bigint NOT NULL)`,
  ];
}

/** The advisory lock that serializes itd's changes to one schema (its ledger and fences), across processes and hosts. */
export function schemaLockSql(schema: string): string {
  return `SELECT pg_advisory_xact_lock(hashtextextended(${literal(`itd warehouse ${schema}`)}, 0))`;
}

/**
 * The advisory lock that serializes itd's changes to one table (its creation, DDL, swaps). One of its own, not
 * the schema's: ALTER TABLE waits for every transaction that read the table (a reader's session left idle in
 * its transaction), and loads into the schema's other tables must not wait with it.
 */
export function tableLockSql(schema: string, table: string): string {
  return `SELECT pg_advisory_xact_lock(hashtextextended(${literal(`itd warehouse ${schema} table ${table}`)}, 0))`;
}
