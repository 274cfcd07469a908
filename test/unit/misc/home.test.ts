import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertHomeOwner, ensureHome, explainAccess } from "../../../src/home.js";

const dir = (): string => mkdtempSync(join(tmpdir(), "itd-home-"));

describe("home problems in words", () => {
  it("names the file that stands where a directory of the path should be", () => {
    const d = dir();
    writeFileSync(join(d, "file"), "");
    expect(explainAccess(join(d, "file", "home", "state.db"), new Error("ENOTDIR"))).toBe(`${join(d, "file")} is a file, not a directory`);
  });

  it("names a read-only file system before anything else", () => {
    const err = Object.assign(new Error("EROFS: read-only file system"), { code: "EROFS" });
    expect(explainAccess("/somewhere/state.db", err)).toBe("/somewhere/state.db is on a read-only file system");
  });

  it("says which part of a path is missing, and falls back to the error's own words when the path is fine", () => {
    const d = dir();
    expect(explainAccess(join(d, "missing", "x.db"), new Error("ENOENT"))).toBe(`${join(d, "missing")} does not exist`);
    mkdirSync(join(d, "ok"));
    expect(explainAccess(join(d, "ok"), new Error("something else"))).toBe("something else");
  });

  it("refuses a file as the home, and creates a missing one 0700", () => {
    const d = dir();
    writeFileSync(join(d, "file"), "");
    expect(() => ensureHome(join(d, "file"))).toThrow(`the home ${join(d, "file")} is not a directory (a file is there)`);
    ensureHome(join(d, "new", "home"));
    expect(() => assertHomeOwner(join(d, "new", "home"), "write")).not.toThrow();
  });

  it("refuses another user's home to a writer, naming the owner, and lets a reader read an existing state.db", () => {
    const d = dir();
    const uid = process.geteuid?.() ?? 0;
    const other = uid + 1;
    expect(() => assertHomeOwner(d, "write", other)).toThrow(/^the home .* belongs to user .*; run as it: sudo -u \S+ ITD_HOME=.* itd …$/);
    expect(() => assertHomeOwner(d, "read", other)).toThrow(/belongs to user/);
    writeFileSync(join(d, "state.db"), "");
    expect(() => assertHomeOwner(d, "read", other)).not.toThrow();
    expect(() => assertHomeOwner(d, "write", other)).toThrow(/belongs to user/);
    expect(() => assertHomeOwner(join(d, "missing"), "write", other)).not.toThrow();
  });
});
