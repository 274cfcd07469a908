import { describe, expect, it } from "vitest";
import { DataError, ItdError } from "../../../src/errors.js";
import { count, freshWarehouse, loadOnce, loadOpts } from "./helpers.js";

describe("the load ledger", () => {
  it("commits a slice's rows and its ledger row together", () => {
    const { wh, clock } = freshWarehouse();
    clock.set(1_700_000_000_123);
    const load = wh.beginLoad(loadOpts());
    const s = load.beginSlice("2024-01-01");
    s.insert([[1, "a", 1], [2, "b", 2]]);
    expect(wh.ledger("db1")).toEqual([]);
    s.commit({ start_time: "2024-01-02T00:00:00Z" });
    expect(count(wh)).toBe(2);
    expect(wh.ledger("db1")).toEqual([
      {
        stream: "s1",
        jobId: "job1",
        slice: "2024-01-01",
        table: "events",
        cursor: { start_time: "2024-01-02T00:00:00Z" },
        rows: 2,
        committedAt: 1_700_000_000_123,
      },
    ]);
    load.finish();
  });

  it("leaves neither rows nor a ledger row when a slice is rolled back", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ bufferRows: 1 }));
    const s = load.beginSlice("a");
    s.insert([[1, "a", 1], [2, "b", 2]]);
    s.rollback();
    s.rollback();
    expect(() => s.commit(null)).toThrow(/rolled back/);
    expect(count(wh)).toBe(0);
    expect(wh.ledger("db1")).toEqual([]);
    // The slice id is free again.
    const again = load.beginSlice("a");
    again.commit(null);
    expect(wh.ledger("db1").map((r) => r.slice)).toEqual(["a"]);
  });

  it("refuses to begin a slice that this job already committed", () => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]], "w1");
    const load = wh.beginLoad(loadOpts());
    expect(() => load.beginSlice("w1")).toThrow("Slice 'w1' of job job1 (stream 's1') is already committed");
    const s = load.beginSlice("w2");
    s.commit(null);
    expect(() => load.beginSlice("w2")).toThrow(/already committed/);
    // Another job may commit a slice of the same name.
    loadOnce(wh, { jobId: "job2" }, [[2, "b", 2]], "w1");
    expect(count(wh)).toBe(2);
  });

  it("fails a second commit of the same (job, slice) and rolls back its rows", () => {
    const { wh } = freshWarehouse();
    const first = wh.beginLoad(loadOpts());
    const second = wh.beginLoad(loadOpts());
    const a = first.beginSlice("x");
    const b = second.beginSlice("x");
    a.insert([[1, "a", 1]]);
    b.insert([[2, "b", 2], [3, "c", 3]]);
    a.commit("cursor-a");
    let err: unknown;
    try {
      b.commit("cursor-b");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ItdError);
    expect((err as ItdError).code).toBe("conflict");
    expect(wh.query("db1", "SELECT id FROM events").rows).toEqual([[1]]);
    expect(wh.ledger("db1").map((r) => r.cursor)).toEqual(["cursor-a"]);
    first.finish();
    expect(second.finish().slices).toBe(0);
  });

  it("returns the latest committed cursor of a stream", () => {
    const { wh, clock } = freshWarehouse();
    expect(wh.lastCursor("db1", "s1")).toBeUndefined();
    const load = wh.beginLoad(loadOpts());
    for (const [i, slice] of ["w1", "w2", "w3"].entries()) {
      clock.advance(1000);
      const s = load.beginSlice(slice);
      s.insert([[i, "x", i]]);
      s.commit({ end: i });
    }
    load.finish();
    loadOnce(wh, { stream: "other", jobId: "job9" }, [[9, "z", 9]], "w9");
    // A clock jumping back does not make an older cursor the latest.
    clock.advance(-60_000);
    const late = wh.beginLoad(loadOpts({ jobId: "job2" }));
    late.beginSlice("w4").commit({ end: 4 });
    late.finish();
    expect(wh.lastCursor("db1", "s1")).toEqual({ cursor: { end: 4 }, jobId: "job2", slice: "w4", committedAt: clock.now() });
    expect(wh.lastCursor("db1", "other")?.cursor).toEqual({ slice: "w9" });
    expect(wh.ledger("db1", { stream: "s1", jobId: "job1" }).map((r) => r.slice)).toEqual(["w1", "w2", "w3"]);
    expect(wh.ledger("db1", { jobId: "job2" }).map((r) => r.cursor)).toEqual([{ end: 4 }]);
  });

  it("records the cursors of a replace load only when it finishes", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts({ mode: "replace" }));
    const s = load.beginSlice("a");
    s.insert([[1, "a", 1]]);
    s.commit({ n: 1 });
    expect(wh.lastCursor("db1", "s1")).toBeUndefined();
    load.finish();
    expect(wh.lastCursor("db1", "s1")?.cursor).toEqual({ n: 1 });
    expect(wh.ledger("db1")[0]?.rows).toBe(1);
  });

  it("refuses a cursor that JSON cannot hold and keeps the slice open", () => {
    const { wh } = freshWarehouse();
    const load = wh.beginLoad(loadOpts());
    const s = load.beginSlice("a");
    s.insert([[1, "a", 1]]);
    expect(() => s.commit({ big: 1n })).toThrow(DataError);
    s.commit({ big: "1" });
    expect(count(wh)).toBe(1);
  });
});

describe("stream fences", () => {
  it("refuse every commit of a load whose lease token a newer load of the stream has passed, in append and staging modes", () => {
    const { wh } = freshWarehouse();
    const stale = wh.beginLoad(loadOpts({ jobId: "old", fence: 5 }));
    const staleSlice = stale.beginSlice("w1");
    staleSlice.insert([[1, "a", 1]]);
    // The stream's lease went to a newer run (token 6) while the first one stalled: it fences the database.
    const fresh = wh.beginLoad(loadOpts({ jobId: "new", fence: 6 }));
    const s = fresh.beginSlice("w1");
    s.insert([[2, "b", 2]]);
    s.commit({ start_time: "2024-01-02T00:00:00Z" }, { epoch: 0, seq: 1 });
    fresh.finish();
    expect(() => staleSlice.commit({ start_time: "2024-01-03T00:00:00Z" }, { epoch: 0, seq: 1 })).toThrow(/lost its lease: a newer run \(token 6\)/);
    stale.abort();
    expect(count(wh)).toBe(1);
    expect(wh.ledger("db1").map((r) => r.jobId)).toEqual(["new"]);
    expect(wh.lastCursor("db1", "s1")?.position).toEqual({ epoch: 0, seq: 1 });
    // A stale load cannot even begin, and a replace-mode load fenced meanwhile cannot swap in.
    expect(() => wh.beginLoad(loadOpts({ jobId: "older", fence: 4 }))).toThrow(/lost its lease/);
    const replace = wh.beginLoad(loadOpts({ jobId: "r1", fence: 6, mode: "replace" }));
    replace.beginSlice("x").commit(null, { epoch: 0, seq: 2 });
    wh.beginLoad(loadOpts({ jobId: "r2", fence: 7 })).abort();
    expect(() => replace.finish()).toThrow(/lost its lease/);
    expect(count(wh)).toBe(1);
  });
});
