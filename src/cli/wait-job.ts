import { ItdError } from "../errors.js";
import type { Clock } from "../clock.js";
import type { Job, JobLogLine, Store } from "../store/index.js";

export const FINAL_STATUSES: ReadonlySet<string> = new Set(["success", "error", "killed", "skipped"]);

/** How long a wait tolerates no daemon for a job that only a daemon can move on (a restart fits in it). */
export const NO_DAEMON_GRACE_MS = 30_000;

const POLL_MS = 500;

/**
 * Waits for a job to end (`connector:run -w`, `job:show -w`), handing each
 * new log line to `onLog` as it is written. Fails — never waits forever —
 * when the job is queued (or its process is gone) and no daemon has been
 * running for `NO_DAEMON_GRACE_MS`: nothing would ever move it on.
 */
export async function waitForJob(
  s: { store: Store; clock: Clock },
  id: number,
  options: { signal: AbortSignal; onLog?: (line: JobLogLine) => void; graceMs?: number },
): Promise<Job> {
  const { jobs, daemon, lifecycle } = s.store;
  const grace = options.graceMs ?? NO_DAEMON_GRACE_MS;
  let seq = 0;
  let strandedSince: number | undefined;
  for (;;) {
    const job = jobs.getJob(id);
    if (options.onLog) {
      for (const line of jobs.logs(id, seq)) {
        seq = line.seq;
        options.onLog(line);
      }
    }
    if (FINAL_STATUSES.has(job.status)) return job;
    const now = s.clock.now();
    // A running job whose stream lease is live (a daemon's child, a foreground run) ends by itself.
    const movesOn = daemon.alive() !== undefined || (job.status === "running" && lifecycle.liveLease(job.stream) !== undefined);
    if (movesOn) {
      strandedSince = undefined;
    } else {
      strandedSince ??= now;
      if (now - strandedSince >= grace) {
        const what = job.status === "queued" ? "is still queued" : "lost its process";
        throw new ItdError("schedule", `job ${id} ${what} and no itd daemon has been running for ${Math.round(grace / 1000)} s to run it`, {
          hints: [`Start one ('itd daemon', or the systemd service) and it runs; 'itd job:show -w ${id}' follows it again.`],
        });
      }
    }
    await s.clock.sleep(POLL_MS, options.signal);
  }
}
