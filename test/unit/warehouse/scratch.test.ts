/**
 * Slices bigger than the in-memory buffer wait in the load's scratch file, so
 * the database's write lock is taken only at commit: another load into the
 * same database can commit meanwhile (the soak and the resources test found
 * one big slice failing every other schedule of its database).
 */
import Database from "better-sqlite3";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { removeStaleScratch } from "../../../src/warehouse/scratch.js";
import { count, freshWarehouse, loadOpts, onCleanup } from "./helpers.js";

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => [from + i, `e${from + i}`, from + i]);
const scratchFiles = (dbFile: string) => fs.readdirSync(path.dirname(dbFile)).filter((f) => f.startsWith(`.${path.basename(dbFile)}.scratch-`));

function rawWriter(file: string): Database.Database {
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  onCleanup(() => db.close());
  return db;
}

describe("the load's scratch file", () => {
  it("leaves the database unlocked while a big slice streams in: another writer commits at once", () => {
    const { wh } = freshWarehouse();
    const file = wh.databasePath("db1");
    const load = wh.beginLoad(loadOpts({ bufferRows: 100 }));
    const slice = load.beginSlice("w1");
    for (let b = 0; b < 10; b++) slice.insert(rows(b * 100, 100)); // 1,000 rows, all spilled
    expect(scratchFiles(file)).toHaveLength(1);
    expect(fs.statSync(path.join(path.dirname(file), scratchFiles(file)[0] as string)).mode & 0o777).toBe(0o600);
    // No busy wait allowed: before the scratch file this failed with SQLITE_BUSY (the slice held the write lock).
    const other = rawWriter(file);
    expect(() => other.exec("BEGIN IMMEDIATE; CREATE TABLE other_load (x); INSERT INTO other_load VALUES (1); COMMIT")).not.toThrow();
    slice.insert(rows(1000, 50)); // these stay in memory
    slice.commit({ at: 1 });
    load.finish();
    expect(count(wh)).toBe(1050);
    // Spilled rows first, then the buffered ones: the slice's order.
    const ids = wh.query("db1", "SELECT id FROM events ORDER BY rowid").rows.map((r) => r[0]);
    expect(ids).toEqual(Array.from({ length: 1050 }, (_, i) => i));
    expect(scratchFiles(file)).toEqual([]);
  });

  it("a rolled-back slice leaves nothing, and the next slice of the load starts clean", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ bufferRows: 10 }));
    const s1 = load.beginSlice("w1");
    s1.insert(rows(0, 35));
    s1.rollback();
    const s2 = load.beginSlice("w2");
    s2.insert(rows(100, 25));
    s2.commit({ at: 2 });
    load.finish();
    expect(wh.query("db1", "SELECT min(id), max(id), count(*) FROM events").rows[0]).toEqual([100, 124, 25]);
    expect(wh.ledger("db1").map((r) => [r.slice, r.rows])).toEqual([["w2", 25]]);
  });

  it("works for staging modes too: replace swaps in exactly the committed slices", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ mode: "replace", bufferRows: 7 }));
    for (let s = 0; s < 3; s++) {
      const slice = load.beginSlice(`w${s}`);
      slice.insert(rows(s * 100, 20));
      slice.commit({ s });
    }
    const file = wh.databasePath("db1");
    const other = rawWriter(file);
    expect(() => other.exec("BEGIN IMMEDIATE; COMMIT")).not.toThrow();
    load.finish();
    expect(count(wh)).toBe(60);
    expect(scratchFiles(file)).toEqual([]);
  });

  it("an aborted load removes its scratch file", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ bufferRows: 5 }));
    load.beginSlice("w1").insert(rows(0, 20));
    expect(scratchFiles(wh.databasePath("db1"))).toHaveLength(1);
    load.abort();
    expect(scratchFiles(wh.databasePath("db1"))).toEqual([]);
    expect(count(wh)).toBe(0);
  });

  it("removes scratch files of dead processes, keeps those of live ones", () => {
    const { wh } = freshWarehouse();
    const file = wh.databasePath("db1");
    const dir = path.dirname(file);
    const dead = `.${path.basename(file)}.scratch-999999-1-1`;
    const live = `.${path.basename(file)}.scratch-${process.pid}-1-1`;
    for (const f of [dead, live, "unrelated.db"]) fs.writeFileSync(path.join(dir, f), "");
    expect(removeStaleScratch(file, (pid) => pid === process.pid)).toEqual([dead]);
    expect(fs.existsSync(path.join(dir, live))).toBe(true);
    expect(fs.existsSync(path.join(dir, "unrelated.db"))).toBe(true);
  });
});
