import { ConfigError } from "../errors.js";
import type { RateGroup, RateLimits } from "./rate-budget.js";

const GROUPS: readonly RateGroup[] = ["export", "getUsers", "metrics", "campaigns", "lists"];
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * Parses `export=8/60s,getUsers=10/1m`: the budgets to keep when Iterable has
 * granted a project other limits than its documented ones (ITD_RATE_LIMITS).
 */
export function parseRateLimitsSpec(spec: string | undefined, origin = "ITD_RATE_LIMITS"): Partial<RateLimits> {
  const out: Partial<RateLimits> = {};
  if (spec === undefined || spec.trim() === "") return out;
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+)=(\d+)\/(\d+)?(ms|s|m|min|h)$/.exec(part);
    const group = m?.[1] as RateGroup | undefined;
    if (!m || group === undefined || !GROUPS.includes(group)) {
      throw new ConfigError(
        `${origin}: expected GROUP=N/WINDOW with GROUP one of ${GROUPS.join(", ")} and WINDOW like 60s or 1m (e.g. export=4/60s); got "${part}"`,
      );
    }
    const limit = Number(m[2]);
    const windowMs = Number(m[3] ?? "1") * (UNITS[m[4] as string] as number);
    if (limit < 1 || windowMs <= 0) throw new ConfigError(`${origin}: ${part}: the limit and the window must be positive`);
    out[group] = { limit, windowMs };
  }
  return out;
}
