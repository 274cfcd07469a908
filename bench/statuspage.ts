/**
 * Status page benchmark (issue 16, `--only=statuspage`): the daemon's status
 * pages served by the daemon's own HTTP server and page code over a state.db
 * of 10,000 schedules with 30 runs each (300,000 jobs), against the same
 * pages over 100 schedules and `/healthz`, measured in the same rounds
 * (interleaved, medians after a warm-up round). For each: the server's time
 * (a whole GET from Node, body read) and, in Debian's chromium driven by
 * playwright-core, the time to the first screen (navigation start to first
 * contentful paint; DOMContentLoaded beside it). The target: the first
 * screen of 10,000 schedules under 1 s. Also how long the pages hold the
 * event loop (what the daemon's firing would wait for): the loop's delay
 * while the pages are served, from `monitorEventLoopDelay`.
 *
 * The server runs in this process without the scheduler: the pages' work is
 * what is measured, not a daemon's firing beside it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { systemClock } from "../src/clock.js";
import { startHealthServer, type HealthServer } from "../src/daemon/http.js";
import { createDaemonMetrics } from "../src/daemon/metrics.js";
import { StatusPages, StatusRecorder } from "../src/daemon/status/index.js";
import type { ScheduleDefinition } from "../src/schedule/definition.js";
import { openStore, type JobStatus, type Store } from "../src/store/index.js";
import { fmt, median } from "./stats.js";

const CHROMIUM = process.env["ITD_CHROMIUM"] ?? "/usr/bin/chromium";
const RUNS = 30;
const HOUR = 3_600_000;
/** Target of issue 16: the first screen of 10,000 schedules. */
const TARGET_MS = 1_000;

interface Home {
  store: Store;
  defs: ScheduleDefinition[];
  /** A schedule with history, and one of its jobs. */
  busiest: string;
  jobId: number;
  dir: string;
}

/** A state.db of `n` schedules with RUNS runs each (hourly slots up to now; a few failing, skipped or caught up). */
function buildHome(n: number): Home {
  const dir = mkdtempSync(join(tmpdir(), `itd-bench-status-${n}-`));
  const store = openStore(dir, systemClock, { isAlive: () => true });
  const now = Date.now();
  const defs: ScheduleDefinition[] = [];
  let jobId = 0;
  store.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const name = `sched_${String(i).padStart(5, "0")}`;
      const r = store.schedules.create({
        name, cron: `${i % 60} * * * *`, timezone: ["UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin"][i % 4] as string, delay: 0,
        database: `db_${i % 4}`, table: `t_${i % 9}`, timeColumn: null, priority: 0, catchup: "all", config: { in: { type: "iterable", api_key: "${ITERABLE_API_KEY}" } }, paused: false,
      });
      defs.push({ ...r, source: "cli" });
      for (let k = RUNS; k >= 1; k--) {
        const slot = Math.floor((now - k * HOUR) / HOUR) * HOUR + (i % 60) * 60_000;
        const status: JobStatus = k === 1 && i % 31 === 0 ? "error" : k === 3 && i % 17 === 0 ? "skipped" : k === 2 && i % 23 === 0 ? "killed" : "success";
        const j = store.jobs.createJob({
          kind: "scheduled", schedule: name, scheduleId: r.id, scheduledTime: slot, database: r.database, table: r.table, config: "in: {}",
          stream: `schedule#${r.id}`, status: status === "skipped" ? "skipped" : "running", catchup: k === 5 && i % 13 === 0,
        });
        if (status !== "skipped") store.jobs.finishJob(j.id, { status, records: (i * 7 + k * 13) % 5000, skippedRecords: 0, bytes: 1000, error: status === "error" ? "Iterable answered 500" : null });
        if (i === 0 && k === 1) {
          jobId = j.id;
          for (let l = 1; l <= 20; l++) store.jobs.appendLog(j.id, "info", `slice ${l}: ${l * 100} records committed`);
        }
      }
    }
  })();
  return { store, defs, busiest: defs[0]?.name ?? "", jobId, dir };
}

interface Case {
  label: string;
  url: string;
  server: number[];
  dcl: number[];
  fcp: number[];
  bytes: number;
}

export interface StatusPageBenchResult {
  rounds: number;
  schedules: number;
  jobs: number;
  buildSeconds: number;
  cases: Case[];
  /** The first GET of `/` on the big home (the listing's order read from nothing). */
  coldMs: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** A listing of the big home built by the pages' code alone (no HTTP): median and slowest of 30. */
  buildMedianMs: number;
  buildMaxMs: number;
  browser: boolean;
  cores: number;
}

async function serve(home: Home): Promise<{ server: HealthServer; pages: StatusPages }> {
  const clock = systemClock;
  const pages = new StatusPages({
    schedules: () => home.defs, store: home.store, clock, recorder: new StatusRecorder(clock), configText: () => "in:\n  api_key: '***'\n",
  });
  const server = await startHealthServer({ port: 0, metrics: createDaemonMetrics(), health: () => ({ ok: true, lastTick: Date.now() }), status: pages });
  return { server, pages };
}

async function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`status page bench: ${url} answered ${res.status}`);
  return { ms: performance.now() - t0, bytes: Buffer.byteLength(body) };
}

export async function statusPageBench(options: { rounds: number; schedules?: number; log?: (line: string) => void }): Promise<StatusPageBenchResult> {
  const log = options.log ?? (() => undefined);
  const n = options.schedules ?? 10_000;
  const t0 = performance.now();
  log(`statuspage bench: building ${fmt(n)} schedules × ${RUNS} runs…`);
  const big = buildHome(n);
  const small = buildHome(100);
  const buildSeconds = (performance.now() - t0) / 1000;
  log(`statuspage bench: built in ${fmt(buildSeconds, 1)} s`);
  const { server: bigServer, pages: bigPages } = await serve(big);
  const { server: smallServer } = await serve(small);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let playwright: typeof import("playwright-core") | undefined;
  try {
    playwright = existsSync(CHROMIUM) ? await import("playwright-core") : undefined;
  } catch {
    playwright = undefined;
  }
  if (playwright === undefined) log("statuspage bench: no chromium or playwright-core: server times only");
  const browser = playwright === undefined ? undefined : await playwright.chromium.launch({ executablePath: CHROMIUM });
  try {
    const cold = await timedGet(`${bigServer.url}/`);
    const mk = (label: string, url: string): Case => ({ label, url, server: [], dcl: [], fcp: [], bytes: 0 });
    const cases = [
      mk("`GET /healthz` (baseline)", `${bigServer.url}/healthz`),
      mk("`GET /`, 100 schedules", `${smallServer.url}/`),
      mk(`\`GET /\`, ${fmt(n)} schedules (page 1 of ${fmt(Math.ceil(n / 50))})`, `${bigServer.url}/`),
      mk(`\`GET /?page=100\`, ${fmt(n)} schedules`, `${bigServer.url}/?page=100`),
      mk(`\`GET /?q=sched_09&status=success\`, ${fmt(n)} schedules`, `${bigServer.url}/?q=sched_09&status=success`),
      mk(`\`GET /schedules/NAME\`, ${fmt(n)} schedules`, `${bigServer.url}/schedules/${big.busiest}`),
      mk("`GET /jobs/ID` (20 log lines)", `${bigServer.url}/jobs/${big.jobId}`),
    ];
    for (let round = -1; round < options.rounds; round++) {
      const shift = Math.max(0, round) % cases.length;
      for (const c of [...cases.slice(shift), ...cases.slice(0, shift)]) {
        const got = await timedGet(c.url);
        c.bytes = got.bytes;
        if (round >= 0) c.server.push(got.ms);
        if (browser === undefined) continue;
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        try {
          await page.goto(c.url, { waitUntil: "load" });
          // (Browser-side code as text: the project's TypeScript has no DOM types.)
          // The paint entry may come a moment after "load": waited for (up to 3 s).
          const t = (await page.evaluate(
            `new Promise((resolve) => {
               const n = performance.getEntriesByType("navigation")[0];
               const done = (fcp) => resolve({ dcl: n ? n.domContentLoadedEventEnd : NaN, fcp });
               const look = () => { const p = performance.getEntriesByName("first-contentful-paint")[0]; if (p) done(p.startTime); else setTimeout(look, 20); };
               setTimeout(() => done(NaN), 3000);
               look();
             })`,
          )) as { dcl: number; fcp: number };
          if (round >= 0) {
            c.dcl.push(t.dcl);
            if (Number.isFinite(t.fcp)) c.fcp.push(t.fcp);
          }
        } finally {
          await page.close();
        }
      }
      log(round < 0 ? "statuspage bench: warm-up round done" : `statuspage bench: round ${round + 1}/${options.rounds} done`);
    }
    // The pages alone, built in this process without HTTP (no client in the loop): how long a listing holds the
    // loop the daemon fires from, and the loop's delay meanwhile.
    const build: number[] = [];
    loop.enable();
    for (let i = 0; i < 30; i++) {
      const t1 = performance.now();
      await bigPages.handle("/", new URLSearchParams(i % 2 === 0 ? "" : "page=100"));
      build.push(performance.now() - t1);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    loop.disable();
    return {
      rounds: options.rounds, schedules: n, jobs: n * RUNS, buildSeconds, cases, coldMs: cold.ms,
      loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, buildMedianMs: median(build), buildMaxMs: Math.max(...build), browser: browser !== undefined, cores: cpus().length,
    };
  } finally {
    await browser?.close();
    await bigServer.close();
    await smallServer.close();
    for (const h of [big, small]) {
      h.store.close();
      rmSync(h.dir, { recursive: true, force: true });
    }
  }
}

export function statusPageBenchMarkdown(r: StatusPageBenchResult): string {
  const [base, ...rest] = r.cases as [Case, ...Case[]];
  const ms = (xs: readonly number[]): string => (xs.length === 0 ? "—" : fmt(median(xs), 1));
  const ratio = (xs: readonly number[], b: readonly number[]): string => (xs.length === 0 || b.length === 0 ? "—" : `${fmt(median(xs) / median(b), 1)}×`);
  const line = (c: Case, isBase: boolean): string =>
    [
      "", c.label, fmt(c.bytes / 1024, 1), ms(c.server), isBase ? "—" : ratio(c.server, base.server), ms(c.dcl), ms(c.fcp),
      isBase ? "—" : ratio(c.fcp, base.fcp), c.fcp.length === 0 ? "—" : median(c.fcp) < TARGET_MS ? "pass" : "**fail**", "",
    ].join(" | ").trim();
  return [
    `The daemon's HTTP server and status pages in this process (no scheduler beside them) over a state.db of ${fmt(r.schedules)} schedules with ` +
      `30 runs each (${fmt(r.jobs)} jobs; built in ${fmt(r.buildSeconds, 1)} s through the store's API), and over 100 schedules; ${r.rounds} rounds after a ` +
      `warm-up round, the pages interleaved (the order rotated each round), medians. Server: a whole GET from Node (body read). Browser: ` +
      (r.browser ? "Debian's chromium (playwright-core), a new page per load, 1280×900: DOMContentLoaded and first contentful paint from the navigation's start." : "— (no chromium here).") +
      ` ${r.cores} cores.`,
    "",
    "| page | KB | server ms | × baseline | DOMContentLoaded ms | first paint ms | × baseline | first screen < 1 s |",
    "|---|---|---|---|---|---|---|---|",
    line(base, true),
    ...rest.map((c) => line(c, false)),
    "",
    `The first \`GET /\` of ${fmt(r.schedules)} schedules, with the listing's order read from nothing (the newest job of each schedule, ` +
      `500 schedules a turn of the event loop; the daemon starts that reading when it starts): ${fmt(r.coldMs, 0)} ms. "Server ms" includes ` +
      `Node's fetch reading the body in the same process; the listing built by the pages' code alone (no HTTP, 30 times, pages 1 and 100 ` +
      `alternately): median ${fmt(r.buildMedianMs, 1)} ms, slowest ${fmt(r.buildMaxMs, 1)} ms — what the daemon's firing would wait for; the event ` +
      `loop's delay meanwhile: p99 ${fmt(r.loopP99Ms, 1)} ms, max ${fmt(r.loopMaxMs, 1)} ms.`,
  ].join("\n");
}
