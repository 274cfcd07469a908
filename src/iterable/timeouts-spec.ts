import { ConfigError } from "../errors.js";
import type { TimeoutOptions } from "./types.js";

const NAMES: readonly (keyof TimeoutOptions)[] = ["connect", "headers", "idle"];
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
/** The longest timeout accepted: a day, as load.yml's `*_timeout` keys. */
const MAX_MS = 86_400_000;

/**
 * Parses `connect=30s,headers=5m,idle=120s` (ITD_TIMEOUTS): the Iterable HTTP
 * timeouts of every request this process makes, over DEFAULT_TIMEOUTS. Each
 * value is a whole number with a unit (ms, s, m, min, h), from 1 ms to 24 h.
 */
export function parseTimeoutsSpec(spec: string | undefined, origin = "ITD_TIMEOUTS"): Partial<TimeoutOptions> {
  const out: Partial<TimeoutOptions> = {};
  if (spec === undefined || spec.trim() === "") return out;
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+)\s*=\s*(\d+)\s*(ms|s|min|m|h)$/.exec(part);
    const name = m?.[1] as keyof TimeoutOptions | undefined;
    if (!m || name === undefined || !NAMES.includes(name)) {
      throw new ConfigError(
        `${origin}: expected NAME=DURATION with NAME one of ${NAMES.join(", ")} and DURATION a whole number with a unit ` +
          `(ms, s, m, min or h), e.g. connect=30s,headers=5m,idle=120s; got "${part}"`,
      );
    }
    if (out[name] !== undefined) throw new ConfigError(`${origin}: ${name} is given twice; got "${part}"`);
    const ms = Number(m[2]) * (UNITS[m[3] as string] as number);
    if (!(ms >= 1 && ms <= MAX_MS)) throw new ConfigError(`${origin}: ${part}: a timeout must be from 1ms to 24h`);
    out[name] = ms;
  }
  return out;
}
