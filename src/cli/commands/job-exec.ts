import { EXIT_DAEMON_GONE, EXIT_UNRECORDED } from "../../daemon/ipc.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { processLink, runHandedJob, type HandedJob } from "../job-process.js";
import { withServices } from "../services.js";

/**
 * `itd __job JOB_ID`: runs one job the daemon marked running, in this process
 * (the daemon's fresh job processes, with `job_processes: 0` or when no warm
 * one is free). Budgets come from the daemon over IPC when there is a channel.
 * The job's outcome is in the store; the exit code says only whether this
 * process could run it.
 */
export const jobExecCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, {}, { min: 1, max: 1, names: "JOB_ID" });
    const id = intFlag("JOB_ID", positionals[0], 1) as number;
    let finished = false;
    // The daemon gone mid-request: stop quietly, like on 'disconnect' (no EPIPE stack trace in its journal).
    const link = processLink(() => {
      if (!finished) process.exit(EXIT_DAEMON_GONE);
    });
    let given: Promise<HandedJob> | undefined;
    if (link !== undefined) {
      given = new Promise((resolve) => {
        const off = link.subscribe((m) => {
          if (m.t !== "definition" || m.jobId !== id) return;
          off();
          resolve(m);
        });
      });
      // The daemon died: stop at once, like it. The job stays `running` with this dead pid, so the next
      // daemon marks it interrupted and retries its slot; the uncommitted slice was never visible.
      process.on("disconnect", () => {
        if (!finished) process.exit(EXIT_DAEMON_GONE);
      });
      // Belt and braces: a parent SIGKILLed mid-request is noticed by our new parent pid too.
      const parent = process.ppid;
      setInterval(() => {
        if (process.ppid !== parent && !finished) process.exit(EXIT_DAEMON_GONE);
      }, 500).unref();
    }
    return withServices(ctx, values, async (s) => {
      const job = s.store.jobs.getJob(id);
      if (job.status !== "running" || job.schedule === null) {
        ctx.stderr.write(`Error: job ${id} is ${job.status}${job.schedule === null ? " and has no schedule" : ""}: nothing to run\n`);
        finished = true;
        if (process.connected) process.disconnect(); // the channel would keep this process alive
        return 3;
      }
      // From the daemon when it runs us (the definition it fired, the lease it took for us); read here otherwise.
      const handed = given ? await given : undefined;
      const run = await runHandedJob(s, ctx.env, job, handed, link, ctx.signal);
      finished = true;
      if (link !== undefined) {
        const rss = process.memoryUsage().rss;
        await link.flush({
          t: "done", jobId: id, rss, cpuMs: run.cpuMs, recorded: run.recorded, terminated: ctx.signal.aborted, refused: false, exiting: true,
        });
        if (process.connected) process.disconnect();
      }
      return run.recorded ? 0 : EXIT_UNRECORDED;
    });
  },
};
