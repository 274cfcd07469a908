import { afterEach, describe, expect, it } from "vitest";
import type { Catchup } from "../../../src/schedule/index.js";
import { at, def, harness, iso, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(() => h?.scheduler.stop());

async function running(catchup: Catchup, start = "2026-01-10T10:30:00Z"): Promise<Harness> {
  h = harness(at(start));
  h.scheduler.setSchedules([def("hourly", "0 * * * *", { catchup })]);
  void h.scheduler.start();
  await h.settle();
  return h;
}

describe("a clock that jumps forward by 6 hours", () => {
  it("treats the slots it passed as missed: `all` claims them in order", async () => {
    const h = await running("all");
    h.clock.advance(6 * 3_600_000);
    await h.settle();
    const expected = [11, 12, 13, 14, 15, 16].map((hour) => `2026-01-10T${hour}:00:00.000Z`);
    expect(h.store.claimed("hourly")).toEqual(expected);
    expect(h.fired()[0]?.lateMs).toBe(5.5 * 3_600_000);
    expect(h.events.filter((e) => e.type === "catchup")).toEqual([{ type: "catchup", schedule: "hourly", slots: expected.map(at) }]);
  });

  it("`latest` claims the last slot it passed and skips the others", async () => {
    const h = await running("latest");
    h.clock.advance(6 * 3_600_000);
    await h.settle();
    expect(h.store.claimed("hourly")).toEqual(["2026-01-10T16:00:00.000Z"]);
    expect(h.store.skipped("hourly").map((s) => s.slot)).toEqual([11, 12, 13, 14, 15].map((hour) => `2026-01-10T${hour}:00:00.000Z`));
  });

  it("`none` skips the slots it passed but fires one that is due right where it lands", async () => {
    const h = await running("none", "2026-01-10T10:00:00Z");
    h.clock.advance(6 * 3_600_000);
    await h.settle();
    expect(h.store.claimed("hourly")).toEqual(["2026-01-10T16:00:00.000Z"]);
    expect(h.store.skipped("hourly")).toHaveLength(5);
    expect(h.fired()[0]?.lateMs).toBe(0);
  });

  it("then goes on firing on schedule", async () => {
    const h = await running("all");
    h.clock.advance(6 * 3_600_000);
    await h.settle();
    await h.runTo(at("2026-01-10T17:00:00Z"));
    expect(h.fired().at(-1)).toMatchObject({ slot: at("2026-01-10T17:00:00Z"), lateMs: 0 });
  });
});

describe("a clock that jumps back by 2 hours", () => {
  it("claims no slot twice and still fires the slots after the last one claimed", async () => {
    const h = await running("all");
    await h.runTo(at("2026-01-10T12:10:00Z"));
    expect(h.store.claimed("hourly")).toEqual(["2026-01-10T11:00:00.000Z", "2026-01-10T12:00:00.000Z"]);

    h.clock.set(at("2026-01-10T10:10:00Z"));
    await h.settle();
    await h.walkTo(at("2026-01-10T13:05:00Z"), 60_000); // the wall clock lives through 11:00 and 12:00 again
    expect(h.store.attempts.map((a) => iso(a.slot))).toEqual([
      "2026-01-10T11:00:00.000Z",
      "2026-01-10T12:00:00.000Z",
      "2026-01-10T13:00:00.000Z",
    ]);
    expect(h.fired().at(-1)).toMatchObject({ slot: at("2026-01-10T13:00:00Z"), lateMs: 0 });
    expect(h.store.skipped("hourly")).toEqual([]);
  });

  it("does not re-fire claimed slots when a reload recomputes the schedule", async () => {
    const h = await running("all");
    await h.runTo(at("2026-01-10T12:10:00Z"));
    h.clock.set(at("2026-01-10T10:10:00Z"));
    h.scheduler.setSchedules([def("hourly", "0 */1 * * *")]); // a new pattern: recomputed from the store's last slot
    await h.walkTo(at("2026-01-10T13:05:00Z"), 60_000);
    expect(h.store.attempts.map((a) => iso(a.slot))).toEqual([
      "2026-01-10T11:00:00.000Z",
      "2026-01-10T12:00:00.000Z",
      "2026-01-10T13:00:00.000Z",
    ]);
  });

  it("fires a slot it had not reached yet when the clock gets there", async () => {
    const h = await running("all", "2026-01-10T10:50:00Z");
    h.clock.set(at("2026-01-10T08:50:00Z"));
    await h.settle();
    await h.walkTo(at("2026-01-10T11:00:00Z"), 60_000);
    expect(h.store.claimed("hourly")).toEqual(["2026-01-10T11:00:00.000Z"]);
  });
});
