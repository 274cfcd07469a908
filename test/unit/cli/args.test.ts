import { describe, expect, it } from "vitest";
import { ArgumentError, parseCommandArgs } from "../../../src/cli/args.js";
import { optionalScheduleValue } from "../../../src/cli/commands/connector-update.js";

describe("parseCommandArgs", () => {
  const opts = { priority: { type: "string" }, delay: { type: "string", short: "D" }, wait: { type: "boolean", short: "w" } } as const;

  it("takes a negative number as the value of a string flag, long or short", () => {
    const r = parseCommandArgs(["NAME", "--priority", "-2", "-D", "-5"], opts, { min: 1, max: 1, names: "NAME" });
    expect(r.values.priority).toBe("-2");
    expect(r.values.delay).toBe("-5");
    expect(r.positionals).toEqual(["NAME"]);
  });

  it("refuses unknown flags and wrong argument counts with an ArgumentError", () => {
    expect(() => parseCommandArgs(["--nope"], opts, { min: 0, max: 0, names: "none" })).toThrow(ArgumentError);
    expect(() => parseCommandArgs(["a", "b"], opts, { min: 1, max: 1, names: "NAME" })).toThrow("expected 1 argument(s) (NAME); got 2");
  });
});

describe("optionalScheduleValue", () => {
  it("gives a bare -s an empty value (no schedule), and leaves -s CRON alone", () => {
    expect(optionalScheduleValue(["x", "-s"])).toEqual(["x", "-s", ""]);
    expect(optionalScheduleValue(["x", "-s", "-z", "UTC"])).toEqual(["x", "-s", "", "-z", "UTC"]);
    expect(optionalScheduleValue(["x", "--schedule", "10 0 * * *"])).toEqual(["x", "--schedule", "10 0 * * *"]);
  });
});
