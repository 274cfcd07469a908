import { describe, expect, it } from "vitest";
import { parseRateLimitsSpec } from "../../../src/config/rate-limits.js";

describe("parseRateLimitsSpec", () => {
  it("reads groups, counts and windows with units", () => {
    expect(parseRateLimitsSpec("export=8/60s, getUsers=10/1m,campaigns=200/s")).toEqual({
      export: { limit: 8, windowMs: 60_000 },
      getUsers: { limit: 10, windowMs: 60_000 },
      campaigns: { limit: 200, windowMs: 1000 },
    });
  });

  it("is empty when unset", () => {
    expect(parseRateLimitsSpec(undefined)).toEqual({});
    expect(parseRateLimitsSpec("  ")).toEqual({});
  });

  it("names the variable, the allowed groups and the bad part", () => {
    expect(() => parseRateLimitsSpec("exports=4/60s")).toThrow(/ITD_RATE_LIMITS: .*export, getUsers.*got "exports=4\/60s"/);
    expect(() => parseRateLimitsSpec("export=0/60s")).toThrow(/must be positive/);
    expect(() => parseRateLimitsSpec("export=4")).toThrow(/WINDOW/);
  });
});
