/**
 * `npm run bench`: every benchmark, figures printed as markdown and saved to
 * bench-results/. Sized for a 2-core machine. `--quick` for a short run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliBench, cliBenchMarkdown } from "./cli.js";
import { clientBench, clientBenchMarkdown } from "./client.js";
import { importBench, importBenchMarkdown } from "./import.js";
import { daemonBench, daemonBenchMarkdown, realDaemonIdle, realDaemonMarkdown } from "./daemon.js";
import { failoverBench, failoverBenchMarkdown } from "./failover.js";
import { jobsBench, jobsBenchMarkdown } from "./jobs.js";
import { lookbackBench, lookbackBenchMarkdown } from "./lookback.js";
import { postgresBench, postgresBenchMarkdown } from "./postgres.js";
import { renderBench, renderBenchMarkdown } from "./render.js";
import { slicingBench, slicingBenchMarkdown } from "./slicing.js";
import { statusPageBench, statusPageBenchMarkdown } from "./statuspage.js";
import { upsertBench, upsertBenchMarkdown } from "./upsert.js";
import { warehouseBench, warehouseBenchMarkdown } from "./warehouse.js";

const quick = process.argv.includes("--quick");
const out: string[] = [`# itd benchmarks (${new Date().toISOString()}, node ${process.version})`, ""];

const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);

if (only === undefined || only === "daemon") {
  const daemon = await daemonBench({ seconds: quick ? 65 : 130 });
  out.push("## Daemon: firing 10,000 schedules", "", daemonBenchMarkdown(daemon), "");
  out.push(realDaemonMarkdown(await realDaemonIdle(quick ? 10 : 30)), "");
}

if (only === undefined || only === "jobs") {
  const jobs = await jobsBench({ quick });
  out.push("## Daemon: starting jobs (warm job processes vs a process per job)", "", jobsBenchMarkdown(jobs), "");
}

if (only === undefined || only === "client") {
const client = await clientBench({ rounds: quick ? 2 : 5, eventsPerDay: quick ? 200_000 : 1_000_000 });
out.push("## Iterable client: export streaming and parsing", "", clientBenchMarkdown(client), "");
}

if (only === undefined || only === "import") {
  const imp = await importBench({ quick, log: (line) => process.stderr.write(`${line}\n`) });
  out.push("## Imports: itd against a naive single-threaded loader", "", importBenchMarkdown(imp), "");
}

if (only === undefined || only === "postgres") {
  const pgb = await postgresBench({ quick, log: (line) => process.stderr.write(`${line}\n`) });
  out.push("## PostgreSQL warehouse: itd against a raw COPY", "", postgresBenchMarkdown(pgb), "");
}

if (only === undefined || only === "failover") {
  const fo = await failoverBench({ quick, log: (line) => process.stderr.write(`${line}\n`) });
  out.push("## Several daemons on one PostgreSQL state: failover, lateness, the rate budget", "", failoverBenchMarkdown(fo), "");
}

if (only === undefined || only === "warehouse") {
  const wh = warehouseBench({ rows: quick ? 200_000 : 1_000_000, rounds: quick ? 3 : 5 });
  out.push("## Warehouse: a big slice through the scratch file", "", warehouseBenchMarkdown(wh), "");
}

if (only === undefined || only === "render") {
  const render = renderBench({ sizes: [1_000, 2_000, 4_000, 10_000], wholeSizes: quick ? [1_000, 2_000] : [1_000, 2_000, 4_000], rounds: quick ? 3 : 7 });
  out.push("## CLI: drawing a query's table", "", renderBenchMarkdown(render), "");
}
if (only === undefined || only === "slicing") {
  const rows = await slicingBench({ quick });
  out.push("## Slicing: export requests of a backfill", "", slicingBenchMarkdown(rows), "");
}

if (only === undefined || only === "cli") {
  const cli = await cliBench({ rounds: quick ? 3 : 5, schedules: 10_000, jobs: 1_000_000, log: (line) => process.stderr.write(`${line}\n`) });
  out.push("## CLI: whole commands against 10,000 schedules and 1,000,000 jobs", "", cliBenchMarkdown(cli), "");
}

if (only === undefined || only === "statuspage") {
  const sp = await statusPageBench({ rounds: quick ? 3 : 7, log: (line) => process.stderr.write(`${line}\n`) });
  out.push("## Status page: 10,000 schedules in a browser (`--only=statuspage`)", "", statusPageBenchMarkdown(sp), "");
}

if (only === undefined || only === "lookback") {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const root = mkdtempSync(join(tmpdir(), "itd-bench-lookback-"));
  try {
    const lb = await lookbackBench({ root, quick, late: true, log });
    out.push("## Late events: what a lookback of 10 % of the window costs", "", lookbackBenchMarkdown(lb), "");
    const up = await upsertBench({ root, users: quick ? 200_000 : 1_000_000, rounds: quick ? 2 : 3, log });
    out.push("## Upsert: one row per user against append", "", upsertBenchMarkdown(up), "");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const text = out.join("\n");
process.stdout.write(text + "\n");
mkdirSync("bench-results", { recursive: true });
writeFileSync("bench-results/latest.md", text + "\n");
