import type { Job } from "../store/index.js";

/**
 * Which queued jobs to start now: in queue order (priority, then slot), at most
 * `free`, never a second job of a schedule that is running or already picked,
 * and for each schedule its earliest queued slot first. Pure.
 */
export function pickJobs(queued: readonly Job[], runningSchedules: ReadonlySet<string>, free: number): Job[] {
  const picked: Job[] = [];
  const taken = new Set<string>();
  for (const job of queued) {
    if (picked.length >= free) break;
    const schedule = scheduleKey(job);
    if (runningSchedules.has(schedule) || taken.has(schedule)) continue;
    taken.add(schedule);
    picked.push(
      queued.filter((j) => scheduleKey(j) === schedule).reduce((a, b) => ((b.scheduledTime ?? 0) < (a.scheduledTime ?? 0) ? b : a), job),
    );
  }
  return picked;
}

/** Jobs of one schedule never run at once; a job without a schedule is its own. */
export function scheduleKey(job: Job): string {
  return job.schedule ?? `job:${job.id}`;
}
