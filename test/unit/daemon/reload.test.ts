import { afterEach, describe, expect, it } from "vitest";
import { at, def, harness, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(() => h?.scheduler.stop());

async function runningAt(start: string, maxSleepMs?: number): Promise<Harness> {
  h = harness(at(start), maxSleepMs === undefined ? {} : { maxSleepMs });
  h.scheduler.setSchedules([def("hourly", "0 * * * *")]);
  void h.scheduler.start();
  await h.settle();
  return h;
}

describe("setSchedules while running", () => {
  it("adds a schedule that fires from its first slot after now, without backfill", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    h.scheduler.setSchedules([def("hourly", "0 * * * *"), def("quarter", "*/15 * * * *")]);
    expect(h.scheduler.size).toBe(2);
    await h.runTo(at("2026-01-10T11:00:00Z"));
    expect(h.store.claimed("quarter")).toEqual(["2026-01-10T10:30:00.000Z", "2026-01-10T10:45:00.000Z", "2026-01-10T11:00:00.000Z"]);
    expect(h.store.skipped("quarter")).toEqual([]);
  });

  it("re-arms the timer when a new schedule is due before the one it waits for", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z", 86_400_000);
    h.scheduler.setSchedules([def("hourly", "0 * * * *"), def("soon", "30 * * * *")]);
    await h.settle();
    expect(h.clock.pendingSleeps).toBe(1);
    h.clock.set(at("2026-01-10T10:30:00Z")); // before the hourly's 11:00: only a re-armed timer wakes now
    await h.settle();
    expect(h.fired("soon")).toMatchObject([{ slot: at("2026-01-10T10:30:00Z"), lateMs: 0 }]);
  });

  it("recomputes a schedule whose cron changed: the old slot does not fire, the new one does", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    const calls = h.store.lastSlotCalls;
    h.scheduler.setSchedules([def("hourly", "45 * * * *")]);
    expect(h.store.lastSlotCalls).toBe(calls + 1);
    expect(h.scheduler.nextDue()).toBe(at("2026-01-10T10:45:00Z"));
    await h.runTo(at("2026-01-10T11:50:00Z"));
    expect(h.store.claimed("hourly")).toEqual(["2026-01-10T10:45:00.000Z", "2026-01-10T11:45:00.000Z"]);
  });

  it("recomputes a schedule whose time zone changed", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    h.scheduler.setSchedules([def("hourly", "0 * * * *", { timezone: "Asia/Kolkata" })]);
    expect(h.scheduler.nextDue()).toBe(at("2026-01-10T10:30:00Z"));
  });

  it("leaves unchanged schedules where they are, without asking the store again", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    const calls = h.store.lastSlotCalls;
    const due = h.scheduler.nextDue();
    h.scheduler.setSchedules([def("hourly", "0 * * * *")]);
    expect(h.store.lastSlotCalls).toBe(calls);
    expect(h.scheduler.nextDue()).toBe(due);
  });

  it("keeps a pending slot when only the delay changes, and fires it at its new due time", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    await h.runTo(at("2026-01-10T11:10:00Z"));
    h.scheduler.setSchedules([def("hourly", "0 * * * *", { delay: 7200 })]);
    expect(h.scheduler.nextDue()).toBe(at("2026-01-10T14:00:00Z"));
    h.scheduler.setSchedules([def("hourly", "0 * * * *", { delay: 600 })]);
    expect(h.scheduler.nextDue()).toBe(at("2026-01-10T12:10:00Z"));
    await h.runTo(at("2026-01-10T12:10:00Z"));
    expect(h.fired("hourly").map((e) => [e.slot, e.dueAt])).toEqual([
      [at("2026-01-10T11:00:00Z"), at("2026-01-10T11:00:00Z")],
      [at("2026-01-10T12:00:00Z"), at("2026-01-10T12:10:00Z")],
    ]);
  });

  it("takes a paused schedule out of the heap, and a resumed one starts from now without catching up", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    h.scheduler.setSchedules([def("hourly", "0 * * * *", { paused: true })]);
    expect(h.scheduler.size).toBe(0);
    expect(h.scheduler.nextDue()).toBeUndefined();
    await h.walkTo(at("2026-01-10T12:20:00Z"), 10 * 60_000);
    expect(h.store.attempts).toEqual([]);

    h.scheduler.setSchedules([def("hourly", "0 * * * *")]);
    await h.runTo(at("2026-01-10T13:00:00Z"));
    expect(h.store.claimed("hourly")).toEqual(["2026-01-10T13:00:00.000Z"]);
    expect(h.store.skipped("hourly")).toEqual([]);
  });

  it("takes a schedule whose cron was cleared out of the heap", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    h.scheduler.setSchedules([def("hourly", "")]);
    expect(h.scheduler.size).toBe(0);
  });

  it("drops a removed schedule, which then never fires", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    h.scheduler.setSchedules([def("other", "30 * * * *")]);
    expect(h.scheduler.size).toBe(1);
    await h.runTo(at("2026-01-10T12:00:00Z"));
    expect(h.store.claimed("hourly")).toEqual([]);
    expect(h.store.claimed("other")).toHaveLength(2);
  });

  it("starts a schedule new to the store (a re-create is one: its id is new) from now, with no past", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    h.scheduler.setSchedules([def("hourly", "0 * * * *"), def("again", "0 * * * *")]);
    await h.runTo(at("2026-01-10T11:00:00Z"));
    expect(h.store.claimed("again")).toEqual(["2026-01-10T11:00:00.000Z"]);
    expect(h.store.skipped("again")).toEqual([]);
  });

  it("goes on from the store's mark for a schedule renamed while its slot was due: the slot is neither lost nor repeated", async () => {
    const h = await runningAt("2026-01-10T10:20:00Z");
    // The store keeps marks by id: under its new name the schedule is where it was (10:00 handled).
    h.store.seed("renamed", at("2026-01-10T10:00:00Z"));
    // 11:00 comes due, and the rename arrives before the loop wakes for it.
    h.clock.set(at("2026-01-10T11:00:30Z"));
    h.scheduler.setSchedules([def("renamed", "0 * * * *")]);
    await h.settle();
    expect(h.store.claimed("renamed")).toEqual(["2026-01-10T11:00:00.000Z"]);
    expect(h.store.claimed("hourly")).toEqual([]);
});
});
