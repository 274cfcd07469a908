import { describe, expect, it } from "vitest";
import { ScheduleError, nextSlot, parseCron, validateTimezone } from "../../../src/schedule/index.js";

function refusal(tz: string): string {
  try {
    validateTimezone(tz);
  } catch (err) {
    expect(err).toBeInstanceOf(ScheduleError);
    return (err as Error).message;
  }
  throw new Error(`${tz} was accepted`);
}

describe("validateTimezone", () => {
  it("accepts IANA names and UTC", () => {
    expect(validateTimezone("Asia/Tokyo")).toBe("Asia/Tokyo");
    expect(validateTimezone("America/Los_Angeles")).toBe("America/Los_Angeles");
    expect(validateTimezone("America/Argentina/Buenos_Aires")).toBe("America/Argentina/Buenos_Aires");
    expect(validateTimezone("UTC")).toBe("UTC");
    expect(validateTimezone("Etc/UTC")).toBe("Etc/UTC");
    expect(validateTimezone("Etc/GMT-9")).toBe("Etc/GMT-9");
  });

  it("returns the canonical spelling of a name typed in another case", () => {
    expect(validateTimezone("asia/tokyo")).toBe("Asia/Tokyo");
    expect(validateTimezone("utc")).toBe("UTC");
  });

  it("keeps a current IANA name even where the runtime prefers an older alias", () => {
    expect(validateTimezone("Asia/Kolkata")).toBe("Asia/Kolkata");
  });

  const abbreviations: [string, string][] = [
    ["PST", "America/Los_Angeles"],
    ["PDT", "America/Los_Angeles"],
    ["CST", "America/Chicago (or Asia/Shanghai)"],
    ["EST", "America/New_York"],
    ["EDT", "America/New_York"],
    ["MST", "America/Denver (or America/Phoenix)"],
    ["HST", "Pacific/Honolulu"],
    ["JST", "Asia/Tokyo"],
    ["IST", "Asia/Kolkata (or Europe/Dublin, Asia/Jerusalem)"],
    ["BST", "Europe/London"],
    ["CET", "Europe/Paris"],
    ["AEST", "Australia/Sydney"],
    ["pst", "America/Los_Angeles"],
  ];
  for (const [abbreviation, iana] of abbreviations) {
    it(`refuses the abbreviation ${abbreviation} and names ${iana.split(" ")[0] ?? iana} instead`, () => {
      expect(refusal(abbreviation)).toBe(
        `timezone "${abbreviation}": abbreviations are ambiguous; use an IANA name such as ${iana}`,
      );
    });
  }

  it("refuses an abbreviation it has no table entry for, and POSIX-style names", () => {
    const generic = "abbreviations are ambiguous; use an IANA name (Area/City) such as America/New_York";
    expect(refusal("XYZT")).toBe(`timezone "XYZT": ${generic}`);
    expect(refusal("EST5EDT")).toBe(`timezone "EST5EDT": ${generic}`);
  });

  it("refuses fixed offsets with the Etc/GMT name (inverted sign) or a city", () => {
    expect(refusal("+09:00")).toBe(
      'timezone "+09:00": fixed offsets are not time zones; use an IANA name such as Etc/GMT-9 (note the inverted sign) or a city in that zone',
    );
    expect(refusal("-0500")).toBe(
      'timezone "-0500": fixed offsets are not time zones; use an IANA name such as Etc/GMT+5 (note the inverted sign) or a city in that zone',
    );
    expect(refusal("UTC+05:30")).toBe(
      'timezone "UTC+05:30": fixed offsets are not time zones; use an IANA name such as Asia/Kolkata',
    );
    expect(refusal("GMT+9")).toContain("Etc/GMT-9");
  });

  it("refuses unknown names and the empty string", () => {
    expect(refusal("Mars/Base")).toBe(
      'timezone "Mars/Base": unknown IANA time zone (e.g. UTC, Asia/Tokyo, America/New_York)',
    );
    expect(refusal("Tokyo")).toBe('timezone "Tokyo": unknown IANA time zone (e.g. UTC, Asia/Tokyo, America/New_York)');
    expect(refusal("")).toBe('timezone "": empty; use an IANA name such as UTC or Asia/Tokyo');
  });

  it("is applied by slot queries too", () => {
    expect(() => nextSlot(parseCron("0 0 * * *"), "PST", 0)).toThrow(
      'timezone "PST": abbreviations are ambiguous; use an IANA name such as America/Los_Angeles',
    );
  });
});
