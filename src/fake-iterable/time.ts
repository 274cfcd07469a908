/**
 * Time for the fake: Iterable's export timestamp strings (fast, cached per
 * day), the date parameters it accepts, the `range` windows, and the search
 * that maps a time to an index among records whose times rise.
 */
import type { TimeWindow } from "../iterable/types.js";
import type { GeneratorConfig } from "./options.js";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const TWO: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));

let cachedDay = Number.NaN;
let cachedPrefix = "";

/** `YYYY-MM-DD` of the UTC day containing `ms`. */
export function utcDate(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = new Date(day * DAY_MS).toISOString().slice(0, 10);
  }
  return cachedPrefix;
}

function clock(ms: number): string {
  const secOfDay = Math.floor((ms - Math.floor(ms / DAY_MS) * DAY_MS) / 1000);
  const h = Math.floor(secOfDay / 3600);
  const m = Math.floor((secOfDay % 3600) / 60);
  return `${TWO[h] as string}:${TWO[m] as string}:${TWO[secOfDay % 60] as string}`;
}

let lastExportMs = Number.NaN;
let lastExport = "";

/** Iterable's export form: `2021-04-14 16:49:02 +00:00` (seconds; milliseconds dropped). */
export function exportTime(ms: number): string {
  if (ms !== lastExportMs) {
    lastExportMs = ms;
    lastExport = `${utcDate(ms)} ${clock(ms)} +00:00`;
  }
  return lastExport;
}

const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?: ?(Z|UTC|[+-]\d{2}:?\d{2}))?$/;

/**
 * Parses a date parameter: `yyyy-MM-dd HH:mm:ss` with an optional zone
 * (`+00:00`, `+0000`, `Z`; none = UTC), ISO 8601 (`2024-01-01T00:00:00Z`,
 * fractions allowed) or a bare `YYYY-MM-DD` (UTC midnight). Returns epoch ms,
 * or undefined when the text is not a valid date.
 */
export function parseDateParam(text: string): number | undefined {
  const m = DATE_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, hh = "0", mi = "0", ss = "0", frac = "", zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(hh);
  const minute = Number(mi);
  const second = Number(ss);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const base = Date.UTC(year, month - 1, day, hour, minute, second, Number(frac.slice(0, 3).padEnd(3, "0")));
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  let offset = 0;
  if (zone !== undefined && zone !== "Z" && zone !== "UTC") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return undefined;
    offset = sign * (oh * 60 + om) * 60_000;
  }
  return base - offset;
}

/** Iterable's export `range` values. */
export const RANGES = ["Today", "Yesterday", "BeforeToday", "All"] as const;
export type RangeName = (typeof RANGES)[number];

/** The window a `range` stands for, in UTC days relative to `now`; `dataStart` bounds the open ends. */
export function rangeWindow(range: RangeName, now: number, dataStart: number): { start: number; end: number } {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  switch (range) {
    case "Today":
      return { start: today, end: today + DAY_MS };
    case "Yesterday":
      return { start: today - DAY_MS, end: today };
    case "BeforeToday":
      return { start: Math.min(dataStart, today), end: today };
    case "All":
      return { start: Math.min(dataStart, now), end: now };
    default: {
      const never: never = range;
      throw new Error(`unknown range ${String(never)}`);
    }
  }
}

/** The first index in [0, n) whose time is ≥ t (n when none); `timeOf` must not decrease. */
export function lowerBound(n: number, t: number, timeOf: (k: number) => number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (timeOf(mid) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The part of a window that holds data: clipped to [dataStart, now). */
export function dataWindow(cfg: GeneratorConfig, w: TimeWindow): TimeWindow {
  return { start: Math.max(w.start, cfg.dataStart), end: Math.min(w.end, cfg.now ?? Number.POSITIVE_INFINITY) };
}
