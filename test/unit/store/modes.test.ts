/**
 * state.db holds job configs and cursors: it and its -wal/-shm are 0600 and
 * the home 0700 whatever the umask and however the files came to be.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStateDb, type Db } from "../../../src/store/open.js";

const mode = (file: string): number => statSync(file).mode & 0o777;

describe("state.db file modes", () => {
  let umask: number;
  let db: Db | undefined;
  beforeEach(() => {
    umask = process.umask(0o022);
  });
  afterEach(() => {
    db?.close();
    db = undefined;
    process.umask(umask);
  });

  function homeDir(): string {
    return join(mkdtempSync(join(tmpdir(), "itd-modes-")), "home");
  }

  it("creates the home 0700 and state.db, state.db-wal and state.db-shm 0600 under umask 022", () => {
    const home = homeDir();
    db = openStateDb(home);
    db.prepare("INSERT INTO meta (key, value) VALUES ('probe', 1)").run();
    const file = join(home, "state.db");
    expect(existsSync(`${file}-wal`)).toBe(true);
    expect(existsSync(`${file}-shm`)).toBe(true);
    expect(mode(home)).toBe(0o700);
    expect([mode(file), mode(`${file}-wal`), mode(`${file}-shm`)]).toEqual([0o600, 0o600, 0o600]);
  });

  it("tightens a state.db and side files left 0644 (e.g. restored from a backup) when it opens them", () => {
    const home = homeDir();
    openStateDb(home).close();
    const file = join(home, "state.db");
    chmodSync(file, 0o644);
    writeFileSync(`${file}-shm`, "");
    chmodSync(`${file}-shm`, 0o644);
    db = openStateDb(home);
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
  });

  it("tightens a home made 0755 by someone else before creating state.db in it", () => {
    const home = homeDir();
    mkdirSync(home, { mode: 0o755 });
    chmodSync(home, 0o755);
    db = openStateDb(home);
    expect(mode(home)).toBe(0o700);
    expect(mode(join(home, "state.db"))).toBe(0o600);
  });

  it("leaves -wal and -shm made later by another connection 0600", () => {
    const home = homeDir();
    openStateDb(home).close();
    const file = join(home, "state.db");
    expect(existsSync(`${file}-wal`)).toBe(false);
    db = openStateDb(home);
    const other = openStateDb(home);
    other.prepare("INSERT INTO meta (key, value) VALUES ('probe', 2)").run();
    other.close();
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
  });
});
