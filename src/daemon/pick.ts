import type { Job } from "../store/index.js";

/** A queued job gains one priority level per this much waiting, so a busy daemon delays low priorities but never starves them. */
export const PRIORITY_AGING_MS = 60_000;

/** What picking reads of a queued job (the daemon lists no more: a backlog of thousands stays cheap). */
export type Pickable = Pick<Job, "id" | "priority" | "createdAt" | "scheduledTime" | "stream">;

/** A job's priority after `now - createdAt` of waiting (aging). */
export function effectivePriority(job: Pick<Job, "priority" | "createdAt">, now: number, agingMs = PRIORITY_AGING_MS): number {
  return job.priority + Math.max(0, Math.floor((now - job.createdAt) / agingMs));
}

/**
 * Which queued jobs to start now: in order of effective priority (priority
 * plus one level per PRIORITY_AGING_MS waited), then slot, then id; at most
 * `free`, never a second job of a schedule that is running or already picked,
 * and for each schedule its earliest queued slot first. Pure.
 */
export function pickJobs<T extends Pickable>(queued: readonly T[], runningSchedules: ReadonlySet<string>, free: number, now = 0, agingMs = PRIORITY_AGING_MS): T[] {
  const picked: T[] = [];
  const taken = new Set<string>();
  // Each schedule's earliest queued slot (the first such in queue order), found once.
  const earliest = new Map<string, T>();
  for (const job of queued) {
    const key = scheduleKey(job);
    const first = earliest.get(key);
    if (first === undefined || (job.scheduledTime ?? 0) < (first.scheduledTime ?? 0)) earliest.set(key, job);
  }
  const order = queued
    .map((job) => ({ job, rank: effectivePriority(job, now, agingMs) }))
    .sort((a, b) => b.rank - a.rank || (a.job.scheduledTime ?? 0) - (b.job.scheduledTime ?? 0) || a.job.id - b.job.id)
    .map((x) => x.job);
  for (const job of order) {
    if (picked.length >= free) break;
    const schedule = scheduleKey(job);
    if (runningSchedules.has(schedule) || taken.has(schedule)) continue;
    taken.add(schedule);
    const first = earliest.get(schedule) as T;
    picked.push((job.scheduledTime ?? 0) <= (first.scheduledTime ?? 0) ? job : first);
  }
  return picked;
}

/** Queued runs of one schedule from which its backlog is reported (daemon log, connector:list, a metric). */
export const BACKLOG_WARN_AT = 5;

/** Jobs of one stream (a schedule's id, whatever its name) never run at once. */
export function scheduleKey(job: Pick<Job, "stream">): string {
  return job.stream;
}
