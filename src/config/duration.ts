/**
 * itd's one duration grammar: a whole number and a unit — `500ms`, `30s`,
 * `5m` or `5min`, `12h`, `90d`, `2w` — for the config file's durations,
 * ITD_TIMEOUTS and the rate budgets' windows (`4/60s`). Pure.
 */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};


const DURATION = /^\s*(\d+)\s*(ms|s|min|m|h|d|w)\s*$/;

/** `"90d"` → milliseconds; undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (m === null) return undefined;
  return Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
}

const RATE = /^\s*(\d+)\s*\/\s*(\d*)\s*(ms|s|min|m|h|d|w)\s*$/;

/** `"4/60s"` → `{ limit: 4, windowMs: 60000 }` (`"100/s"` = per second); undefined if malformed or not positive. */
export function parseRate(text: string): { limit: number; windowMs: number } | undefined {
  const m = RATE.exec(text);
  if (m === null) return undefined;
  const limit = Number(m[1]);
  const windowMs = Number(m[2] === "" ? "1" : m[2]) * (DURATION_UNITS[m[3] as string] as number);
  if (!(limit >= 1) || !(windowMs > 0)) return undefined;
  return { limit, windowMs };
}
