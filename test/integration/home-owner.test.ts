/**
 * Whose home it is (issue 18, point 4): the daemon's user owns the home, and
 * root's `sudo itd …` without `-u itd` must not leave files there that the
 * daemon cannot open. Real `itd` processes as two real uids: a throwaway
 * system user owns the home, root (this test) plays the operator who forgot
 * `-u`. Permission problems must name the path, its owner and mode — never
 * `Database … does not exist` or an unexpected error.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeIterable, type FakeIterable } from "../../src/fake-iterable/index.js";
import { tempDir } from "./helpers.js";
import { createTestUser, openToOthers, runItdAs, USERS_UNAVAILABLE, type TestUser } from "./users.js";

const KEY = "home-owner-key-7d1c";

/**
 * Every path under `dir` with its owner: what a command left behind. SQLite's
 * -wal and -shm files come and go with connections (as root, SQLite gives
 * them the database's owner); they are left out here and checked by `owners`.
 */
function tree(dir: string): string[] {
  return everything(dir).filter((l) => !/-(wal|shm) uid=/.test(l));
}

/** The uids owning anything under `dir`. */
function owners(dir: string): number[] {
  return [...new Set(everything(dir).map((l) => Number(/ uid=(\d+)$/.exec(l)?.[1])))];
}

function everything(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push(`${p} uid=${st.uid}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(USERS_UNAVAILABLE !== undefined)(`a home owned by the daemon's user (skipped: ${USERS_UNAVAILABLE ?? ""})`, () => {
  let user: TestUser;
  let fake: FakeIterable;
  let dir: string;
  const env = (): NodeJS.ProcessEnv => ({ ITERABLE_API_KEY: KEY, ITD_CONFIG: "", ITD_HOME: "", ITD_SCHEDULES: "" });
  const load = (): string =>
    [
      "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data",
      "  export_data_type: emailOpen", "  start_time: '2026-01-01T00:00:00Z'", "  end_time: '2026-01-01T06:00:00Z'",
      "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "",
    ].join("\n");

  /** A home as systemd's StateDirectory= makes it (0700, the user's), with what the user put in it: state.db, a schedule and its database. */
  async function userHome(name: string): Promise<string> {
    const home = join(dir, name);
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, user.uid, user.gid);
    const r = await runItdAs(user.name, ["connector:create", "daily", "10 0 * * *", "opsdb", "opens", join(dir, "load.yml"), "--auto-create-table", "--home", home], { env: env(), cwd: dir });
    expect(r.stderr).toBe("Database 'opsdb' is created.\nTable 'opsdb.opens' is created.\n");
    expect(r.code).toBe(0);
    return home;
  }

  beforeAll(async () => {
    user = createTestUser();
    fake = await startFakeIterable({ apiKey: KEY, seed: 3, eventsPerDay: 240, rateLimits: false, dataStart: Date.UTC(2026, 0, 1) });
    dir = tempDir("itd-owner-");
    openToOthers(dir);
    writeFileSync(join(dir, "load.yml"), load(), { mode: 0o644 });
  });
  afterAll(async () => {
    user?.remove();
    await fake?.close();
  });

  it("refuses root's writes into the user's home, naming the user to run as, and leaves the home as it was", async () => {
    const home = await userHome("refuse");
    const before = tree(home);
    expect(owners(home)).toEqual([user.uid]);
    const writes = [
      ["connector:create", "other", "10 0 * * *", "newdb", "opens", join(dir, "load.yml"), "--auto-create-table"],
      ["connector:issue", join(dir, "load.yml"), "--database", "newdb", "--table", "opens", "--auto-create-table"],
      ["connector:update", "daily", "--pause"],
      ["connector:run", "daily", "--foreground"],
      ["job:prune", "--older-than", "1d"],
      ["daemon"],
    ];
    for (const args of writes) {
      const r = await runItdAs(undefined, [...args, "--home", home], { env: env(), cwd: dir, timeoutMs: 30_000 });
      expect(r.code, args[0]).toBe(1);
      // `Error: …` on stderr; the daemon may log it instead (a JSON line at level fatal)
      expect(r.stdout + r.stderr, args[0]).toContain(`the home ${home} belongs to user ${user.name}; run as it: sudo -u ${user.name} ITD_HOME=${home} itd …`);
      expect(r.stdout + r.stderr, args[0]).not.toMatch(/unexpected error/);
    }
    expect(tree(home)).toEqual(before);
    expect(owners(home)).toEqual([user.uid]);
  });

  it("lets root read the user's home (list, show, history, jobs, tables, query) and creates nothing there", async () => {
    const home = await userHome("read");
    const before = tree(home);
    const reads: [string[], RegExp][] = [
      [["connector:list"], /\| daily\s+\| 10 0 \* \* \*/],
      [["connector:show", "daily"], /^Database : opsdb$/m],
      [["connector:history", "daily"], /0 rows in set/],
      [["job:list"], /rows? in set/],
      [["db:list"], /\| opsdb /],
      [["table:list", "opsdb"], /\| opsdb\s+\| opens /],
      [["table:show", "opsdb", "opens"], /^Name\s+: opsdb\.opens$/m],
      [["query", "-d", "opsdb", "SELECT count(*) AS n FROM opens"], /\| 0 /],
    ];
    for (const [args, expected] of reads) {
      const r = await runItdAs(undefined, [...args, "--home", home], { env: env(), cwd: dir });
      expect(r.stderr, args[0]).not.toMatch(/Error/);
      expect(r.code, args[0]).toBe(0);
      expect(r.stdout, args[0]).toMatch(expected);
    }
    expect(tree(home)).toEqual(before);
    expect(owners(home)).toEqual([user.uid]);
    // The user can still write its home after root read it.
    const issued = await runItdAs(user.name, ["connector:run", "daily", "--foreground", "--home", home], { env: env(), cwd: dir });
    expect(issued.stderr).not.toMatch(/Error/);
    expect(issued.code).toBe(0);
  });

  it("refuses root's read of a home with no state.db rather than create one there", async () => {
    const home = join(dir, "empty");
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, user.uid, user.gid);
    const r = await runItdAs(undefined, ["connector:list", "--home", home], { env: env(), cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: the home ${home} belongs to user ${user.name}; run as it`);
    expect(readdirSync(home)).toEqual([]);
  });

  it("names a warehouse file another user left, its owner and mode, in a command and in a job, never 'does not exist'", async () => {
    const home = await userHome("rootfile");
    const file = join(home, "warehouse", "opsdb.db");
    chownSync(file, 0, 0); // what root's `connector:create … --auto-create-table` left before this fix
    // query reads in a child process (read-only); a job prints its log (the error) on stdout
    const cases: [string[], string, "stdout" | "stderr", boolean][] = [
      [["table:list", "opsdb"], "readable and writable", "stderr", true],
      [["query", "-d", "opsdb", "SELECT 1"], "readable", "stderr", false],
      [["connector:run", "daily", "--foreground"], "readable and writable", "stdout", false],
    ];
    for (const [args, want, where, hinted] of cases) {
      const r = await runItdAs(user.name, [...args, "--home", home], { env: env(), cwd: dir });
      expect(r.code, args[0]).toBe(1);
      expect(r[where], args[0]).toContain(`${file} is not ${want} by ${user.name} (owned by root:root, mode 0600)`);
      if (hinted) expect(r.stderr, args[0]).toContain(`give it back: sudo chown -R ${user.name}:${user.name} ${home}`);
      expect(r.stdout + r.stderr, args[0]).not.toMatch(/does not exist|unexpected error/);
    }
    const job = await runItdAs(user.name, ["job:show", "1", "--home", home], { env: env(), cwd: dir });
    expect(job.stdout).toMatch(/Status\s+: error/);
    expect(job.stdout).toContain(`${file} is not readable and writable by ${user.name} (owned by root:root, mode 0600)`);
  });

  it("names a warehouse directory the user cannot enter", async () => {
    const home = await userHome("rootdir");
    chownSync(join(home, "warehouse"), 0, 0);
    const r = await runItdAs(user.name, ["table:list", "opsdb", "--home", home], { env: env(), cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: Cannot open database 'opsdb': permission denied on the directory ${join(home, "warehouse")} (owned by root:root, mode 0700; this process runs as ${user.name})`);
    expect(r.stderr).not.toMatch(/does not exist/);
  });

  it("says what is wrong with the home itself: a file in its place, a read-only home, a parent it cannot create it in", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "", { mode: 0o644 });
    const readOnly = join(dir, "read-only");
    mkdirSync(readOnly, { mode: 0o500 });
    chmodSync(readOnly, 0o500);
    chownSync(readOnly, user.uid, user.gid);
    const cases: [string, string][] = [
      [file, `Error: the home ${file} is not a directory (a file is there)`],
      [join(file, "home"), `Error: cannot use the home ${join(file, "home")}: ${file} is a file, not a directory`],
      [readOnly, `Error: the home ${readOnly} is not writable by ${user.name} (owned by ${user.name}:${user.name}, mode 0500)`],
      [join(readOnly, "home"), `Error: cannot create the home ${join(readOnly, "home")}: ${readOnly} is not writable by ${user.name} (owned by ${user.name}:${user.name}, mode 0500)`],
    ];
    for (const [home, message] of cases) {
      const r = await runItdAs(user.name, ["job:list", "--home", home], { env: env(), cwd: dir });
      expect(r.code, home).toBe(1);
      expect(r.stderr, home).toContain(message);
      expect(r.stderr, home).not.toMatch(/EEXIST|ENOTDIR|EACCES|unexpected error/);
    }
  });
});
