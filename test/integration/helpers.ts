import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, beforeAll } from "vitest";
import { startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const ITD = join(ROOT, "bin", "itd");

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A schedule's jobs (oldest first) read straight from a home's state.db, for polling while a daemon runs: a look
 * costs a query instead of an itd process (half a second of CPU on a suite that is CPU-bound). Tests assert on
 * what the CLI prints once the wait is over. Empty while there is no state.db (or it is busy).
 */
export function stateJobs(home: string, schedule: string): { id: number; status: string }[] {
  const file = join(home, "state.db");
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    return db.prepare("SELECT id, status FROM jobs WHERE schedule = ? ORDER BY id").all(schedule) as { id: number; status: string }[];
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/**
 * Polls `fn` (which may be async) every 100 ms until it returns a value (not
 * undefined or false); after `timeoutMs` throws naming `what`, with the tail of `detail()`.
 */
export async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  detail: () => string = () => "",
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${detail().slice(-4000)}`);
    await sleep(100);
  }
}

/** Starts `itd daemon` in `dir` with `env` added; collects its stdout and stderr; adds it to `started` (for cleanup). */
export function spawnDaemon(dir: string, env: NodeJS.ProcessEnv, started: ChildProcess[]): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [ITD, "daemon"], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  started.push(child);
  return { child, log: () => out };
}

export function tempDir(prefix = "itd-it-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `itd ARGS` as a subprocess (the built CLI), with NO_COLOR and the given env; with `user`, as that user
 * (`runuser -u USER --`, as `sudo -u USER` would: its uid, group and supplementary groups).
 */
export function runItd(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; user?: string } = {}): Promise<CliResult> {
  const argv = opts.user === undefined ? [process.execPath, ITD, ...args] : ["runuser", "-u", opts.user, "--", process.execPath, ITD, ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface FakeProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `itd fake-iterable ARGS` as a child process and waits for its `listening on` line. */
export async function spawnFake(args: readonly string[]): Promise<FakeProcess> {
  const child = spawn(process.execPath, [ITD, "fake-iterable", "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((res, rej) => {
    lines.once("line", (line: string) => {
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (m?.[1]) res(m[1]);
      else rej(new Error(`unexpected first line from fake-iterable: ${line}`));
    });
    child.once("exit", (code) => rej(new Error(`fake-iterable exited with ${code}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once("exit", () => res());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * An incremental emailSend load.yml against `baseUrl` from `start` (two columns: created_at, message_id), its
 * key from ${ITERABLE_API_KEY}; `extra`: more `in:` lines (e.g. "  retry_limit: 0").
 */
export function incrementalSendsLoad(baseUrl: string, start: string, extra: readonly string[] = []): string {
  return [
    "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${baseUrl}`, "  data_type: export_data",
    "  export_data_type: emailSend", "  incremental: true", `  start_time: '${start}'`, ...extra,
    "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "",
  ].join("\n");
}

/** This minute's start minus `minutes`, as an RFC 3339 UTC time without milliseconds. */
export function minutesAgo(minutes: number): string {
  return new Date(Math.floor(Date.now() / 60_000) * 60_000 - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * A home of its own under a temporary directory (ITD_HOME, the API key, an export budget the fake's tests need
 * not wait for, an itd.yml with an ephemeral HTTP port) and `itd`, which runs a command there and returns its
 * stdout, throwing with its output when it fails.
 */
export function itdHome(prefix: string, apiKey: string, rateLimits = "export=1000/1s") {
  const dir = tempDir(prefix);
  const home = join(dir, "home");
  const env = { ITD_HOME: home, ITERABLE_API_KEY: apiKey, ITD_RATE_LIMITS: rateLimits, ITD_CONFIG: join(dir, "itd.yml") };
  writeFileSync(env.ITD_CONFIG, "http_port: 0\n");
  const itd = async (...args: string[]): Promise<string> => {
    const r = await runItd(args, { cwd: dir, env });
    if (r.code !== 0) throw new Error(`itd ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  return { dir, home, env, itd };
}

/** One in-process fake Iterable for a test file: started before its tests, closed after them. */
export function fakeForFile(options: FakeIterableOptions): () => FakeIterable {
  let fake: FakeIterable | undefined;
  beforeAll(async () => {
    fake = await startFakeIterable(options);
  });
  afterAll(async () => {
    await fake?.close();
  });
  return () => {
    if (fake === undefined) throw new Error("the file's fake Iterable is not started (use it inside a test)");
    return fake;
  };
}
