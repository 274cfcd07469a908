/**
 * Secrets (hardening issue 6). One end-to-end run of the built CLI and a real
 * `itd daemon` against fake Iterables: imports that succeed, a 401, servers
 * that echo the key back, a fault, a SIGKILL mid-job and the restart, config
 * and internal errors. Everything it printed, logged, served and stored is
 * then searched for the API keys (raw, URL-encoded, hex, UTF-16, base64):
 * a `${ENV}` key must be nowhere, a literal key only in its schedule's row of
 * state.db; `${ENV}` references are stored as written; the home is 0700 and
 * its files 0600.
 */
import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/clock.js";
import { parseLoadConfig } from "../../src/connector/index.js";
import { startFakeIterable, type FakeIterable } from "../../src/fake-iterable/index.js";
import { createIterableClient, RateBudgets } from "../../src/iterable/index.js";
import { createLogger } from "../../src/log.js";
import { ITD, tempDir, until } from "./helpers.js";

/** The key the load.yml files name as `${ITERABLE_API_KEY}`. */
const KEY = "sekrit-K3Y-7f9e2a1b";
/** A key written literally in a load.yml (with characters that URL-encoding changes). */
const LIT = "L1t+eral/K3Y-04c2d9e1";
/** A literal key in schedule files (outside the home); no fake accepts it. */
const FILE_LIT = "f1le-L1T-K3Y-5b6c7d8e";
/** The only key the `wrong` fake accepts. */
const OTHER = "0ther-valid-key-9d8c7b6a";

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

// ---------------------------------------------------------------------------
// Searching for a secret

/** The byte strings a secret could be written as: raw, URL-encoded, hex, UTF-16LE, and base64 at every alignment. */
function secretForms(secret: string): Map<string, Buffer> {
  const raw = Buffer.from(secret, "utf8");
  const forms = new Map<string, Buffer>([
    ["raw", raw],
    ["url-encoded", Buffer.from(encodeURIComponent(secret))],
    ["hex", Buffer.from(raw.toString("hex"))],
    ["HEX", Buffer.from(raw.toString("hex").toUpperCase())],
    ["utf16le", Buffer.from(secret, "utf16le")],
  ]);
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad), raw]).toString("base64");
    // only the characters that depend on the secret's bytes alone
    const core = b64.slice(Math.ceil((pad * 4) / 3), Math.floor(((pad + raw.length) * 4) / 3));
    forms.set(`base64@${pad}`, Buffer.from(core));
    forms.set(`base64url@${pad}`, Buffer.from(core.replace(/\+/g, "-").replace(/\//g, "_")));
  }
  return forms;
}

/** The names of the forms of `secret` that occur in `hay`. */
function formsIn(hay: Buffer | string, secret: string): string[] {
  const buf = typeof hay === "string" ? Buffer.from(hay, "utf8") : hay;
  return [...secretForms(secret)].filter(([, needle]) => buf.includes(needle)).map(([name]) => name);
}

function walk(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...walk(p));
  }
  return out;
}

/** Every text cell of every table of a SQLite file that contains `secret`, as `table.column[key]`. */
function cellsContaining(file: string, secret: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    const hits: string[] = [];
    for (const t of tables) {
      for (const row of db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]) {
        for (const [col, v] of Object.entries(row)) {
          const text = Buffer.isBuffer(v) ? v : typeof v === "string" ? v : undefined;
          if (text !== undefined && formsIn(text, secret).length > 0) hits.push(`${t}.${col}[${String(row["name"] ?? row["id"] ?? "?")}]`);
        }
      }
    }
    return hits;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------
// A server that echoes the key it is sent back in its error bodies

interface EchoServer {
  url: string;
  /** The Api-Key headers it received. */
  seen: string[];
  close(): Promise<void>;
}

/** `\uXXXX` for every character: what some JSON encoders do to anything outside ASCII, here to the whole key. */
const jsonEscapeAll = (s: string): string => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

async function startEchoServer(): Promise<EchoServer> {
  const seen: string[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const key = String(req.headers["api-key"] ?? "");
    seen.push(key);
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    const echoed = JSON.stringify({ msg: `Invalid API key: ${key} (request ${req.url ?? ""})`, code: "BadApiKey", params: { headers: req.headers } });
    switch ((req.url ?? "").split("/")[1]) {
      case "plain":
        return send(401, "application/json", echoed);
      case "slashes": // PHP's json_encode writes / as \/
        return send(401, "application/json", echoed.replace(/\//g, "\\/"));
      case "escaped":
        return send(401, "application/json", echoed.split(JSON.stringify(key).slice(1, -1)).join(jsonEscapeAll(key)));
      case "html":
        return send(200, "text/html", `<html><head><title>Sign in again, ${key}</title></head><body>${key}</body></html>`);
      default:
        return send(400, "text/plain", `bad key ${key} for ${req.url ?? ""}`);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

// ---------------------------------------------------------------------------
// The run

let fake: FakeIterable; // accepts KEY
let wrong: FakeIterable; // accepts only OTHER: KEY gets 401
let faulty: FakeIterable; // every export answers 500
let slow: FakeIterable; // slow exports, for the SIGKILL mid-job
let litFake: FakeIterable; // accepts LIT
let echo: EchoServer;

let dir: string;
let home: string;
let env: Record<string, string>;
let port: number;
/** Everything the run printed or served, by label. */
const captured = new Map<string, string>();
const children: ChildProcess[] = [];

const outputs = (): [string, string][] => [...captured];

function record(label: string, text: string): string {
  captured.set(label, (captured.get(label) ?? "") + text);
  return text;
}

/** `itd ARGS` under umask 022 (the usual default), in `dir`, with `env`. */
function spawnItd(args: readonly string[]): ChildProcess {
  const child = spawn("/bin/sh", ["-c", 'umask 022 && exec "$0" "$@"', process.execPath, ITD, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return child;
}

interface Run {
  code: number | null;
  out: string;
}

/** Runs `itd ARGS` to its end; its stdout and stderr are recorded under `label`. */
function itd(label: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnItd(args);
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      record(label, `$ itd ${args.join(" ")}\n${out}\n`);
      resolve({ code, out });
    });
  });
}

interface DaemonRun {
  child: ChildProcess;
  log(): string;
  exited: Promise<number | null>;
}

function startDaemon(label: string): DaemonRun {
  const child = spawnItd(["daemon", "--log-level", "debug"]);
  let out = "";
  const onData = (d: Buffer): void => {
    out += d.toString();
    record(label, d.toString());
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, log: () => out, exited };
}

interface JobRow {
  id: number;
  schedule: string | null;
  kind: string;
  database_name: string;
  status: string;
  error: string | null;
  config: string;
  pid: number | null;
}

/** The jobs and job logs as state.db has them now (read-only). */
function stateDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(join(home, "state.db"), { readonly: true, timeout: 5_000 });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const jobsOf = (schedule: string): JobRow[] =>
  stateDb((db) => db.prepare("SELECT * FROM jobs WHERE schedule = ? ORDER BY id").all(schedule) as JobRow[]);
const allJobs = (): JobRow[] => stateDb((db) => db.prepare("SELECT * FROM jobs ORDER BY id").all() as JobRow[]);
const jobLog = (id: number): string =>
  stateDb((db) => (db.prepare("SELECT message FROM job_logs WHERE job_id = ? ORDER BY seq").all(id) as { message: string }[]).map((r) => r.message).join("\n"));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface HomeSnapshot {
  when: string;
  /** Mode of every directory and file, by path relative to the home (`.` = the home). */
  modes: Record<string, number>;
  /** Content of every file. */
  files: Map<string, Buffer>;
}

/**
 * The home as it is now. Taken mid-run too: a clean stop checkpoints and
 * removes the -wal and -shm files, whose content and modes count as well.
 */
const snapshots: HomeSnapshot[] = [];
function snapshotHome(when: string): void {
  const modes: Record<string, number> = { ".": statSync(home).mode & 0o777 };
  const files = new Map<string, Buffer>();
  for (const p of walk(home)) {
    const st = statSync(p);
    modes[relative(home, p)] = st.mode & 0o777;
    if (st.isFile()) files.set(relative(home, p), readFileSync(p));
  }
  snapshots.push({ when, modes, files });
}

async function fetchText(label: string, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return record(label, `GET ${path} ${res.status}\n${await res.text()}\n`);
}

function loadYml(o: { key: string; url: string; start: number; end?: number; incremental?: boolean; columns?: boolean; more?: string[] }): string {
  return [
    "in:",
    "  type: iterable",
    `  api_key: ${o.key}`,
    `  base_url: ${o.url}`,
    "  data_type: export_data",
    "  export_data_type: emailOpen",
    `  start_time: '${iso(o.start)}'`,
    ...(o.end !== undefined ? [`  end_time: '${iso(o.end)}'`] : []),
    ...(o.incremental ? ["  incremental: true"] : []),
    ...(o.more ?? []).map((l) => `  ${l}`),
    ...(o.columns === false ? [] : ["  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}"]),
    "",
  ].join("\n");
}

const write = (name: string, text: string): void => writeFileSync(join(dir, name), text);
const ENV_REF = "${ITERABLE_API_KEY}";
/** The databases of the jobs whose load.yml has a literal key. */
const LITERAL_DBS = new Set(["lit_db", "err_lit_db", "file_db"]);
const FAST_FAIL = ["retry_limit: 1", "initial_retry_wait: 10", "max_retry_wait: 20"];
const ECHO_MODES = ["plain", "slashes", "escaped", "html", "text"] as const;
/** The schedules whose `connector:show` is searched: ${ENV} and literal keys, made with the CLI and by a file. */
const SHOWN_SCHEDULES = ["good", "lit", "file_lit"] as const;

let guessedEnvFile = "";
let guessedLitFile = "";
let crashJobId = 0;

beforeAll(async () => {
  echo = await startEchoServer();
});

afterAll(async () => {
  // For a failing run: what each command printed, next to the home it used.
  if (dir !== undefined) writeFileSync(join(dir, "captured.txt"), outputs().map(([l, t]) => `==== ${l}\n${t}`).join("\n"));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all([fake, wrong, faulty, slow, litFake].map((f) => f?.close()));
  await echo.close();
});

describe("secrets in what the Iterable client and the config reader report", () => {
  it("redacts a server's echo of the key however it encodes it: JSON, JSON with \\/ or \\u escapes, an HTML page, plain text", async () => {
    const leaks: string[] = [];
    for (const key of [KEY, LIT]) {
      for (const mode of ECHO_MODES) {
        let logs = "";
        const logger = createLogger({ level: "trace", destination: { write: (line: string) => void (logs += line) } });
        const client = createIterableClient({
          apiKey: key,
          baseUrl: `${echo.url}/${mode}/`,
          retry: { retryLimit: 1, initialRetryWait: 1, maxRetryWait: 2 },
          budgets: new RateBudgets(systemClock),
          logger,
        });
        const err: unknown = await client.lists().then(
          () => undefined,
          (e: unknown) => e,
        );
        await client.close();
        expect(err).toBeInstanceOf(Error);
        // Everything a log, a job record or a crash could show of the error.
        const text = [(err as Error).message, (err as Error).stack, inspect(err, { depth: 10, showHidden: true }), JSON.stringify(err), logs].join("\n");
        for (const f of formsIn(text, key)) leaks.push(`${mode} (${key === KEY ? "env" : "literal"}): ${f}`);
        expect((err as Error).message).toContain("***");
      }
    }
    expect(echo.seen.filter((k) => k === LIT).length).toBeGreaterThanOrEqual(ECHO_MODES.length);
    expect(leaks).toEqual([]);
  });

  it("names where a literal key is wrong in a load.yml, never its value", () => {
    const base = loadYml({ key: LIT, url: "http://127.0.0.1:9", start: Date.UTC(2025, 0, 1) });
    const broken: Record<string, string> = {
      "a misspelt key": base.replace("api_key:", "apikey:"),
      "a list": base.replace(`api_key: ${LIT}`, `api_key: [${LIT}]`),
      "a mapping": base.replace(`api_key: ${LIT}`, `api_key: {value: ${LIT}}`),
      "a number after it": base.replace(`api_key: ${LIT}`, `api_key: ${LIT}\n  retry_limit: lots`),
      "an unterminated quote": base.replace(`api_key: ${LIT}`, `api_key: "${LIT}`),
      "a tab": base.replace(`api_key: ${LIT}`, `api_key: ${LIT}\n\tslice_hours: 2`),
      "an unknown export type": base.replace("export_data_type: emailOpen", "export_data_type: nope"),
    };
    const leaks: string[] = [];
    for (const [what, text] of Object.entries(broken)) {
      let err: unknown;
      try {
        parseLoadConfig(text, "load.yml", { ITERABLE_API_KEY: KEY });
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(Error);
      const shown = [(err as Error).message, (err as Error).stack, inspect(err, { depth: 10, showHidden: true })].join("\n");
      for (const f of formsIn(shown, LIT)) leaks.push(`${what}: ${f}`);
    }
    expect(leaks).toEqual([]);
  });
});

describe("secrets in everything one run of the CLI and the daemon printed, served and stored", () => {
  beforeAll(async () => {
    fake = await startFakeIterable({ apiKey: KEY, seed: 11, eventsPerDay: 20_000, rateLimits: false });
    wrong = await startFakeIterable({ apiKey: OTHER, rateLimits: false });
    faulty = await startFakeIterable({ apiKey: KEY, rateLimits: false, faults: ["export:500@100%"] });
    slow = await startFakeIterable({ apiKey: KEY, seed: 12, eventsPerDay: 4_000, rateLimits: false, faults: ["export.json:slow=400@100%"] });
    litFake = await startFakeIterable({ apiKey: LIT, seed: 13, eventsPerDay: 20_000, rateLimits: false });

    dir = tempDir("itd-secrets-");
    home = join(dir, "home");
    port = await freePort();
    env = {
      ITD_HOME: home,
      ITD_CONFIG: join(dir, "itd.yml"),
      ITD_SCHEDULES: join(dir, "schedules"),
      ITERABLE_API_KEY: KEY,
      ITD_RATE_LIMITS: "export=1000/1s",
    };
    write("itd.yml", `http_port: ${port}\nshutdown_grace: 1\nmax_concurrent_jobs: 4\nlog_level: debug\n`);

    const now = Date.now();
    const day = Math.floor(now / 3_600_000) * 3_600_000 - 86_400_000;
    const recent = Math.floor(now / 1000) * 1000 - 60_000;
    const window = { start: Date.UTC(2025, 0, 1), end: Date.UTC(2025, 0, 1, 3) };

    write("seed.yml", loadYml({ key: ENV_REF, url: fake.url, ...window, columns: false }));
    write("load.yml", loadYml({ key: ENV_REF, url: fake.url, ...window }));
    write("bad-key.yml", loadYml({ key: ENV_REF, url: wrong.url, ...window }));
    write("fault.yml", loadYml({ key: ENV_REF, url: faulty.url, ...window, more: FAST_FAIL }));
    write("echo-plain.yml", loadYml({ key: ENV_REF, url: `${echo.url}/plain/`, ...window, more: FAST_FAIL }));
    write("echo-escaped-lit.yml", loadYml({ key: LIT, url: `${echo.url}/escaped/`, ...window, more: FAST_FAIL }));
    write("seed-lit.yml", loadYml({ key: LIT, url: litFake.url, ...window, columns: false }));
    write("lit-yaml.yml", loadYml({ key: `"${LIT}`, url: litFake.url, ...window }));

    // Foreground commands.
    await itd("guess (env)", ["connector:guess", "seed.yml", "-o", "guessed.yml"]);
    guessedEnvFile = readFileSync(join(dir, "guessed.yml"), "utf8");
    await Promise.all([
      itd("guess (literal)", ["connector:guess", "seed-lit.yml", "-o", "guessed-lit.yml"]).then(() => {
        guessedLitFile = readFileSync(join(dir, "guessed-lit.yml"), "utf8");
      }),
      itd("preview (env)", ["connector:preview", "load.yml"]),
      itd("issue (env)", ["connector:issue", "load.yml", "--database", "issue_db", "--table", "opens", "--auto-create-table"]),
      itd("issue fault (env)", ["connector:issue", "fault.yml", "--database", "fault_db", "--table", "opens", "--auto-create-table", "-f", "json", "--verbose"]),
      itd("preview echo plain (env)", ["connector:preview", "echo-plain.yml", "--verbose"]),
      itd("issue echo escaped (literal)", ["connector:issue", "echo-escaped-lit.yml", "--database", "err_lit_db", "--table", "echo_lit", "--auto-create-table", "--verbose"]),
      itd("config error yaml (literal)", ["connector:preview", "lit-yaml.yml", "--verbose"]),
    ]);

    // Schedules: made with the CLI (stored in state.db) and as a file (outside the home).
    write("good.yml", loadYml({ key: ENV_REF, url: fake.url, start: recent, incremental: true }));
    write("lit-sched.yml", loadYml({ key: LIT, url: litFake.url, start: recent, incremental: true }));
    write("crash.yml", loadYml({ key: ENV_REF, url: slow.url, start: day, incremental: true, more: ["slice_hours: 2"] }));
    write("echo-sched.yml", loadYml({ key: ENV_REF, url: `${echo.url}/plain/`, start: recent, incremental: true, more: FAST_FAIL }));
    const created = await Promise.all([
      itd("create good", ["connector:create", "good", "*/4 * * * * *", "good_db", "opens", "good.yml", "--auto-create-table", "--catchup", "none"]),
      itd("create lit", ["connector:create", "lit", "*/4 * * * * *", "lit_db", "opens", "lit-sched.yml", "--auto-create-table", "--catchup", "none"]),
      itd("create badkey", ["connector:create", "badkey", "", "bad_db", "opens", "bad-key.yml", "--auto-create-table"]),
      itd("create echoed", ["connector:create", "echoed", "", "echo_db", "opens", "echo-sched.yml", "--auto-create-table"]),
      itd("create crash", ["connector:create", "crash", "", "crash_db", "opens", "crash.yml", "--auto-create-table", "--priority", "2"]),
    ]);
    expect(created.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
    mkdirSync(join(dir, "schedules"));
    const inline = loadYml({ key: FILE_LIT, url: fake.url, ...window }).split("\n").map((l) => (l === "" ? l : `  ${l}`)).join("\n");
    write("schedules/file_lit.yml", `name: file_lit\ncron: ''\ndatabase: file_db\ntable: opens\nconfig:\n${inline}`);
    write("schedules/file_broken.yml", `name: file_broken\ncron: 'nope'\ndatabase: file_db\ntable: opens\ndelay: -1\nconfig:\n${inline}`);

    const slot = Math.floor(Date.now() / 1000);
    await Promise.all([
      itd("run badkey foreground", ["connector:run", "badkey", String(slot - 10), "--foreground"]),
      ...["echoed", "file_lit"].map((name) => itd(`run ${name}`, ["connector:run", name, String(slot)])),
    ]);

    // Daemon A runs everything, then is SIGKILLed while `crash` is importing.
    const a = startDaemon("daemon A");
    const jobsSoFar = (): string => JSON.stringify(allJobs().map((j) => [j.id, j.schedule, j.status]));
    await until(
      "the jobs of daemon A",
      () => {
        if (!existsSync(join(home, "state.db"))) return undefined;
        const ok = (s: string): boolean => jobsOf(s).some((j) => j.status === "success");
        const failed = (s: string): boolean => jobsOf(s).some((j) => j.status === "error");
        return (ok("good") && ok("lit") && failed("echoed") && failed("file_lit")) || undefined;
      },
      60_000,
      () => `${jobsSoFar()}\n${a.log()}`,
    );
    await itd("run crash", ["connector:run", "crash", String(slot)]);
    const crashRunning = await until(
      "the crash job to commit its first slice",
      () => jobsOf("crash").find((j) => j.status === "running" && /committed/.test(jobLog(j.id))),
      30_000,
      () => `${jobsSoFar()}\n${a.log()}`,
    );
    crashJobId = crashRunning.id;
    await fetchText("daemon A /metrics", "/metrics");
    await fetchText("daemon A /healthz", "/healthz");
    a.child.kill("SIGKILL");
    record("daemon A", `\n(exit ${String(await a.exited)})\n`);
    const jobPid = crashRunning.pid ?? 0;
    await until("the orphaned job process to exit", () => !isAlive(jobPid) || undefined, 10_000);
    snapshotHome("after SIGKILL");
    slow.clearFaults();

    // Daemon B recovers the interrupted job and retries its slot.
    const b = startDaemon("daemon B");
    await until(
      "the crash slot retried",
      () => (jobsOf("crash").some((j) => j.status === "success") && /interrupted/.test(b.log()) ? true : undefined),
      40_000,
      () => b.log(),
    );
    await fetchText("daemon B /metrics", "/metrics");
    await fetchText("daemon B /healthz", "/healthz");
    snapshotHome("daemon B running");
    b.child.kill("SIGTERM");
    record("daemon B", `\n(exit ${String(await b.exited)})\n`);

    // What the CLI shows afterwards: lists, schedules, and the log of a job of each kind of run and outcome
    // (every job's log is in state.db, searched byte by byte below).
    const jobs = allJobs();
    const firstJob = (p: (j: JobRow) => boolean): number[] => jobs.filter(p).slice(0, 1).map((j) => j.id);
    const shown = new Set([
      crashJobId,
      ...["echoed", "file_lit"].flatMap((n) => firstJob((j) => j.schedule === n && j.status === "error")),
      ...firstJob((j) => j.schedule === "lit" && j.status === "success"),
      ...firstJob((j) => j.database_name === "err_lit_db"),
    ]);
    await Promise.all([
      itd("job:list json", ["job:list", "-l", "1000", "-f", "json"]),
      itd("connector:list", ["connector:list"]),
      itd("connector:history json crash", ["connector:history", "crash", "-n", "1000", "-f", "json"]),
      itd("__job unknown", ["__job", "999999", "--verbose"]),
      itd("home error", ["job:list", "--home", "seed.yml", "--verbose"]), // the home is a file: an error with its stack trace
      ...SHOWN_SCHEDULES.map((n) => itd(`connector:show ${n}`, ["connector:show", n])),
    ]);
    await Promise.all([...shown].map((id) => itd(`job:show ${id}`, ["job:show", String(id), "-v"])));
    snapshotHome("after the run");
  }, 150_000);

  it("produced the runs whose output is searched: successes, a 401, echoes of the key, a fault, a SIGKILL and its recovery, errors", () => {
    const out = (label: string): string => captured.get(label) ?? "";
    const last = (s: string): JobRow | undefined => jobsOf(s).at(-1);
    expect(out("guess (env)")).toMatch(/Guessed configuration/);
    expect(out("preview (env)")).toMatch(/message_id/);
    expect(out("issue (env)")).toMatch(/Status\s+: success/);
    expect(out("issue fault (env)")).toMatch(/"status": "error"[\s\S]*500 GenericError/);
    expect(out("run badkey foreground")).toMatch(/401 BadApiKey/);
    expect(jobsOf("good").some((j) => j.kind === "scheduled" && j.status === "success")).toBe(true);
    expect(jobsOf("lit").some((j) => j.kind === "scheduled" && j.status === "success")).toBe(true);
    expect(last("badkey")?.error).toMatch(/401 BadApiKey/);
    expect(last("file_lit")?.error).toMatch(/401 BadApiKey/);
    // The echo server got the keys and sent them back: the searches below are not vacuous.
    expect(echo.seen).toContain(KEY);
    expect(echo.seen).toContain(LIT);
    expect(last("echoed")?.error).toContain("Invalid API key: ***");
    expect(out("preview echo plain (env)")).toContain("Invalid API key: ***");
    expect(out("issue echo escaped (literal)")).toContain("Invalid API key: ***");
    expect(out("issue echo escaped (literal)")).toMatch(/"level":"debug",.*"msg":"iterable request"/); // --verbose: the client's debug log
    // The SIGKILLed job: marked interrupted by the next daemon, its slot retried to success.
    expect(jobsOf("crash").find((j) => j.id === crashJobId)?.error).toMatch(/interrupted/);
    expect(jobsOf("crash").some((j) => j.status === "success")).toBe(true);
    expect(out("daemon A")).toMatch(/"level":"debug",/);
    expect(out("daemon A")).toMatch(/file_broken\.yml/);
    expect(out("daemon B")).toMatch(/job interrupted by a dead process/);
    expect(out("daemon B /metrics")).toMatch(/^itd_schedules\{source="cli"\} 5$/m);
    expect(out("daemon B /metrics")).toMatch(/^itd_schedules\{source="file"\} 1$/m);
    expect(out("daemon B /healthz")).toMatch(/"status":"ok"/);
    expect(out("config error yaml (literal)")).toMatch(/lit-yaml\.yml:\d+:\d+: [\s\S]*\n\s+at /);
    expect(out("connector:list")).toMatch(/file_broken\.yml/);
    expect(out("__job unknown")).toMatch(/^Error: [\s\S]*\n\s+at /m);
    expect(out("home error")).toMatch(/^Error: the home \S*seed\.yml is not a directory \(a file is there\)[\s\S]*\n\s+at /m);
    expect(out(`job:show ${crashJobId}`)).toMatch(/Error\s+: interrupted/);
    for (const n of SHOWN_SCHEDULES) expect(out(`connector:show ${n}`)).toMatch(/api_key: /);
  });

  it("never prints, logs, serves or stores the ${ENV} key: no form of it in any output or any file of the run's directory, home included", () => {
    const leaks: string[] = [];
    let bytes = 0;
    for (const [label, text] of outputs()) {
      bytes += Buffer.byteLength(text);
      for (const f of formsIn(text, KEY)) leaks.push(`${label}: ${f}`);
    }
    const files = walk(dir).filter((p) => statSync(p).isFile());
    for (const p of files) {
      const buf = readFileSync(p);
      bytes += buf.length;
      for (const f of formsIn(buf, KEY)) leaks.push(`${relative(dir, p)}: ${f}`);
    }
    for (const { when, files: content } of snapshots) {
      for (const [p, buf] of content) {
        bytes += buf.length;
        for (const f of formsIn(buf, KEY)) leaks.push(`home/${p} (${when}): ${f}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(files.map((p) => relative(dir, p))).toEqual(expect.arrayContaining(["home/state.db", "home/warehouse/good_db.db", "home/warehouse/crash_db.db"]));
    // The home right after the SIGKILL is searched too (its WAL when one is left: a job process closing last checkpoints it).
    expect(snapshots[0]?.files.get("state.db")?.length).toBeGreaterThan(0);
    expect(bytes).toBeGreaterThan(1_000_000);
  });

  it("stores ${ITERABLE_API_KEY} as written in schedules and jobs, and guess writes it as written", () => {
    const good = stateDb((db) => db.prepare("SELECT config FROM schedules WHERE name = 'good'").get() as { config: string });
    expect((JSON.parse(good.config) as { in: { api_key: string } }).in.api_key).toBe(ENV_REF);
    const envJobs = allJobs().filter((j) => !LITERAL_DBS.has(j.database_name));
    expect(envJobs.length).toBeGreaterThan(5);
    for (const j of envJobs) expect(j.config).toContain(`api_key: "${ENV_REF}"`);
    expect(guessedEnvFile).toContain(`api_key: "${ENV_REF}"`);
  });

  it("keeps a literal api_key only in its schedule's row of state.db: every output, job config and log shows *** instead", () => {
    const leaks: string[] = [];
    for (const [label, text] of outputs()) for (const f of formsIn(text, LIT)) leaks.push(`${label}: ${f}`);
    let inStateFiles = false;
    for (const { when, files } of snapshots) {
      for (const [p, buf] of files) {
        const found = formsIn(buf, LIT);
        // state.db's pages hold it (the schedule's row): checked cell by cell below
        if (p === "state.db" || p === "state.db-wal") inStateFiles ||= found.includes("raw");
        else for (const f of found) leaks.push(`${p} (${when}): ${f}`);
      }
    }
    expect(leaks).toEqual([]);
    // Where it is: the one row that needs it to run; jobs keep ***.
    expect(inStateFiles).toBe(true);
    expect(cellsContaining(join(home, "state.db"), LIT)).toEqual(["schedules.config[lit]"]);
    const litJobs = allJobs().filter((j) => LITERAL_DBS.has(j.database_name));
    expect(litJobs.length).toBeGreaterThan(1);
    for (const j of litJobs) expect(j.config).toContain('api_key: "***"');
    expect(captured.get("connector:show lit")).toContain('api_key: "***"');
    expect(captured.get("guess (literal)")).toContain('api_key: "***"');
    // The file guess writes is the user's load.yml: it keeps the key, readable by its owner only.
    expect(guessedLitFile).toContain(`api_key: ${LIT}`);
    expect(statSync(join(dir, "guessed-lit.yml")).mode & 0o777).toBe(0o600);
  });

  it("keeps the literal key of a schedule file out of the home and every output", () => {
    const leaks: string[] = [];
    for (const [label, text] of outputs()) for (const f of formsIn(text, FILE_LIT)) leaks.push(`${label}: ${f}`);
    for (const { when, files } of snapshots) for (const [p, buf] of files) for (const f of formsIn(buf, FILE_LIT)) leaks.push(`${p} (${when}): ${f}`);
    expect(leaks).toEqual([]);
    const fileJobs = jobsOf("file_lit");
    expect(fileJobs.length).toBeGreaterThan(0);
    for (const j of fileJobs) expect(j.config).toContain('api_key: "***"');
  });

  it("makes the home and warehouse 0700 and state.db, the warehouse databases and their -wal and -shm 0600 under umask 022", () => {
    const loose: string[] = [];
    for (const { when, modes } of snapshots) {
      for (const [p, m] of Object.entries(modes)) {
        const want = p === "." || p === "warehouse" ? 0o700 : 0o600;
        if (m !== want) loose.push(`${when}: ${p} is ${m.toString(8)}`);
      }
    }
    expect(loose).toEqual([]);
    const seen = new Set(snapshots.flatMap((s) => Object.keys(s.modes)));
    expect([...seen]).toEqual(expect.arrayContaining([".", "warehouse", "state.db", "state.db-wal", "state.db-shm", "warehouse/good_db.db", "warehouse/crash_db.db", "warehouse/crash_db.db-wal", "warehouse/crash_db.db-shm"]));
  });
});
