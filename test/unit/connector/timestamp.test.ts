import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  formatRfc3339,
  formatTimestamp,
  parseRfc3339,
  parseTimestamp,
  storedTimestampToMs,
  toTimestampText,
} from "../../../src/connector/timestamp.js";

const FIRST = -62_167_219_200_000; // 0000-01-01
const LAST = 253_402_300_799_999; // 9999-12-31T23:59:59.999

describe("timestamps", () => {
  test("formatTimestamp agrees with Date for any instant of years 0000–9999", () => {
    fc.assert(
      fc.property(fc.integer({ min: FIRST, max: LAST }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(formatTimestamp(ms)).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 23)}`);
      }),
      { numRuns: 2000 },
    );
  });

  test("formatTimestamp refuses instants outside years 0000–9999", () => {
    expect(formatTimestamp(FIRST - 1)).toBeUndefined();
    expect(formatTimestamp(LAST + 1)).toBeUndefined();
    expect(formatTimestamp(NaN)).toBeUndefined();
    expect(formatTimestamp(FIRST)).toBe("0000-01-01 00:00:00.000");
  });

  test("stored text, fast paths and the general parser agree", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        const whole = Math.floor(ms / 1000) * 1000;
        const iso = new Date(whole).toISOString();
        const text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
        expect(toTimestampText(`${text} +00:00`)).toBe(`${text}.000`);
        expect(toTimestampText(`${text} +0000`)).toBe(`${text}.000`);
        expect(toTimestampText(`${iso.slice(0, 19)}Z`)).toBe(`${text}.000`);
        expect(parseTimestamp(`${text} +00:00`)).toBe(whole);
        expect(storedTimestampToMs(formatTimestamp(ms) as string)).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  test("years before 100 are not shifted to the 1900s", () => {
    expect(parseTimestamp("0050-06-01 00:00:00 +00:00")).toBe(new Date("0050-06-01T00:00:00Z").getTime());
    expect(toTimestampText("0050-06-01T00:00:00.5+01:00")).toBe("0050-05-31 23:00:00.500");
  });

  test("offsets beyond 23:59 are refused", () => {
    expect(parseTimestamp("2021-04-14 16:49:02 +24:00")).toBeUndefined();
    expect(parseTimestamp("2021-04-14 16:49:02 +01:60")).toBeUndefined();
  });

  test("RFC 3339 for load.yml: fractions to nanoseconds, no zone as UTC, a date alone as midnight", () => {
    expect(parseRfc3339("2014-10-02T15:01:23")).toBe(Date.UTC(2014, 9, 2, 15, 1, 23));
    expect(parseRfc3339("2014-10-02T15:01:23.987654321Z")).toBe(Date.UTC(2014, 9, 2, 15, 1, 23, 987));
    expect(parseRfc3339("2014-10-02")).toBe(Date.UTC(2014, 9, 2));
    expect(parseRfc3339("2014-10-02 15:01:23 +0000")).toBeUndefined();
    expect(formatRfc3339(Date.UTC(2014, 9, 2, 15, 1, 23))).toBe("2014-10-02T15:01:23Z");
  });
});
