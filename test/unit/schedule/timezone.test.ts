import { existsSync, readFileSync } from "node:fs";
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

describe("validateTimezone spells a name the runtime knows only as an alias the IANA way", () => {
  it.each([
    ["asia/kolkata", "Asia/Kolkata"],
    ["ASIA/KOLKATA", "Asia/Kolkata"],
    [" asia/kolkata ", "Asia/Kolkata"],
    ["europe/kyiv", "Europe/Kyiv"],
    ["asia/ho_chi_minh", "Asia/Ho_Chi_Minh"],
    ["america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"],
    ["america/indiana/indianapolis", "America/Indiana/Indianapolis"],
    ["etc/utc", "Etc/UTC"],
    ["etc/gmt+0", "Etc/GMT+0"],
    ["us/pacific", "US/Pacific"],
    ["brazil/denoronha", "Brazil/DeNoronha"],
    ["america/knox_in", "America/Knox_IN"],
    ["nz-chat", "NZ-CHAT"],
  ])("%s → %s", (typed, canonical) => {
    expect(validateTimezone(typed)).toBe(canonical);
  });

  it("keeps a link's own name, canonical-cased, rather than the zone it links to", () => {
    expect(validateTimezone("asia/calcutta")).toBe("Asia/Calcutta");
    expect(validateTimezone("Asia/Calcutta")).toBe("Asia/Calcutta");
    expect(validateTimezone("US/Pacific")).toBe("US/Pacific");
  });

  const tzdata = "/usr/share/zoneinfo/tzdata.zi";
  it.skipIf(!existsSync(tzdata))("spells every zone and link of the system's tzdata as tzdata does, from any case", () => {
    const names = readFileSync(tzdata, "utf8")
      .split("\n")
      .map((line) => line.split(/\s+/))
      .flatMap((f) => (f[0] === "Z" ? [f[1]] : f[0] === "L" ? [f[2]] : []))
      .filter((n): n is string => n !== undefined);
    expect(names.length).toBeGreaterThan(400);
    const wrong: string[] = [];
    let checked = 0;
    for (const name of names) {
      try {
        validateTimezone(name);
      } catch {
        continue; // abbreviations, names this runtime does not know
      }
      checked++;
      for (const typed of [name.toLowerCase(), name.toUpperCase()]) {
        let got: string;
        try {
          got = validateTimezone(typed);
        } catch {
          continue; // NZ, PRC… in capitals read as abbreviations
        }
        if (got !== name) wrong.push(`${typed} → ${got}`);
      }
    }
    expect(checked).toBeGreaterThan(400);
    expect(wrong).toEqual([]);
  });
});
