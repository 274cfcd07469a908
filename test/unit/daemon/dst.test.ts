/**
 * The DST rule through the scheduler: the loop fires what the slot calculator
 * says, once, at the right instant.
 *   America/New_York 2026: spring 03-08 02:00 EST → 03:00 EDT, fall 11-01 02:00 EDT → 01:00 EST.
 *   Asia/Kolkata: +05:30 all year.
 */
import { afterEach, describe, expect, it } from "vitest";
import { at, def, harness, iso, utc, type Harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(() => h?.scheduler.stop());

async function fireBetween(tz: string, cron: string, from: string, to: string, delay = 0): Promise<Harness> {
  h = harness(at(from));
  h.scheduler.setSchedules([def("s", cron, { timezone: tz, delay })]);
  void h.scheduler.start();
  await h.runTo(at(to));
  return h;
}

describe("DST in America/New_York through the scheduler", () => {
  it("a fixed time in the spring-forward gap fires once, at 03:00 EDT right after the jump", async () => {
    const { store, fired } = await fireBetween("America/New_York", "30 2 * * *", "2026-03-07T12:00:00-05:00", "2026-03-09T12:00:00-04:00");
    expect(store.claimed("s")).toEqual(utc("2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"));
    expect(fired().map((e) => e.lateMs)).toEqual([0, 0]);
  });

  it("a delay counts from the slot after the jump, and the slot stays the scheduled time", async () => {
    const { fired } = await fireBetween("America/New_York", "30 2 * * *", "2026-03-07T12:00:00-05:00", "2026-03-08T12:00:00-04:00", 600);
    expect(fired().map((e) => [iso(e.slot), iso(e.dueAt)])).toEqual([utc("2026-03-08T03:00:00-04:00", "2026-03-08T03:10:00-04:00")]);
  });

  it("a fixed time in the fall-back overlap fires once, at its first occurrence", async () => {
    const { store } = await fireBetween("America/New_York", "30 1 * * *", "2026-10-31T12:00:00-04:00", "2026-11-02T12:00:00-05:00");
    expect(store.claimed("s")).toEqual(utc("2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"));
  });

  it("a step in the minute follows the wall clock and fires twice in the repeated hour", async () => {
    const { store } = await fireBetween("America/New_York", "*/30 * * * *", "2026-11-01T00:50:00-04:00", "2026-11-01T02:10:00-05:00");
    expect(store.claimed("s")).toEqual(
      utc(
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T02:00:00-05:00",
      ),
    );
  });

  it("a step in the minute has no slots in the spring-forward gap", async () => {
    const { store } = await fireBetween("America/New_York", "*/30 * * * *", "2026-03-08T01:10:00-05:00", "2026-03-08T03:40:00-04:00");
    expect(store.claimed("s")).toEqual(utc("2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"));
  });
});

describe("Asia/Kolkata (half-hour offset, no DST) through the scheduler", () => {
  it("a fixed time fires at the same local time every day across New York's transition", async () => {
    const { store } = await fireBetween("Asia/Kolkata", "30 2 * * *", "2026-03-07T00:00:00+05:30", "2026-03-10T00:00:00+05:30");
    expect(store.claimed("s")).toEqual(utc("2026-03-07T02:30:00+05:30", "2026-03-08T02:30:00+05:30", "2026-03-09T02:30:00+05:30"));
    expect(store.claimed("s")[0]).toBe("2026-03-06T21:00:00.000Z");
  });

  it("an hour step is counted from local midnight, half an hour off UTC", async () => {
    const { store } = await fireBetween("Asia/Kolkata", "0 */6 * * *", "2026-11-01T00:10:00+05:30", "2026-11-02T00:10:00+05:30");
    expect(store.claimed("s")).toEqual(
      utc("2026-11-01T06:00:00+05:30", "2026-11-01T12:00:00+05:30", "2026-11-01T18:00:00+05:30", "2026-11-02T00:00:00+05:30"),
    );
    expect(store.claimed("s").every((s) => s.slice(14, 16) === "30")).toBe(true);
  });
});
