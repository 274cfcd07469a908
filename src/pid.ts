import { createHash } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

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

let host: string | undefined;
/**
 * This machine as leases and jobs name it: the host name, and a short id of
 * the kernel boot and pid namespace, where a pid means this process. Two
 * hosts with one host name (cloned VMs, containers) sharing a state store
 * must never judge each other's processes by their pids (issue 14).
 */
export function thisHost(): string {
  if (host !== undefined) return host;
  let boot: string | undefined;
  let ns: string | undefined;
  try {
    boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    ns = readlinkSync("/proc/self/ns/pid");
  } catch {
    // no /proc (not Linux): the host name is all there is
  }
  host = hostId(hostname(), boot, ns);
  return host;
}

/** `name/xxxxxxxx`: the host name and 8 hex digits of the boot id and pid namespace (just the name without them). */
export function hostId(name: string, bootId: string | undefined, pidNamespace: string | undefined): string {
  if (bootId === undefined || pidNamespace === undefined) return name;
  return `${name}/${createHash("sha256").update(`${bootId} ${pidNamespace}`).digest("hex").slice(0, 8)}`;
}
