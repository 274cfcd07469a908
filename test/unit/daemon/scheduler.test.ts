import { afterEach, describe, expect, it } from "vitest";
import { at, def, harness, iso, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(() => h?.scheduler.stop());

describe("Scheduler firing", () => {
  it("fires a slot at slot + delay with the slot as its scheduled time", async () => {
    h = harness(at("2026-01-10T10:20:00Z"));
    h.scheduler.setSchedules([def("hourly", "0 * * * *", { delay: 300, priority: 1 })]);
    void h.scheduler.start();
    await h.settle();
    expect(h.scheduler.nextDue()).toBe(at("2026-01-10T11:05:00Z"));

    h.clock.set(at("2026-01-10T11:04:59.999Z"));
    await h.settle();
    expect(h.store.claims).toEqual([]);

    h.clock.set(at("2026-01-10T11:05:00Z"));
    await h.settle();
    expect(h.store.claims).toEqual([{ schedule: "hourly", slot: at("2026-01-10T11:00:00Z"), priority: 1 }]);
    expect(h.fired()).toEqual([
      { type: "fire", schedule: "hourly", slot: at("2026-01-10T11:00:00Z"), dueAt: at("2026-01-10T11:05:00Z"), lateMs: 0 },
    ]);
    expect(h.scheduler.lastTick).toBe(at("2026-01-10T11:05:00Z"));
    expect(h.scheduler.nextDue()).toBe(at("2026-01-10T12:05:00Z"));
  });

  it("fires every slot of a day in order, each exactly once", async () => {
    h = harness(at("2026-01-10T00:00:30Z"));
    h.scheduler.setSchedules([def("quarter", "*/15 * * * *")]);
    void h.scheduler.start();
    await h.runTo(at("2026-01-11T00:00:30Z"));
    const claimed = h.store.claimed("quarter");
    expect(claimed).toHaveLength(96);
    expect(claimed[0]).toBe("2026-01-10T00:15:00.000Z");
    expect(claimed.at(-1)).toBe("2026-01-11T00:00:00.000Z");
    expect(new Set(claimed).size).toBe(96);
  });

  it("reports a slot that is late by less than the grace as fired on time, with its lateness", async () => {
    h = harness(at("2026-01-10T10:59:00Z"));
    h.scheduler.setSchedules([def("hourly", "0 * * * *", { catchup: "none" })]);
    void h.scheduler.start();
    await h.settle();
    h.clock.set(at("2026-01-10T11:00:20Z")); // the loop woke 20 s late
    await h.settle();
    expect(h.fired().map((e) => [iso(e.slot), e.lateMs])).toEqual([["2026-01-10T11:00:00.000Z", 20_000]]);
  });

  it("keeps one timer, however often it is re-armed", async () => {
    h = harness(at("2026-01-10T10:20:00Z"), { maxSleepMs: 86_400_000 });
    h.scheduler.setSchedules([def("daily", "0 0 * * *")]);
    void h.scheduler.start();
    await h.settle();
    for (let i = 0; i < 5; i++) {
      h.scheduler.setSchedules([def("daily", "0 0 * * *"), def(`m${i}`, `${30 + i} * * * *`)]);
      await h.settle();
      expect(h.clock.pendingSleeps).toBe(1);
    }
  });

  it("sleeps no longer than maxSleepMs, so a wall-clock jump is noticed", async () => {
    h = harness(at("2026-01-10T10:20:00Z"), { maxSleepMs: 60_000 });
    h.scheduler.setSchedules([def("daily", "0 0 * * *")]);
    void h.scheduler.start();
    await h.settle();
    h.clock.advance(60_000);
    await h.settle();
    expect(h.scheduler.lastTick).toBe(at("2026-01-10T10:21:00Z"));
  });
});

describe("Scheduler lifecycle", () => {
  it("start is idempotent and the loop ends on stop", async () => {
    h = harness(at("2026-01-10T10:20:00Z"));
    h.scheduler.setSchedules([def("hourly", "0 * * * *")]);
    const first = h.scheduler.start();
    expect(h.scheduler.start()).toBe(first);
    await h.settle();
    h.scheduler.stop();
    h.scheduler.stop();
    await expect(first).resolves.toBeUndefined();
    expect(h.clock.pendingSleeps).toBe(0);
    h.clock.set(at("2026-01-10T12:00:00Z"));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(h.store.claims).toEqual([]);
  });

  it("a stopped scheduler started again catches up what came due meanwhile", async () => {
    h = harness(at("2026-01-10T10:20:00Z"));
    h.scheduler.setSchedules([def("hourly", "0 * * * *")]);
    const first = h.scheduler.start();
    await h.settle();
    h.scheduler.stop();
    await first;
    h.clock.set(at("2026-01-10T12:30:00Z"));
    void h.scheduler.start();
    await h.settle();
    expect(h.store.claimed("hourly")).toEqual(["2026-01-10T11:00:00.000Z", "2026-01-10T12:00:00.000Z"]);
  });
});

describe("Scheduler robustness", () => {
  it("a store failure for one schedule is reported, the others still fire, and the slot is claimed on retry", async () => {
    h = harness(at("2026-01-10T10:59:00Z"), { retryMs: 5_000 });
    let broken = true;
    h.store.failClaim = (schedule) => broken && schedule === "bad";
    h.scheduler.setSchedules([def("bad", "0 * * * *"), def("good", "0 * * * *")]);
    void h.scheduler.start();
    await h.settle();

    h.clock.set(at("2026-01-10T11:00:00Z"));
    await h.settle();
    expect(h.store.claims.map((c) => c.schedule)).toEqual(["good"]);
    const errors = h.events.filter((e) => e.type === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ schedule: "bad", message: expect.stringContaining("database is locked") as unknown });
    expect(h.scheduler.nextDue()).toBe(at("2026-01-10T11:00:05Z"));

    broken = false;
    h.clock.set(at("2026-01-10T11:00:05Z"));
    await h.settle();
    expect(h.fired("bad").map((e) => [iso(e.slot), e.lateMs])).toEqual([["2026-01-10T11:00:00.000Z", 5_000]]);
  });

  it("a store failure while setting a schedule up is retried, and the schedule then catches up", async () => {
    h = harness(at("2026-01-10T12:30:00Z"), { retryMs: 5_000 });
    h.store.seed("hourly", at("2026-01-10T10:00:00Z"));
    let broken = true;
    h.store.failLastSlot = () => broken;
    h.scheduler.setSchedules([def("hourly", "0 * * * *")]);
    expect(h.events.map((e) => e.type)).toEqual(["error"]);
    void h.scheduler.start();
    await h.settle();
    broken = false;
    h.clock.advance(5_000);
    await h.settle();
    expect(h.store.claimed("hourly")).toEqual(["2026-01-10T11:00:00.000Z", "2026-01-10T12:00:00.000Z"]);
  });

  it("a bad pattern is reported once and leaves the heap until its definition changes", async () => {
    h = harness(at("2026-01-10T10:30:00Z"));
    h.scheduler.setSchedules([def("bad", "61 * * * *"), def("good", "0 * * * *")]);
    expect(h.events).toMatchObject([{ type: "error", schedule: "bad" }]);
    expect(h.scheduler.size).toBe(1);
    h.scheduler.setSchedules([def("bad", "0 * * * *"), def("good", "0 * * * *")]);
    expect(h.scheduler.size).toBe(2);
  });

  it("a listener that throws does not stop the loop", async () => {
    h = harness(at("2026-01-10T10:59:00Z"), {
      onEvent: () => {
        throw new Error("listener broke");
      },
    });
    h.scheduler.setSchedules([def("a", "0 * * * *"), def("b", "0 * * * *")]);
    void h.scheduler.start();
    await h.runTo(at("2026-01-10T12:00:00Z"));
    expect(h.store.claims).toHaveLength(4);
  });

  it("a schedule defined twice keeps its first definition and reports the second", () => {
    h = harness(at("2026-01-10T10:30:00Z"));
    h.scheduler.setSchedules([def("a", "0 * * * *"), def("a", "30 * * * *")]);
    expect(h.scheduler.nextDue()).toBe(at("2026-01-10T11:00:00Z"));
    expect(h.events).toMatchObject([{ type: "error", schedule: "a" }]);
  });
});
