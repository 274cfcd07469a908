/**
 * The Iterable rate budget across daemons: export schedules of ONE API key,
 * all due at the same second, on one daemon and on three daemons sharing a
 * PostgreSQL state, against the fake Iterable with Iterable's documented
 * limits on (4 export requests a minute per key) and itd's default export
 * budget (the same 4 a minute). Each job is one export request (a fixed
 * one-hour window). What counts: the fake's 429s (each one a request
 * Iterable refused; a shared budget makes them 0), and how long it took
 * until every job had ended.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withPg, type PostgresServer } from "../demo/postgres-server.js";
import { cronAt, homeEnv, itdFor, started, startDaemon, startFake, stopAll, type BenchDaemon, type FleetSpec } from "./fleet.js";

const KEY = "bench-budget-key";
/** Export schedules due at once: twice the per-minute limit. */
const SCHEDULES = 8;
const DAY0 = Date.UTC(2026, 5, 1);
const MAX_CONCURRENT_JOBS = 3;

export interface BudgetRow {
  daemons: number;
  schedules: number;
  /** The fake's 429s (rate limiting), and its export requests by status. */
  rateLimited: number;
  exportRequests: Record<string, number>;
  jobs: Record<string, number>;
  /** From the slot to the last job's end, s. */
  allEndedS: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function scenario(server: PostgresServer, daemonCount: number, log: (line: string) => void): Promise<BudgetRow> {
  const stateUrl = await server.createDatabase(`budget_state_${daemonCount}`);
  const warehouseUrl = await server.createDatabase(`budget_wh_${daemonCount}`);
  const fake = await startFake(["--api-key", KEY, "--events-per-day", "20000", "--now", "2026-06-02T00:00:00Z"]);
  const root = mkdtempSync(join(tmpdir(), "itd-bench-budget-"));
  const spec: FleetSpec = {
    root,
    // No ITD_RATE_LIMITS: itd's default budget, Iterable's documented limits.
    env: { ITD_STATE: stateUrl, ITD_WAREHOUSE: warehouseUrl, ITERABLE_API_KEY: KEY },
    // At most 3 jobs a daemon: the schedules' jobs spread over the three daemons (one daemon claims and starts
    // every job it can at once), and one daemon runs them 3 at a time.
    config: `http_port: 0\nshutdown_grace: 5\nmax_concurrent_jobs: ${MAX_CONCURRENT_JOBS}\n`,
  };
  const daemons: BenchDaemon[] = [];
  try {
    for (let i = 0; i < daemonCount; i++) daemons.push(startDaemon(spec, i));
    await Promise.all(daemons.map((d) => started(d)));
    const at = Math.ceil((Date.now() + 10_000 + SCHEDULES * 1_500) / 1000) * 1000;
    for (let i = 0; i < SCHEDULES; i++) {
      const hour = new Date(DAY0 + i * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      const end = new Date(DAY0 + (i + 1) * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      writeFileSync(
        join(root, `load${i}.yml`),
        [
          "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data", "  export_data_type: emailSend",
          `  start_time: '${hour}'`, `  end_time: '${end}'`, "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}",
          "out:", "  mode: replace", "",
        ].join("\n"),
      );
      await itdFor(homeEnv(spec, i % daemonCount), root, ["connector:create", `export_${i}`, cronAt(at), "budget", `sends_${i}`, `load${i}.yml`, "--catchup", "none", "--auto-create-table"]);
    }
    if (Date.now() > at - 2_000) throw new Error("budget bench: the schedules were made too late for their slot");
    log(`  ${SCHEDULES} export schedules of one key due at ${new Date(at).toISOString()} on ${daemonCount} daemon(s)…`);
    await sleep(at - Date.now());
    type Row = { status: string; end_at: string | null };
    let rows: Row[] = [];
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
      rows = await withPg(stateUrl, async (c) => (await c.query(`SELECT status, end_at FROM itd_state.jobs WHERE kind = 'scheduled'`)).rows as Row[]);
      if (rows.length === SCHEDULES && rows.every((r) => r.status !== "queued" && r.status !== "running")) break;
      if (Date.now() > deadline) break;
      await sleep(500);
    }
    const stats = await fake.stats();
    const jobs: Record<string, number> = {};
    for (const r of rows) jobs[r.status] = (jobs[r.status] ?? 0) + 1;
    const ends = rows.map((r) => Number(r.end_at ?? Number.NaN));
    return {
      daemons: daemonCount, schedules: SCHEDULES, rateLimited: stats.rateLimited, exportRequests: stats.requests["export.json"] ?? {}, jobs,
      allEndedS: (Math.max(...ends) - at) / 1000,
    };
  } finally {
    await stopAll(daemons);
    fake.child.kill("SIGTERM");
    rmSync(root, { recursive: true, force: true });
  }
}

export async function budgetBench(server: PostgresServer, options: { log: (line: string) => void }): Promise<BudgetRow[]> {
  options.log("rate budget: one daemon, then three, on a PostgreSQL state…");
  const rows = [await scenario(server, 1, options.log), await scenario(server, 3, options.log)];
  for (const r of rows) options.log(`  ${r.daemons} daemon(s): 429s ${r.rateLimited}, jobs ${JSON.stringify(r.jobs)}, all ended ${r.allEndedS.toFixed(1)} s after the slot`);
  return rows;
}

export function budgetBenchMarkdown(rows: readonly BudgetRow[]): string {
  const kv = (o: Record<string, number>): string => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ");
  return [
    `**The rate budget across daemons**: ${SCHEDULES} export schedules of one API key, due at the same second (each job one export request), ` +
      "against the fake Iterable with Iterable's documented limits on (4 export requests a minute per key) and itd's default export budget " +
      "(the same), on one daemon and on three daemons sharing a PostgreSQL state; a fresh fake and state for each. Target: no 429 with three daemons.",
    "",
    "| daemons | fake's 429s | export requests by status | jobs | slot → last job ended s |",
    "|---:|---:|---|---|---:|",
    ...rows.map((r) => `| ${r.daemons} | ${r.rateLimited}${r.daemons > 1 ? (r.rateLimited === 0 ? " (target met)" : " (**target missed**)") : ""} | ${kv(r.exportRequests)} | ${kv(r.jobs)} | ${r.allEndedS.toFixed(1)} |`),
  ].join("\n");
}
