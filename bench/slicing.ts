/**
 * Slicing benchmark (issue 18): how many export requests a backfill takes
 * with windows sized to the data, against the old fixed one-day slices
 * (`slice_hours: 24`), and what that means at Iterable's 4 requests a minute.
 * Each run is a real `itd connector:issue` (its own process, a fresh home)
 * against the fake Iterable with rate limits off and a loose client budget,
 * so the wall time is the reading and writing alone; the requests are the
 * fake's count; the budget floor is when the last of that many requests could
 * start under the default export budget (4 per 60 s plus its 1.2 s margin),
 * computed by grantDelay: a run at Iterable takes at least the larger of the two.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startFakeIterable } from "../src/fake-iterable/index.js";
import { DEFAULT_RATE_LIMITS, grantDelay, marginOf } from "../src/iterable/index.js";
import { fmt } from "./stats.js";

const run = promisify(execFile);
const ITD = fileURLToPath(new URL("../../bin/itd", import.meta.url));
const KEY = "bench-slicing-key";
const NOW = Date.UTC(2026, 5, 2);
const DAY = 86_400_000;

export interface SlicingRow {
  scenario: string;
  slicing: string;
  records: number;
  requests: number;
  /** Requests whose response was abandoned (too big) and read again in shorter windows. */
  abandoned: number;
  wallS: number;
  /** When the last of this many requests could start under Iterable's 4/min, s. */
  budgetWaitS: number;
}

/** The least time `n` back-to-back requests take under the default export budget, ms (the last one's grant). */
export function budgetFloorMs(n: number): number {
  const rate = DEFAULT_RATE_LIMITS.export;
  const span = rate.windowMs + marginOf(rate);
  const grants: number[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    at += grantDelay(grants, 0, rate.limit, span, at);
    grants.push(at);
  }
  return at;
}

interface Run {
  stdout: string;
  ms: number;
  requests: number;
}

/** `runs` runs of one load.yml (out.mode replace: the same stream each time), each counted on its own. */
async function issueRuns(url: string, days: number, more: string, runs: number, requests: () => number): Promise<Run[]> {
  const dir = mkdtempSync(join(tmpdir(), "itd-bench-slicing-"));
  try {
    const yml =
      `out:\n  mode: replace\nin:\n  type: iterable\n  api_key: ${KEY}\n  base_url: ${url}\n  data_type: export_data\n  export_data_type: emailSend\n` +
      `  start_time: '${new Date(NOW - days * DAY).toISOString()}'\n  end_time: '${new Date(NOW).toISOString()}'\n${more}` +
      `  columns:\n  - {name: created_at, type: timestamp}\n  - {name: message_id, type: string, src: messageId}\n  - {name: email, type: string}\n`;
    writeFileSync(join(dir, "load.yml"), yml);
    const env = { ...process.env, ITD_HOME: join(dir, "home"), ITD_RATE_LIMITS: "export=100000/1s" };
    const args = [ITD, "connector:issue", "load.yml", "--database", "bench_db", "--table", "backfill", "--auto-create-table"];
    const out: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const before = requests();
      const t0 = performance.now();
      const { stdout } = await run(process.execPath, args, { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
      out.push({ stdout, ms: performance.now() - t0, requests: requests() - before });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(eventsPerDay: number, days: number, scenario: string, variants: { slicing: string; more: string; run?: 2 }[]): Promise<SlicingRow[]> {
  const fake = await startFakeIterable({ apiKey: KEY, now: NOW, dataStart: NOW - 400 * DAY, eventsPerDay, rateLimits: false, seed: 18 });
  const requests = (): number => Object.values(fake.stats().requests["export.json"] ?? {}).reduce((a, b) => a + b, 0);
  const rows: SlicingRow[] = [];
  try {
    for (const v of variants) {
      const runs = await issueRuns(fake.url, days, v.more, v.run ?? 1, requests);
      const r = runs[runs.length - 1] as Run;
      const records = Number(/done: (\d+) records/.exec(r.stdout)?.[1] ?? Number.NaN);
      const abandoned = r.stdout.split("\n").filter((l) => l.includes("; reading ")).length;
      rows.push({ scenario, slicing: v.slicing, records, requests: r.requests, abandoned, wallS: r.ms / 1000, budgetWaitS: budgetFloorMs(r.requests) / 1000 });
    }
  } finally {
    await fake.close();
  }
  return rows;
}

export async function slicingBench(options: { quick: boolean }): Promise<SlicingRow[]> {
  const dense = options.quick ? 20_000 : 60_000;
  // Quick: a smaller cap, so the smaller backfill is still split.
  const cap = options.quick ? "  max_slice_records: 300000\n" : "";
  const out: SlicingRow[] = [];
  out.push(
    ...(await measure(1_000, 365, "a year, 1,000 events/day", [
      { slicing: "sized to the data (default)", more: "" },
      { slicing: "slice_hours: 24 (the old default)", more: "  slice_hours: 24\n" },
    ])),
  );
  out.push(
    ...(await measure(dense, 30, `30 days, ${dense.toLocaleString("en-US")} events/day`, [
      { slicing: "sized to the data, first run", more: cap },
      { slicing: "sized to the data, next run (density remembered)", more: cap, run: 2 },
      { slicing: "slice_hours: 24 (the old default)", more: "  slice_hours: 24\n" },
    ])),
  );
  return out;
}

export function slicingBenchMarkdown(rows: SlicingRow[]): string {
  const lines = [
    "| backfill | slicing | records | export requests | of them abandoned (split) | wall s (budget off) | budget floor at 4/min |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const wait = r.budgetWaitS >= 120 ? `${fmt(r.budgetWaitS / 60, 1)} min` : `${fmt(r.budgetWaitS, 0)} s`;
    lines.push(`| ${r.scenario} | ${r.slicing} | ${r.records.toLocaleString("en-US")} | ${r.requests} | ${r.abandoned} | ${fmt(r.wallS, 1)} | ${wait} |`);
  }
  return lines.join("\n");
}
