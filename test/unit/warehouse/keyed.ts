/**
 * Shared by the tests of a table's key (issue 15): a fresh warehouse of
 * either engine with database db1, a three-column load, its keys, and one
 * load of slices that returns each commit's counts.
 */
import { afterEach } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { parsePostgresUrl, type BeginLoadOptions, type ColumnSpec, type RowMatch, type Warehouse } from "../../../src/warehouse/index.js";
import { openWarehouse } from "../../../src/warehouse/open.js";
import { freshPgDatabase } from "../../support/postgres.js";
import { tempHome } from "./helpers.js";

const opened: Warehouse[] = [];
afterEach(async () => {
  for (const w of opened.splice(0)) await w.close();
});

export type Engine = "sqlite" | "postgres";

export async function fresh(engine: Engine): Promise<{ wh: Warehouse; url: string | undefined }> {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const url = engine === "postgres" ? await freshPgDatabase() : undefined;
  const wh =
    url === undefined
      ? openWarehouse({ engine: "sqlite" }, tempHome(), clock)
      : openWarehouse({ engine: "postgres", target: parsePostgresUrl(url, {}, "test") }, "/nonexistent", clock);
  opened.push(wh);
  await wh.createDatabase("db1");
  return { wh, url };
}

export const COLS: ColumnSpec[] = [
  { name: "message_id", type: "string" },
  { name: "created_at", type: "long" },
  { name: "city", type: "string" },
];

export const SKIP: RowMatch = { kind: "skip_present", key: ["message_id", "created_at"] };
export const UPSERT: RowMatch = { kind: "upsert", key: ["message_id"] };

let job = 0;
export const opts = (match: RowMatch | undefined, over: Partial<BeginLoadOptions> = {}): BeginLoadOptions => ({
  database: "db1",
  table: "events",
  mode: match?.kind === "upsert" ? "upsert" : "append",
  columns: COLS,
  jobId: `job${++job}`,
  stream: `s${job}`,
  match,
  ...over,
});

export type Cell = string | number | null;

export async function load(wh: Warehouse, match: RowMatch | undefined, ...slices: Cell[][][]) {
  const l = await wh.beginLoad(opts(match));
  const counts = [];
  let seq = 0;
  for (const rows of slices) {
    const s = await l.beginSlice(`w${seq}`);
    await s.insert(rows);
    counts.push(await s.commit({ seq }, { epoch: 0, seq: ++seq }));
  }
  await l.finish();
  return counts;
}

export async function rowsOf(wh: Warehouse, sql: string): Promise<unknown[][]> {
  return (await wh.query("db1", sql, { timeoutMs: 10_000, maxRows: 0 })).rows;
}
