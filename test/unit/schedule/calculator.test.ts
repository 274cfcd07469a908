import { describe, expect, it } from "vitest";
import { ScheduleError, SlotCalculator, nextSlot, parseCron } from "../../../src/schedule/index.js";
import { at } from "./helpers.js";

describe("SlotCalculator", () => {
  it("parses a pattern once and shares it", () => {
    const calc = new SlotCalculator();
    expect(calc.spec("*/5 * * * *")).toBe(calc.spec("*/5 * * * *"));
    expect(calc.patternCount).toBe(1);
  });

  it("drops the least recently used pattern beyond its limit", () => {
    const calc = new SlotCalculator({ maxPatterns: 2 });
    const a = calc.spec("1 * * * *");
    calc.spec("2 * * * *");
    expect(calc.spec("1 * * * *")).toBe(a); // now the most recent
    calc.spec("3 * * * *"); // evicts "2 * * * *"
    expect(calc.patternCount).toBe(2);
    expect(calc.spec("1 * * * *")).toBe(a);
  });

  it("shares one zone entry across schedules in the same zone", () => {
    const calc = new SlotCalculator();
    const from = at("2026-03-01T00:00:00Z");
    calc.next("0 * * * *", "Europe/London", from);
    calc.next("30 2 * * *", "Europe/London", from);
    calc.next("30 2 * * *", "Asia/Tokyo", from);
    expect(calc.zones.size).toBe(2);
  });

  it("answers like the free functions, by pattern or by parsed spec", () => {
    const calc = new SlotCalculator();
    const from = at("2026-03-07T12:00:00-05:00");
    const expected = at("2026-03-08T03:00:00-04:00");
    expect(calc.next("30 2 * * *", "America/New_York", from)).toBe(expected);
    expect(calc.next(parseCron("30 2 * * *"), "America/New_York", from)).toBe(expected);
    expect(nextSlot(parseCron("30 2 * * *"), "America/New_York", from)).toBe(expected);
    expect(calc.nextN("30 2 * * *", "America/New_York", from, 2)[1]).toBe(at("2026-03-09T02:30:00-04:00"));
    expect(calc.between("30 2 * * *", "America/New_York", from, expected, 5)).toEqual([expected]);
  });

  it("refuses bad patterns and zones with ScheduleError", () => {
    const calc = new SlotCalculator();
    expect(() => calc.next("61 * * * *", "UTC", 0)).toThrow(ScheduleError);
    expect(() => calc.next("0 * * * *", "PST", 0)).toThrow(ScheduleError);
  });
});
