import { ItdError } from "../../errors.js";
import { isProcessAlive, thisHost } from "../../pid.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { withServices } from "../services.js";
import { FINAL_STATUSES } from "../wait-job.js";
import { jobIdArg } from "./job.js";

/** How long job:kill waits for the daemon to hand a job it just started to its process. */
const HAND_OVER_WAIT_MS = 10_000;

/** How long job:kill waits for a running job's process to record its end. */
const KILL_WAIT_MS = 60_000;

export const jobKillCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, {}, { min: 1, max: 1, names: "JOB_ID" });
    const id = jobIdArg(positionals[0]);
    return withServices(ctx, values, async (s) => {
      const { jobs, lifecycle, db } = s.store;
      // A queued job: killed in one transaction with the check, so a daemon starting it meanwhile wins or loses cleanly.
      const { job: before, killedQueued } = db
        .transaction(() => {
          const job = jobs.getJob(id);
          if (job.status !== "queued") return { job, killedQueued: false };
          jobs.appendLog(id, "warn", "killed by job:kill before it started");
          return { job: jobs.finishJob(id, { status: "killed", records: 0, skippedRecords: 0, bytes: 0, error: "killed by job:kill before it started" }), killedQueued: true };
        })
        .immediate();
      if (killedQueued) {
        ctx.stdout.write(`Job ${id} killed (it was queued).\n`);
        return 0;
      }
      if (FINAL_STATUSES.has(before.status)) {
        ctx.stderr.write(`Job ${id} is already finished (${before.status}).\n`);
        return 0;
      }
      // Running: its stream lease names the process that runs it — once the daemon has handed it over to its job
      // process. Until then it names the daemon itself, which must never get this SIGTERM: wait for the hand-over.
      // (The pid registered as this home's daemon, while that process lives — even if its lease lapsed in a stall;
      // on a shared store, any daemon registered from this host: several may run here, and none holds "the home".)
      const isDaemon = (pid: number): boolean =>
        s.store.daemon.shared
          ? s.store.daemon.list(Number.MAX_SAFE_INTEGER).some((d) => d.host === thisHost() && d.pid === pid && isProcessAlive(pid))
          : s.store.daemon.liveHolder({ pid: process.pid, host: thisHost() }, Number.MAX_SAFE_INTEGER, isProcessAlive)?.pid === pid;
      // Its process is gone (and nothing recovered it yet): it ends killed here — unless it just ended by itself.
      const endGone = (): number => {
        const ended = lifecycle.finish(before, undefined, {
          status: "killed", records: before.records, skippedRecords: before.skippedRecords, bytes: before.bytes, error: "killed by job:kill (its process was already gone)",
        });
        ctx.stdout.write(ended.status === "killed" ? `Job ${id} killed (its process was already gone).\n` : `Job ${id} ended ${ended.status} before the kill took effect.\n`);
        return 0;
      };
      let lease = lifecycle.liveLease(before.stream);
      const handOverBy = s.clock.now() + HAND_OVER_WAIT_MS;
      while (lease !== undefined && lease.jobId === id && lease.host === thisHost() && isDaemon(lease.pid) && s.clock.now() < handOverBy) {
        await s.clock.sleep(100, ctx.signal);
        lease = lifecycle.liveLease(before.stream);
      }
      if (lease !== undefined && lease.jobId === id && lease.host === thisHost() && isDaemon(lease.pid)) {
        throw new ItdError("conflict", `job ${id} is still being handed to its process by the daemon (pid ${lease.pid}); try again in a moment`);
      }
      if (lease === undefined || lease.jobId !== id) {
        return endGone();
      }
      if (lease.host !== thisHost()) {
        throw new ItdError("conflict", `job ${id} runs on host ${lease.host} (pid ${lease.pid}); run 'itd job:kill ${id}' there`);
      }
      if (!isProcessAlive(lease.pid)) {
        return endGone();
      }
      // The signal goes while this holds state.db's write lock, and only if the job still runs and its lease still
      // names that process: a job process cannot record its job's end meanwhile, so it is still in this job when
      // the signal reaches it — a warm pooled process (job_processes) never gets it in the next job it runs.
      const target = lease.pid;
      // Sent once: on a shared PostgreSQL state a transaction that collided is run again.
      let sent = false;
      const signalled = db
        .transaction(() => {
          // On PostgreSQL no write lock holds the job process back: its job's row, locked, does (its end waits for
          // this commit). Locked first, before anything is read: a job that ended meanwhile fails this transaction
          // (a serialization failure), which runs again and finds it ended.
          jobs.lock(id);
          const now = lifecycle.liveLease(before.stream);
          if (jobs.getJob(id).status !== "running" || now === undefined || now.jobId !== id || now.pid !== target || now.host !== thisHost()) return false;
          jobs.appendLog(id, "warn", `job:kill: stopping this job (SIGTERM to pid ${target})`);
          try {
            if (!sent) process.kill(target, "SIGTERM");
            sent = true;
          } catch (err) {
            throw new ItdError("conflict", `cannot signal job ${id}'s process ${target}: ${(err as Error).message}`, {
              hints: ["It runs as another user: run job:kill as that user (e.g. sudo -u itd itd job:kill …)."],
            });
          }
          return true;
        })
        .immediate();
      if (!signalled && jobs.getJob(id).status === "running") {
        throw new ItdError("conflict", `job ${id} changed hands while job:kill looked at it; try again`);
      }
      const deadline = s.clock.now() + KILL_WAIT_MS;
      let job = jobs.getJob(id);
      while (!FINAL_STATUSES.has(job.status) && s.clock.now() < deadline) {
        await s.clock.sleep(200, ctx.signal);
        job = jobs.getJob(id);
      }
      if (!FINAL_STATUSES.has(job.status)) {
        throw new ItdError("conflict", `job ${id} was sent SIGTERM but has not ended after ${KILL_WAIT_MS / 1000} s; 'itd job:show ${id} -w' follows it`);
      }
      if (job.status === "killed") ctx.stdout.write(`Job ${id} killed; ${job.records} records were committed before it stopped.\n`);
      else ctx.stdout.write(`Job ${id} ended ${job.status} before the kill took effect.\n`);
      return 0;
    });
  },
};
