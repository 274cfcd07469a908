import { describe, expect, it } from "vitest";
import { importThreads } from "../../../src/connector/import-pool.js";

describe("importThreads (ITD_IMPORT_THREADS)", () => {
  it("defaults to 2 parse threads with two cores or more, none on one core", () => {
    expect(importThreads({}, 2)).toBe(2);
    expect(importThreads({}, 16)).toBe(2);
    expect(importThreads({}, 1)).toBe(0);
    expect(importThreads({ ITD_IMPORT_THREADS: "" }, 4)).toBe(2);
  });

  it("takes a whole number from 0 to 64", () => {
    expect(importThreads({ ITD_IMPORT_THREADS: "0" }, 8)).toBe(0);
    expect(importThreads({ ITD_IMPORT_THREADS: "3" }, 1)).toBe(3);
  });

  it.each(["two", "-1", "1.5", "65"])("refuses %s, naming the variable and the value", (v) => {
    expect(() => importThreads({ ITD_IMPORT_THREADS: v }, 2)).toThrow(`ITD_IMPORT_THREADS: expected a whole number from 0 to 64, got '${v}'`);
  });
});
