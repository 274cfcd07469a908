import { describe, expect, it } from "vitest";
import { ItdError } from "../../../src/errors.js";
import { ScheduleError, parseCron } from "../../../src/schedule/index.js";

const range = (from: number, to: number, step = 1): number[] => {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
};

describe("parseCron: what a pattern allows", () => {
  it("reads five fields as minute hour day-of-month month day-of-week with second 0", () => {
    const f = parseCron("30 2 15 6 3").fields;
    expect(f).toEqual({ second: [0], minute: [30], hour: [2], dayOfMonth: [15], month: [6], dayOfWeek: [3] });
  });

  it("expands * to the whole field", () => {
    const f = parseCron("* * * * *").fields;
    expect(f.minute).toEqual(range(0, 59));
    expect(f.hour).toEqual(range(0, 23));
    expect(f.dayOfMonth).toEqual(range(1, 31));
    expect(f.month).toEqual(range(1, 12));
    expect(f.dayOfWeek).toEqual(range(0, 6));
  });

  it("reads lists, ranges and steps", () => {
    expect(parseCron("1,5,9 * * * *").fields.minute).toEqual([1, 5, 9]);
    expect(parseCron("10-13 * * * *").fields.minute).toEqual([10, 11, 12, 13]);
    expect(parseCron("*/15 * * * *").fields.minute).toEqual([0, 15, 30, 45]);
    expect(parseCron("1-30/5 * * * *").fields.minute).toEqual([1, 6, 11, 16, 21, 26]);
    expect(parseCron("5/15 * * * *").fields.minute).toEqual([5, 20, 35, 50]);
    expect(parseCron("0 */6 * * *").fields.hour).toEqual([0, 6, 12, 18]);
    expect(parseCron("0 0 */10 * *").fields.dayOfMonth).toEqual([1, 11, 21, 31]);
    expect(parseCron("0 0 1 */3 *").fields.month).toEqual([1, 4, 7, 10]);
    expect(parseCron("0,30 8-10,20 * * *").fields.hour).toEqual([8, 9, 10, 20]);
  });

  it("reads month and weekday names in any case, alone and in ranges", () => {
    expect(parseCron("0 0 * JAN,jul,Dec *").fields.month).toEqual([1, 7, 12]);
    expect(parseCron("0 0 * mar-may *").fields.month).toEqual([3, 4, 5]);
    expect(parseCron("0 0 * * mon-fri").fields.dayOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron("0 0 * * SUN,sat").fields.dayOfWeek).toEqual([0, 6]);
  });

  it("takes 7 as Sunday, alone and at the end of a range", () => {
    expect(parseCron("0 0 * * 7").fields.dayOfWeek).toEqual([0]);
    expect(parseCron("0 0 * * 5-7").fields.dayOfWeek).toEqual([0, 5, 6]);
  });

  it("reads six fields with seconds first", () => {
    const f = parseCron("*/20 30 2 * * *").fields;
    expect(f.second).toEqual([0, 20, 40]);
    expect(f.minute).toEqual([30]);
    expect(f.hour).toEqual([2]);
  });

  it("expands the nicknames", () => {
    const cases: [string, string][] = [
      ["@yearly", "0 0 0 1 1 *"],
      ["@annually", "0 0 0 1 1 *"],
      ["@monthly", "0 0 0 1 * *"],
      ["@weekly", "0 0 0 * * 0"],
      ["@daily", "0 0 0 * * *"],
      ["@midnight", "0 0 0 * * *"],
      ["@hourly", "0 0 * * * *"],
      ["@DAILY", "0 0 0 * * *"],
    ];
    for (const [nickname, expanded] of cases) expect(parseCron(nickname).expanded).toBe(expanded);
  });

  it("tolerates surrounding and repeated whitespace", () => {
    expect(parseCron("  0   12\t* * *  ").expanded).toBe("0 0 12 * * *");
  });

  it("matches EITHER day field when both are restricted", () => {
    expect(parseCron("0 0 1 * mon").dayOr).toBe(true);
    expect(parseCron("0 0 1 * *").dayOr).toBe(false);
    expect(parseCron("0 0 * * mon").dayOr).toBe(false);
    expect(parseCron("0 0 */10 * mon").dayOr).toBe(true); // a step restricts the field
  });

  it("calls specific minutes and hours fixed-time and anything with * or a step in them wall-clock", () => {
    for (const p of ["30 2 * * *", "30 1,13 * * *", "0 1-3 * * *", "0 30 2 * * *", "*/20 30 2 * * *", "@daily", "@weekly"]) {
      expect(parseCron(p).fixedTime, p).toBe(true);
    }
    for (const p of ["*/15 * * * *", "0 * * * *", "0 */2 * * *", "0 1-23/2 * * *", "* 2 * * *", "*/20 * * * * *", "@hourly"]) {
      expect(parseCron(p).fixedTime, p).toBe(false);
    }
  });
});

describe("parseCron: refusals name the field at fault", () => {
  const refusals: [string, string][] = [
    ["61 * * * *", 'cron "61 * * * *": minute: 61 is out of range 0-59'],
    ["0 24 * * *", 'cron "0 24 * * *": hour: 24 is out of range 0-23'],
    ["0 0 0 * *", 'cron "0 0 0 * *": day-of-month: 0 is out of range 1-31'],
    ["0 0 32 * *", 'cron "0 0 32 * *": day-of-month: 32 is out of range 1-31'],
    ["0 0 * 13 *", 'cron "0 0 * 13 *": month: 13 is out of range 1-12'],
    ["0 0 * * 8", 'cron "0 0 * * 8": day-of-week: 8 is out of range 0-7'],
    ["60 0 0 * * *", 'cron "60 0 0 * * *": second: 60 is out of range 0-59'],
    ["* * *", 'cron "* * *": expected 5 fields (or 6 with seconds) or @hourly/@daily/@weekly/@monthly/@yearly; got 3'],
    [
      "0 0 0 1 1 * 2026",
      'cron "0 0 0 1 1 * 2026": expected 5 fields (or 6 with seconds) or @hourly/@daily/@weekly/@monthly/@yearly; got 7',
    ],
    [
      "",
      'cron "": empty pattern (an empty cron means "no schedule"); expected 5 fields (or 6 with seconds) or @hourly/@daily/@weekly/@monthly/@yearly',
    ],
    ["@reboot", 'cron "@reboot": @reboot is not supported; use 5 fields or @hourly/@daily/@weekly/@monthly/@yearly'],
    ["@every 5m", 'cron "@every 5m": @every 5m is not supported; use 5 fields or @hourly/@daily/@weekly/@monthly/@yearly'],
    ["0 0 * foo *", 'cron "0 0 * foo *": month: "foo" is not a number or a month name (jan..dec)'],
    ["0 0 * * funday", 'cron "0 0 * * funday": day-of-week: "funday" is not a number or a day name (sun..sat)'],
    ["0 0 * * jan", 'cron "0 0 * * jan": day-of-week: "jan" is not a number or a day name (sun..sat)'],
    ["x * * * *", 'cron "x * * * *": minute: "x" is not a number'],
    ["*/0 * * * *", 'cron "*/0 * * * *": minute: step 0 is out of range 1-59'],
    ["0 */24 * * *", 'cron "0 */24 * * *": hour: step 24 is out of range 1-23'],
    ["*/x * * * *", 'cron "*/x * * * *": minute: step "x" is not a number'],
    ["*/5/2 * * * *", 'cron "*/5/2 * * * *": minute: "*/5/2" has more than one step'],
    ["30-10 * * * *", 'cron "30-10 * * * *": minute: range 30-10 goes backwards'],
    ["0 0 * * sat-sun", 'cron "0 0 * * sat-sun": day-of-week: range sat-sun goes backwards'],
    ["1-2-3 * * * *", 'cron "1-2-3 * * * *": minute: "1-2-3" is not a range'],
    ["1,,2 * * * *", 'cron "1,,2 * * * *": minute: empty list item in "1,,2"'],
    ["0 0 * * mon-", 'cron "0 0 * * mon-": day-of-week: missing value'],
    [
      "0 0 L * *",
      'cron "0 0 L * *": day-of-month: "L" is not supported (only *, numbers, names, lists, ranges and steps)',
    ],
    [
      "0 0 ? * *",
      'cron "0 0 ? * *": day-of-month: "?" is not supported (only *, numbers, names, lists, ranges and steps)',
    ],
    [
      "0 0 * * 5#3",
      'cron "0 0 * * 5#3": day-of-week: "5#3" is not supported (only *, numbers, names, lists, ranges and steps)',
    ],
    ["0 0 30 2 *", 'cron "0 0 30 2 *": never fires: day-of-month 30 does not occur in feb'],
    ["0 0 31 4,6 *", 'cron "0 0 31 4,6 *": never fires: day-of-month 31 does not occur in apr, jun'],
  ];
  for (const [pattern, message] of refusals) {
    it(`refuses ${JSON.stringify(pattern)} with the reason`, () => {
      expect(() => parseCron(pattern)).toThrow(message);
      try {
        parseCron(pattern);
      } catch (err) {
        expect((err as Error).message).toBe(message);
      }
    });
  }

  it("throws a ScheduleError, an ItdError with code schedule", () => {
    let caught: unknown;
    try {
      parseCron("61 * * * *");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScheduleError);
    expect(caught).toBeInstanceOf(ItdError);
    expect((caught as ItdError).code).toBe("schedule");
  });

  it("accepts Feb 29 and day 31 where some month has it", () => {
    expect(parseCron("0 0 29 2 *").fields.dayOfMonth).toEqual([29]);
    expect(parseCron("0 0 31 2,3 *").fields.month).toEqual([2, 3]);
    expect(parseCron("0 0 30 2 mon").dayOr).toBe(true); // Mondays still fire
  });
});
