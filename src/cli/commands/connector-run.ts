import { runScheduleJob, serializeLoadConfig } from "../../connector/index.js";
import { ItdError, UsageError } from "../../errors.js";
import { SlotCalculator } from "../../schedule/index.js";
import { scheduleStream, type Job } from "../../store/index.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { formatTdTime } from "../format-time.js";
import { loadSchedule } from "../schedule-catalog.js";
import { checkConfigShape } from "../schedule-config.js";
import { withServices } from "../services.js";
import { parseInstant } from "../time-arg.js";
import { waitForJob } from "../wait-job.js";

export const connectorRunCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { count: { type: "string", short: "n" }, wait: { type: "boolean", short: "w" }, foreground: { type: "boolean" } },
      { min: 1, max: 2, names: "NAME [TIME]" },
    );
    const count = intFlag("count", values.count, 1, 10_000) ?? 1;
    const [name, time] = positionals as [string, string | undefined];
    return withServices(ctx, values, async (s) => {
      const d = await loadSchedule(s, ctx.env, name);
      const from = time !== undefined ? parseInstant("TIME", time) : Math.floor(s.clock.now() / 1000) * 1000;
      if (count > 1 && d.cron === "") throw new UsageError(`-n ${count}: schedule '${name}' has no cron to take consecutive slots from`);
      const slots = [from, ...(count > 1 ? new SlotCalculator().nextN(d.cron, d.timezone, from, count - 1) : [])];
      const config = serializeLoadConfig(checkConfigShape(d.config, d.source), { redact: true });
      const { jobs, lifecycle } = s.store;
      const foreground = values.foreground === true;
      const now = s.clock.now();
      const dueAt = (slot: number): number => slot + d.delay * 1000;
      const base = {
        kind: "run" as const, schedule: d.name, scheduleId: d.id, database: d.database, table: d.table, priority: d.priority,
        config, stream: scheduleStream(d.id),
      };
      const taken = (slot: number, other: Job | undefined): ItdError =>
        new ItdError("conflict", `slot ${formatTdTime(slot)} of '${d.name}' already has job ${other?.id ?? "?"} (${other?.status ?? "?"}); a slot runs once`);
      let failed = 0;
      let foregroundFor = foreground;
      if (!foreground && d.paused && values.wait) {
        throw new ItdError("schedule", `schedule '${d.name}' is paused: its queued runs wait until it is resumed, so -w would wait for ever; nothing was queued`, {
          hints: [`Resume it ('itd connector:update ${d.name} --resume'), drop -w to queue the run, or run it here with --foreground.`],
        });
      }
      if (!foreground && values.wait && !s.store.daemon.alive()) {
        // -w promises the final status: with no daemon to run the jobs, run them here — or fail before queueing.
        const early = slots.find((slot) => dueAt(slot) > now);
        if (early !== undefined) {
          throw new ItdError("schedule", `no itd daemon is running to start the run of slot ${formatTdTime(early)} at ${formatTdTime(dueAt(early))}; nothing was queued`, {
            hints: ["Start the daemon ('itd daemon', or the systemd service), or drop -w to queue the run for it."],
          });
        }
        ctx.stderr.write("No itd daemon is running: running the job(s) here (as --foreground).\n");
        foregroundFor = true;
      }
      if (foregroundFor) {
        const early = slots.find((slot) => dueAt(slot) > now);
        if (early !== undefined) {
          throw new UsageError(
            `slot ${formatTdTime(early)} of '${d.name}' is not due until ${formatTdTime(dueAt(early))}: --foreground runs due slots only; drop it to queue the run for the daemon`,
          );
        }
        lifecycle.recover();
        const deps = {
          clientFor: (c: Parameters<typeof s.iterableClient>[0]) => s.iterableClient(c), warehouse: s.warehouse, jobs, cursors: s.store.cursors,
          clock: s.clock, logger: s.logger, env: ctx.env, lifecycle, legacyStream: s.store.schedules.legacyStream(d.id),
        };
        for (const slot of slots) {
          const started = lifecycle.startNew({ ...base, scheduledTime: slot });
          if (started.status === "busy") {
            throw new ItdError("conflict", `schedule ${d.name} is running (job ${started.lease.jobId})`, {
              hints: [`Wait for it ('itd job:show ${started.lease.jobId}'), or drop --foreground to queue this run behind it.`],
            });
          }
          if (started.status === "taken" || started.status === "gone") throw taken(slot, started.job);
          if (started.status === "fenced") throw new ItdError("internal", "unexpected fencing of a foreground run");
          ctx.stdout.write(`Job ${started.job.id} is running.\n`);
          const { job } = await runScheduleJob(deps, d, started.job, started.token, { signal: ctx.signal, onLog: (_l, m) => ctx.stdout.write(`  ${m}\n`) });
          ctx.stdout.write(`Job ${job.id}: ${job.status}, ${job.records} records (slot ${formatTdTime(job.scheduledTime)})\n`);
          ctx.stdout.write(`Use 'itd job:show ${job.id}' to show the status.\n`);
          if (job.status !== "success") {
            failed++;
            if (ctx.signal.aborted) break;
          }
        }
        return failed > 0 ? 1 : 0;
      }
      // The jobs are the transaction's result, never collected outside it: on PostgreSQL a transaction that
      // collides with another (a daemon's claim) runs again, and the jobs of the attempt rolled back do not exist.
      const queued = s.store.db.transaction((): Job[] => {
        const jobs: Job[] = [];
        for (const slot of slots) {
          const q = lifecycle.queueSlot({ ...base, slot, runAt: dueAt(slot) > now ? dueAt(slot) : undefined });
          if (q.status === "taken") throw taken(slot, q.job);
          jobs.push(q.job);
        }
        return jobs;
      }).immediate();
      for (const j of queued) {
        ctx.stdout.write(`Job ${j.id} is queued.\n`);
        if (j.runAt !== null) ctx.stdout.write(`  its slot is in the future: it starts at ${formatTdTime(j.runAt)}\n`);
      }
      if (d.paused) ctx.stderr.write(`Schedule '${d.name}' is paused: the daemon starts its queued runs when it is resumed ('itd connector:update ${d.name} --resume').\n`);
      const daemon = s.store.daemon.alive();
      if (!daemon) {
        ctx.stderr.write("No itd daemon is running (no heartbeat in the store for 10 s): the jobs stay queued until one starts; use --foreground to run them here.\n");
      }
      if (values.wait) {
        // (A daemon that stops for good while we wait: waitForJob fails after its grace, never reports success.)
        for (const j of queued) {
          const cur = await waitForJob(s, j.id, { signal: ctx.signal });
          ctx.stdout.write(`Job ${cur.id}: Status     : ${cur.status}\n`);
          if (cur.status !== "success") failed++;
        }
      }
      for (const j of queued) ctx.stdout.write(`Use 'itd job:show ${j.id}' to show the status.\n`);
      return failed > 0 ? 1 : 0;
    });
  },
};
