import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { nextSlot, nextSlots, parseCron, slotsBetween, type CronSpec } from "../../../src/schedule/index.js";
import { at, shown, utc } from "./helpers.js";

describe("nextSlots on the calendar", () => {
  it("skips Feb 29 patterns to the next leap year", () => {
    const slots = nextSlots(parseCron("0 0 29 2 *"), "UTC", at("2026-01-01T00:00:00Z"), 2);
    expect(shown(slots)).toEqual(utc("2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"));
  });

  it("skips 2100, which is not a leap year, eight years ahead", () => {
    const slots = nextSlots(parseCron("0 0 29 2 *"), "UTC", at("2096-03-01T00:00:00Z"), 1);
    expect(shown(slots)).toEqual(utc("2104-02-29T00:00:00Z"));
  });

  it("skips months without a 31st", () => {
    const slots = nextSlots(parseCron("0 0 31 * *"), "UTC", at("2026-01-31T00:00:00Z"), 6);
    expect(shown(slots)).toEqual(
      utc(
        "2026-03-31T00:00:00Z",
        "2026-05-31T00:00:00Z",
        "2026-07-31T00:00:00Z",
        "2026-08-31T00:00:00Z",
        "2026-10-31T00:00:00Z",
        "2026-12-31T00:00:00Z",
      ),
    );
  });

  it("fires on the 1st or on Mondays when both day fields are restricted", () => {
    const slots = nextSlots(parseCron("0 0 1 * mon"), "UTC", at("2026-01-31T00:00:00Z"), 7);
    expect(shown(slots)).toEqual(
      utc(
        "2026-02-01T00:00:00Z", // the 1st, a Sunday
        "2026-02-02T00:00:00Z",
        "2026-02-09T00:00:00Z",
        "2026-02-16T00:00:00Z",
        "2026-02-23T00:00:00Z",
        "2026-03-01T00:00:00Z",
        "2026-03-02T00:00:00Z",
      ),
    );
  });

  it("fires only on the weekday when the day of month is *", () => {
    const slots = nextSlots(parseCron("0 0 * * 7"), "UTC", at("2026-01-01T00:00:00Z"), 2);
    expect(shown(slots)).toEqual(utc("2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"));
  });

  it("reads month and weekday names", () => {
    const slots = nextSlots(parseCron("0 9 * jan,jul mon-fri"), "UTC", at("2026-01-30T12:00:00Z"), 4);
    expect(shown(slots)).toEqual(
      utc("2026-07-01T09:00:00Z", "2026-07-02T09:00:00Z", "2026-07-03T09:00:00Z", "2026-07-06T09:00:00Z"),
    );
  });

  it("runs @weekly, @monthly and @yearly at local midnight", () => {
    const from = at("2026-03-04T12:00:00+09:00"); // a Wednesday
    expect(shown(nextSlots(parseCron("@weekly"), "Asia/Tokyo", from, 1))).toEqual(utc("2026-03-08T00:00:00+09:00"));
    expect(shown(nextSlots(parseCron("@monthly"), "Asia/Tokyo", from, 1))).toEqual(utc("2026-04-01T00:00:00+09:00"));
    expect(shown(nextSlots(parseCron("@yearly"), "Asia/Tokyo", from, 1))).toEqual(utc("2027-01-01T00:00:00+09:00"));
  });

  it("crosses year ends", () => {
    const slots = nextSlots(parseCron("0 0 * * *"), "America/Los_Angeles", at("2026-12-30T12:00:00-08:00"), 3);
    expect(shown(slots)).toEqual(
      utc("2026-12-31T00:00:00-08:00", "2027-01-01T00:00:00-08:00", "2027-01-02T00:00:00-08:00"),
    );
  });
});

describe("nextSlot and from", () => {
  it("never returns from itself: a query made exactly at a slot gets the next one", () => {
    const spec = parseCron("30 2 * * *");
    const slot = at("2026-06-01T02:30:00-04:00");
    expect(nextSlot(spec, "America/New_York", slot)).toBe(at("2026-06-02T02:30:00-04:00"));
    expect(nextSlot(spec, "America/New_York", slot - 1)).toBe(slot);
  });

  it("rounds a query made mid-second up to the next whole second", () => {
    const slots = nextSlots(parseCron("*/20 * * * * *"), "UTC", at("2026-01-01T00:00:00.500Z"), 2);
    expect(shown(slots)).toEqual(utc("2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z"));
  });

  it("returns strictly increasing slots across a year of transitions", () => {
    const from = at("2026-01-01T00:00:00Z");
    const faults: string[] = [];
    for (const pattern of ["30 1,2 * * *", "*/15 * * * *", "0 */2 * * *", "0 1-3 * * *", "*/20 59 1 * * *"]) {
      for (const tz of ["America/New_York", "Europe/London", "Australia/Sydney"]) {
        const slots = nextSlots(parseCron(pattern), tz, from, 2000);
        slots.forEach((slot, i) => {
          if (slot <= (i === 0 ? from : (slots[i - 1] ?? Infinity))) faults.push(`${pattern} ${tz} #${i}`);
        });
      }
    }
    expect(faults).toEqual([]);
  });

  it("returns fewer slots than asked only when n is 0", () => {
    expect(nextSlots(parseCron("* * * * *"), "UTC", 0, 0)).toEqual([]);
    expect(nextSlots(parseCron("* * * * *"), "UTC", 0, 3)).toHaveLength(3);
  });
});

describe("slotsBetween for catch-up", () => {
  const hourly = parseCron("0 * * * *");

  it("lists the missed slots in (from, to], from exclusive and to inclusive", () => {
    const slots = slotsBetween(hourly, "UTC", at("2026-01-01T00:00:00Z"), at("2026-01-01T05:00:00Z"), 100);
    expect(shown(slots)).toEqual(
      utc(
        "2026-01-01T01:00:00Z",
        "2026-01-01T02:00:00Z",
        "2026-01-01T03:00:00Z",
        "2026-01-01T04:00:00Z",
        "2026-01-01T05:00:00Z",
      ),
    );
  });

  it("stops at the limit with the earliest slots", () => {
    const slots = slotsBetween(hourly, "UTC", at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z"), 3);
    expect(shown(slots)).toEqual(utc("2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"));
  });

  it("is empty when nothing was missed", () => {
    expect(slotsBetween(hourly, "UTC", at("2026-01-01T00:00:00Z"), at("2026-01-01T00:59:59Z"), 10)).toEqual([]);
    expect(slotsBetween(hourly, "UTC", at("2026-01-01T05:00:00Z"), at("2026-01-01T01:00:00Z"), 10)).toEqual([]);
  });

  it("runs a missed gap slot once when catching up over spring-forward night", () => {
    const slots = slotsBetween(
      parseCron("30 2 * * *"),
      "America/New_York",
      at("2026-03-06T12:00:00-05:00"),
      at("2026-03-09T12:00:00-04:00"),
      10,
    );
    expect(shown(slots)).toEqual(
      utc("2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"),
    );
  });
});

interface LocalMinute {
  readonly t: number;
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
  readonly month: number;
  readonly weekday: number; // 0-6, Sunday = 0
}

/** Every minute of a window with its local fields per luxon: the independent oracle's input. */
function localMinutes(tz: string, from: number, to: number): LocalMinute[] {
  const out: LocalMinute[] = [];
  for (let t = Math.floor(from / 60_000) * 60_000 + 60_000; t <= to; t += 60_000) {
    const d = DateTime.fromMillis(t, { zone: tz });
    out.push({ t, minute: d.minute, hour: d.hour, day: d.day, month: d.month, weekday: d.weekday % 7 });
  }
  return out;
}

/** The real instants whose local wall time matches the fields. */
function bruteForce(spec: CronSpec, minutes: readonly LocalMinute[]): number[] {
  const f = spec.fields;
  return minutes
    .filter((m) => {
      const dom = f.dayOfMonth.includes(m.day);
      const dow = f.dayOfWeek.includes(m.weekday);
      const dayOk = spec.dayOr ? dom || dow : dom && dow;
      return dayOk && f.minute.includes(m.minute) && f.hour.includes(m.hour) && f.month.includes(m.month);
    })
    .map((m) => m.t);
}

describe("wall-clock patterns against a brute-force oracle", () => {
  const windows: [string, string, string][] = [
    ["America/New_York", "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"],
    ["America/New_York", "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z"],
    ["Europe/London", "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z"],
    ["Europe/London", "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z"],
    ["Australia/Sydney", "2026-04-03T00:00:00Z", "2026-04-06T00:00:00Z"],
    ["Australia/Sydney", "2026-10-02T00:00:00Z", "2026-10-05T00:00:00Z"],
  ];
  const cache = new Map<string, LocalMinute[]>();
  const minutesOf = (tz: string, from: string, to: string): LocalMinute[] => {
    const key = `${tz} ${from}`;
    const cached = cache.get(key) ?? localMinutes(tz, at(from), at(to));
    cache.set(key, cached);
    return cached;
  };
  for (const pattern of ["*/15 * * * *", "0 */2 * * *", "5 * * * 0,1", "*/7 1-3 * * *", "0 * 1,4,5 * 0"]) {
    it(`finds exactly the matching real instants for ${pattern}`, () => {
      const spec = parseCron(pattern);
      for (const [tz, from, to] of windows) {
        const expected = bruteForce(spec, minutesOf(tz, from, to));
        expect(shown(slotsBetween(spec, tz, at(from), at(to), 10_000)), `${tz} ${from}`).toEqual(shown(expected));
      }
    });
  }
});
