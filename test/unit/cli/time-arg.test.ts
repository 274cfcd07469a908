import { describe, expect, it } from "vitest";
import { parseInstant } from "../../../src/cli/time-arg.js";

describe("parseInstant", () => {
  it("reads RFC 3339 with Z or an offset, and a space instead of T", () => {
    expect(parseInstant("--now", "2026-03-08T10:00:00Z")).toBe(Date.UTC(2026, 2, 8, 10));
    expect(parseInstant("--now", "2026-03-08 19:00:00 +09:00")).toBe(Date.UTC(2026, 2, 8, 10));
    expect(parseInstant("--now", "2026-03-08T19:00:00+0900")).toBe(Date.UTC(2026, 2, 8, 10));
  });

  it("takes a time without an offset, or a date alone, as UTC", () => {
    expect(parseInstant("--now", "2026-03-08 10:00")).toBe(Date.UTC(2026, 2, 8, 10));
    expect(parseInstant("--now", "2026-03-08")).toBe(Date.UTC(2026, 2, 8));
  });

  it("reads epoch seconds and epoch milliseconds", () => {
    expect(parseInstant("--now", "1772964000")).toBe(1772964000_000);
    expect(parseInstant("--now", "1772964000123")).toBe(1772964000123);
  });

  it("names the flag and the value it could not read", () => {
    expect(() => parseInstant("--from", "yesterday")).toThrow('--from: expected a time like 2026-01-01T00:00:00Z (or epoch seconds); got "yesterday"');
    expect(() => parseInstant("--from", "2026-13-45")).toThrow(/--from/);
  });
});
