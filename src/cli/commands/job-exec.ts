import { hostname } from "node:os";
import { runScheduleJob } from "../../connector/index.js";
import { IpcBudgets, type ChildMessage, type ParentMessage } from "../../daemon/ipc.js";
import type { ScheduleDefinition } from "../../schedule/index.js";
import { errorMessage } from "../../errors.js";
import { parseRateLimitsSpec, RateBudgets } from "../../iterable/index.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { loadCatalog } from "../schedule-catalog.js";
import { withServices } from "../services.js";

/**
 * `itd __job JOB_ID`: runs one job the daemon marked running, in this process
 * (the daemon's job processes). Budgets come from the daemon over IPC when
 * there is a channel. The job's outcome is in the store; the exit code says
 * only whether this process could run it.
 */
export const jobExecCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, {}, { min: 1, max: 1, names: "JOB_ID" });
    const id = intFlag("JOB_ID", positionals[0], 1) as number;
    return withServices(ctx, values, async (s) => {
      const send = process.send?.bind(process);
      let finished = false;
      let given: Promise<{ definition: ScheduleDefinition | null; token: number }> | undefined;
      let onCommitted: ((records: number) => void) | undefined;
      if (send) {
        given = new Promise((resolve) => {
          const onMessage = (m: unknown): void => {
            if ((m as ParentMessage).t !== "definition") return;
            process.off("message", onMessage);
            const { definition, token } = m as Extract<ParentMessage, { t: "definition" }>;
            resolve({ definition, token });
          };
          process.on("message", onMessage);
        });
        // The daemon died: stop at once, like it. The job stays `running` with this dead pid, so the next
        // daemon marks it interrupted and retries its slot; the uncommitted slice was never visible.
        process.on("disconnect", () => {
          if (!finished) process.exit(70);
        });
        // Belt and braces: a parent SIGKILLed mid-request is noticed by our new parent pid too.
        const parent = process.ppid;
        setInterval(() => {
          if (process.ppid !== parent && !finished) process.exit(70);
        }, 500).unref();
        const local = new RateBudgets(s.clock, parseRateLimitsSpec(ctx.env["ITD_RATE_LIMITS"]));
        // The daemon gone mid-request: stop quietly, like on 'disconnect' (no EPIPE stack trace in its journal).
        const toDaemon = (m: ChildMessage): void => {
          if (!process.connected) return;
          send(m, undefined, {}, (err) => {
            if (err && !finished) process.exit(70);
          });
        };
        s.budgets = new IpcBudgets(local, toDaemon, (on) => process.on("message", (m) => on(m as ParentMessage)));
        s.onRequest = (event) => toDaemon({ t: "request", event } satisfies ChildMessage);
        onCommitted = (records) => toDaemon({ t: "committed", records } satisfies ChildMessage);
      }
      const job = s.store.jobs.getJob(id);
      if (job.status !== "running" || job.schedule === null) {
        ctx.stderr.write(`Error: job ${id} is ${job.status}${job.schedule === null ? " and has no schedule" : ""}: nothing to run\n`);
        return 3;
      }
      try {
        // From the daemon when it runs us (the definition it fired, the lease it took for us); read here otherwise.
        const handed = given ? await given : undefined;
        // By id, never by name: a schedule deleted and made again under its name is another schedule.
        const def = handed?.definition ?? (await loadCatalog(s, ctx.env)).schedules.find((d) => d.id === job.scheduleId);
        if (def === undefined) throw new Error(`the schedule of job ${id} (${job.schedule}) no longer exists`);
        const lease = s.store.leases.get(job.stream);
        const token = handed?.token ?? (lease?.jobId === id ? lease.token : undefined);
        if (token === undefined) throw new Error(`job ${id} holds no lease on its stream ${job.stream}`);
        // This process holds the job and its lease now (the daemon records it too; whichever write gets through).
        try {
          s.store.lifecycle.handOver(job, token, { pid: process.pid, host: hostname() });
        } catch {
          // state.db busy: the daemon's record stands; the lease is renewed by token either way
        }
        await runScheduleJob(
          {
            clientFor: (config) => s.iterableClient(config), warehouse: s.warehouse, jobs: s.store.jobs, cursors: s.store.cursors, clock: s.clock,
            logger: s.logger, env: ctx.env, lifecycle: s.store.lifecycle, legacyStream: s.store.schedules.legacyStream(def.id),
          },
          def,
          job,
          token,
          { signal: ctx.signal, onCommitted },
        );
      } catch (err) {
        s.store.lifecycle.finish(job, undefined, { status: "error", records: 0, skippedRecords: 0, bytes: 0, error: errorMessage(err) });
      }
      finished = true;
      if (process.connected) process.disconnect();
      return 0;
    });
  },
};
