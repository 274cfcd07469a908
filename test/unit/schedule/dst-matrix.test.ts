/**
 * The DST rule as a matrix: zones × the 2026 transitions × pattern kinds.
 * Expected instants are written by hand as local times with their offsets.
 *
 * 2026 transitions:
 *   America/New_York  spring 03-08 02:00 EST → 03:00 EDT, fall 11-01 02:00 EDT → 01:00 EST
 *   Europe/London     spring 03-29 01:00 GMT → 02:00 BST, fall 10-25 02:00 BST → 01:00 GMT
 *   Australia/Sydney  fall 04-05 03:00 AEDT → 02:00 AEST, spring 10-04 02:00 AEST → 03:00 AEDT
 *   Asia/Tokyo (+09:00) and Asia/Kolkata (+05:30) have none.
 */
import { describe, expect, it } from "vitest";
import { nextSlots, parseCron, slotsBetween } from "../../../src/schedule/index.js";
import { at, shown, utc } from "./helpers.js";

interface Case {
  readonly name: string;
  readonly pattern: string;
  /** Exclusive. */
  readonly from: string;
  readonly expected: readonly string[];
}

function runCases(tz: string, cases: readonly Case[]): void {
  for (const c of cases) {
    it(`${c.name} (${c.pattern})`, () => {
      const slots = nextSlots(parseCron(c.pattern), tz, at(c.from), c.expected.length);
      expect(shown(slots)).toEqual(utc(...c.expected));
    });
  }
}

/** Slots whose local date is `day`, counted from local midnight to the next. */
function countDay(pattern: string, tz: string, startOfDay: string, startOfNextDay: string): number {
  return slotsBetween(parseCron(pattern), tz, at(startOfDay) - 1, at(startOfNextDay) - 1, 10_000).length;
}

describe("DST in America/New_York", () => {
  runCases("America/New_York", [
    {
      name: "a fixed time in the spring-forward gap runs once, at 03:00 EDT right after the jump",
      pattern: "30 2 * * *",
      from: "2026-03-07T12:00:00-05:00",
      expected: ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
    },
    {
      name: "a fixed time at the start of the gap runs at 03:00 EDT",
      pattern: "0 2 * * *",
      from: "2026-03-07T12:00:00-05:00",
      expected: ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"],
    },
    {
      name: "a fixed time in the fall-back overlap runs once, at the first (EDT) occurrence",
      pattern: "30 1 * * *",
      from: "2026-10-31T12:00:00-04:00",
      expected: ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
    },
    {
      name: "a query made during the repeated hour does not run a fixed time a second time",
      pattern: "30 1 * * *",
      from: "2026-11-01T01:10:00-05:00",
      expected: ["2026-11-02T01:30:00-05:00"],
    },
    {
      name: "a list of hours does not double-run in the repeated hour",
      pattern: "30 1,13 * * *",
      from: "2026-11-01T00:00:00-04:00",
      expected: ["2026-11-01T01:30:00-04:00", "2026-11-01T13:30:00-05:00", "2026-11-02T01:30:00-05:00"],
    },
    {
      name: "a list of hours whose first is in the gap runs it right after the jump",
      pattern: "30 2,14 * * *",
      from: "2026-03-08T00:00:00-05:00",
      expected: ["2026-03-08T03:00:00-04:00", "2026-03-08T14:30:00-04:00", "2026-03-09T02:30:00-04:00"],
    },
    {
      name: "a range of hours runs the swallowed 02:00 once at 03:00, together with 03:00 itself",
      pattern: "0 1-3 * * *",
      from: "2026-03-08T00:00:00-05:00",
      expected: ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T01:00:00-04:00"],
    },
    {
      name: "a range of hours runs 01:00 only once on fall-back day",
      pattern: "0 1-3 * * *",
      from: "2026-11-01T00:00:00-04:00",
      expected: [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T03:00:00-05:00",
        "2026-11-02T01:00:00-05:00",
      ],
    },
    {
      name: "a step in the hours follows the wall clock and has no 02:00 on spring-forward day",
      pattern: "0 */2 * * *",
      from: "2026-03-07T23:30:00-05:00",
      expected: ["2026-03-08T00:00:00-05:00", "2026-03-08T04:00:00-04:00", "2026-03-08T06:00:00-04:00"],
    },
    {
      name: "a step in the hours runs once per matching wall time on fall-back day",
      pattern: "0 */2 * * *",
      from: "2026-10-31T23:30:00-04:00",
      expected: ["2026-11-01T00:00:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T04:00:00-05:00"],
    },
    {
      name: "every 15 minutes jumps from 01:45 EST to 03:00 EDT",
      pattern: "*/15 * * * *",
      from: "2026-03-08T01:30:00-05:00",
      expected: ["2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"],
    },
    {
      name: "every 15 minutes runs through the repeated hour twice",
      pattern: "*/15 * * * *",
      from: "2026-11-01T01:30:00-04:00",
      expected: ["2026-11-01T01:45:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:15:00-05:00"],
    },
    {
      name: "a six-field fixed time in the gap runs at 03:00:00 EDT",
      pattern: "0 30 2 * * *",
      from: "2026-03-07T12:00:00-05:00",
      expected: ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
    },
    {
      name: "every 20 seconds crosses the gap on the wall clock",
      pattern: "*/20 * * * * *",
      from: "2026-03-08T01:59:30-05:00",
      expected: ["2026-03-08T01:59:40-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:00:20-04:00"],
    },
    {
      name: "every 20 seconds goes back into the repeated hour",
      pattern: "*/20 * * * * *",
      from: "2026-11-01T01:59:30-04:00",
      expected: ["2026-11-01T01:59:40-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:00:20-05:00"],
    },
    {
      name: "@daily runs at local midnight on both sides of the spring transition",
      pattern: "@daily",
      from: "2026-03-07T12:00:00-05:00",
      expected: ["2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00"],
    },
    {
      name: "@hourly has no 02:00 on spring-forward day",
      pattern: "@hourly",
      from: "2026-03-08T00:30:00-05:00",
      expected: ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"],
    },
    {
      name: "@hourly runs 01:00 twice on fall-back day, EDT then EST",
      pattern: "@hourly",
      from: "2026-11-01T00:30:00-04:00",
      expected: ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"],
    },
  ]);

  it("every 15 minutes has 92 slots on spring-forward day and 100 on fall-back day", () => {
    const tz = "America/New_York";
    expect(countDay("*/15 * * * *", tz, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00")).toBe(92);
    expect(countDay("*/15 * * * *", tz, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00")).toBe(100);
    expect(countDay("*/15 * * * *", tz, "2026-03-07T00:00:00-05:00", "2026-03-08T00:00:00-05:00")).toBe(96);
  });

  it("hourly has 23 slots on spring-forward day and 25 on fall-back day", () => {
    const tz = "America/New_York";
    expect(countDay("0 * * * *", tz, "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00")).toBe(23);
    expect(countDay("0 * * * *", tz, "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00")).toBe(25);
  });
});

describe("DST in Europe/London (gap and overlap 01:00–02:00)", () => {
  runCases("Europe/London", [
    {
      name: "a fixed time in the spring-forward gap runs once, at 02:00 BST",
      pattern: "30 1 * * *",
      from: "2026-03-28T12:00:00+00:00",
      expected: ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"],
    },
    {
      name: "a fixed time in the fall-back overlap runs once, at the BST occurrence",
      pattern: "30 1 * * *",
      from: "2026-10-24T12:00:00+01:00",
      expected: ["2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00+00:00"],
    },
    {
      name: "a list of hours does not double-run in the repeated hour",
      pattern: "30 1,13 * * *",
      from: "2026-10-25T00:00:00+01:00",
      expected: ["2026-10-25T01:30:00+01:00", "2026-10-25T13:30:00+00:00"],
    },
    {
      name: "a list of hours whose first is in the gap runs it right after the jump",
      pattern: "30 1,13 * * *",
      from: "2026-03-29T00:00:00+00:00",
      expected: ["2026-03-29T02:00:00+01:00", "2026-03-29T13:30:00+01:00"],
    },
    {
      name: "a range of hours runs the swallowed 01:00 once at 02:00",
      pattern: "0 1-3 * * *",
      from: "2026-03-29T00:00:00+00:00",
      expected: ["2026-03-29T02:00:00+01:00", "2026-03-29T03:00:00+01:00", "2026-03-30T01:00:00+01:00"],
    },
    {
      name: "a range of hours runs 01:00 only once on fall-back day",
      pattern: "0 1-3 * * *",
      from: "2026-10-25T00:00:00+01:00",
      expected: [
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T02:00:00+00:00",
        "2026-10-25T03:00:00+00:00",
        "2026-10-26T01:00:00+00:00",
      ],
    },
    {
      name: "a step in the hours skips the missing 01:00",
      pattern: "0 1-23/2 * * *",
      from: "2026-03-29T00:30:00+00:00",
      expected: ["2026-03-29T03:00:00+01:00", "2026-03-29T05:00:00+01:00"],
    },
    {
      name: "a step in the hours runs the repeated 01:00 twice",
      pattern: "0 1-23/2 * * *",
      from: "2026-10-25T00:30:00+01:00",
      expected: ["2026-10-25T01:00:00+01:00", "2026-10-25T01:00:00+00:00", "2026-10-25T03:00:00+00:00"],
    },
    {
      name: "every-two-hours from midnight is untouched by a 01:00 transition",
      pattern: "0 */2 * * *",
      from: "2026-10-24T23:30:00+01:00",
      expected: ["2026-10-25T00:00:00+01:00", "2026-10-25T02:00:00+00:00"],
    },
    {
      name: "a six-field fixed time in the gap runs at 02:00:00 BST",
      pattern: "0 30 1 * * *",
      from: "2026-03-28T12:00:00+00:00",
      expected: ["2026-03-29T02:00:00+01:00", "2026-03-30T01:30:00+01:00"],
    },
    {
      name: "@hourly runs 01:00 twice on fall-back day",
      pattern: "@hourly",
      from: "2026-10-25T00:30:00+01:00",
      expected: ["2026-10-25T01:00:00+01:00", "2026-10-25T01:00:00+00:00", "2026-10-25T02:00:00+00:00"],
    },
    {
      name: "@daily runs at local midnight across the spring transition",
      pattern: "@daily",
      from: "2026-03-28T12:00:00+00:00",
      expected: ["2026-03-29T00:00:00+00:00", "2026-03-30T00:00:00+01:00"],
    },
  ]);

  it("every 15 minutes has 92 slots on spring-forward day and 100 on fall-back day", () => {
    const tz = "Europe/London";
    expect(countDay("*/15 * * * *", tz, "2026-03-29T00:00:00+00:00", "2026-03-30T00:00:00+01:00")).toBe(92);
    expect(countDay("*/15 * * * *", tz, "2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00+00:00")).toBe(100);
  });
});

describe("DST in Australia/Sydney (southern hemisphere: back in April, forward in October)", () => {
  runCases("Australia/Sydney", [
    {
      name: "a fixed time in the October gap runs once, at 03:00 AEDT",
      pattern: "30 2 * * *",
      from: "2026-10-03T12:00:00+10:00",
      expected: ["2026-10-04T03:00:00+11:00", "2026-10-05T02:30:00+11:00"],
    },
    {
      name: "a fixed time in the April overlap runs once, at the AEDT occurrence",
      pattern: "30 2 * * *",
      from: "2026-04-04T12:00:00+11:00",
      expected: ["2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"],
    },
    {
      name: "a list of hours does not double-run in the repeated hour",
      pattern: "30 2,14 * * *",
      from: "2026-04-05T00:00:00+11:00",
      expected: ["2026-04-05T02:30:00+11:00", "2026-04-05T14:30:00+10:00"],
    },
    {
      name: "a list of hours whose first is in the gap runs it right after the jump",
      pattern: "30 2,14 * * *",
      from: "2026-10-04T00:00:00+10:00",
      expected: ["2026-10-04T03:00:00+11:00", "2026-10-04T14:30:00+11:00"],
    },
    {
      name: "a range of hours runs 02:00 only once in April",
      pattern: "0 1-3 * * *",
      from: "2026-04-05T00:00:00+11:00",
      expected: [
        "2026-04-05T01:00:00+11:00",
        "2026-04-05T02:00:00+11:00",
        "2026-04-05T03:00:00+10:00",
        "2026-04-06T01:00:00+10:00",
      ],
    },
    {
      name: "a range of hours runs the swallowed 02:00 once at 03:00 in October",
      pattern: "0 1-3 * * *",
      from: "2026-10-04T00:00:00+10:00",
      expected: ["2026-10-04T01:00:00+10:00", "2026-10-04T03:00:00+11:00", "2026-10-05T01:00:00+11:00"],
    },
    {
      name: "a step in the hours runs the repeated 02:00 twice in April",
      pattern: "0 */2 * * *",
      from: "2026-04-05T01:30:00+11:00",
      expected: ["2026-04-05T02:00:00+11:00", "2026-04-05T02:00:00+10:00", "2026-04-05T04:00:00+10:00"],
    },
    {
      name: "a step in the hours has no 02:00 in October",
      pattern: "0 */2 * * *",
      from: "2026-10-04T01:30:00+10:00",
      expected: ["2026-10-04T04:00:00+11:00"],
    },
    {
      name: "a six-field fixed time in the October gap runs at 03:00:00 AEDT",
      pattern: "0 30 2 * * *",
      from: "2026-10-03T12:00:00+10:00",
      expected: ["2026-10-04T03:00:00+11:00"],
    },
    {
      name: "@daily runs at local midnight across the April transition",
      pattern: "@daily",
      from: "2026-04-04T12:00:00+11:00",
      expected: ["2026-04-05T00:00:00+11:00", "2026-04-06T00:00:00+10:00"],
    },
    {
      name: "@hourly runs 02:00 twice in April",
      pattern: "@hourly",
      from: "2026-04-05T01:30:00+11:00",
      expected: ["2026-04-05T02:00:00+11:00", "2026-04-05T02:00:00+10:00", "2026-04-05T03:00:00+10:00"],
    },
  ]);

  it("every 15 minutes has 92 slots on the October day and 100 on the April day", () => {
    const tz = "Australia/Sydney";
    expect(countDay("*/15 * * * *", tz, "2026-10-04T00:00:00+10:00", "2026-10-05T00:00:00+11:00")).toBe(92);
    expect(countDay("*/15 * * * *", tz, "2026-04-05T00:00:00+11:00", "2026-04-06T00:00:00+10:00")).toBe(100);
  });
});

describe("zones without DST on the days other zones change", () => {
  runCases("Asia/Tokyo", [
    {
      name: "Tokyo runs 02:30 every day through March 8",
      pattern: "30 2 * * *",
      from: "2026-03-07T12:00:00+09:00",
      expected: ["2026-03-08T02:30:00+09:00", "2026-03-09T02:30:00+09:00"],
    },
    {
      name: "Tokyo runs 01:30 once on November 1",
      pattern: "30 1,13 * * *",
      from: "2026-11-01T00:00:00+09:00",
      expected: ["2026-11-01T01:30:00+09:00", "2026-11-01T13:30:00+09:00", "2026-11-02T01:30:00+09:00"],
    },
    {
      name: "Tokyo runs every two hours on the wall clock",
      pattern: "0 */2 * * *",
      from: "2026-03-29T00:30:00+09:00",
      expected: ["2026-03-29T02:00:00+09:00", "2026-03-29T04:00:00+09:00"],
    },
  ]);
  runCases("Asia/Kolkata", [
    {
      name: "Kolkata's half-hour offset puts local midnight at 18:30 UTC",
      pattern: "@daily",
      from: "2026-03-07T12:00:00+05:30",
      expected: ["2026-03-08T00:00:00+05:30", "2026-03-09T00:00:00+05:30"],
    },
    {
      name: "Kolkata runs 02:30 every day through the European spring change",
      pattern: "30 2 * * *",
      from: "2026-03-28T12:00:00+05:30",
      expected: ["2026-03-29T02:30:00+05:30", "2026-03-30T02:30:00+05:30"],
    },
    {
      name: "Kolkata runs six-field seconds on the wall clock",
      pattern: "*/20 * * * * *",
      from: "2026-11-01T01:59:30+05:30",
      expected: ["2026-11-01T01:59:40+05:30", "2026-11-01T02:00:00+05:30"],
    },
  ]);

  it("every 15 minutes has 96 slots a day in Tokyo and Kolkata on every 2026 transition day", () => {
    for (const [tz, offset] of [
      ["Asia/Tokyo", "+09:00"],
      ["Asia/Kolkata", "+05:30"],
    ] as const) {
      for (const [day, next] of [
        ["2026-03-08", "2026-03-09"],
        ["2026-03-29", "2026-03-30"],
        ["2026-04-05", "2026-04-06"],
        ["2026-10-04", "2026-10-05"],
        ["2026-10-25", "2026-10-26"],
        ["2026-11-01", "2026-11-02"],
      ] as const) {
        expect(countDay("*/15 * * * *", tz, `${day}T00:00:00${offset}`, `${next}T00:00:00${offset}`), `${tz} ${day}`).toBe(
          96,
        );
      }
    }
  });
});

describe("transitions at midnight and by half an hour", () => {
  runCases("America/Santiago", [
    {
      name: "a daily midnight swallowed by Chile's 00:00 → 01:00 jump runs at 01:00",
      pattern: "@daily",
      from: "2026-09-05T12:00:00-04:00",
      expected: ["2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"],
    },
    {
      name: "hourly runs the repeated 23:00 twice when Chile falls back at midnight",
      pattern: "@hourly",
      from: "2026-04-04T22:30:00-03:00",
      expected: ["2026-04-04T23:00:00-03:00", "2026-04-04T23:00:00-04:00", "2026-04-05T00:00:00-04:00"],
    },
  ]);
  runCases("Australia/Lord_Howe", [
    {
      name: "a fixed time in Lord Howe's half-hour gap runs at 02:30",
      pattern: "15 2 * * *",
      from: "2026-10-03T12:00:00+10:30",
      expected: ["2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"],
    },
    {
      name: "a fixed time in Lord Howe's half-hour overlap runs at the first occurrence only",
      pattern: "45 1 * * *",
      from: "2026-04-04T12:00:00+11:00",
      expected: ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"],
    },
  ]);
});
