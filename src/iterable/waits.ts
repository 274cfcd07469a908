/**
 * Call events (budget waits and retries) as the one line a person reads: the
 * progress line on a terminal, a job log, the stderr of guess and preview.
 * Built from already redacted parts (AttemptFailure), so no key reaches them.
 */
import { describeFailure, type AttemptFailure } from "./errors.js";
import type { CallEvent } from "./types.js";

/** Iterable's names for what each budget covers. */
const GROUP_LABEL: Record<string, string> = {
  export: "export",
  getUsers: "list members",
  metrics: "campaign metrics",
  campaigns: "campaigns",
  lists: "lists",
};

/** `4/min`, `100/s`, `8/2 min`, `3/1.5 s`. */
export function formatRate(limit: number, windowMs: number): string {
  if (windowMs === 1_000) return `${limit}/s`;
  if (windowMs === 60_000) return `${limit}/min`;
  if (windowMs === 3_600_000) return `${limit}/h`;
  if (windowMs % 60_000 === 0) return `${limit}/${windowMs / 60_000} min`;
  return `${limit}/${Number((windowMs / 1000).toFixed(3))} s`;
}

/** A wait as people read it: `12 s`, `2 min 5 s`, `under 1 s`. Whole seconds, rounded up. */
export function formatWait(ms: number): string {
  if (ms < 1000) return "under 1 s";
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}

/** Why a retry happens: `rate-limited by Iterable (429 RateLimitExceeded)`, `Iterable unreachable (…)`. */
export function retryReason(f: AttemptFailure): string {
  const broke = f.recordsYielded !== undefined && f.recordsYielded > 0;
  const what = describeFailure({ ...f, recordsYielded: 0 });
  if (broke) return `the response broke off after ${f.recordsYielded} records (${what})`;
  if (f.status === 429) return `rate-limited by Iterable (${what})`;
  if (f.iterableCode === "ConnectionError") return `Iterable unreachable (${f.detail})`;
  if (f.iterableCode === "Timeout") return `Iterable too slow (${f.detail})`;
  return `Iterable answered ${what}`;
}

/**
 * What a wait is for, without how long (a countdown shows that):
 * `waiting for Iterable's export limit (4/min)`,
 * `rate-limited by Iterable (429 RateLimitExceeded), retry 1 of 5`. Undefined for `sent`.
 */
export function waitReason(e: CallEvent): string | undefined {
  switch (e.type) {
    case "rate-limit":
      return `waiting for Iterable's ${GROUP_LABEL[e.group] ?? e.group} limit (${formatRate(e.limit, e.windowMs)})`;
    case "retry":
      return `${retryReason(e.failure)}, retry ${e.retry} of ${e.retryLimit}`;
    case "sent":
      return undefined;
    default: {
      const never: never = e;
      return String(never);
    }
  }
}

/** The whole line: `waiting for Iterable's export limit (4/min): next request in 12 s`. Undefined for `sent`. */
export function describeCallEvent(e: CallEvent): string | undefined {
  const reason = waitReason(e);
  if (reason === undefined || e.type === "sent") return undefined;
  return `${reason}: next request in ${formatWait(e.waitMs)}`;
}
