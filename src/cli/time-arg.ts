import { UsageError } from "../errors.js";

/**
 * Parses a user-given instant: ISO 8601 / RFC 3339 (`2026-01-01T00:00:00Z`,
 * `2026-01-01 00:00:00 +09:00`, a date alone = UTC midnight), or epoch
 * seconds / milliseconds. A time without an offset is taken as UTC.
 */
export function parseInstant(flag: string, value: string): number {
  const v = value.trim();
  if (/^\d{9,11}$/.test(v)) return Number(v) * 1000;
  if (/^\d{12,14}$/.test(v)) return Number(v);
  let iso = v;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(v);
  if (m) {
    const zone = m[3] === undefined ? "Z" : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3];
    iso = `${m[1]}T${m[2] ?? "00:00:00"}${zone}`;
  }
  const ms = m ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`${flag}: expected a time like 2026-01-01T00:00:00Z (or epoch seconds); got "${value}"`);
  }
  return ms;
}
