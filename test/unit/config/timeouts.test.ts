import { describe, expect, it } from "vitest";
import { parseTimeoutsSpec } from "../../../src/config/timeouts.js";
import { ConfigError } from "../../../src/errors.js";

describe("parseTimeoutsSpec", () => {
  it("reads each timeout with its unit, into milliseconds", () => {
    expect(parseTimeoutsSpec("connect=30s,headers=5m,idle=120s")).toEqual({ connect: 30_000, headers: 300_000, idle: 120_000 });
    expect(parseTimeoutsSpec(" idle = 2s , connect=500ms, headers=1h ")).toEqual({ idle: 2000, connect: 500, headers: 3_600_000 });
    expect(parseTimeoutsSpec("headers=10min")).toEqual({ headers: 600_000 });
  });

  it("is empty when unset or blank, so the defaults stay", () => {
    expect(parseTimeoutsSpec(undefined)).toEqual({});
    expect(parseTimeoutsSpec("  ")).toEqual({});
    expect(parseTimeoutsSpec("idle=2s,")).toEqual({ idle: 2000 });
  });

  it("names the variable, the bad part and the allowed names and units", () => {
    expect(() => parseTimeoutsSpec("read=30s")).toThrow(ConfigError);
    expect(() => parseTimeoutsSpec("read=30s")).toThrow(/^ITD_TIMEOUTS: .*NAME one of connect, headers, idle.*ms, s, m or min, h.*got "read=30s"$/);
    expect(() => parseTimeoutsSpec("idle=30")).toThrow(/got "idle=30"/);
    expect(() => parseTimeoutsSpec("idle=30d")).toThrow(/idle=30d: a timeout must be from 1ms to 24h/);
    expect(() => parseTimeoutsSpec("idle=1.5s")).toThrow(/whole number/);
    expect(() => parseTimeoutsSpec("idle=-1s")).toThrow(/got "idle=-1s"/);
    expect(() => parseTimeoutsSpec("idle")).toThrow(/got "idle"/);
  });

  it("refuses zero (which would turn the timeout off), more than a day, and a name given twice", () => {
    expect(() => parseTimeoutsSpec("idle=0s")).toThrow(/ITD_TIMEOUTS: idle=0s: a timeout must be from 1ms to 24h/);
    expect(() => parseTimeoutsSpec("headers=25h")).toThrow(/from 1ms to 24h/);
    expect(parseTimeoutsSpec("headers=24h")).toEqual({ headers: 86_400_000 });
    expect(() => parseTimeoutsSpec("idle=2s,idle=3s")).toThrow(/ITD_TIMEOUTS: idle is given twice/);
  });

  it("names another origin when asked", () => {
    expect(() => parseTimeoutsSpec("x=1s", "--timeouts")).toThrow(/^--timeouts: /);
  });
});
