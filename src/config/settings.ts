/**
 * The settings every command and the daemon share, resolved in one place from
 * their layers — defaults < the config file < the environment < flags — into
 * one unit (milliseconds). Pure: the file's parsed values, the environment
 * and the flags are arguments.
 */
import { DEFAULT_TIMEOUTS, type TimeoutOptions } from "../iterable/types.js";
import type { RateLimits } from "../iterable/rate-budget.js";
import { parseRateLimitsSpec } from "./rate-limits.js";
import { parseTimeoutsSpec } from "./timeouts.js";

export interface IterableSettings {
  /** Rate budgets over Iterable's documented ones: the file's `rate_limits`, then `$ITD_RATE_LIMITS` per group. */
  rateLimits: Partial<RateLimits>;
  /** HTTP timeouts (ms): the defaults, then `$ITD_TIMEOUTS` (a load's own `*_timeout` keys win over both). */
  timeouts: TimeoutOptions;
}

export interface IterableLayers {
  /** `rate_limits` of the config file, parsed. */
  fileRateLimits?: Partial<RateLimits> | undefined;
  env: NodeJS.ProcessEnv;
}

export function resolveIterableSettings(layers: IterableLayers): IterableSettings {
  return {
    rateLimits: { ...layers.fileRateLimits, ...parseRateLimitsSpec(layers.env["ITD_RATE_LIMITS"]) },
    timeouts: { ...DEFAULT_TIMEOUTS, ...parseTimeoutsSpec(layers.env["ITD_TIMEOUTS"]) },
  };
}
