/** Processes seen from /proc, for the tests that kill daemons and their job processes. */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { childPids } from "../../bench/procs.js";

export { childPids };

/** Whether `pid` runs (a zombie, dead but not yet reaped, does not). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** SIGKILLs `pid` and its descendants (a daemon's job processes). */
export function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  const all: number[] = [];
  const walk = (p: number): void => {
    all.push(p);
    for (const c of childPids(p)) walk(c);
  };
  walk(pid);
  for (const p of all) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Resolves with the exit code once `child` has exited (at once if it has). */
export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once("exit", (code) => r(code)));
}
