import { threadId } from "node:worker_threads";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ItdError } from "../../../src/errors.js";
import { isStale } from "../../../src/warehouse/staging.js";
import type { StagingRecord } from "../../../src/warehouse/staging.js";
import { count, freshWarehouse, loadOnce, loadOpts } from "./helpers.js";

const rec = (over: Partial<StagingRecord>): StagingRecord => ({
  stageTable: "_itd_stage_j_t",
  table: "t",
  jobId: "j",
  pid: 100,
  threadId: 0,
  ...over,
});

describe("stale staging tables", () => {
  const me = { pid: 100, threadId: 0 };
  const alive = (pid: number): boolean => pid === 200;

  it("are those of dead processes", () => {
    expect(isStale(rec({ pid: 300 }), new Set(), me, alive)).toBe(true);
    expect(isStale(rec({ pid: 200 }), new Set(), me, alive)).toBe(false);
  });

  it("are those of this thread that no open load owns", () => {
    expect(isStale(rec({}), new Set(), me, alive)).toBe(true);
    expect(isStale(rec({}), new Set(["_itd_stage_j_t"]), me, alive)).toBe(false);
  });

  it("are never those of another thread of this process", () => {
    expect(isStale(rec({ threadId: 3 }), new Set(), me, alive)).toBe(false);
  });

  it("of an open load are kept when another job starts on the same table", () => {
    const { wh } = freshWarehouse();
    const first = wh.beginLoad(loadOpts({ mode: "replace", jobId: "job1" }));
    const a = first.beginSlice("a");
    a.insert([[1, "a", 1]]);
    a.commit(null);
    const second = wh.beginLoad(loadOpts({ mode: "truncate", jobId: "job2" }));
    const stages = wh.query("db1", "SELECT stage_table FROM _itd_staging ORDER BY 1").rows;
    expect(stages).toEqual([["_itd_stage_job1_events"], ["_itd_stage_job2_events"]]);
    second.abort();
    expect(first.finish().rows).toBe(1);
    expect(count(wh)).toBe(1);
  });

  it.each(["append", "replace"] as const)("left by a load this thread never finished are dropped by the next %s load of that table", (mode) => {
    const { wh } = freshWarehouse();
    loadOnce(wh, {}, [[1, "a", 1]]);
    const raw = new Database(wh.databasePath("db1"));
    raw.exec('CREATE TABLE "_itd_stage_lost_events" ("time" INTEGER)');
    raw
      .prepare("INSERT INTO _itd_staging (stage_table, table_name, job_id, pid, thread_id, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run("_itd_stage_lost_events", "events", "lost", process.pid, threadId, 0);
    raw.close();
    const load = wh.beginLoad(loadOpts({ mode, jobId: "job2" }));
    const staged = mode === "append" ? [] : [["_itd_stage_job2_events"]];
    expect(wh.query("db1", "SELECT stage_table FROM _itd_staging").rows).toEqual(staged);
    expect(wh.query("db1", "SELECT count(*) FROM sqlite_schema WHERE name = '_itd_stage_lost_events'").rows).toEqual([[0]]);
    load.abort();
    expect(count(wh)).toBe(1);
  });

  it("refuses a second load of the same job on the same table while the first is open", () => {
    const { wh } = freshWarehouse();
    const first = wh.beginLoad(loadOpts({ mode: "replace" }));
    let err: unknown;
    try {
      wh.beginLoad(loadOpts({ mode: "replace" }));
    } catch (e) {
      err = e;
    }
    expect((err as ItdError).code).toBe("conflict");
    expect((err as ItdError).message).toBe("Job job1 is already loading into db1.events");
    first.finish();
  });
});
