import { ConfigError } from "../errors.js";
import type { TimeoutOptions } from "../iterable/types.js";
import { parseDuration } from "./duration.js";

const NAMES: readonly (keyof TimeoutOptions)[] = ["connect", "headers", "idle"];
/** The longest timeout accepted: a day, as load.yml's `*_timeout` keys. */
const MAX_MS = 86_400_000;

/**
 * Parses `connect=30s,headers=5m,idle=120s` (ITD_TIMEOUTS): the Iterable HTTP
 * timeouts of every request this process makes, over DEFAULT_TIMEOUTS. Each
 * value is a duration (config/duration.ts), from 1 ms to 24 h.
 */
export function parseTimeoutsSpec(spec: string | undefined, origin = "ITD_TIMEOUTS"): Partial<TimeoutOptions> {
  const out: Partial<TimeoutOptions> = {};
  if (spec === undefined || spec.trim() === "") return out;
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const name = (eq > 0 ? part.slice(0, eq).trim() : undefined) as keyof TimeoutOptions | undefined;
    const ms = eq > 0 ? parseDuration(part.slice(eq + 1)) : undefined;
    if (ms === undefined || name === undefined || !NAMES.includes(name)) {
      throw new ConfigError(
        `${origin}: expected NAME=DURATION with NAME one of ${NAMES.join(", ")} and DURATION a whole number with a unit ` +
          `(ms, s, m or min, h), e.g. connect=30s,headers=5m,idle=120s; got "${part}"`,
      );
    }
    if (out[name] !== undefined) throw new ConfigError(`${origin}: ${name} is given twice; got "${part}"`);
    if (!(ms >= 1 && ms <= MAX_MS)) throw new ConfigError(`${origin}: ${part}: a timeout must be from 1ms to 24h`);
    out[name] = ms;
  }
  return out;
}
