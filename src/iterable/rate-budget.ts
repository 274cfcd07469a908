/**
 * Per-endpoint rate budgets, shared by every client of one API key in the
 * process (the composition root makes one RateBudgets and hands it to every
 * client). A sliding window per (key, endpoint group): a request is allowed
 * when fewer than `limit` were granted in the last `windowMs + marginMs`.
 * The margin absorbs the delay between our send and Iterable's receive-time
 * count, so the server never sees more than the limit.
 */
import { createHash } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Endpoint } from "./types.js";

/** Endpoints that Iterable counts together. data.json and data.csv share the export budget. */
export type RateGroup = "export" | "getUsers" | "metrics" | "campaigns" | "lists";

export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** Extra wait added to the window; default: the larger of 2% and 250 ms for windows of a minute or more, else 2%. */
  marginMs?: number;
}

export type RateLimits = Record<RateGroup, RateLimit>;

/** Iterable's documented limits per project (iterable-api.md §7). */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  export: { limit: 4, windowMs: 60_000 },
  getUsers: { limit: 5, windowMs: 60_000 },
  metrics: { limit: 10, windowMs: 60_000 },
  campaigns: { limit: 100, windowMs: 1_000 },
  lists: { limit: 100, windowMs: 1_000 },
};

const GROUP_OF: Record<Endpoint, RateGroup> = {
  "export/data.json": "export",
  "export/data.csv": "export",
  "lists/getUsers": "getUsers",
  "campaigns/metrics": "metrics",
  campaigns: "campaigns",
  lists: "lists",
};

export function rateGroupOf(endpoint: Endpoint): RateGroup {
  return GROUP_OF[endpoint];
}

/** The safety margin added to a window, ms. */
export function marginOf(limit: RateLimit): number {
  if (limit.marginMs !== undefined) return limit.marginMs;
  const twoPercent = Math.ceil(limit.windowMs * 0.02);
  return limit.windowMs >= 60_000 ? Math.max(twoPercent, 250) : twoPercent;
}

/** How long a grant counts: the window and its margin, ms. */
export function spanOf(limit: RateLimit): number {
  return limit.windowMs + marginOf(limit);
}

/** The budget key of an API key at a base URL: a short sha256, so the key itself is never kept or shown. */
export function budgetKeyId(apiKey: string, baseUrl: string): string {
  return createHash("sha256").update(`${apiKey}\n${baseUrl}`).digest("hex").slice(0, 16);
}

interface Bucket {
  readonly group: RateGroup;
  /** Grant times within the current window, oldest first. */
  grants: number[];
  /** The queue: each acquire waits for the previous one to be granted (first come, first served). */
  tail: Promise<void>;
  /** Acquires queued and not yet granted (or refused). */
  queued: number;
}

/** A request that has to wait for its budget: how long, and which limit holds it back. */
export interface BudgetWait {
  waitMs: number;
  group: RateGroup;
  limit: RateLimit;
}

/**
 * When the request behind `ahead` queued ones will be granted, ms from `now`:
 * each grant comes when the `limit`-th grant before it leaves the window
 * (`span` = window + margin), as #waitForSlot grants them.
 */
export function grantDelay(grants: readonly number[], ahead: number, limit: number, span: number, now: number): number {
  const times = [...grants];
  let at = now;
  for (let k = 0; k <= ahead; k++) {
    const i = times.length;
    at = i >= limit ? Math.max(now, (times[i - limit] as number) + span) : now;
    times.push(at);
  }
  return at - now;
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error("aborted");
}

/**
 * `turn`, or a rejection as soon as `signal` aborts: a caller leaves a queue at
 * once; the turn, when it comes, must itself see the abort and grant nothing.
 */
export function untilAborted(turn: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return turn;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    turn.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

function checkedLimits(limits: Partial<RateLimits>): RateLimits {
  const all = { ...DEFAULT_RATE_LIMITS, ...limits };
  for (const [group, rate] of Object.entries(all)) {
    if (!(rate.limit >= 1) || !(rate.windowMs > 0)) throw new RangeError(`rate limit for ${group} must be ≥ 1 per window > 0 ms`);
  }
  return all;
}

export class RateBudgets {
  readonly #clock: Clock;
  #limits: RateLimits;
  readonly #buckets = new Map<string, Bucket>();

  constructor(clock: Clock, limits: Partial<RateLimits> = {}) {
    this.#clock = clock;
    this.#limits = checkedLimits(limits);
  }

  /** Replaces the limits (the daemon's SIGHUP); requests already counted stay counted. */
  setLimits(limits: Partial<RateLimits>): void {
    this.#limits = checkedLimits(limits);
  }

  /** The limit that applies to an endpoint. */
  limitOf(endpoint: Endpoint): RateLimit {
    return this.#limits[rateGroupOf(endpoint)];
  }

  /** The even spacing between requests the budget allows (window / limit), ms. */
  spacingOf(endpoint: Endpoint): number {
    const rate = this.limitOf(endpoint);
    return Math.ceil(spanOf(rate) / rate.limit);
  }

  /**
   * Resolves when one request to `endpoint` with key `keyId` may be sent (and
   * counts it); rejects when `signal` aborts first. When the request has to
   * wait, `onWait` is told at once how long (a throwing listener is ignored).
   */
  acquire(keyId: string, endpoint: Endpoint, signal?: AbortSignal, onWait?: (wait: BudgetWait) => void): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const bucket = this.#bucket(keyId, rateGroupOf(endpoint));
    if (onWait !== undefined) {
      const now = this.#clock.now();
      this.#prune(bucket, now);
      const rate = this.#limits[bucket.group];
      const waitMs = grantDelay(bucket.grants, bucket.queued, rate.limit, spanOf(rate), now);
      if (waitMs > 0) {
        try {
          onWait({ waitMs, group: bucket.group, limit: rate });
        } catch {
          // a listener's trouble is not the budget's
        }
      }
    }
    bucket.queued++;
    const turn = bucket.tail.then(() => this.#waitForSlot(bucket, signal)).finally(() => bucket.queued--);
    bucket.tail = turn.catch(() => undefined);
    // #waitForSlot sees the abort when the turn comes, and grants nothing.
    return untilAborted(turn, signal);
  }

  /** Requests granted in the current window (for tests and metrics). */
  inWindow(keyId: string, endpoint: Endpoint): number {
    const bucket = this.#buckets.get(`${keyId}|${rateGroupOf(endpoint)}`);
    if (bucket === undefined) return 0;
    this.#prune(bucket, this.#clock.now());
    return bucket.grants.length;
  }

  #bucket(keyId: string, group: RateGroup): Bucket {
    const id = `${keyId}|${group}`;
    let bucket = this.#buckets.get(id);
    if (bucket === undefined) {
      bucket = { group, grants: [], tail: Promise.resolve(), queued: 0 };
      this.#buckets.set(id, bucket);
    }
    return bucket;
  }

  #prune(bucket: Bucket, now: number): void {
    // A clock that jumped back must not stall the budget until it catches up.
    if ((bucket.grants[bucket.grants.length - 1] ?? now) > now) bucket.grants = bucket.grants.map((g) => Math.min(g, now));
    const horizon = now - spanOf(this.#limits[bucket.group]);
    let drop = 0;
    while (drop < bucket.grants.length && (bucket.grants[drop] ?? 0) <= horizon) drop++;
    if (drop > 0) bucket.grants.splice(0, drop);
  }

  async #waitForSlot(bucket: Bucket, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const now = this.#clock.now();
      this.#prune(bucket, now);
      // Read at every turn: setLimits applies to a bucket already in use, and to its requests waiting.
      const rate = this.#limits[bucket.group];
      if (bucket.grants.length < rate.limit) {
        bucket.grants.push(now);
        return;
      }
      const oldest = bucket.grants[0] ?? now;
      await this.#clock.sleep(oldest + spanOf(rate) - now, signal);
    }
  }
}

/** What the client needs of a budget: the in-process RateBudgets, or a proxy to another process's. */
export type RateBudget = Pick<RateBudgets, "acquire" | "spacingOf">;
