import { describe, expect, it } from "vitest";
import { ZoneRules } from "../../../src/schedule/index.js";
import { at } from "./helpers.js";

const H = 3_600_000;

describe("ZoneRules", () => {
  it("finds New York's 2026 summer segment between its two transitions", () => {
    expect(new ZoneRules("America/New_York").segmentAt(at("2026-06-01T00:00:00Z"))).toEqual({
      start: at("2026-03-08T07:00:00Z"),
      end: at("2026-11-01T06:00:00Z"),
      offset: -4 * H,
      prevOffset: -5 * H,
    });
  });

  it("reaches back into the previous year for a January segment's start", () => {
    expect(new ZoneRules("America/New_York").segmentAt(at("2026-01-15T00:00:00Z"))).toEqual({
      start: at("2025-11-02T06:00:00Z"),
      end: at("2026-03-08T07:00:00Z"),
      offset: -5 * H,
      prevOffset: -4 * H,
    });
  });

  it("finds Sydney's winter (AEST) segment from April to October", () => {
    expect(new ZoneRules("Australia/Sydney").segmentAt(at("2026-06-01T00:00:00Z"))).toEqual({
      start: at("2026-04-04T16:00:00Z"),
      end: at("2026-10-03T16:00:00Z"),
      offset: 10 * H,
      prevOffset: 11 * H,
    });
  });

  it("puts the transition instant in the new segment", () => {
    const ny = new ZoneRules("America/New_York");
    expect(ny.offsetAt(at("2026-03-08T07:00:00Z"))).toBe(-4 * H);
    expect(ny.offsetAt(at("2026-03-08T06:59:59Z"))).toBe(-5 * H);
  });

  it("has one offset and no transitions in Tokyo and Kolkata", () => {
    const tokyo = new ZoneRules("Asia/Tokyo").segmentAt(at("2026-06-01T00:00:00Z"));
    expect(tokyo.offset).toBe(9 * H);
    expect(tokyo.prevOffset).toBe(9 * H);
    expect(new ZoneRules("Asia/Kolkata").offsetAt(at("2026-06-01T00:00:00Z"))).toBe(5.5 * H);
  });

  it("refuses a bad zone when built", () => {
    expect(() => new ZoneRules("EST")).toThrow('timezone "EST"');
  });
});
