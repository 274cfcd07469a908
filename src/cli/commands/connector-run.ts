import { runScheduleJob, serializeLoadConfig } from "../../connector/index.js";
import { ItdError, UsageError } from "../../errors.js";
import { isProcessAlive } from "../../pid.js";
import { SlotCalculator } from "../../schedule/index.js";
import { scheduleStream, type Job } from "../../store/index.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { formatTdTime } from "../format-time.js";
import { checkConfigShape, findSchedule, loadCatalog } from "../schedule-catalog.js";
import { withServices } from "../services.js";
import { parseInstant } from "../time-arg.js";

const FINAL = new Set(["success", "error", "killed", "skipped"]);

export const connectorRunCommand: Command = {
  name: "connector:run",
  summary: "Queue a schedule's run for a slot (or a backfill of several) for the daemon",
  usage: `itd connector:run NAME [TIME] [-n COUNT] [-w] [--foreground]

Queues the run of the slot at TIME (default now; epoch seconds or RFC 3339, UTC unless an offset is given),
or COUNT consecutive slots of the schedule's cron from TIME (a backfill). The daemon runs queued jobs in slot
order. Without a running daemon, --foreground runs them here instead. -w waits for the final status.

Examples:
  itd connector:run daily_import
  itd connector:run daily_import 2026-11-01T00:10:00+09:00 -n 7 -w`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { count: { type: "string", short: "n" }, wait: { type: "boolean", short: "w" }, foreground: { type: "boolean" } },
      { min: 1, max: 2, names: "NAME [TIME]" },
    );
    const count = intFlag("count", values.count, 1, 10_000) ?? 1;
    const [name, time] = positionals as [string, string | undefined];
    return withServices(ctx, values, async (s) => {
      const d = findSchedule(loadCatalog(s, ctx.env), name);
      const from = time !== undefined ? parseInstant("TIME", time) : Math.floor(s.clock.now() / 1000) * 1000;
      if (count > 1 && d.cron === "") throw new UsageError(`-n ${count}: schedule '${name}' has no cron to take consecutive slots from`);
      const slots = [from, ...(count > 1 ? new SlotCalculator().nextN(d.cron, d.timezone, from, count - 1) : [])];
      const config = serializeLoadConfig(checkConfigShape(d.config, d.source), { redact: true });
      const { jobs } = s.store;
      const foreground = values.foreground === true;
      const queued: Job[] = [];
      for (const slot of slots) {
        try {
          queued.push(
            jobs.createJob({
              kind: "run", schedule: d.name, scheduledTime: slot, database: d.database, table: d.table, priority: d.priority,
              config, stream: scheduleStream(d.name), ...(foreground ? { status: "running" as const, pid: process.pid } : {}),
            }),
          );
        } catch (err) {
          if (!/UNIQUE/.test((err as Error).message)) throw err;
          const other = jobs.listJobs({ schedule: d.name }).find((j) => j.scheduledTime === slot && j.status !== "error" && j.status !== "killed");
          throw new ItdError("conflict", `slot ${formatTdTime(slot)} of '${d.name}' already has job ${other?.id ?? "?"} (${other?.status ?? "?"}); a slot runs once`);
        }
      }
      for (const j of queued) ctx.stdout.write(`Job ${j.id} is queued.\n`);
      const daemon = s.store.daemon.alive();
      if (!foreground && !daemon) {
        ctx.stderr.write("No itd daemon is running (no heartbeat in the store for 10 s): the jobs stay queued until one starts; use --foreground to run them here.\n");
      }
      let failed = 0;
      if (foreground) {
        jobs.recoverInterrupted(isProcessAlive);
        for (const j of queued) {
          jobs.markRunning(j.id, process.pid); // its start time is now, not when it was queued
          const { job } = await runScheduleJob(
            { clientFor: (config) => s.iterableClient(config), warehouse: s.warehouse, jobs, cursors: s.store.cursors, clock: s.clock, logger: s.logger, env: ctx.env },
            d,
            j,
            { signal: ctx.signal, onLog: (_l, m) => ctx.stdout.write(`  ${m}\n`) },
          );
          ctx.stdout.write(`Job ${job.id}: ${job.status}, ${job.records} records (slot ${formatTdTime(job.scheduledTime)})\n`);
          if (job.status !== "success") failed++;
        }
      } else if (values.wait && daemon) {
        for (const j of queued) {
          let cur = jobs.getJob(j.id);
          while (!FINAL.has(cur.status)) {
            await s.clock.sleep(500, ctx.signal);
            cur = jobs.getJob(j.id);
          }
          ctx.stdout.write(`Job ${cur.id}: Status     : ${cur.status}\n`);
          if (cur.status !== "success") failed++;
        }
      }
      for (const j of queued) ctx.stdout.write(`Use 'itd job:show ${j.id}' to show the status.\n`);
      return failed > 0 ? 1 : 0;
    });
  },
};
