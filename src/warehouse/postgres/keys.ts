/**
 * The key of a table that de-duplicates or upserts (issue 15), on
 * PostgreSQL: the unique index (`NULLS NOT DISTINCT` for a lookback's key, so
 * a null part still matches: PostgreSQL 15 or newer), and the statement that
 * moves a slice's rows from its temporary table into the table.
 */
import { ItdError } from "../../errors.js";
import { duplicateKeys, keyIndexGone, keyIndexName, KEY_INDEX_PREFIX, keyText, type TableKey } from "../keys.js";
import { TIME_COLUMN } from "../schema.js";
import type { RowMatch, SliceCounts } from "../types.js";
import type { PgClient } from "./connect.js";
import { ident, qualified } from "./sql.js";

/** PostgreSQL 15 brought `NULLS NOT DISTINCT`. */
const NULLS_NOT_DISTINCT_FROM = 150_000;

/**
 * Inside the caller's transaction (the table locked): the table's key for a
 * load with `match` (as SQLite's reconcileKeyIndex: a plain load never drops
 * a key; a default key keeps the table's de-duplication key). `key`: the
 * match's columns by their PostgreSQL names; `types`: the table's columns'.
 */
export async function reconcilePgKeyIndex(
  client: PgClient,
  schema: string,
  table: string,
  match: RowMatch,
  key: readonly string[],
  types: ReadonlyMap<string, string>,
): Promise<TableKey> {
  const r = await client.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS def FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = to_regclass($1) AND starts_with(c.relname, $2)`,
    [qualified(schema, table), KEY_INDEX_PREFIX],
  );
  const existing = r.rows.map((x) => ({ name: x.name, skip: x.def.includes("NULLS NOT DISTINCT") }));
  if (match.kind === "insert") return { index: undefined, match: existing.length > 0 ? { kind: "skip_present", key: [] } : match };
  const wanted = keyIndexName(table, match) as string;
  if (existing.some((x) => x.name === wanted)) return { index: wanted, match };
  const kept = match.kind === "skip_present" && match.keep === true ? existing.find((x) => x.skip) : undefined;
  if (kept !== undefined) return { index: kept.name, match };
  if (match.kind === "skip_present") {
    const v = await client.query<{ n: string }>("SELECT current_setting('server_version_num') AS n");
    if (Number(v.rows[0]?.n ?? 0) < NULLS_NOT_DISTINCT_FROM) {
      throw new ItdError("config", `in.lookback on PostgreSQL needs server version 15 or newer (a unique index NULLS NOT DISTINCT); ${schema} is on ${v.rows[0]?.n ?? "?"}`);
    }
  } else {
    const json = key.filter((c) => types.get(c) === "json");
    if (json.length > 0) throw new ItdError("config", `out.primary_keys: ${json.join(", ")} of ${schema}.${table} is json, which PostgreSQL cannot compare; use another column`);
  }
  for (const { name } of existing) await client.query(`DROP INDEX ${qualified(schema, name)}`);
  // json has no equality: as jsonb (which has; its text would tell `[1,2]` from `[1, 2]`).
  const part = (c: string): string => (types.get(c) === "json" ? `(${ident(c)}::jsonb)` : ident(c));
  const list = key.map(part).join(", ");
  const repeats = await client.query<{ n: string; example: string | null }>(
    `SELECT count(*) AS n, min(k) AS example FROM (SELECT concat_ws(', ', ${key.map((c) => `quote_nullable(${part(c)})`).join(", ")}) AS k
       FROM ${qualified(schema, table)} GROUP BY ${list} HAVING count(*) > 1) AS r`,
  );
  const n = Number(repeats.rows[0]?.n ?? 0);
  if (n > 0) throw duplicateKeys(schema, table, match, n, `${keyText(key)} = (${repeats.rows[0]?.example ?? ""})`);
  const nulls = match.kind === "skip_present" ? " NULLS NOT DISTINCT" : "";
  await client.query(`CREATE UNIQUE INDEX ${ident(wanted)} ON ${qualified(schema, table)} (${list})${nulls}`);
  return { index: wanted, match };
}

/** Inside a replacing swap: the table's rows are the staged ones, which may repeat any key: its key indexes go. */
export async function dropKeyIndexes(client: PgClient, schema: string, table: string): Promise<void> {
  const r = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = to_regclass($1) AND starts_with(c.relname, $2)`,
    [qualified(schema, table), KEY_INDEX_PREFIX],
  );
  for (const { name } of r.rows) await client.query(`DROP INDEX ${qualified(schema, name)}`);
}

/** Inside a keyed slice's transaction: its index is still there (another load may have changed the table's key). */
export async function checkKeyIndex(client: PgClient, schema: string, table: string, index: string): Promise<void> {
  const r = await client.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [qualified(schema, index)]);
  if (r.rows[0]?.found === null || r.rows[0]?.found === undefined) throw keyIndexGone(schema, table, index);
}

/** A slice's temporary table: the table's columns, emptied by every commit and rollback. */
export const SLICE_TABLE = "itd_slice";

/** The load's columns only, with their types: the table's other columns (a serial id, a default) get theirs at the merge. */
export function sliceTableSql(columns: readonly string[], types: readonly string[]): string[] {
  const defs = columns.map((c, i) => `${ident(c)} ${types[i] ?? "text"}`);
  return [`DROP TABLE IF EXISTS pg_temp.${SLICE_TABLE}`, `CREATE TEMP TABLE ${SLICE_TABLE} (${defs.join(", ")}) ON COMMIT DELETE ROWS`];
}

/**
 * Inside the slice's transaction: its rows into the table by the key.
 * `columns`: the COPY's PostgreSQL names, `time` last; `types`: theirs;
 * `rows`: how many the slice holds.
 */
export async function mergeSlice(
  client: PgClient,
  schema: string,
  table: string,
  match: Exclude<RowMatch, { kind: "insert" }>,
  key: readonly string[],
  columns: readonly string[],
  types: readonly string[],
  rows: number,
): Promise<SliceCounts> {
  const list = columns.map(ident).join(", ");
  const target = qualified(schema, table);
  if (match.kind === "skip_present") {
    const r = await client.query(`INSERT INTO ${target} (${list}) SELECT ${list} FROM pg_temp.${SLICE_TABLE} ON CONFLICT DO NOTHING`);
    return { present: rows - (r.rowCount ?? 0), updated: 0 };
  }
  const keySet = new Set(key);
  const rest = columns.filter((c) => !keySet.has(c));
  const keyList = key.map(ident).join(", ");
  // json has no equality: compared as jsonb (itd makes jsonb columns; a table made outside itd may have json).
  const cmp = (side: string, c: string): string => `${side}.${ident(c)}${types[columns.indexOf(c)] === "json" ? "::jsonb" : ""}`;
  // A version differs by its data: a re-read with only a newer import time (no time_column) changes nothing.
  const data = rest.filter((c) => c !== TIME_COLUMN);
  const differs = `(${data.map((c) => cmp("cur", c)).join(", ")}) IS DISTINCT FROM (${data.map((c) => cmp("EXCLUDED", c)).join(", ")})`;
  const time = ident(TIME_COLUMN);
  const onConflict =
    data.length === 0
      ? `ON CONFLICT (${keyList}) DO NOTHING`
      : `ON CONFLICT (${keyList}) DO UPDATE SET ${rest.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(", ")}
          WHERE EXCLUDED.${time} >= cur.${time} AND ${differs}`;
  // One row per key (the newest; the later of equals) or PostgreSQL refuses to update a row twice in one statement.
  const r = await client.query<{ inserted: string; updated: string }>(
    `WITH merged AS (
       INSERT INTO ${target} AS cur (${list})
       SELECT ${list} FROM (SELECT DISTINCT ON (${keyList}) * FROM pg_temp.${SLICE_TABLE} ORDER BY ${keyList}, ${time} DESC, ctid DESC) AS newest
       ${onConflict}
       RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM merged`,
  );
  const inserted = Number(r.rows[0]?.inserted ?? 0);
  const updated = Number(r.rows[0]?.updated ?? 0);
  return { present: rows - inserted - updated, updated };
}
