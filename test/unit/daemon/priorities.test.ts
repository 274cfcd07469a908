import { afterEach, describe, expect, it } from "vitest";
import { at, def, harness, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(() => h?.scheduler.stop());

describe("slots due at the same tick", () => {
  it("are claimed by priority, higher first, then by name", async () => {
    h = harness(at("2026-01-10T10:59:00Z"));
    h.scheduler.setSchedules([
      def("c", "0 * * * *", { priority: 0 }),
      def("b", "0 * * * *", { priority: 2 }),
      def("e", "0 * * * *", { priority: -2 }),
      def("a", "0 * * * *", { priority: 0 }),
      def("d", "0 * * * *", { priority: 2 }),
    ]);
    void h.scheduler.start();
    await h.runTo(at("2026-01-10T11:00:00Z"));
    expect(h.store.claims.map((c) => [c.schedule, c.priority])).toEqual([["b", 2], ["d", 2], ["a", 0], ["c", 0], ["e", -2]]);
  });

  it("are claimed by due time first, whatever their priority", async () => {
    h = harness(at("2026-01-10T10:59:00Z"), { graceMs: 10 * 60_000 });
    h.scheduler.setSchedules([
      def("late-high", "0 * * * *", { priority: 2, delay: 60 }),
      def("early-low", "0 * * * *", { priority: -2 }),
    ]);
    void h.scheduler.start();
    await h.settle();
    h.clock.set(at("2026-01-10T11:02:00Z")); // both due by now
    await h.settle();
    expect(h.store.claims.map((c) => c.schedule)).toEqual(["early-low", "late-high"]);
  });

  it("follow a priority changed by a reload", async () => {
    h = harness(at("2026-01-10T10:30:00Z"));
    h.scheduler.setSchedules([def("a", "0 * * * *", { priority: 0 }), def("b", "0 * * * *", { priority: 0 })]);
    void h.scheduler.start();
    await h.settle();
    h.scheduler.setSchedules([def("a", "0 * * * *", { priority: 0 }), def("b", "0 * * * *", { priority: 1 })]);
    await h.runTo(at("2026-01-10T11:00:00Z"));
    expect(h.store.claims.map((c) => [c.schedule, c.priority])).toEqual([["b", 1], ["a", 0]]);
  });
});
