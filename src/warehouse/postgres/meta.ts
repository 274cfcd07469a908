/** Reads of PostgreSQL's catalog for the warehouse: tables, their columns, itd's own tables. */
import type { PgClient } from "./connect.js";
import { LEDGER_TABLE, ledgerDdl, type PgColumn } from "./sql.js";

/** A table's columns in order, with their types; undefined when there is no such table. */
export async function readColumns(client: PgClient, schema: string, table: string): Promise<PgColumn[] | undefined> {
  const r = await client.query<{ name: string; type: string; found: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
      ORDER BY a.attnum`,
    [schema, table],
  );
  if (r.rows.length > 0) return r.rows.map((x) => ({ name: x.name, pgType: x.type }));
  return (await tableExists(client, schema, table)) ? [] : undefined;
}

export async function tableExists(client: PgClient, schema: string, table: string): Promise<boolean> {
  const r = await client.query(
    `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Inside a transaction holding the schema's lock: creates the ledger and the fences when the schema lacks them. */
export async function ensureLedger(client: PgClient, schema: string): Promise<boolean> {
  if (await tableExists(client, schema, LEDGER_TABLE)) return false;
  for (const ddl of ledgerDdl(schema)) await client.query(ddl);
  return true;
}

/** The user tables of a schema (itd's `_itd*` tables left out), by name. */
export async function userTables(client: PgClient, schema: string): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '\\_itd%'
      ORDER BY c.relname`,
    [schema],
  );
  return r.rows.map((x) => x.name);
}
