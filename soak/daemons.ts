/**
 * The soak's daemons: one per home (`home`, `home1`, …; each home is a
 * host), each process's output appended to its home's log, what the chaos
 * did to each and how each of its processes ended. With `hostname`, a
 * daemon (and every command run for its home) runs in a UTS namespace of its
 * own under that host name (`unshare --uts`), as on a machine of its own:
 * the other daemons then know its jobs' processes only by their leases.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from "node:fs";

export interface DaemonKills {
  sigkill: number;
  sigterm: number;
  /** SIGSTOP for longer than the daemon lease, then SIGCONT. */
  stall: number;
  /** Of those stalls, how many ended with the daemon exiting non-zero (fenced), as it must. */
  fenced: number;
  /** Its job processes SIGKILLed. */
  jobSigkill: number;
  /** Its host died: the daemon and every process it started SIGKILLed at once, down for longer than a stream lease. */
  hostDown: number;
}

export interface SoakDaemon {
  readonly index: number;
  readonly home: string;
  readonly logFile: string;
  readonly hostname: string | undefined;
  /** Its current process (the last one started). */
  child: ChildProcess | undefined;
  /** When its current process logged "daemon started" (undefined before). */
  startedAt: number | undefined;
  /** Under a disruption (stalled, waiting for its restart): the chaos leaves it alone meanwhile. */
  busy: boolean;
  /** The chaos or the final stop signalled its current process: its exit is no finding. */
  expectExit: boolean;
  starts: number;
  kills: DaemonKills;
  exitCodes: Record<string, number>;
}

/** `itd ARGS` as a command line, in the UTS namespace of `hostname` when given. */
export function itdCommand(itd: string, args: readonly string[], hostname?: string): { file: string; args: string[] } {
  if (hostname === undefined) return { file: process.execPath, args: [itd, ...args] };
  // unshare and sh exec in place: the pid is the itd process's own.
  return { file: "unshare", args: ["--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, process.execPath, itd, ...args] };
}

export const isGone = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
export const exited = (c: ChildProcess): Promise<void> => (isGone(c) ? Promise.resolve() : new Promise((r) => c.once("exit", () => r())));

export interface FleetOptions {
  cwd: string;
  itd: string;
  homes: readonly string[];
  logFiles: readonly string[];
  env: (home: string) => NodeJS.ProcessEnv;
  /** Host names, one per home (none: this machine's). */
  hostnames?: readonly string[];
  /** Each exit of a daemon process (after it is counted). */
  onExit?: (d: SoakDaemon, child: ChildProcess) => void;
}

export class DaemonFleet {
  readonly daemons: SoakDaemon[];
  /** Every daemon process's exit, by code or signal. */
  readonly exitCodes: Record<string, number> = {};
  private readonly logs: WriteStream[];

  constructor(private readonly o: FleetOptions) {
    this.logs = o.logFiles.map((f) => createWriteStream(f, { flags: "a" }));
    this.daemons = o.homes.map((home, index) => ({
      index, home, logFile: o.logFiles[index] as string, hostname: o.hostnames?.[index], child: undefined, startedAt: undefined, busy: false, expectExit: false,
      starts: 0, kills: { sigkill: 0, sigterm: 0, stall: 0, fenced: 0, jobSigkill: 0, hostDown: 0 }, exitCodes: {},
    }));
  }

  /** Starts daemon `i` (its current process from now on). */
  start(i: number): ChildProcess {
    const d = this.daemons[i] as SoakDaemon;
    const log = this.logs[i] as WriteStream;
    const { file, args } = itdCommand(this.o.itd, ["daemon"], d.hostname);
    const child = spawn(file, args, { cwd: this.o.cwd, env: this.o.env(d.home), stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    let tail = "";
    const onData = (b: Buffer): void => {
      tail = (tail + b.toString()).slice(-4096);
      if (/"msg":"daemon started"/.test(tail)) {
        if (d.child === child) d.startedAt = Date.now();
        child.stdout?.off("data", onData);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code, signal) => {
      const k = signal ?? String(code);
      this.exitCodes[k] = (this.exitCodes[k] ?? 0) + 1;
      d.exitCodes[k] = (d.exitCodes[k] ?? 0) + 1;
      this.o.onExit?.(d, child);
    });
    d.child = child;
    d.startedAt = undefined;
    d.expectExit = false;
    d.starts++;
    return child;
  }

  /** Whether `pid` is a daemon's current process. */
  isDaemonPid(pid: number): boolean {
    return this.daemons.some((d) => d.child?.pid === pid);
  }

  /** The daemon whose process is `pid`'s parent (its job processes), if any. */
  parentOf(pid: number): SoakDaemon | undefined {
    const ppid = parentPid(pid);
    return this.daemons.find((d) => d.child?.pid === ppid);
  }

  /** When the first daemon process of all said "daemon started" (from the logs), if one did. */
  firstStarted(): number | undefined {
    const times = this.daemons
      .map((d) =>
        readFileSync(d.logFile, "utf8")
          .split("\n")
          .map((l) => /"time":"([^"]+)".*"msg":"daemon started"/.exec(l)?.[1])
          .find((t) => t !== undefined),
      )
      .filter((t): t is string => t !== undefined)
      .map((t) => Date.parse(t));
    return times.length === 0 ? undefined : Math.min(...times);
  }

  closeLogs(): void {
    for (const l of this.logs) l.end();
  }
}

/** The parent of `pid` (from /proc), or undefined when it is gone. */
function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** The processes whose parent is `pid` (a daemon's job processes). */
export function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((p) => parentPid(p) === pid);
}
