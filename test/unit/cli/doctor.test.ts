import { describe, expect, it } from "vitest";
import { parseEnvFile } from "../../../src/cli/commands/doctor.js";

describe("doctor's --environment-file", () => {
  it("reads systemd's EnvironmentFile= lines: comments, blanks, quotes and spaces around the name", () => {
    const text = ["# secrets", "; also a comment", "", "ITERABLE_API_KEY=abc=def", ' QUOTED = "with spaces" ', "SINGLE='x'", "not a line", "=novalue"].join("\n");
    expect(parseEnvFile(text)).toEqual({ ITERABLE_API_KEY: "abc=def", QUOTED: "with spaces", SINGLE: "x" });
  });
});
