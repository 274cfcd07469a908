import fc from "fast-check";
import { DateTime } from "luxon";
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

/** The wording as luxon gives it whole (how describeSlot worked before it took offsets from ZoneRules). */
function byLuxon(ms: number, zone: string): { local: string; utc: string } {
  const local = DateTime.fromMillis(ms, { zone, locale: "en-US" });
  const abbreviation = local.toFormat("ZZZZ");
  const named = /^(GMT|UTC)[+-]/.test(abbreviation) ? "" : ` ${abbreviation}`;
  return {
    local: `${local.toFormat("yyyy-MM-dd HH:mm:ss")}${named} (${local.toFormat("ZZ")})`,
    utc: `${DateTime.fromMillis(ms, { zone: "utc" }).toFormat("yyyy-MM-dd HH:mm:ss")} UTC`,
  };
}

const ZONES = [
  "UTC", "America/New_York", "America/St_Johns", "America/Sao_Paulo", "Europe/Berlin", "Europe/London", "Europe/Dublin",
  "Asia/Tokyo", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Australia/Adelaide", "Pacific/Chatham",
  "Pacific/Apia", "Africa/Casablanca", "America/Santiago", "Asia/Tehran", "Etc/GMT+12", "Pacific/Kiritimati",
];

describe("describeSlot against luxon", () => {
  it("words any instant from 1850 to 2100 in any zone as luxon does (DST edges, half and quarter hours, no abbreviation)", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1850, 0, 1), max: Date.UTC(2100, 0, 1) }), fc.constantFrom(...ZONES), (ms, zone) => {
        expect(describeSlot(ms, zone)).toEqual(byLuxon(ms, zone));
      }),
      { numRuns: 3000, seed: 20261204 },
    );
  });

  it("and around this decade's DST changes, minute by minute", () => {
    for (const [zone, iso] of [["America/New_York", "2026-03-08T06:30:00Z"], ["Europe/Berlin", "2026-10-25T00:30:00Z"], ["Australia/Lord_Howe", "2026-04-04T14:30:00Z"]] as const) {
      for (let m = 0; m < 120; m++) {
        const ms = at(iso) + m * 60_000;
        expect(describeSlot(ms, zone)).toEqual(byLuxon(ms, zone));
      }
    }
  });
});
