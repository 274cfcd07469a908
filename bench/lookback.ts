/**
 * Lookback benchmark (issue 15, its first target): what `in.lookback` of 10 %
 * of the window costs an incremental run. Homes against the same fake
 * Iterable (its own process, rate limits off, a frozen now), each with an
 * incremental emailSend schedule of 6-hour windows run in the foreground
 * (`connector:run NAME SLOT --foreground`, whole `itd` processes): one
 * load.yml without a lookback, one with `lookback: 36m`, and (without late
 * events) one with `lookback: 1s`, the key's index with next to no re-read,
 * which tells the index's share of the cost from the re-read's. Every table
 * is warmed by an untimed first run; then each round times one run of each
 * over the same next window, the order rotating. The lookback run re-reads
 * 36 minutes before its cursor and inserts through the key's unique index
 * (INSERT OR IGNORE), so its extra time is the re-read plus the index.
 *
 * Two sets: no late events (the cost alone), and 5 % of events late by up to
 * 30 minutes (the fake's now moved to each slot), where the lookback run also
 * picks up what the other misses. Every count is checked against the fake's
 * generator (the records each run read and found present, the rows each table
 * ends with, no message_id twice).
 */
import Database from "better-sqlite3";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventIdentities, generatorConfig, servedAt, type GeneratorConfig } from "../src/fake-iterable/index.js";
import { guessColumns, ITD, itdHome, type ItdHome } from "./itd-home.js";
import { loadText, watchLoad, type LoadSummary } from "./loadavg.js";
import { startServer } from "./servers.js";
import { fmt, median } from "./stats.js";

const KEY = "bench-lookback-key";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 5, 1);
const DATA_START = T0 - 30 * 24 * HOUR;
const WINDOW = 6 * HOUR;
const LOOKBACK = 36 * MINUTE;
const EVENTS_PER_HOUR = 40_000;
const TARGET = 1.2;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * none: no lookback (the baseline); lookback: 10 % of the window; key: `lookback: 1s`, the key's unique index
 * with next to no re-read (about 11 records a run), which splits the lookback's cost into the index and the re-read.
 */
type Variant = "none" | "key" | "lookback";
const LOOKBACK_OF: Record<Variant, number> = { none: 0, key: 1000, lookback: LOOKBACK };

interface Sample {
  /** Wall time of the `itd connector:run` process, spawn to exit. */
  ms: number;
  /** The job's own time (start_at → end_at): without Node's start-up and the CLI's. */
  jobMs: number;
  records: number;
  present: number;
}

export interface LookbackCheck {
  what: string;
  expected: number;
  got: number;
}

export interface LookbackPair {
  name: string;
  variants: Variant[];
  rounds: { order: Variant[]; samples: Partial<Record<Variant, Sample>> }[];
  summary: Partial<Record<Variant, { medianMs: number; minMs: number; maxMs: number; medianJobMs: number; records: number; present: number; ratio: number; roundRatios: number[]; rows: number; fileMb: number }>>;
  /** Checks that failed (empty: every count held). */
  failed: LookbackCheck[];
  checks: number;
  load: LoadSummary;
}

export interface LookbackBenchResult {
  windowHours: number;
  lookbackMinutes: number;
  eventsPerHour: number;
  /** Columns of the guessed load.yml. */
  columns: number;
  pairs: LookbackPair[];
}

interface Late {
  share: number;
  byMs: number;
}

function loadYml(url: string, columns: string, lookbackMs: number): string {
  const lookback = lookbackMs === 0 ? "" : lookbackMs % MINUTE === 0 ? `  lookback: ${lookbackMs / MINUTE}m\n` : `  lookback: ${lookbackMs / 1000}s\n`;
  return (
    `in:\n  type: iterable\n  api_key: ${KEY}\n  base_url: ${url}\n  data_type: export_data\n  export_data_type: emailSend\n` +
    `  incremental: true\n  start_time: '${iso(T0)}'\n${lookback}${columns}out:\n  mode: append\n`
  );
}

async function runSlot(h: ItdHome, slot: number): Promise<Sample> {
  const r = await h.itd(["connector:run", "sends", iso(slot), "--foreground"]);
  const id = /Job (\d+): success/.exec(r.stdout)?.[1];
  if (id === undefined) throw new Error(`connector:run ${iso(slot)} did not succeed:\n${r.stdout}`);
  const job = JSON.parse((await h.itd(["job:show", id, "-f", "json"])).stdout) as { records: number; present_records: number; start_at: string; end_at: string };
  return { ms: r.ms, jobMs: Date.parse(job.end_at) - Date.parse(job.start_at), records: job.records, present: job.present_records };
}

/**
 * What the generator says each run (slots[0] the warm-up) reads and finds already present with a lookback of
 * `lookbackMs`, and the rows the table ends with. The run of slots[k] reads [slots[k-1] − lookback, slots[k])
 * at now = slots[k]; a record it re-reads is present when the run before had it.
 */
function expected(cfg: GeneratorConfig, slots: number[], lookbackMs: number): { perRound: { records: number; present: number }[]; rows: number } {
  const last = slots[slots.length - 1] as number;
  const perRound = slots.map(() => ({ records: 0, present: 0 }));
  let rows = 0;
  for (const e of eventIdentities(cfg, "emailSend", { start: T0, end: last })) {
    const k = Math.floor((e.createdAt - T0) / WINDOW); // its window's run: slots[k]
    const own = servedAt(e, slots[k] as number);
    if (own) (perRound[k] as { records: number }).records++;
    const next = perRound[k + 1];
    const reread = next !== undefined && lookbackMs > 0 && e.createdAt >= (slots[k] as number) - lookbackMs;
    const again = reread && servedAt(e, slots[k + 1] as number);
    if (again) next.records++;
    if (again && own) next.present++;
    if (own || again) rows++;
  }
  return { perRound, rows };
}

function tableCounts(h: ItdHome): { rows: number; keys: number; fileMb: number } {
  const file = h.databaseFile("bench_db");
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const c = db.prepare("SELECT count(*) AS rows, count(DISTINCT message_id) AS keys FROM sends").get() as { rows: number; keys: number };
    return { ...c, fileMb: statSync(file).size / 1e6 };
  } finally {
    db.close();
  }
}

async function pair(root: string, name: string, variants: Variant[], rounds: number, late: Late | undefined, columnsOf: (url: string) => Promise<string>, log: (l: string) => void): Promise<LookbackPair> {
  const slots = Array.from({ length: rounds + 1 }, (_, i) => T0 + (i + 1) * WINDOW);
  const last = slots[rounds] as number;
  const fakeArgs = [ITD, "fake-iterable", "--port", "0", "--api-key", KEY, "--no-rate-limits", "--events-per-day", String(EVENTS_PER_HOUR * 24), "--data-start", iso(DATA_START)];
  // Without late events the fake is frozen after the last slot; with them, at each slot in turn.
  fakeArgs.push("--now", iso(late ? (slots[0] as number) : last));
  if (late) fakeArgs.push("--late-share", String(late.share), "--late-by", `${late.byMs / MINUTE}m`);
  const fake = await startServer(fakeArgs);
  const setNow = async (now: number): Promise<void> => {
    const res = await fetch(`${fake.url}/_fake/now`, { method: "POST", headers: { "Api-Key": KEY, "content-type": "application/json" }, body: JSON.stringify({ now }) });
    if (!res.ok) throw new Error(`POST /_fake/now: ${res.status} ${await res.text()}`);
  };
  try {
    const columns = await columnsOf(fake.url);
    const homes = new Map<Variant, ItdHome>();
    for (const v of variants) {
      const h = itdHome(join(root, `${name.replace(/\W+/g, "-")}-${v}`), { ITD_RATE_LIMITS: "export=1000/1s" });
      writeFileSync(join(h.dir, "load.yml"), loadYml(fake.url, columns, LOOKBACK_OF[v]));
      await h.itd(["connector:create", "sends", "", "bench_db", "sends", "load.yml", "--auto-create-table"]);
      homes.set(v, h);
    }
    const home = (v: Variant): ItdHome => homes.get(v) as ItdHome;
    const load = watchLoad();
    const all: { order: Variant[]; samples: Partial<Record<Variant, Sample>> }[] = [];
    for (let r = 0; r <= rounds; r++) {
      const slot = slots[r] as number;
      if (late) await setNow(slot);
      // Round 0 warms both tables (untimed); then the order rotates so no variant always runs first.
      const order = variants.map((_, i) => variants[(i + r) % variants.length] as Variant);
      const samples: Partial<Record<Variant, Sample>> = {};
      for (const v of order) samples[v] = await runSlot(home(v), slot);
      all.push({ order, samples });
      const text = order.map((v) => `${v} ${fmt((samples[v] as Sample).ms)} ms (${fmt((samples[v] as Sample).records)} records, ${fmt((samples[v] as Sample).present)} present)`);
      log(`  ${name} ${r === 0 ? "warm-up (untimed)" : `round ${r}/${rounds}`}: ${text.join(", ")}; load ${loadOf()}`);
    }
    const loadSummary = load.stop();

    // Counts against the generator.
    const cfg = generatorConfig({ eventsPerDay: EVENTS_PER_HOUR * 24, dataStart: DATA_START, lateShare: late?.share ?? 0, lateByMs: late?.byMs ?? 0 });
    const checks: LookbackCheck[] = [];
    const check = (what: string, exp: number, got: number): void => void checks.push({ what, expected: exp, got });
    const counts = new Map<Variant, ReturnType<typeof tableCounts>>();
    for (const v of variants) {
      const want = expected(cfg, slots, LOOKBACK_OF[v]);
      for (const [r, { samples }] of all.entries()) {
        const s = samples[v] as Sample;
        const w = want.perRound[r] as { records: number; present: number };
        check(`${v}, slot ${iso(slots[r] as number)}: records read`, w.records, s.records);
        check(`${v}, slot ${iso(slots[r] as number)}: of them already in the table`, w.present, s.present);
      }
      const c = tableCounts(home(v));
      counts.set(v, c);
      check(`${v}: rows in the table`, want.rows, c.rows);
      check(`${v}: distinct message_id in the table`, c.rows, c.keys);
    }

    const timed = all.slice(1);
    const summary: LookbackPair["summary"] = {};
    for (const v of variants) {
      const of = (x: (typeof timed)[number]): Sample => x.samples[v] as Sample;
      const ms = timed.map((x) => of(x).ms);
      const roundRatios = timed.map((x) => of(x).ms / (x.samples.none as Sample).ms);
      const c = counts.get(v) as ReturnType<typeof tableCounts>;
      summary[v] = {
        medianMs: median(ms),
        minMs: Math.min(...ms),
        maxMs: Math.max(...ms),
        medianJobMs: median(timed.map((x) => of(x).jobMs)),
        records: median(timed.map((x) => of(x).records)),
        present: median(timed.map((x) => of(x).present)),
        ratio: median(roundRatios),
        roundRatios,
        rows: c.rows,
        fileMb: c.fileMb,
      };
    }
    return { name, variants, rounds: timed, summary, failed: checks.filter((c) => c.expected !== c.got), checks: checks.length, load: loadSummary };
  } finally {
    fake.stop();
  }
}

/** The 1-minute load average now. */
function loadOf(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ")[0] ?? "?";
}

export async function lookbackBench(options: { root: string; quick: boolean; late: boolean; log: (line: string) => void }): Promise<LookbackBenchResult> {
  const rounds = options.quick ? 3 : 5;
  let columns: string | undefined;
  const columnsOf = async (url: string): Promise<string> => {
    // One guess (the emailSend columns do not depend on the fake's lateness), as a user would make it.
    columns ??= await guessColumns(
      join(options.root, "guess"),
      `in:\n  type: iterable\n  api_key: ${KEY}\n  base_url: ${url}\n  data_type: export_data\n  export_data_type: emailSend\n  start_time: '${iso(T0)}'\n  end_time: '${iso(T0 + HOUR)}'\n`,
    );
    return columns;
  };
  const pairs = [await pair(options.root, "no late events", ["none", "key", "lookback"], rounds, undefined, columnsOf, options.log)];
  if (options.late) pairs.push(await pair(options.root, "5 % late by up to 30 min", ["none", "lookback"], rounds, { share: 0.05, byMs: 30 * MINUTE }, columnsOf, options.log));
  const columnCount = (columns ?? "").split("\n").filter((l) => l.startsWith("  - ")).length;
  return { windowHours: WINDOW / HOUR, lookbackMinutes: LOOKBACK / MINUTE, eventsPerHour: EVENTS_PER_HOUR, columns: columnCount, pairs };
}

const LABEL: Record<Variant, string> = { none: "none (baseline)", key: "key only (`lookback: 1s`)", lookback: "lookback" };

export function lookbackBenchMarkdown(r: LookbackBenchResult): string {
  const out = [
    `Incremental emailSend schedules of ${r.windowHours}-hour windows (~${fmt(r.eventsPerHour)} events/hour from the fake Iterable in its own process, ` +
      `rate limits off, \`ITD_RATE_LIMITS=export=1000/1s\`, ${r.columns} guessed columns), one \`itd connector:run NAME SLOT --foreground\` per window and ` +
      `variant, each in its own home: none = no lookback; lookback = \`lookback: ${r.lookbackMinutes}m\` (10 % of the window: re-reads ` +
      `${r.lookbackMinutes} minutes before the cursor and inserts through the key's unique index, INSERT OR IGNORE); key only = \`lookback: 1s\` ` +
      "(the same index, next to nothing re-read: the index's share of the cost). Every table warmed by an untimed first run; then per round one " +
      "run of each over the same next window, the order rotating. Wall = spawn to exit; job = the job's start_at → end_at. Ratio = variant wall / " +
      `none wall per round, median. Target: lookback ≤ ${TARGET.toFixed(2)}× none.`,
    "",
    "| events | variant | median wall ms | min–max ms | median job ms | records per run | already in the table | × none (rounds) | ≤ 1.20 | rows at the end | table file MB |",
    "|---|---|---:|---:|---:|---:|---:|---|:---:|---:|---:|",
  ];
  for (const p of r.pairs) {
    for (const v of p.variants) {
      const s = p.summary[v];
      if (s === undefined) continue;
      const ratio = v === "none" ? "1.00" : `**${fmt(s.ratio, 2)}** (${s.roundRatios.map((x) => fmt(x, 2)).join(", ")})`;
      const pass = v === "lookback" ? (s.ratio <= TARGET ? "met" : "**missed**") : "—";
      out.push(
        `| ${p.name} | ${LABEL[v]} | ${fmt(s.medianMs)} | ${fmt(s.minMs)}–${fmt(s.maxMs)} | ${fmt(s.medianJobMs)} | ${fmt(s.records)} | ${fmt(s.present)} | ${ratio} | ${pass} | ${fmt(s.rows)} | ${fmt(s.fileMb)} |`,
      );
    }
  }
  out.push("");
  for (const p of r.pairs) {
    out.push(
      `- ${p.name}: rounds in the order ${p.rounds.map((x) => x.order.join(" → ")).join("; ")}; ` +
        (p.failed.length === 0
          ? `all ${p.checks} counts match the fake's generator (each run's records and present, each table's rows, no message_id twice)`
          : `**${p.failed.length} of ${p.checks} counts differ from the generator**: ${p.failed.map((c) => `${c.what}: expected ${fmt(c.expected)}, got ${fmt(c.got)}`).join("; ")}`) +
        `; ${loadText(p.load)}.`,
    );
  }
  return out.join("\n");
}
