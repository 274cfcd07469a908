/**
 * Timestamps as Iterable writes them and as itd stores them. Pure and
 * allocation-light: `toTimestampText` is on the per-record hot path, so the
 * common forms are handled by character checks and `slice`, without Date or
 * luxon.
 *
 * Stored form: `YYYY-MM-DD HH:MM:SS.SSS`, UTC (design §4).
 */

/** Earliest and latest instants that print as a four-digit year. */
const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/**
 * `2021-04-14 16:49:02 +00:00`, `…+0000`, `2021-04-14T16:48:01.123+02:00`, `…Z`,
 * Iterable's malformed `…T22:43:34.134105.000Z`, or no zone at all (UTC).
 * Groups: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 fraction,
 * 8 `Z`/`UTC`, 9 sign, 10 offset hours, 11 offset minutes.
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:\.\d+)?(?: ?(?:([Zz]|UTC)|([+-])(\d{2}):?(\d{2})))?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * Whether `s[0..19)` is a valid `YYYY-MM-DD?HH:MM:SS` (any separator at 10),
 * checked by character codes.
 */
function validDateTimePrefix(s: string): boolean {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
    return false;
  }
  const hi = d2(s, 0);
  const lo = d2(s, 2);
  const month = d2(s, 5);
  const day = d2(s, 8);
  const hour = d2(s, 11);
  const minute = d2(s, 14);
  const second = d2(s, 17);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  return day <= 28 || day <= daysIn(hi * 100 + lo, month);
}

/** Epoch ms of a timestamp string in one of Iterable's forms, or undefined. */
export function parseTimestamp(s: string): number | undefined {
  const m = TIMESTAMP.exec(s);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const frac = m[7];
  const millis = frac === undefined ? 0 : Number((frac + "00").slice(0, 3));
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  return utcMs(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Epoch ms of a UTC date-time (any year, unlike Date.UTC's 0–99 → 1900s mapping). */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  return daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms;
}

const PAD2: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? "0" : "") + String(i));
const PAD3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** `YYYY-MM-DD HH:MM:SS.SSS` (UTC) for epoch ms, or undefined outside years 0000–9999. */
export function formatTimestamp(ms: number): string | undefined {
  if (!(ms >= MIN_MS && ms <= MAX_MS)) return undefined;
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  let rest = t - days * 86_400_000;
  // civil_from_days (H. Hinnant)
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  return (
    (PAD2[Math.floor(year / 100)] as string) +
    (PAD2[year % 100] as string) +
    "-" +
    (PAD2[month] as string) +
    "-" +
    (PAD2[day] as string) +
    " " +
    (PAD2[hour] as string) +
    ":" +
    (PAD2[minute] as string) +
    ":" +
    (PAD2[second] as string) +
    "." +
    (PAD3[milli] as string)
  );
}

/**
 * The stored text for a timestamp string, or undefined when it is not one.
 * Fast paths (character checks and `slice`): `YYYY-MM-DD HH:MM:SS +00:00`, `… +0000` and
 * `YYYY-MM-DDTHH:MM:SSZ`.
 */
export function toTimestampText(s: string): string | undefined {
  const n = s.length;
  if (n === 26 && s.charCodeAt(19) === 32 && s.endsWith("+00:00")) {
    return validDateTimePrefix(s) ? s.slice(0, 19) + ".000" : undefined;
  }
  if (n === 25 && s.charCodeAt(19) === 32 && s.endsWith("+0000")) {
    return validDateTimePrefix(s) ? s.slice(0, 19) + ".000" : undefined;
  }
  if (n === 20 && s.charCodeAt(10) === 84 && s.charCodeAt(19) === 90) {
    return validDateTimePrefix(s) ? s.slice(0, 10) + " " + s.slice(11, 19) + ".000" : undefined;
  }
  const ms = parseTimestamp(s);
  return ms === undefined ? undefined : formatTimestamp(ms);
}

/** Epoch ms of a stored `YYYY-MM-DD HH:MM:SS.SSS` text (as produced by `toTimestampText`). */
export function storedTimestampToMs(text: string): number {
  return utcMs(
    d2(text, 0) * 100 + d2(text, 2),
    d2(text, 5),
    d2(text, 8),
    d2(text, 11),
    d2(text, 14),
    d2(text, 17),
    d2(text, 20) * 10 + (text.charCodeAt(22) - 48),
  );
}

/**
 * The Java-style format `connector:guess` writes for a timestamp string's form
 * (informational, as TD's `format:`), e.g. `yyyy-MM-dd HH:mm:ss xxx`.
 */
export function timestampFormatOf(s: string): string {
  const m = TIMESTAMP.exec(s);
  if (m === null) return "yyyy-MM-dd HH:mm:ss xxx";
  const sep = s.charCodeAt(10) === 32 ? " " : "'T'";
  const frac = m[7] === undefined ? "" : "." + "S".repeat(Math.min(m[7].length, 9));
  const space = m[8] !== undefined || m[9] !== undefined ? (/ (?:[Zz]|UTC|[+-]\d{2}:?\d{2})$/.test(s) ? " " : "") : "";
  let zone = "";
  if (m[8] !== undefined) zone = m[8] === "UTC" ? "z" : "XXX";
  else if (m[9] !== undefined) zone = s.charCodeAt(s.length - 3) === 58 ? "xxx" : "xx";
  zone = space + zone;
  return `yyyy-MM-dd${sep}HH:mm:ss${frac}${zone}`;
}

/**
 * An RFC 3339 instant for load.yml's `start_time`/`end_time`: `2024-01-01T08:51:00Z`,
 * fractions up to nanoseconds (kept to the millisecond), an offset, or no zone
 * (TD's `2014-10-02T15:01:23`, read as UTC); a date alone means midnight UTC.
 * Returns epoch ms or undefined.
 */
export function parseRfc3339(s: string): number | undefined {
  const t = s.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return parseTimestamp(`${t}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})?$/.test(t)) return undefined;
  return parseTimestamp(t);
}

/** `2024-01-01T08:51:00Z` (milliseconds only when not zero), as written into config diffs. */
export function formatRfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? iso.slice(0, 19) + "Z" : iso;
}
