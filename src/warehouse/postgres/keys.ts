/**
 * The key of a table that de-duplicates or upserts (issue 15), on
 * PostgreSQL: the unique index (`NULLS NOT DISTINCT` for a lookback's key, so
 * a null part still matches: PostgreSQL 15 or newer), and the statement that
 * moves a slice's rows from its temporary table into the table.
 */
import { ItdError } from "../../errors.js";
import { duplicateKeys, keyIndexName, KEY_INDEX_PREFIX, keyText } from "../keys.js";
import { TIME_COLUMN } from "../schema.js";
import type { RowMatch, SliceCounts } from "../types.js";
import type { PgClient } from "./connect.js";
import { ident, qualified } from "./sql.js";

/** PostgreSQL 15 brought `NULLS NOT DISTINCT`. */
const NULLS_NOT_DISTINCT_FROM = 150_000;

/** Inside the caller's transaction (the table locked): the table has the index `match` wants, and no other `itd_key_` index. */
export async function reconcilePgKeyIndex(client: PgClient, schema: string, table: string, match: RowMatch, key: readonly string[]): Promise<void> {
  const wanted = keyIndexName(table, match);
  const r = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = to_regclass($1) AND starts_with(c.relname, $2)`,
    [qualified(schema, table), KEY_INDEX_PREFIX],
  );
  for (const { name } of r.rows) if (name !== wanted) await client.query(`DROP INDEX ${qualified(schema, name)}`);
  if (wanted === undefined || match.kind === "insert" || r.rows.some((x) => x.name === wanted)) return;
  if (match.kind === "skip_present") {
    const v = await client.query<{ n: string }>("SELECT current_setting('server_version_num') AS n");
    if (Number(v.rows[0]?.n ?? 0) < NULLS_NOT_DISTINCT_FROM) {
      throw new ItdError("config", `in.lookback on PostgreSQL needs server version 15 or newer (a unique index NULLS NOT DISTINCT); ${schema} is on ${v.rows[0]?.n ?? "?"}`);
    }
  }
  const list = key.map(ident).join(", ");
  const repeats = await client.query<{ n: string; example: string | null }>(
    `SELECT count(*) AS n, min(k) AS example FROM (SELECT concat_ws(', ', ${key.map((c) => `quote_nullable(${ident(c)})`).join(", ")}) AS k
       FROM ${qualified(schema, table)} GROUP BY ${list} HAVING count(*) > 1) AS r`,
  );
  const n = Number(repeats.rows[0]?.n ?? 0);
  if (n > 0) throw duplicateKeys(schema, table, match, n, `${keyText(key)} = (${repeats.rows[0]?.example ?? ""})`);
  const nulls = match.kind === "skip_present" ? " NULLS NOT DISTINCT" : "";
  await client.query(`CREATE UNIQUE INDEX ${ident(wanted)} ON ${qualified(schema, table)} (${list})${nulls}`);
}

/** A slice's temporary table: the table's columns, emptied by every commit and rollback. */
export const SLICE_TABLE = "itd_slice";

export function sliceTableSql(schema: string, table: string): string[] {
  return [`DROP TABLE IF EXISTS pg_temp.${SLICE_TABLE}`, `CREATE TEMP TABLE ${SLICE_TABLE} (LIKE ${qualified(schema, table)}) ON COMMIT DELETE ROWS`];
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
  // json has no equality: compared as text (itd makes jsonb, which has).
  const cmp = (side: string, c: string): string => `${side}.${ident(c)}${types[columns.indexOf(c)] === "json" ? "::text" : ""}`;
  const differs = `(${rest.map((c) => cmp("cur", c)).join(", ")}) IS DISTINCT FROM (${rest.map((c) => cmp("EXCLUDED", c)).join(", ")})`;
  const time = ident(TIME_COLUMN);
  const onConflict =
    rest.length === 0
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
