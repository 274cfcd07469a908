/**
 * What the status pages read (issue 16), on both engines of the state store
 * and of the warehouse: the newest job of each schedule in chunks, the newest
 * runs of a page of schedules, a schedule's history by keyset, a job's log
 * after a sequence number; and the warehouse's tables with their rows, time
 * range, last import and rows per day.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { TablesSource } from "../../../src/daemon/status/tables.js";
import { openStore, type JobStatus, type Store } from "../../../src/store/index.js";
import { StatusQueries } from "../../../src/store/status.js";
import { parsePostgresUrl, type Warehouse } from "../../../src/warehouse/index.js";
import { openWarehouse } from "../../../src/warehouse/open.js";
import { freshPgDatabase } from "../../support/postgres.js";

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const DAY = 86_400_000;
type Engine = "sqlite" | "postgres";

const stores: Store[] = [];
const warehouses: Warehouse[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const w of warehouses.splice(0)) await w.close();
});

async function store(engine: Engine): Promise<Store> {
  const home = mkdtempSync(join(tmpdir(), "itd-status-store-"));
  const state = engine === "sqlite" ? undefined : { engine: "postgres" as const, target: parsePostgresUrl(await freshPgDatabase("itd_status"), {}, "test") };
  const s = openStore(home, new FakeClock(T0), { isAlive: () => true, ...(state === undefined ? {} : { state }) });
  stores.push(s);
  return s;
}

function schedule(s: Store, name: string): number {
  return s.schedules.create({ name, cron: "@hourly", timezone: "UTC", delay: 0, database: "db1", table: "t1", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: false }).id;
}

function job(s: Store, scheduleId: number, status: JobStatus, slot: number, records = 0): number {
  const j = s.jobs.createJob({
    kind: "scheduled", schedule: "x", scheduleId, scheduledTime: slot, database: "db1", table: "t1", config: "", stream: `schedule#${scheduleId}`,
    status: status === "queued" || status === "skipped" ? status : "running", catchup: slot % 2 === 1,
  });
  if (status === "success" || status === "error" || status === "killed") s.jobs.finishJob(j.id, { status, records, skippedRecords: 0, bytes: 10, error: null });
  return j.id;
}

describe.each<Engine>(["sqlite", "postgres"])("the status queries on %s", (engine) => {
  it("read the newest job of every schedule a chunk at a time, schedules without jobs counted but not returned", async () => {
    const s = await store(engine);
    const ids = ["a", "b", "c", "d", "e"].map((n) => schedule(s, n));
    const [a, b, , d, e] = ids as [number, number, number, number, number];
    job(s, a, "success", 1);
    const aLast = job(s, a, "error", 2);
    const bLast = job(s, b, "queued", 3);
    const dLast = job(s, d, "skipped", 5);
    const eLast = job(s, e, "running", 7);
    const q = new StatusQueries(s.db);
    const first = q.lastJobs(0, 3);
    expect(first.jobs).toEqual([
      { scheduleId: a, jobId: aLast, status: "error" },
      { scheduleId: b, jobId: bLast, status: "queued" },
    ]);
    const second = q.lastJobs(first.lastId as number, 3);
    expect(second.jobs).toEqual([
      { scheduleId: d, jobId: dLast, status: "skipped" },
      { scheduleId: e, jobId: eLast, status: "running" },
    ]);
    expect(q.lastJobs(second.lastId as number, 3)).toEqual({ jobs: [], lastId: undefined });
  });

  it("read the newest runs of a page of schedules, newest first, with what the strip draws", async () => {
    const s = await store(engine);
    const [a, b, c] = ["a", "b", "c"].map((n) => schedule(s, n)) as [number, number, number];
    const aJobs = Array.from({ length: 5 }, (_, i) => job(s, a, "success", 10 + i, i * 10));
    job(s, b, "killed", 3, 7);
    const recent = new StatusQueries(s.db).recentJobs([a, b, c], 3);
    expect(recent.get(a)?.map((j) => j.id)).toEqual(aJobs.slice(2).reverse());
    expect(recent.get(a)?.[0]).toMatchObject({ status: "success", records: 40, scheduledTime: 14, catchup: false, bytes: 10, database: "db1", table: "t1" });
    expect(recent.get(b)?.[0]).toMatchObject({ status: "killed", records: 7, catchup: true });
    expect(recent.get(c)).toEqual([]);
  });

  it("page a schedule's history by job id and a job's log by sequence number", async () => {
    const s = await store(engine);
    const a = schedule(s, "a");
    const ids = Array.from({ length: 7 }, (_, i) => job(s, a, "success", i));
    const q = new StatusQueries(s.db);
    expect(q.history(a, 3).map((j) => j.id)).toEqual(ids.slice(4).reverse());
    expect(q.history(a, 3, ids[4]).map((j) => j.id)).toEqual(ids.slice(1, 4).reverse());
    const id = ids[0] as number;
    for (let i = 1; i <= 5; i++) s.jobs.appendLog(id, "info", `line ${i}`);
    expect(q.logPage(id, 2, 2).map((l) => [l.seq, l.message])).toEqual([[3, "line 3"], [4, "line 4"]]);
    expect(q.job(id)).toMatchObject({ id, status: "success", scheduleId: a });
    expect(q.job(999_999)).toBeUndefined();
  });
});

describe.each<Engine>(["sqlite", "postgres"])("the tables' figures on the %s warehouse", (engine) => {
  it("are every table's rows, time range, last import and rows imported per day", async () => {
    const clock = new FakeClock(T0 - 2 * DAY);
    const wh =
      engine === "sqlite"
        ? openWarehouse({ engine: "sqlite" }, mkdtempSync(join(tmpdir(), "itd-status-wh-")), clock)
        : openWarehouse({ engine: "postgres", target: parsePostgresUrl(await freshPgDatabase("itd_status_wh"), {}, "test") }, "/nonexistent", clock);
    warehouses.push(wh);
    await wh.createDatabase("db1");
    await wh.createTable("db1", "empty_one");
    const slice = async (rows: number, at: number, name: string) => {
      clock.set(at);
      const load = await wh.beginLoad({ database: "db1", table: "events", mode: "append", columns: [{ name: "id", type: "long" }], jobId: name, stream: "s1" });
      const s = await load.beginSlice(name);
      await s.insert(Array.from({ length: rows }, (_, i) => [i, 1_700_000_000 + i]));
      await s.commit({ n: name });
      await load.finish();
    };
    await slice(3, T0 - 2 * DAY, "a");
    await slice(4, T0 - DAY + 5_000, "b");
    await slice(2, T0 - DAY + 9_000, "c");
    clock.set(T0);
    const reading = await new TablesSource(wh, clock).get();
    expect(reading.problems).toEqual([]);
    const events = reading.tables.find((t) => t.name === "events");
    expect(events).toMatchObject({ database: "db1", rows: 9, minTime: 1_700_000_000, maxTime: 1_700_000_003, lastImportAt: T0 - DAY + 9_000 });
    expect(events?.perDay.slice(-3)).toEqual([3, 6, 0]);
    expect(events?.perDay).toHaveLength(30);
    expect(reading.tables.find((t) => t.name === "empty_one")).toMatchObject({ rows: 0, minTime: null, maxTime: null, lastImportAt: null });
    expect(reading.tables.some((t) => t.name.startsWith("_itd"))).toBe(false);
  });
});
