import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openSqliteWarehouse } from "../../../src/warehouse/index.js";
import { count, freshWarehouse, loadOnce, loadOpts, onCleanup } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs the fixture until it is ready, then kills it with SIGKILL. Returns its pid. */
async function dieMidTransaction(mode: "slice" | "staging", file: string): Promise<number> {
  const child = spawn(process.execPath, [path.join(here, "fixtures", "die-mid-transaction.mjs"), mode, file], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
  });
  child.kill("SIGKILL");
  await exited;
  return child.pid ?? -1;
}

function rawReader(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  onCleanup(() => db.close());
  return db;
}

describe("what readers see", () => {
  it("never shows a reader an empty or partial table during a replace load", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, Array.from({ length: 100 }, (_, i) => [i, `old${i}`, i]));
    const reader = rawReader(wh.databasePath("db1"));
    const seen = (): unknown => reader.prepare("SELECT count(*), min(email) FROM events").raw().get();
    const load = wh.beginLoad(loadOpts({ mode: "replace", jobId: "job2", bufferRows: 10 }));
    for (let s = 0; s < 5; s++) {
      const slice = load.beginSlice(`w${s}`);
      for (let b = 0; b < 3; b++) {
        slice.insert(Array.from({ length: 10 }, (_, i) => [i, `new${s}_${b}_${i}`, i]));
        expect(seen()).toEqual([100, "old0"]);
        expect(count(wh)).toBe(100);
      }
      slice.commit({ s });
      expect(seen()).toEqual([100, "old0"]);
    }
    // A reader inside a read transaction keeps its snapshot across the swap.
    reader.exec("BEGIN");
    expect(seen()).toEqual([100, "old0"]);
    load.finish();
    expect(seen()).toEqual([100, "old0"]);
    reader.exec("COMMIT");
    expect(seen()).toEqual([150, "new0_0_0"]);
    expect(count(wh)).toBe(150);
  });

  it("keeps an uncommitted slice invisible to other connections and drops it when the warehouse closes", () => {
    const { wh, home } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const reader = rawReader(wh.databasePath("db1"));
    const load = wh.beginLoad(loadOpts({ jobId: "job2", bufferRows: 2 }));
    const slice = load.beginSlice("w1");
    slice.insert(Array.from({ length: 10 }, (_, i) => [100 + i, "x", i]));
    expect(reader.prepare("SELECT count(*) FROM events").pluck().get()).toBe(1);
    expect(reader.prepare("SELECT count(*) FROM _itd_loads").pluck().get()).toBe(1);
    wh.close();
    const again = openSqliteWarehouse(home);
    onCleanup(() => again.close());
    expect(count(again)).toBe(1);
    expect(again.ledger("db1").map((r) => r.jobId)).toEqual(["job1"]);
  });

  it("loses the whole open slice, rows and ledger row, when its process is killed", async () => {
    const { wh, home } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const file = wh.databasePath("db1");
    wh.close();
    await dieMidTransaction("slice", file);
    const after = openSqliteWarehouse(home);
    onCleanup(() => after.close());
    expect(count(after)).toBe(1);
    expect(after.ledger("db1").map((r) => r.jobId)).toEqual(["job1"]);
    // The write lock died with the process: the next slice commits at once.
    loadOnce(after, { jobId: "job3" }, [[2, "b", 2]]);
    expect(count(after)).toBe(2);
  });

  it("drops the staging table of a killed replace load at the next load of that table", async () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const file = wh.databasePath("db1");
    await dieMidTransaction("staging", file);
    const stages = (): unknown[] =>
      wh.query("db1", "SELECT name FROM sqlite_schema WHERE name LIKE '\\_itd\\_stage%' ESCAPE '\\'").rows;
    expect(stages()).toEqual([["_itd_stage_deadjob_events"]]);
    expect(count(wh)).toBe(1);
    const load = wh.beginLoad(loadOpts({ mode: "replace", jobId: "job2" }));
    expect(stages()).toEqual([["_itd_stage_job2_events"]]);
    load.finish();
    expect(stages()).toEqual([]);
    expect(wh.query("db1", "SELECT count(*) FROM _itd_staging").rows).toEqual([[0]]);
  });
});
