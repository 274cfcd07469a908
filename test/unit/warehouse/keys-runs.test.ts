/**
 * A table's key (issue 15) on the parse threads' path: a slice's rows come as
 * run tables in the load's run files (written here as the threads write
 * them), copied at commit — still each key once, the newest version of an
 * upsert winning whatever run it came in.
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { RowMatch, SqliteLoad } from "../../../src/warehouse/index.js";
import { freshWarehouse } from "./helpers.js";

const COLS = [
  { name: "message_id", type: "string" as const },
  { name: "city", type: "string" as const },
];

type Cell = string | number | null;

/** Writes each batch of rows as a run table (r1, r2, …) of the load's run files, round robin, and adds them to a slice. */
function commitRuns(load: SqliteLoad, slice: string, batches: Cell[][][]): ReturnType<ReturnType<SqliteLoad["beginSlice"]>["commit"]> {
  const files = load.openRunFiles(2);
  const s = load.beginSlice(slice);
  const dbs = files.files.map((f) => new Database(f));
  try {
    batches.forEach((rows, i) => {
      const file = i % 2;
      const table = `r${i + 1}`;
      const db = dbs[file] as Database.Database;
      db.exec(`CREATE TABLE "${table}" ${files.columnsSql}`);
      const insert = db.prepare(`INSERT INTO "${table}" (${files.insertColumns.map((c) => `"${c}"`).join(", ")}) VALUES (${files.insertColumns.map(() => "?").join(", ")})`);
      for (const r of rows) insert.run(r);
      s.addRun({ file, table, rows: rows.length });
    });
  } finally {
    for (const db of dbs) db.close();
  }
  return s.commit({ slice }, { epoch: 0, seq: 1 });
}

function loadWith(match: RowMatch, job: string) {
  const { wh } = freshWarehouse();
  const begin = (j: string): SqliteLoad =>
    wh.beginLoad({ database: "db1", table: "tab", mode: match.kind === "upsert" ? "upsert" : "append", columns: COLS, jobId: j, stream: "s", match });
  return { wh, first: begin(job), begin };
}

describe("a key on the parse threads' path (runs)", () => {
  it("skips rows already present across 150 runs, counting them", () => {
    const { wh, first, begin } = loadWith({ kind: "skip_present", key: ["message_id"] }, "j1");
    const batch = (from: number): Cell[][] => Array.from({ length: 4 }, (_, k) => [`m${(from * 4 + k) % 500}`, "x", 1]);
    // 150 runs of 4 rows over 500 distinct ids: 100 repeats inside the slice itself.
    expect(commitRuns(first, "a", Array.from({ length: 150 }, (_, i) => batch(i)))).toEqual({ present: 100, updated: 0 });
    first.finish();
    const again = begin("j2");
    expect(commitRuns(again, "b", [[["m1", "y", 2], ["m999", "y", 2]]])).toEqual({ present: 1, updated: 0 });
    again.finish();
    expect(wh.query("db1", "SELECT count(*) AS n, count(DISTINCT message_id) AS d FROM tab").rows).toEqual([[501, 501]]);
  });

  it("upserts by the key, the newest version of a key winning whatever run it came in", () => {
    const { wh, first } = loadWith({ kind: "upsert", key: ["message_id"] }, "j1");
    const runs: Cell[][][] = [
      [["a", "Oslo", 10], ["b", "Rome", 10]],
      [["a", "Bern", 30]],
      [["a", "Kyiv", 20], ["b", "Lima", 10]], // older than Bern; Lima: as new as Rome, different → it wins (it came later)
    ];
    commitRuns(first, "u", runs);
    first.finish();
    expect(wh.query("db1", "SELECT message_id, city, time FROM tab ORDER BY message_id").rows).toEqual([
      ["a", "Bern", 30],
      ["b", "Lima", 10],
    ]);
  });
});
