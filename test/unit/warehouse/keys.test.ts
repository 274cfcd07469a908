/**
 * A table's key (issue 15), held by both engines: a lookback's rows already
 * in the table are skipped (null key parts match), an upsert keeps one row
 * per key and the newest version, and each commit says what it did.
 */
import { describe, expect, it } from "vitest";
import { fresh, load, opts, rowsOf, SKIP, UPSERT, type Cell, type Engine } from "./keyed.js";

describe.each<Engine>(["sqlite", "postgres"])("a table's key on the %s engine", (engine) => {
  it("skip_present adds only the rows whose key is not in the table yet (a null key part matches null)", async () => {
    const { wh } = await fresh(engine);
    expect(await load(wh, SKIP, [["a", 1, "x", 1], ["b", 2, "x", 2], [null, 3, "x", 3]])).toEqual([{ present: 0, updated: 0 }]);
    // A re-read: two old rows (one with a null part), one new; and a repeat inside the slice itself.
    const counts = await load(wh, SKIP, [["a", 1, "changed", 1], [null, 3, "y", 3], ["c", 4, "x", 4], ["c", 4, "x", 4], ["a", 5, "x", 5]]);
    expect(counts).toEqual([{ present: 3, updated: 0 }]);
    expect(await rowsOf(wh, "SELECT message_id, created_at, city FROM events ORDER BY created_at")).toEqual([
      ["a", 1, "x"],
      ["b", 2, "x"],
      [null, 3, "x"],
      ["c", 4, "x"],
      ["a", 5, "x"],
    ]);
  });

  it("skip_present holds for rows that waited in the load's scratch file (more than a slice buffers)", async () => {
    const { wh } = await fresh(engine);
    const rows = (from: number, n: number): Cell[][] => Array.from({ length: n }, (_, i) => [`m${from + i}`, from + i, "x", from + i]);
    await load(wh, SKIP, rows(0, 2_500));
    const l = await wh.beginLoad({ ...opts(SKIP), bufferRows: 100 });
    const s = await l.beginSlice("big");
    for (let i = 2_000; i < 3_000; i += 100) await s.insert(rows(i, 100));
    expect(await s.commit({}, { epoch: 0, seq: 1 })).toEqual({ present: 500, updated: 0 });
    await l.finish();
    expect(await rowsOf(wh, "SELECT count(*), count(DISTINCT message_id) FROM events")).toEqual([[3_000, 3_000]]);
  });

  it("upsert inserts new keys, replaces a row by a newer or equally new different version, and keeps it against an older one", async () => {
    const { wh } = await fresh(engine);
    expect(await load(wh, UPSERT, [["a", 1, "Oslo", 100], ["b", 2, "Rome", 100]])).toEqual([{ present: 0, updated: 0 }]);
    const counts = await load(
      wh,
      UPSERT,
      [
        ["a", 1, "Oslo", 100], // the same version again: present
        ["b", 3, "Lima", 90], // older: kept out (present)
        ["c", 4, "Kyiv", 100], // new
      ],
      [
        ["a", 5, "Bern", 110], // newer: updates
        ["c", 6, "Riga", 120], // two versions of one key in one slice: the newest wins
        ["c", 7, "Oulu", 130],
      ],
    );
    expect(counts[0]).toEqual({ present: 2, updated: 0 });
    // SQLite applies the slice's rows in order (c updated twice); PostgreSQL merges the newest of each key once.
    expect(counts[1]).toEqual(engine === "sqlite" ? { present: 0, updated: 3 } : { present: 1, updated: 2 });
    expect(await rowsOf(wh, "SELECT message_id, created_at, city, time FROM events ORDER BY message_id")).toEqual([
      ["a", 5, "Bern", 110],
      ["b", 2, "Rome", 100],
      ["c", 7, "Oulu", 130],
    ]);
  });

  it("a rolled-back slice leaves neither rows nor counts", async () => {
    const { wh } = await fresh(engine);
    await load(wh, UPSERT, [["a", 1, "Oslo", 100]]);
    const l = await wh.beginLoad(opts(UPSERT));
    const s = await l.beginSlice("w");
    await s.insert([["a", 2, "Bern", 200], ["z", 3, "Nuuk", 200]]);
    await s.rollback();
    const again = await l.beginSlice("w2");
    await again.insert([["y", 4, "Baku", 200]]);
    expect(await again.commit({}, { epoch: 0, seq: 1 })).toEqual({ present: 0, updated: 0 });
    await l.finish();
    expect(await rowsOf(wh, "SELECT message_id, city FROM events ORDER BY message_id")).toEqual([
      ["a", "Oslo"],
      ["y", "Baku"],
    ]);
  });

  it("refuses a key the table's rows already repeat, naming the repeats", async () => {
    const { wh } = await fresh(engine);
    await load(wh, undefined, [["a", 1, "x", 1], ["a", 1, "y", 2], ["b", 2, "x", 3]]);
    await expect(wh.beginLoad(opts(SKIP))).rejects.toThrow(/Cannot de-duplicate db1\.events by \(message_id, created_at\): the table already holds 1 key more than once \(e\.g\. .*'a'.*\)/);
    await expect(wh.beginLoad(opts(UPSERT))).rejects.toThrow(/Cannot upsert into db1\.events by \(message_id\).*out\.primary_keys/);
  });

  it("keeps the key for a plain append into the table: a repeat is not added again, and counted present", async () => {
    const { wh } = await fresh(engine);
    await load(wh, SKIP, [["a", 1, "x", 1]]);
    expect(await load(wh, undefined, [["a", 1, "x", 1], ["b", 2, "x", 2]])).toEqual([{ present: 1, updated: 0 }]);
    expect(await rowsOf(wh, "SELECT count(*) FROM events")).toEqual([[2]]);
  });

  it("a replace load leaves no key index behind on the table", async () => {
    const { wh } = await fresh(engine);
    await load(wh, UPSERT, [["a", 1, "x", 1]]);
    const l = await wh.beginLoad({ ...opts(undefined), mode: "replace" });
    const s = await l.beginSlice("r");
    await s.insert([["a", 1, "x", 1], ["a", 1, "x", 1]]);
    await s.commit({}, { epoch: 0, seq: 1 });
    await l.finish();
    expect(await rowsOf(wh, "SELECT count(*) FROM events")).toEqual([[2]]);
  });
});
