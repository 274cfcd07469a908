/**
 * Missed slots after a 3-day downtime: a daily and an hourly schedule last ran
 * on 2026-01-10; the daemon comes back on 2026-01-13 at 12:30 UTC.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Catchup } from "../../../src/schedule/index.js";
import { at, def, harness, iso, MemorySlotStore, type Harness } from "./helpers.js";

const BACK = at("2026-01-13T12:30:00Z");
const DAILY_MISSED = ["2026-01-11T00:00:00.000Z", "2026-01-12T00:00:00.000Z", "2026-01-13T00:00:00.000Z"];
const HOURLY_MISSED = Array.from({ length: 72 }, (_, i) => iso(at("2026-01-10T13:00:00Z") + i * 3_600_000));

let h: Harness | undefined;
afterEach(() => h?.scheduler.stop());

async function comeBack(catchup: Catchup, catchupCap?: number): Promise<Harness> {
  const store = new MemorySlotStore();
  store.seed("daily", at("2026-01-10T00:00:00Z"));
  store.seed("hourly", at("2026-01-10T12:00:00Z"));
  h = harness(BACK, catchupCap === undefined ? { store } : { store, catchupCap });
  h.scheduler.setSchedules([def("daily", "0 0 * * *", { catchup }), def("hourly", "0 * * * *", { catchup })]);
  void h.scheduler.start();
  await h.settle();
  return h;
}

/** Every missed slot is either claimed or skipped, once. */
function accountedFor(h: Harness, schedule: string): string[] {
  return [...h.store.claimed(schedule), ...h.store.skipped(schedule).map((s) => s.slot)].sort();
}

describe("catch-up after a 3-day downtime", () => {
  it("`all` claims every missed slot in order, oldest first across schedules", async () => {
    const { store, events } = await comeBack("all");
    expect(store.claimed("daily")).toEqual(DAILY_MISSED);
    expect(store.claimed("hourly")).toEqual(HOURLY_MISSED);
    expect(store.skipped("hourly")).toEqual([]);
    const order = store.claims.map((c) => c.slot);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(events.filter((e) => e.type === "catchup")).toEqual([
      { type: "catchup", schedule: "hourly", slots: HOURLY_MISSED.map(at) },
      { type: "catchup", schedule: "daily", slots: DAILY_MISSED.map(at) },
    ]);
  });

  it("`all` claims the oldest missed slots up to the cap and skips the rest with the reason", async () => {
    const h = await comeBack("all", 10);
    expect(h.store.claimed("hourly")).toEqual(HOURLY_MISSED.slice(0, 10));
    expect(h.store.skipped("hourly")).toEqual(HOURLY_MISSED.slice(10).map((slot) => ({ slot, reason: "catch-up cap 10 exceeded" })));
    expect(h.store.claimed("daily")).toEqual(DAILY_MISSED);
    expect(accountedFor(h, "hourly")).toEqual(HOURLY_MISSED);
  });

  it("takes a cap changed at run time (SIGHUP) for the next catch-up", async () => {
    const store = new MemorySlotStore();
    store.seed("hourly", at("2026-01-10T12:00:00Z"));
    h = harness(BACK, { store, catchupCap: 10 });
    h.scheduler.setCatchupCap(30);
    h.scheduler.setSchedules([def("hourly", "0 * * * *", { catchup: "all" })]);
    void h.scheduler.start();
    await h.settle();
    expect(h.store.claimed("hourly")).toEqual(HOURLY_MISSED.slice(0, 30));
    expect(h.store.skipped("hourly")[0]).toEqual({ slot: HOURLY_MISSED[30], reason: "catch-up cap 30 exceeded" });
  });

  it("the cap counts per catch-up: the next slot after it fires normally", async () => {
    const h = await comeBack("all", 10);
    await h.runTo(at("2026-01-13T13:00:00Z"));
    expect(h.fired("hourly").at(-1)).toMatchObject({ slot: at("2026-01-13T13:00:00Z"), lateMs: 0 });
  });

  it("`latest` claims only the latest missed slot and skips the others", async () => {
    const h = await comeBack("latest");
    expect(h.store.claimed("daily")).toEqual(DAILY_MISSED.slice(-1));
    expect(h.store.skipped("daily")).toEqual(DAILY_MISSED.slice(0, -1).map((slot) => ({ slot, reason: "catchup: latest" })));
    expect(h.store.claimed("hourly")).toEqual(HOURLY_MISSED.slice(-1));
    expect(h.store.skipped("hourly")).toHaveLength(71);
    expect(accountedFor(h, "daily")).toEqual(DAILY_MISSED);
    expect(accountedFor(h, "hourly")).toEqual(HOURLY_MISSED);
  });

  it("`none` skips every missed slot and then fires on schedule", async () => {
    const h = await comeBack("none");
    expect(h.store.claims).toEqual([]);
    expect(h.store.skipped("daily")).toEqual(DAILY_MISSED.map((slot) => ({ slot, reason: "catchup: none" })));
    expect(accountedFor(h, "hourly")).toEqual(HOURLY_MISSED);
    expect(h.store.skipped("hourly").every((s) => s.reason === "catchup: none")).toBe(true);
    await h.runTo(at("2026-01-13T13:00:00Z"));
    expect(h.store.claimed("hourly")).toEqual(["2026-01-13T13:00:00.000Z"]);
  });

  it("a schedule never run does not backfill its past", async () => {
    h = harness(BACK);
    h.scheduler.setSchedules([def("fresh", "0 * * * *")]);
    void h.scheduler.start();
    await h.settle();
    expect(h.store.attempts).toEqual([]);
    expect(h.store.skipped("fresh")).toEqual([]);
    expect(h.scheduler.nextDue()).toBe(at("2026-01-13T13:00:00Z"));
  });

  it("a schedule that never fired before the daemon went down catches up the slots missed since a daemon first saw it (soak finding)", async () => {
    const store = new MemorySlotStore();
    store.firstSeen("young", at("2026-01-13T09:10:00Z")); // seen by the daemon before the downtime, never fired
    h = harness(BACK, { store });
    h.scheduler.setSchedules([def("young", "0 * * * *", { catchup: "all" })]);
    void h.scheduler.start();
    await h.settle();
    expect(store.claimed("young")).toEqual(["2026-01-13T10:00:00.000Z", "2026-01-13T11:00:00.000Z", "2026-01-13T12:00:00.000Z"]);
    expect(h.scheduler.nextDue()).toBe(at("2026-01-13T13:00:00Z"));
  });

  it("a restart shorter than the grace fires the slot it straddled, even under `none`", async () => {
    const store = new MemorySlotStore();
    store.seed("hourly", at("2026-01-13T11:00:00Z"));
    h = harness(at("2026-01-13T12:00:20Z"), { store });
    h.scheduler.setSchedules([def("hourly", "0 * * * *", { catchup: "none" })]);
    void h.scheduler.start();
    await h.settle();
    expect(h.fired("hourly").map((e) => [iso(e.slot), e.lateMs])).toEqual([["2026-01-13T12:00:00.000Z", 20_000]]);
  });

  it("a long run of missed slots is recorded in chunks, none lost, and the slot due right now fires", async () => {
    const store = new MemorySlotStore();
    store.seed("minutely", at("2026-01-10T12:00:00Z"));
    h = harness(BACK, { store });
    h.scheduler.setSchedules([def("minutely", "* * * * *", { catchup: "none" })]);
    void h.scheduler.start();
    await h.settle();
    const skipped = h.store.skipped("minutely");
    expect(skipped).toHaveLength(3 * 24 * 60 + 29);
    expect(skipped[0]?.slot).toBe("2026-01-10T12:01:00.000Z");
    expect(skipped.at(-1)?.slot).toBe("2026-01-13T12:29:00.000Z");
    expect(h.store.claimed("minutely")).toEqual(["2026-01-13T12:30:00.000Z"]);
    const calls = h.events.filter((e) => e.type === "skip").length;
    expect(calls).toBeGreaterThan(1); // chunked…
    expect(calls).toBeLessThanOrEqual(10); // …but not one store call per slot
  });
});
