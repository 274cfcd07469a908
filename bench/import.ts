/**
 * Import benchmark (issue 12): whole `itd connector:issue` processes against
 * two single-threaded baselines measured in the same run (naive-loader.ts):
 * the raw parser, and a naive parse + insert loader. The export is generated
 * once by the fake Iterable, recorded per hour, and replayed by a static
 * server in its own process (window-server.ts), so the figures measure the
 * importer. Variants interleave per round, each a fresh process; wall time is
 * the parent's (spawn to exit), peak RSS the child's own (rss-hook.ts).
 *
 * Scenarios: one day of ~300,000 records in one slice (itd's big-slice path),
 * 1,000,000 records in 24 one-hour slices; peak RSS of 1M vs 5M records; the
 * daemon's firing lateness while two imports run.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { recordExport, startServer } from "./servers.js";
import { fmt, median, percentile } from "./stats.js";

const run = promisify(execFile);
const HERE = fileURLToPath(new URL(".", import.meta.url));
const ITD = fileURLToPath(new URL("../../bin/itd", import.meta.url));
const HOUR = 3_600_000;
const DAY0 = Date.UTC(2026, 5, 1);
const KEY = "bench-key";

type Variant = "raw" | "naive" | "itd";

interface Sample {
  variant: Variant;
  records: number;
  ms: number;
  maxRssMb: number;
}

export interface ImportScenario {
  name: string;
  records: number;
  slices: number;
  mb: number;
  rounds: number;
  rows: { variant: Variant; medianMs: number; recordsPerSec: number; maxRssMb: number; ratioVsNaive: number; ratioVsRaw: number }[];
}

export interface ImportBenchResult {
  scenarios: ImportScenario[];
  rss: { records: number; slices: number; maxRssMb: number }[];
  lateness?: { fires: number; p50: number; p99: number; max: number; importRecords: number };
}

/** Records one day of the fake's emailSend export as 24 hour files; returns its load.yml columns (guessed by itd). */
export async function recordDay(dir: string, eventsPerDay: number): Promise<{ records: number; bytes: number; columns: string }> {
  mkdirSync(dir, { recursive: true });
  const fake = await startServer([ITD, "fake-iterable", "--port", "0", "--api-key", KEY, "--no-rate-limits", "--events-per-day", String(eventsPerDay), "--now", "2026-06-02T00:00:00Z"]);
  let records = 0;
  let bytes = 0;
  try {
    for (let h = 0; h < 24; h++) {
      const from = DAY0 + h * HOUR;
      const got = await recordExport(fake.url, KEY, from, from + HOUR, join(dir, `hour-${String(h).padStart(2, "0")}.ndjson`));
      records += got.records;
      bytes += got.bytes;
    }
    writeFileSync(join(dir, "seed.yml"), seed(fake.url, DAY0, DAY0 + 24 * HOUR));
    await run(process.execPath, [ITD, "connector:guess", "seed.yml", "-o", "guessed.yml"], { cwd: dir, env: { ...process.env, ITD_HOME: join(dir, "guess-home") } });
  } finally {
    fake.stop();
  }
  const guessed = readFileSync(join(dir, "guessed.yml"), "utf8");
  const columns = /\n {2}columns:\n((?: {2}- .*\n)+)/.exec(guessed)?.[0];
  if (columns === undefined) throw new Error(`guess wrote no columns:\n${guessed}`);
  return { records, bytes, columns };
}

/** A load.yml's `in:` for the emailSend export of [start, end) from `url`, plus `extra` lines. */
export function seed(url: string, start: number, end: number, extra = ""): string {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return `in:\n  type: iterable\n  api_key: ${KEY}\n  base_url: ${url}\n  data_type: export_data\n  export_data_type: emailSend\n  start_time: '${iso(start)}'\n  end_time: '${iso(end)}'\n${extra}`;
}

interface Setup {
  url: string;
  dir: string;
  start: number;
  end: number;
  hoursPerWindow: number;
  /** load.yml for itd. */
  loadYml: string;
}

async function once1(setup: Setup, variant: Variant, tag: string): Promise<Sample> {
  const work = mkdtempSync(join(setup.dir, `${variant}-${tag}-`));
  const rssFile = join(work, "rss");
  const env = { ...process.env, ITD_BENCH_RSS_FILE: rssFile, ITD_HOME: join(work, "home"), ITD_RATE_LIMITS: "export=1000/1s" };
  const hook = ["--import", `${HERE}/rss-hook.js`];
  const args =
    variant === "itd"
      ? [...hook, ITD, "connector:issue", setup.loadYml, "--database", "bench_db", "--table", "sends", "--auto-create-table", "-f", "json"]
      : [...hook, `${HERE}/naive-loader.js`, variant, setup.url, join(work, "naive.db"), String(setup.start), String(setup.end), String(setup.hoursPerWindow)];
  const t0 = performance.now();
  const { stdout } = await run(process.execPath, args, { cwd: work, env, maxBuffer: 16 << 20 });
  const ms = performance.now() - t0;
  // itd prints one (indented) JSON document; the baselines one JSON line.
  const out = JSON.parse(variant === "itd" ? stdout : (stdout.trim().split("\n").pop() as string)) as { records: number };
  const maxRssMb = Number(readFileSync(rssFile, "utf8"));
  rmSync(work, { recursive: true, force: true });
  return { variant, records: out.records, ms, maxRssMb };
}

async function scenario(name: string, setup: Setup, rounds: number, mb: number, slices: number, log: (l: string) => void): Promise<ImportScenario> {
  const variants: Variant[] = ["raw", "naive", "itd"];
  for (const v of variants) await once1(setup, v, "warm"); // warm the page cache and the server, not counted
  const samples: Sample[][] = [];
  for (let r = 0; r < rounds; r++) {
    const round: Sample[] = [];
    // Rotate the order so no variant always runs first.
    for (let k = 0; k < variants.length; k++) round.push(await once1(setup, variants[(k + r) % variants.length] as Variant, String(r)));
    samples.push(round);
    log(`  ${name} round ${r + 1}/${rounds}: ${round.map((s) => `${s.variant} ${(s.ms / 1000).toFixed(2)} s`).join(", ")}`);
  }
  const of = (v: Variant): Sample[] => samples.map((round) => round.find((s) => s.variant === v) as Sample);
  const records = of("raw")[0]?.records ?? 0;
  for (const s of samples.flat()) if (s.records !== records) throw new Error(`${s.variant} imported ${s.records} records, raw read ${records}`);
  const ratio = (v: Variant, base: Variant): number => median(of(v).map((s, i) => (of(base)[i] as Sample).ms / s.ms));
  const rows = variants.map((variant) => {
    const ms = median(of(variant).map((s) => s.ms));
    return { variant, medianMs: ms, recordsPerSec: records / (ms / 1000), maxRssMb: median(of(variant).map((s) => s.maxRssMb)), ratioVsNaive: ratio(variant, "naive"), ratioVsRaw: ratio(variant, "raw") };
  });
  return { name, records, slices, mb, rounds, rows };
}

/** The daemon's firing path (daemon-worker.js, 10,000 schedules) while two imports of the one-day slice run in a loop. */
async function latenessDuringImports(setup: Setup, seconds: number): Promise<NonNullable<ImportBenchResult["lateness"]>> {
  let stopped = false;
  let importRecords = 0;
  const loop = async (k: number): Promise<void> => {
    for (let i = 0; !stopped; i++) importRecords += (await once1(setup, "itd", `bg${k}-${i}`)).records;
  };
  const loops = [loop(1), loop(2)];
  await new Promise((r) => setTimeout(r, 1000));
  const { stdout } = await run(process.execPath, ["--expose-gc", `${HERE}/daemon-worker.js`, "10000", String(seconds)], { maxBuffer: 64 << 20 });
  stopped = true;
  await Promise.all(loops);
  const s = JSON.parse(stdout) as { fires: number; lateness: number[] };
  return { fires: s.fires, p50: percentile(s.lateness, 50), p99: percentile(s.lateness, 99), max: Math.max(...s.lateness), importRecords };
}

export async function importBench(options: { quick: boolean; log: (line: string) => void }): Promise<ImportBenchResult> {
  const { quick, log } = options;
  const root = mkdtempSync(join(tmpdir(), "itd-bench-import-"));
  const servers: { stop: () => void }[] = [];
  try {
    const rounds = quick ? 2 : 5;
    const result: ImportBenchResult = { scenarios: [], rss: [] };
    const dayPerDay = quick ? 100_000 : 300_000;
    log(`recording a ${fmt(dayPerDay)}-record day…`);
    const day = await recordDay(join(root, "day"), dayPerDay);
    const dayServer = await startServer([`${HERE}/window-server.js`, join(root, "day")]);
    servers.push(dayServer);
    const daySetup: Setup = { url: dayServer.url, dir: root, start: DAY0, end: DAY0 + 24 * HOUR, hoursPerWindow: 24, loadYml: join(root, "day.yml") };
    // One slice: the whole day in one window (max_slice_records above the day's records).
    writeFileSync(daySetup.loadYml, seed(dayServer.url, DAY0, DAY0 + 24 * HOUR, day.columns.slice(1) + "  max_slice_records: 10000000\nout: {mode: append}\n"));
    result.scenarios.push(await scenario("one day, one slice", daySetup, rounds, day.bytes / 1e6, 1, log));

    const bigPerDay = quick ? 300_000 : 1_000_000;
    log(`recording a ${fmt(bigPerDay)}-record day…`);
    const big = await recordDay(join(root, "big"), bigPerDay);
    const bigServer = await startServer([`${HERE}/window-server.js`, join(root, "big")]);
    servers.push(bigServer);
    const hourly = (days: number, file: string): Setup => {
      const end = DAY0 + days * 24 * HOUR;
      writeFileSync(file, seed(bigServer.url, DAY0, end, big.columns.slice(1) + "  slice_hours: 1\nout: {mode: append}\n"));
      return { url: bigServer.url, dir: root, start: DAY0, end, hoursPerWindow: 1, loadYml: file };
    };
    const hours = await scenario("24 one-hour slices", hourly(1, join(root, "big1.yml")), rounds, big.bytes / 1e6, 24, log);
    result.scenarios.push(hours);
    result.rss.push({ records: hours.records, slices: 24, maxRssMb: hours.rows.find((r) => r.variant === "itd")?.maxRssMb ?? Number.NaN });
    const fiveDays = hourly(5, join(root, "big5.yml"));
    const five: number[] = [];
    let fiveRecords = 0;
    for (let r = 0; r < (quick ? 1 : 2); r++) {
      const s = await once1(fiveDays, "itd", `five${r}`);
      five.push(s.maxRssMb);
      fiveRecords = s.records;
      log(`  5 days: ${fmt(s.records)} records in ${(s.ms / 1000).toFixed(1)} s, peak RSS ${fmt(s.maxRssMb)} MB`);
    }
    result.rss.push({ records: fiveRecords, slices: 120, maxRssMb: median(five) });

    log("daemon firing lateness while two one-day imports run…");
    result.lateness = await latenessDuringImports(daySetup, quick ? 65 : 130);
    return result;
  } finally {
    for (const s of servers) s.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

export function importBenchMarkdown(r: ImportBenchResult): string {
  const out: string[] = [
    "Whole processes, each variant a fresh process, interleaved per round (the order rotating), medians; wall time from spawn to exit, " +
      "peak RSS of the process (its threads included). The emailSend export is generated once by the fake Iterable, recorded, and replayed " +
      "by a static server in its own process. Baselines, one thread each: raw = undici + split on newlines + JSON.parse; naive = raw + " +
      "better-sqlite3 single-row inserts of each record's fields in 10,000-row transactions (WAL, synchronous=NORMAL), no conversion, no ledger. " +
      "itd = `itd connector:issue … --auto-create-table` (17 typed columns, the ledger, exactly-once commits). Ratios are throughput ratios " +
      "per round (baseline time / variant time), median.",
    "",
  ];
  for (const s of r.scenarios) {
    out.push(`**${s.name}**: ${fmt(s.records)} records, ${fmt(s.mb)} MB of NDJSON, ${s.slices} slice${s.slices === 1 ? "" : "s"}, ${s.rounds} rounds.`, "");
    out.push("| variant | median s | records/s | peak RSS MB | vs naive | vs raw |", "|---|---:|---:|---:|---:|---:|");
    for (const row of s.rows) {
      out.push(`| ${row.variant} | ${fmt(row.medianMs / 1000, 2)} | ${fmt(row.recordsPerSec)} | ${fmt(row.maxRssMb)} | ${fmt(row.ratioVsNaive, 2)}× | ${fmt(row.ratioVsRaw, 2)}× |`);
    }
    out.push("");
  }
  out.push("**Peak RSS of `itd connector:issue` by export size** (one-hour slices):", "", "| records | slices | peak RSS MB |", "|---:|---:|---:|");
  for (const x of r.rss) out.push(`| ${fmt(x.records)} | ${x.slices} | ${fmt(x.maxRssMb)} |`);
  if (r.lateness !== undefined) {
    const l = r.lateness;
    out.push(
      "",
      `**Daemon firing lateness** (10,000 schedules on the daemon's firing path, as in the daemon benchmark) while two one-day imports run in a loop ` +
        `(${fmt(l.importRecords)} records imported meanwhile): ${fmt(l.fires)} fires, p50 ${fmt(l.p50, 1)} ms, p99 ${fmt(l.p99, 1)} ms, max ${fmt(l.max, 1)} ms.`,
    );
  }
  return out.join("\n");
}
