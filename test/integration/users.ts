/**
 * Throwaway system users, for tests of what happens between two uids (the
 * daemon's user and root, an operator who forgot `sudo -u itd`). Creating one
 * needs root; `USERS_UNAVAILABLE` says why a test that needs one is skipped.
 * Every user made here is named `itdt…` and removed by `remove()` (afterAll);
 * a run killed before that leaves one behind: `userdel itdt…` removes it.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync } from "node:fs";
import { dirname } from "node:path";
import { runItd, type CliResult } from "./helpers.js";

function missing(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0;
}

/** Why tests needing a second user cannot run here, or undefined when they can. */
export const USERS_UNAVAILABLE: string | undefined =
  process.geteuid?.() !== 0
    ? "needs root, to create a throwaway user and run itd as it"
    : ["useradd", "userdel", "runuser"].find(missing) !== undefined
      ? `needs ${["useradd", "userdel", "runuser"].filter(missing).join(", ")}`
      : undefined;

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** Deletes the user and its group; safe to call twice. */
  remove(): void;
}

/** useradd and userdel lock /etc/passwd: two test files doing it at once retry. */
function runLocked(cmd: string, args: string[]): void {
  let last = "";
  for (let attempt = 0; attempt < 50; attempt++) {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    if (r.status === 0) return;
    last = `${r.stdout}${r.stderr}`;
    if (!/lock|try again/i.test(last)) break;
    spawnSync("sleep", ["0.2"]);
  }
  throw new Error(`${cmd} ${args.join(" ")} failed: ${last}`);
}

/** A new system user with its own group, no home directory and no login shell. */
export function createTestUser(): TestUser {
  const name = `itdt${randomBytes(4).toString("hex")}`;
  runLocked("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
  const id = (flag: string): number => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim());
  let removed = false;
  return {
    name,
    uid: id("-u"),
    gid: id("-g"),
    remove: () => {
      if (removed) return;
      removed = true;
      runLocked("userdel", [name]);
    },
  };
}

/** Lets other users reach `dir` (mkdtemp makes 0700 directories): every directory from `dir` up to /tmp gets o+x. */
export function openToOthers(dir: string, mode = 0o755): void {
  chmodSync(dir, mode);
  for (let d = dirname(dir); d.startsWith("/tmp/") && d !== "/tmp"; d = dirname(d)) chmodSync(d, 0o755);
}

/** Runs `itd ARGS` as `user` (undefined: this process's user); see runItd. */
export function runItdAs(user: string | undefined, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return runItd(args, { timeoutMs: 60_000, ...opts, ...(user !== undefined ? { user } : {}) });
}
