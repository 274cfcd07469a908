import { describe, expect, it } from "vitest";
import { describeSlot } from "../../../src/schedule/index.js";
import { at } from "./helpers.js";

describe("describeSlot", () => {
  it("shows the local time with its abbreviation and offset, and UTC", () => {
    expect(describeSlot(at("2026-03-08T07:00:00Z"), "America/New_York")).toEqual({
      local: "2026-03-08 03:00:00 EDT (-04:00)",
      utc: "2026-03-08 07:00:00 UTC",
    });
    expect(describeSlot(at("2026-11-01T06:30:00Z"), "America/New_York").local).toBe("2026-11-01 01:30:00 EST (-05:00)");
  });

  it("shows the offset alone where the zone has no English abbreviation", () => {
    expect(describeSlot(at("2026-03-08T07:00:00Z"), "Asia/Kolkata").local).toBe("2026-03-08 12:30:00 (+05:30)");
  });

  it("refuses abbreviations like every other entry point", () => {
    expect(() => describeSlot(0, "JST")).toThrow('timezone "JST"');
  });
});
