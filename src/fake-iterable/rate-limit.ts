/**
 * Iterable's per-endpoint rate limits, as a sliding window per API key and
 * endpoint: a request is refused when `limit` requests were accepted in the
 * last `windowMs`. Refused requests do not count.
 */
import { expandEndpoint, FAKE_ENDPOINTS, type FakeEndpoint } from "./endpoints.js";

export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** An endpoint name, or `export` for both export endpoints. */
export type RateLimitTarget = FakeEndpoint | "export";
export type RateLimitOverrides = Partial<Record<RateLimitTarget, RateLimit>>;

/** Iterable's documented limits (iterable-api.md §7), each export endpoint counted separately. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<FakeEndpoint, RateLimit>> = {
  campaigns: { limit: 100, windowMs: 1_000 },
  lists: { limit: 100, windowMs: 1_000 },
  metrics: { limit: 10, windowMs: 60_000 },
  getUsers: { limit: 5, windowMs: 60_000 },
  "export.json": { limit: 4, windowMs: 60_000 },
  "export.csv": { limit: 4, windowMs: 60_000 },
};

/** The limits in force: defaults, then `export`, then overrides of single endpoints. */
export function resolveRateLimits(overrides: RateLimitOverrides = {}): Record<FakeEndpoint, RateLimit> {
  const limits = { ...DEFAULT_RATE_LIMITS };
  const order: RateLimitTarget[] = ["export", ...FAKE_ENDPOINTS];
  for (const target of order) {
    const o = overrides[target];
    if (!o) continue;
    checkLimit(target, o);
    for (const e of expandEndpoint(target) ?? []) limits[e] = { limit: o.limit, windowMs: o.windowMs };
  }
  return limits;
}

function checkLimit(target: string, o: RateLimit): void {
  if (!Number.isSafeInteger(o.limit) || o.limit < 0) throw new Error(`rate limit for ${target}: limit must be a whole number ≥ 0; got ${o.limit}`);
  if (!Number.isFinite(o.windowMs) || o.windowMs <= 0) throw new Error(`rate limit for ${target}: window must be > 0 ms; got ${o.windowMs}`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * Parses `ENDPOINT=LIMIT/WINDOW`, e.g. `export=4/60s`, `getUsers=5/1m`,
 * `metrics=10/2s`, `campaigns=100/500ms`. ENDPOINT is one of campaigns,
 * metrics, lists, getUsers, export.json, export.csv, or export (both).
 */
export function parseRateLimit(spec: string): { endpoint: RateLimitTarget; limit: number; windowMs: number } {
  const m = /^\s*([A-Za-z.]+)\s*=\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(spec);
  if (!m) throw new Error(`rate limit "${spec}": expected ENDPOINT=LIMIT/WINDOW, e.g. export=4/60s`);
  const [, name = "", limit = "", amount = "", unit = "s"] = m;
  if (!expandEndpoint(name)) {
    throw new Error(`rate limit "${spec}": unknown endpoint "${name}" (expected one of export, ${FAKE_ENDPOINTS.join(", ")})`);
  }
  const windowMs = Number(amount) * (UNIT_MS[unit] as number);
  if (windowMs <= 0) throw new Error(`rate limit "${spec}": the window must be longer than 0`);
  return { endpoint: name as RateLimitTarget, limit: Number(limit), windowMs };
}

/** Sliding-window counters per (key, endpoint). */
export class RateLimiter {
  private readonly accepted = new Map<string, number[]>();

  constructor(private readonly limits: Readonly<Record<FakeEndpoint, RateLimit>>) {}

  /** Records the request and returns true when it is within the limit; false (not recorded) when over. */
  tryAcquire(apiKey: string, endpoint: FakeEndpoint, now: number): boolean {
    const { limit, windowMs } = this.limits[endpoint];
    const id = `${endpoint}\u0000${apiKey}`;
    let times = this.accepted.get(id);
    if (!times) this.accepted.set(id, (times = []));
    let drop = 0;
    while (drop < times.length && (times[drop] as number) <= now - windowMs) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= limit) return false;
    times.push(now);
    return true;
  }
}
