/**
 * The home the CLI benchmark (issue 11) reads: 10,000 schedules and 1,000,000
 * jobs in state.db, and a few warehouse databases, written only through the
 * store's and the warehouse's own API (as `connector:create`, the daemon's
 * claims and job processes write them), so the figures hold whatever the CLI
 * becomes. Built once and cached under `bench-results/cli-home/`, keyed by
 * BUILDER_VERSION and the sizes; a missing or half-built copy is built again.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { thisHost } from "../src/pid.js";
import { join } from "node:path";
import { FakeClock } from "../src/clock.js";
import { configDiffFor, serializeLoadConfig, validateLoadConfig } from "../src/connector/index.js";
import { checkCron, checkScheduleName, SlotCalculator, validateTimezone } from "../src/schedule/index.js";
import { openStore, scheduleStream, type Catchup, type JobEnd, type Store } from "../src/store/index.js";
import { openSqliteWarehouse } from "../src/warehouse/index.js";
import { fmt } from "./stats.js";

/** Bump whenever what the builder writes changes: the cached home is then built again. */
export const BUILDER_VERSION = 1;

export interface CliHomeOptions {
  /** The cache folder (`bench-results/cli-home`). */
  cacheDir: string;
  schedules: number;
  jobs: number;
}

/** What the benchmark needs to know about a built home (its manifest.json). */
export interface CliHome {
  home: string;
  schedules: number;
  jobs: number;
  queued: number;
  databases: number;
  tables: number;
  /** An export schedule with a cursor and the most jobs (connector:show, connector:history). */
  busiest: { name: string; jobs: number };
  /** A successful export job (it has a config diff) about halfway through history (job:show). */
  jobId: number;
  stateDbMb: number;
  buildSeconds: number;
  builtAt: string;
  /** False when this run built it. */
  cached: boolean;
}

const ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Europe/Berlin"] as const;
const DATABASES = ["marketing", "crm", "analytics", "lifecycle"] as const;
const EXPORT_TYPES = ["emailSend", "emailOpen", "emailClick", "pushSend", "smsSend", "user"] as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Cron kinds, with a mean interval (to find the last slots) and a weight for how many jobs history holds. */
interface Kind {
  label: string;
  cron: (r: () => number) => string;
  periodMs: number;
  jobWeight: number;
  share: number;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

const KINDS: readonly Kind[] = [
  { label: "every minute", cron: () => "* * * * *", periodMs: 60_000, jobWeight: 300, share: 3 },
  { label: "*/N minutes", cron: (r) => `*/${pick(r, [5, 10, 15, 30])} * * * *`, periodMs: 15 * 60_000, jobWeight: 250, share: 10 },
  { label: "hourly", cron: (r) => `${int(r, 0, 59)} * * * *`, periodMs: HOUR, jobWeight: 200, share: 15 },
  { label: "@hourly", cron: () => "@hourly", periodMs: HOUR, jobWeight: 200, share: 3 },
  { label: "every N hours", cron: (r) => `${int(r, 0, 59)} */${pick(r, [2, 3, 4, 6, 12])} * * *`, periodMs: 4 * HOUR, jobWeight: 120, share: 12 },
  { label: "with seconds", cron: (r) => `${int(r, 0, 59)} ${int(r, 0, 59)} * * * *`, periodMs: HOUR, jobWeight: 200, share: 2 },
  { label: "daily", cron: (r) => `${int(r, 0, 59)} ${int(r, 0, 23)} * * *`, periodMs: DAY, jobWeight: 60, share: 25 },
  { label: "daily at 02:30 (DST)", cron: () => "30 2 * * *", periodMs: DAY, jobWeight: 60, share: 3 },
  { label: "@daily", cron: () => "@daily", periodMs: DAY, jobWeight: 60, share: 3 },
  { label: "twice daily", cron: (r) => { const h = int(r, 0, 11); return `${int(r, 0, 59)} ${h},${h + 12} * * *`; }, periodMs: DAY / 2, jobWeight: 80, share: 8 },
  { label: "weekdays 9-17", cron: (r) => `${int(r, 0, 59)} 9-17 * * 1-5`, periodMs: 4 * HOUR, jobWeight: 120, share: 6 },
  { label: "weekly", cron: (r) => `${int(r, 0, 59)} ${int(r, 0, 23)} * * ${int(r, 0, 6)}`, periodMs: 7 * DAY, jobWeight: 20, share: 5 },
  { label: "monthly", cron: (r) => `${int(r, 0, 59)} ${int(r, 0, 23)} ${int(r, 1, 28)} * *`, periodMs: 31 * DAY, jobWeight: 8, share: 3 },
  { label: "none (connector:run only)", cron: () => "", periodMs: 3 * DAY, jobWeight: 5, share: 2 },
];

/** A small seeded PRNG (mulberry32): the same home from the same version. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Source = "export" | "list" | "campaign";

/** A schedule as the builder made it, and the slots its history holds. */
interface Plan {
  index: number;
  id: number;
  name: string;
  cron: string;
  timezone: string;
  paused: boolean;
  database: string;
  table: string;
  delay: number;
  priority: number;
  source: Source;
  configText: string;
  slots: number[];
}

/** A load config document as `connector:guess` writes them (the README's load.yml), for one source. */
function loadDocument(r: () => number, source: Source, i: number): { doc: unknown; table: string; timeColumn: string | null } {
  const head = { type: "iterable", api_key: "${ITERABLE_API_KEY}", region: pick(r, ["us", "us", "eu"]) };
  if (source === "export") {
    const type = pick(r, EXPORT_TYPES);
    const columns = type === "user"
      ? [{ name: "email", type: "string" }, { name: "user_id", type: "string" }, { name: "signup_date", type: "timestamp" }, { name: "profile", type: "json" }]
      : [{ name: "created_at", type: "timestamp" }, { name: "message_id", type: "string" }, { name: "email", type: "string" }, { name: "campaign_id", type: "long" }, { name: "template_id", type: "long" }];
    const doc = { in: { ...head, data_type: "export_data", export_data_type: type, incremental: true, start_time: "2026-01-01T00:00:00Z", columns }, out: { mode: "append" } };
    return { doc, table: type.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), timeColumn: type === "user" ? null : "created_at" };
  }
  if (source === "list") {
    const doc = { in: { ...head, data_type: "list", list_id: 100_000 + (i % 5000), columns: [{ name: "list_id", type: "long" }, { name: "email", type: "string" }] }, out: { mode: "replace" } };
    return { doc, table: "list_members", timeColumn: null };
  }
  const columns = [
    { name: "id", type: "long" }, { name: "name", type: "string" }, { name: "type", type: "string" }, { name: "campaign_state", type: "string" },
    { name: "created_at", type: "timestamp" }, { name: "total_email_sends", type: "long" }, { name: "unique_email_opens", type: "long" },
  ];
  const doc = { in: { ...head, data_type: "campaign", campaign_ids: `${2_000_000 + i},${2_000_001 + i}`, number_of_ids_for_each_request: 20, columns }, out: { mode: "replace" } };
  return { doc, table: "campaigns", timeColumn: null };
}

/** The last `n` slots at or before `end` (a cron), or `n` manual runs a few days apart (no cron). */
function lastSlots(calc: SlotCalculator, r: () => number, cron: string, tz: string, periodMs: number, end: number, n: number): number[] {
  if (cron === "") return Array.from({ length: n }, (_, k) => end - (n - k) * 3 * DAY - int(r, 0, 23) * HOUR);
  for (let span = Math.max(periodMs * n * 1.5, 2 * HOUR); ; span *= 2) {
    const slots = calc.between(cron, tz, end - span, end, Number.MAX_SAFE_INTEGER);
    if (slots.length >= n || span > 20 * 366 * DAY) return slots.slice(-n);
  }
}

/** Splits `total` in proportion to `weights` (at least 1 each), exactly. */
function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((w / sum) * total)));
  let left = total - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; left !== 0; i = (i + 1) % counts.length) {
    if (left < 0 && (counts[i] as number) <= 1) continue;
    counts[i] = (counts[i] as number) + Math.sign(left);
    left -= Math.sign(left);
  }
  return counts;
}

function createSchedules(store: Store, r: () => number, count: number): { plans: Plan[]; kinds: Kind[] } {
  const shares = KINDS.reduce((a, k) => a + k.share, 0);
  const plans: Plan[] = [];
  const kinds: Kind[] = [];
  const env = { ITERABLE_API_KEY: "bench-key" };
  store.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      let x = r() * shares;
      const kind = KINDS.find((k) => (x -= k.share) < 0) ?? (KINDS[0] as Kind);
      const source: Source = pick(r, ["export", "export", "list", "campaign"] as const);
      const timezone = validateTimezone(ZONES[i % ZONES.length] as string);
      const cron = checkCron(kind.cron(r));
      const { doc, table, timeColumn } = loadDocument(r, source, i);
      const config = validateLoadConfig(doc, `schedule ${i}`, env);
      const database = DATABASES[i % DATABASES.length] as string;
      const name = checkScheduleName(`${source}_${table}_${String(i).padStart(5, "0")}`);
      const isPaused = r() < 0.02;
      const created = store.schedules.create({
        name, cron, timezone, delay: pick(r, [0, 0, 60, 600]), database, table, timeColumn, priority: pick(r, [0, 0, 0, 1, -1, 2]),
        catchup: pick(r, ["all", "latest", "latest", "none"] as Catchup[]), config: doc, paused: isPaused,
      });
      plans.push({
        index: i, id: created.id, name, cron, timezone, paused: isPaused, database, table, delay: created.delay, priority: created.priority, source,
        configText: serializeLoadConfig(config, { redact: true }), slots: [],
      });
      kinds.push(kind);
    }
  })();
  return { plans, kinds };
}

const ERRORS = [
  "Iterable API error: 429 Too Many Requests on GET /api/export/data.json (gave up after 5 retries)",
  "interrupted: the process running this job died",
  "Iterable rejected the API key (401 Unauthorized): check in.api_key and in.region",
  "Iterable API error: 502 Bad Gateway on GET /api/lists/getUsers (gave up after 5 retries)",
];
const KILLS = ["job_timeout of 12h was exceeded", "killed by job:kill"];

/** A finished job's end: mostly success, some error, a few killed. */
function jobEnd(r: () => number, p: Plan, slot: number): JobEnd {
  const x = r();
  const records = p.source === "campaign" ? int(r, 20, 400) : p.source === "list" ? int(r, 1_000, 200_000) : int(r, 0, 50_000);
  if (x < 0.9) {
    const diff = p.source === "export" ? JSON.stringify(configDiffFor(slot)) : null;
    return { status: "success", records, skippedRecords: r() < 0.05 ? int(r, 1, 20) : 0, bytes: records * int(r, 200, 400), configDiff: diff };
  }
  if (x < 0.97) return { status: "error", records: 0, skippedRecords: 0, bytes: 0, error: pick(r, ERRORS) };
  return { status: "killed", records: Math.floor(records / 2), skippedRecords: 0, bytes: records * 150, error: pick(r, KILLS) };
}

/** Every job of history in the order of its slot: `ofPlan` -1 is a one-off connector:issue; `nth` is which of its schedule's slots. */
interface History {
  when: Float64Array;
  ofPlan: Int32Array;
  nth: Int32Array;
  order: number[];
}

/** Gives each schedule its last slots (more for frequent crons), plus 1 % one-off jobs, `jobs` in all. */
function planHistory(plans: Plan[], kinds: readonly Kind[], jobs: number, r: () => number, end: number): History {
  const issueJobs = Math.floor(jobs / 100);
  const counts = apportion(kinds.map((k) => k.jobWeight), jobs - issueJobs);
  const calc = new SlotCalculator();
  plans.forEach((p, i) => (p.slots = lastSlots(calc, r, p.cron, p.timezone, (kinds[i] as Kind).periodMs, end, counts[i] as number)));
  const total = plans.reduce((a, p) => a + p.slots.length, 0) + issueJobs;
  if (total !== jobs) throw new Error(`bench home: planned ${total} jobs, not ${jobs}`);
  const when = new Float64Array(total);
  const ofPlan = new Int32Array(total).fill(-1);
  const nth = new Int32Array(total);
  let k = 0;
  plans.forEach((p, i) => p.slots.forEach((slot, j) => { when[k] = slot; ofPlan[k] = i; nth[k++] = j; }));
  for (; k < total; k++) when[k] = end - int(r, 0, 90) * DAY - int(r, 0, DAY);
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => (when[a] as number) - (when[b] as number) || a - b);
  return { when, ofPlan, nth, order };
}

/**
 * Writes history oldest first, 20,000 jobs a transaction, as it would have
 * been written: a finished job is created running and finished at its end;
 * the latest slot of every 5th running schedule stays queued (no daemon
 * drains it here); the newest success of each export schedule commits its
 * cursor as a job process does (start with the stream's lease, advance,
 * finish).
 */
function writeHistory(store: Store, clock: FakeClock, plans: readonly Plan[], h: History, r: () => number, log: (line: string) => void) {
  const { jobs, lifecycle, cursors } = store;
  const host = thisHost();
  const queuedOf = (p: Plan): boolean => p.index % 5 === 0 && !p.paused && p.cron !== "";
  const withCursor = new Set<Plan>();
  let queued = 0;
  let middle = 0;
  let written = 0;
  const BATCH = 20_000;
  for (let from = 0; from < h.order.length; from += BATCH) {
    store.db.transaction(() => {
      for (const idx of h.order.slice(from, from + BATCH)) {
        const slot = h.when[idx] as number;
        const p = plans[h.ofPlan[idx] as number];
        written++;
        if (p === undefined) {
          const db = pick(r, DATABASES);
          clock.set(slot);
          const job = jobs.createJob({
            kind: "issue", database: db, table: "adhoc_import", config: (plans[0] as Plan).configText, stream: `issue:${db}.adhoc_import`,
            status: "running", pid: int(r, 1000, 60_000), host,
          });
          clock.set(slot + int(r, 5, 900) * 1000);
          jobs.finishJob(job.id, jobEnd(r, plans[0] as Plan, slot));
          continue;
        }
        const j = h.nth[idx] as number;
        const last = j === p.slots.length - 1;
        const spec = {
          kind: p.cron === "" ? ("run" as const) : ("scheduled" as const), schedule: p.name, scheduleId: p.id, scheduledTime: slot,
          database: p.database, table: p.table, priority: p.priority, config: p.configText, stream: scheduleStream(p.id),
        };
        const startAt = slot + p.delay * 1000 + int(r, 1, 30) * 1000;
        const endAt = startAt + int(r, 5, 900) * 1000;
        clock.set(startAt);
        if (last && queuedOf(p)) {
          jobs.createJob(spec);
          queued++;
          continue;
        }
        const outcome = jobEnd(r, p, slot);
        const newest = last || (j === p.slots.length - 2 && queuedOf(p));
        if (p.source === "export" && outcome.status === "success" && newest) {
          const job = jobs.createJob(spec);
          const started = lifecycle.start(job.id);
          if (started.status !== "started") throw new Error(`bench home: job ${job.id} did not start (${started.status})`);
          cursors.advance(spec.stream, configDiffFor(slot), { epoch: 0, seq: j + 1 }, job.id, started.token);
          clock.set(endAt);
          lifecycle.finish(job, started.token, outcome);
          withCursor.add(p);
          continue;
        }
        const job = jobs.createJob({ ...spec, status: "running", pid: int(r, 1000, 60_000), host });
        clock.set(endAt);
        jobs.finishJob(job.id, outcome);
        if (middle === 0 && written >= h.order.length / 2 && p.source === "export" && outcome.status === "success") middle = job.id;
      }
    })();
    if ((from / BATCH) % 10 === 9) log(`${fmt(Math.min(from + BATCH, h.order.length))} jobs`);
  }
  return { queued, middle, withCursor };
}

/** Builds the home: schedules, history, the daemon's marks, the warehouse's databases and tables. */
function build(home: string, options: CliHomeOptions, log: (line: string) => void): Omit<CliHome, "stateDbMb" | "buildSeconds" | "builtAt" | "cached"> {
  const r = prng(11);
  const end = Math.floor((Date.now() - HOUR) / 60_000) * 60_000;
  const clock = new FakeClock(end - 400 * DAY);
  const store = openStore(home, clock);
  try {
    const { plans, kinds } = createSchedules(store, r, options.schedules);
    log(`${fmt(plans.length)} schedules`);
    const history = planHistory(plans, kinds, options.jobs, r, end);
    const { queued, middle, withCursor } = writeHistory(store, clock, plans, history, r, log);
    // The daemon's fired-through marks: every slot in history was dealt with.
    store.db.transaction(() => plans.forEach((p) => p.cron !== "" && p.slots.length > 0 && store.schedules.pass(p.id, p.slots[p.slots.length - 1] as number)))();
    const targets = new Set([...plans.map((p) => `${p.database}.${p.table}`), ...DATABASES.map((d) => `${d}.adhoc_import`)]);
    const warehouse = openSqliteWarehouse(home, { clock });
    try {
      for (const t of [...targets].sort()) {
        const [db, table] = t.split(".") as [string, string];
        warehouse.createDatabase(db, { ifNotExists: true });
        warehouse.createTable(db, table);
      }
    } finally {
      warehouse.close();
    }
    const busiest = [...withCursor].reduce((a, b) => (b.slots.length > a.slots.length ? b : a));
    return {
      home, schedules: plans.length, jobs: history.order.length, queued, databases: DATABASES.length, tables: targets.size,
      busiest: { name: busiest.name, jobs: busiest.slots.length }, jobId: middle,
    };
  } finally {
    store.close();
  }
}

/** The cached home for these sizes, built first when missing (other versions' copies are removed then). */
export function cliHome(options: CliHomeOptions, log: (line: string) => void = () => undefined): CliHome {
  const key = `v${BUILDER_VERSION}-${options.schedules}x${options.jobs}`;
  const dir = join(options.cacheDir, key);
  const manifest = join(dir, "manifest.json");
  if (existsSync(manifest) && existsSync(join(dir, "home", "state.db"))) {
    // The home is where the cache is now (a checkout moved or copied keeps its cache), not where it was built.
    const home = { ...(JSON.parse(readFileSync(manifest, "utf8")) as CliHome), home: join(dir, "home") };
    // A newer itd may have added a migration: apply it now, so no measured command does.
    openStore(home.home, new FakeClock(Date.now())).close();
    return { ...home, cached: true };
  }
  mkdirSync(options.cacheDir, { recursive: true });
  for (const old of readdirSync(options.cacheDir)) rmSync(join(options.cacheDir, old), { recursive: true, force: true });
  const t0 = performance.now();
  const built = build(join(dir, "home"), options, log);
  const buildSeconds = (performance.now() - t0) / 1000;
  const home: CliHome = {
    ...built, stateDbMb: statSync(join(dir, "home", "state.db")).size / 1024 / 1024, buildSeconds, builtAt: new Date().toISOString(), cached: false,
  };
  writeFileSync(manifest, JSON.stringify(home, null, 2) + "\n");
  return home;
}
