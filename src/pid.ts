import { readFileSync } from "node:fs";

/**
 * Whether a process with this pid is running. EPERM means it exists but is not
 * ours. A zombie (exited, not yet reaped — e.g. an orphan whose init is slow to
 * reap) is not running: on Linux its /proc state is `Z`.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // `pid (comm) state …`: comm may hold spaces and parentheses, so read after the last ')'.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
}
