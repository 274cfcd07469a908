/**
 * Several `itd daemon`s on one state store, for the failover benchmark: each
 * with a home and a config of its own (a host), optionally in a UTS namespace
 * under a host name of its own (`unshare --uts`, root only), each the leader
 * of its own process group (its job processes are in it: a SIGKILL of the
 * group is a dead host). Also the fake Iterable as a process, and its stats.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import type { FakeStats } from "../src/fake-iterable/index.js";

export const ITD = fileURLToPath(new URL("../../bin/itd", import.meta.url));

export interface BenchDaemon {
  index: number;
  home: string;
  hostname: string | undefined;
  child: ChildProcess;
  /** Its output so far. */
  log(): string;
}

export interface FleetSpec {
  root: string;
  /** Extra environment of every daemon (ITD_STATE, ITD_WAREHOUSE, ITERABLE_API_KEY, ITD_RATE_LIMITS, …). */
  env: NodeJS.ProcessEnv;
  /** The config file's text (every daemon the same). */
  config: string;
  /** Host names, one per daemon (none: this machine's). */
  hostnames?: readonly (string | undefined)[];
}

/** `itd ARGS`, in the UTS namespace of `hostname` when given (unshare and sh exec in place: the pid is itd's). */
export function itdArgv(args: readonly string[], hostname: string | undefined): [string, string[]] {
  if (hostname === undefined) return [process.execPath, [ITD, ...args]];
  return ["unshare", ["--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, process.execPath, ITD, ...args]];
}

/** The environment of daemon `index`'s home (the same for the commands run for that home). */
export function homeEnv(spec: FleetSpec, index: number): NodeJS.ProcessEnv {
  const dir = join(spec.root, `host${index}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "itd.yml"), spec.config);
  return { ...process.env, NO_COLOR: "1", ...spec.env, ITD_HOME: join(dir, "home"), ITD_CONFIG: join(dir, "itd.yml"), ITD_SCHEDULES: join(spec.root, "schedules") };
}

/** Starts daemon `index` (a process group of its own). */
export function startDaemon(spec: FleetSpec, index: number): BenchDaemon {
  const env = homeEnv(spec, index);
  const hostname = spec.hostnames?.[index];
  const [file, args] = itdArgv(["daemon"], hostname);
  const child = spawn(file, args, { cwd: spec.root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  return { index, home: env["ITD_HOME"] as string, hostname, child, log: () => out };
}

export const gone = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
export const exited = (c: ChildProcess): Promise<void> => (gone(c) ? Promise.resolve() : new Promise((r) => c.once("exit", () => r())));

/** Waits until the daemon has logged "daemon started" (or fails after `ms`). */
export async function started(d: BenchDaemon, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!/"msg":"daemon started"/.test(d.log())) {
    if (gone(d.child)) throw new Error(`daemon ${d.index} exited before it started:\n${d.log().slice(-2000)}`);
    if (Date.now() > end) throw new Error(`daemon ${d.index} did not start within ${ms / 1000} s:\n${d.log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops every daemon still running (SIGTERM, then SIGKILL of its group after 15 s). */
export async function stopAll(daemons: readonly BenchDaemon[]): Promise<void> {
  await Promise.all(
    daemons.map(async (d) => {
      if (gone(d.child)) return;
      d.child.kill("SIGTERM");
      const timer = setTimeout(() => killGroup(d.child), 15_000);
      await exited(d.child);
      clearTimeout(timer);
    }),
  );
}

/** SIGKILLs a daemon's whole process group: the daemon and its job processes, as when its host dies. */
export function killGroup(c: ChildProcess): void {
  try {
    if (c.pid !== undefined) process.kill(-c.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** The bundled fake Iterable in its own process, ready at its `listening on URL` line. */
export async function startFake(args: readonly string[]): Promise<{ url: string; child: ChildProcess; stats: () => Promise<FakeStats> }> {
  const child = spawn(process.execPath, [ITD, "fake-iterable", "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (l: string) => {
      const m = /^listening on (\S+)$/.exec(l);
      if (m?.[1]) resolve(m[1]);
      else reject(new Error(l));
    });
  });
  const stats = async (): Promise<FakeStats> => (await (await request(`${url}/_fake/stats`)).body.json()) as FakeStats;
  return { url, child, stats };
}

/** `itd ARGS` for a home; throws on a non-zero exit. */
export async function itdFor(env: NodeJS.ProcessEnv, cwd: string, args: readonly string[], hostname?: string): Promise<string> {
  const [file, argv] = itdArgv(args, hostname);
  const child = spawn(file, argv, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  await exited(child);
  if (child.exitCode !== 0) throw new Error(`itd ${args.join(" ")} exited ${String(child.exitCode)}: ${out}`);
  return out;
}

/** A cron (seconds first, UTC) whose only slot of the day is `at` (whole seconds). */
export function cronAt(at: number): string {
  const d = new Date(at);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
}
