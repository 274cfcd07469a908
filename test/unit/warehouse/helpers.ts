import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { openSqliteWarehouse } from "../../../src/warehouse/index.js";
import type { BeginLoadOptions, ColumnSpec, SqliteWarehouse } from "../../../src/warehouse/index.js";

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A fresh itd home in a temporary directory, removed after the test. */
export function tempHome(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "itd-warehouse-"));
  const home = path.join(dir, "home");
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return home;
}

/** A warehouse on a fresh home with database `db1`, closed after the test. */
export function freshWarehouse(): { wh: SqliteWarehouse; home: string; clock: FakeClock } {
  const home = tempHome();
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const wh = openSqliteWarehouse(home, { clock });
  cleanups.push(() => wh.close());
  wh.createDatabase("db1");
  return { wh, home, clock };
}

export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
}

export const COLS: ColumnSpec[] = [
  { name: "id", type: "long" },
  { name: "email", type: "string" },
];

export function loadOpts(over: Partial<BeginLoadOptions> = {}): BeginLoadOptions {
  return { database: "db1", table: "events", mode: "append", columns: COLS, jobId: "job1", stream: "s1", ...over };
}

/** Loads rows in one slice and finishes. */
export function loadOnce(wh: SqliteWarehouse, over: Partial<BeginLoadOptions>, rows: (string | number | null)[][], slice = "w1") {
  const load = wh.beginLoad(loadOpts(over));
  const s = load.beginSlice(slice);
  s.insert(rows);
  s.commit({ slice });
  return load.finish();
}

export function count(wh: SqliteWarehouse, table = "events", database = "db1"): number {
  return wh.query(database, `SELECT count(*) FROM ${table}`).rows[0]?.[0] as number;
}
