import { ConfigError } from "../errors.js";
import type { RateGroup, RateLimits } from "../iterable/rate-budget.js";
import { parseRate } from "./duration.js";

const GROUPS: readonly RateGroup[] = ["export", "getUsers", "metrics", "campaigns", "lists"];

/**
 * Parses `export=8/60s,getUsers=10/1m`: the budgets to keep when Iterable has
 * granted a project other limits than its documented ones (ITD_RATE_LIMITS).
 */
export function parseRateLimitsSpec(spec: string | undefined, origin = "ITD_RATE_LIMITS"): Partial<RateLimits> {
  const out: Partial<RateLimits> = {};
  if (spec === undefined || spec.trim() === "") return out;
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const group = (eq > 0 ? part.slice(0, eq).trim() : undefined) as RateGroup | undefined;
    const rateText = eq > 0 ? part.slice(eq + 1) : "";
    if (group === undefined || !GROUPS.includes(group) || !/^\s*\d+\s*\/\s*\d*\s*[a-z]+\s*$/.test(rateText)) {
      throw new ConfigError(
        `${origin}: expected GROUP=N/WINDOW with GROUP one of ${GROUPS.join(", ")} and WINDOW like 60s or 1m (e.g. export=4/60s); got "${part}"`,
      );
    }
    const rate = parseRate(rateText);
    if (rate === undefined) throw new ConfigError(`${origin}: ${part}: the limit and the window must be positive (WINDOW like 60s or 1m)`);
    out[group] = rate;
  }
  return out;
}
