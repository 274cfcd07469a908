import { UsageError } from "../../errors.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { processLink, runHandedJob } from "../job-process.js";
import { JobWorker } from "../job-worker.js";
import { withServices } from "../services.js";

/** Resolves after a whole turn of the event loop, poll phase included: signals already delivered are handled by then. */
function afterPendingSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * `itd __jobs`: a warm job process of the daemon's pool (`job_processes`). It
 * loads itd once, then runs the jobs the daemon hands it over IPC, one at a
 * time, each with its own services (store, warehouse, clients) opened and
 * closed around it; see ../job-worker.ts for its rules.
 */
export const jobWorkerCommand: CommandImpl = {
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, {}, { min: 0, max: 0, names: "none" });
    // A send that fails means the daemon is gone.
    const link = processLink(() => leave());
    if (link === undefined) throw new UsageError("itd __jobs runs jobs for the daemon, which starts it; it is not for use by hand");
    // Started by the daemon, which let it go while it loaded (the daemon stopping, a smaller pool, a lost lease):
    // it leaves quietly. A job handed to it meanwhile (only before a lost lease) is recovered as any whose pid died.
    if (!process.connected) return 0;
    const worker = new JobWorker({
      link,
      terminate: ctx.signal,
      run: (handed, signal) =>
        withServices({ ...ctx, signal }, values, async (s) => {
          const job = s.store.jobs.getJob(handed.jobId);
          // Ended meanwhile (recovered, killed): nothing to run, and nothing left running.
          if (job.status !== "running" || job.schedule === null) return { recorded: job.status !== "running", cpuMs: 0 };
          return runHandedJob(s, ctx.env, job, handed, link, signal);
        }),
      rss: () => process.memoryUsage().rss,
      exit: (code) => process.exit(code),
      settle: afterPendingSignals,
    });
    function leave(): void {
      worker.disconnected();
    }
    process.on("disconnect", leave);
    // Belt and braces: a daemon SIGKILLed is noticed by our new parent pid too.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) leave();
    }, 500).unref();
    worker.start();
    // Runs until the daemon lets it go (disconnect, SIGTERM when idle, or after a job it must leave on).
    await new Promise<never>(() => undefined);
    return 0;
  },
};
