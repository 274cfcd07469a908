/**
 * Cron patterns: 5 fields (minute hour day-of-month month day-of-week), 6 with
 * seconds first, or a nickname. Parsing is strict and names the field at fault.
 */
import { ScheduleError } from "./errors.js";
import {
  DAY_OF_MONTH,
  DAY_OF_WEEK,
  FieldError,
  HOUR,
  MINUTE,
  MONTH,
  SECOND,
  parseField,
} from "./cron-field.js";

const NICKNAMES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const EXPECTED = "expected 5 fields (or 6 with seconds) or @hourly/@daily/@weekly/@monthly/@yearly";
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]; // longest length of each month

// Offsets into CronSpec's `next` table: for each value, the smallest allowed value >= it, or -1.
const SEC = 0;
const MIN = 61;
const HR = 122;
const MON = 147; // months 0-based
const TABLE_SIZE = 160;

/** The fields of a parsed pattern, for display and tests. */
export interface CronFields {
  readonly second: readonly number[];
  readonly minute: readonly number[];
  readonly hour: readonly number[];
  readonly dayOfMonth: readonly number[];
  /** 1-12. */
  readonly month: readonly number[];
  /** 0-6, Sunday = 0. */
  readonly dayOfWeek: readonly number[];
}

/**
 * A parsed cron pattern: compact lookup tables (one small typed array and two
 * bit masks), shared by every schedule that uses the same pattern.
 */
export class CronSpec {
  /** The pattern as given (trimmed). */
  readonly pattern: string;
  /** The six fields after expanding nicknames: `sec min hour dom month dow`. */
  readonly expanded: string;
  /**
   * A fixed-time pattern has no `*` or step in its minute and hour fields. Under
   * the DST rule it runs once right after a gap that swallowed its wall time, and
   * only at the first occurrence of a repeated wall time. Other patterns follow
   * the wall clock.
   */
  readonly fixedTime: boolean;
  /** Both day fields restricted: a day matches when EITHER matches (classic cron). */
  readonly dayOr: boolean;
  private readonly next: Int8Array;
  private readonly domMask: number; // bit d set = day-of-month d allowed (1..31)
  private readonly dowMask: number; // bit w set = weekday w allowed (0..6)
  private readonly domStar: boolean;
  private readonly dowStar: boolean;

  /** @internal Use parseCron. */
  constructor(pattern: string, fields: readonly string[]) {
    const [sec = "0", min = "", hour = "", dom = "", month = "", dow = ""] = fields;
    this.pattern = pattern;
    this.expanded = fields.join(" ");
    this.next = new Int8Array(TABLE_SIZE).fill(-1);
    fillNext(this.next, SEC, parseField(sec, SECOND));
    fillNext(this.next, MIN, parseField(min, MINUTE));
    fillNext(this.next, HR, parseField(hour, HOUR));
    fillNext(this.next, MON, parseField(month, MONTH).slice(1)); // 0-based months
    const days = parseField(dom, DAY_OF_MONTH);
    this.domMask = toMask(days);
    const weekdays = parseField(dow, DAY_OF_WEEK);
    weekdays[0] ||= weekdays[7] === true; // 7 is Sunday too
    this.dowMask = toMask(weekdays.slice(0, 7));
    this.domStar = dom === "*";
    this.dowStar = dow === "*";
    this.dayOr = !this.domStar && !this.dowStar;
    this.fixedTime = isSpecific(min) && isSpecific(hour);
    if (!this.domStar && this.dowStar) this.checkDaysExist(dom, days);
  }

  /** The smallest allowed second at or after `s`, or -1 (likewise for the next three). */
  nextSecond(s: number): number {
    return this.next[SEC + s] ?? -1;
  }
  nextMinute(m: number): number {
    return this.next[MIN + m] ?? -1;
  }
  nextHour(h: number): number {
    return this.next[HR + h] ?? -1;
  }
  /** 0-based months. */
  nextMonth(m: number): number {
    return this.next[MON + m] ?? -1;
  }

  /** Whether a day is allowed, given its day of month (1-31) and weekday (0-6). */
  dayMatches(dayOfMonth: number, weekday: number): boolean {
    const domOk = (this.domMask & (1 << dayOfMonth)) !== 0;
    const dowOk = (this.dowMask & (1 << weekday)) !== 0;
    if (this.dayOr) return domOk || dowOk;
    return domOk && dowOk; // at least one of them is `*`, which allows everything
  }

  get fields(): CronFields {
    const pick = (off: number, size: number, shift = 0): number[] =>
      Array.from({ length: size }, (_, i) => i).filter((i) => this.next[off + i] === i).map((i) => i + shift);
    const bits = (mask: number, from: number, to: number): number[] =>
      Array.from({ length: to - from + 1 }, (_, i) => i + from).filter((i) => (mask & (1 << i)) !== 0);
    return {
      second: pick(SEC, 60),
      minute: pick(MIN, 60),
      hour: pick(HR, 24),
      dayOfMonth: bits(this.domMask, 1, 31),
      month: pick(MON, 12, 1),
      dayOfWeek: bits(this.dowMask, 0, 6),
    };
  }

  private checkDaysExist(domText: string, days: readonly boolean[]): void {
    const first = days.indexOf(true);
    const months: number[] = [];
    for (let m = 0; m < 12; m++) if (this.nextMonth(m) === m) months.push(m);
    if (months.some((m) => (MONTH_DAYS[m] ?? 31) >= first)) return;
    const names = months.map((m) => MONTH.names?.[m] ?? String(m + 1)).join(", ");
    throw new FieldError(`never fires: day-of-month ${domText} does not occur in ${names}`);
  }
}

/** A field with no `*` and no step lists specific values. */
function isSpecific(field: string): boolean {
  return !field.includes("*") && !field.includes("/");
}

/** Writes, for each value, the smallest allowed value at or above it (-1 past the last). */
function fillNext(table: Int8Array, offset: number, allowed: readonly boolean[]): void {
  let next = -1;
  for (let i = allowed.length - 1; i >= 0; i--) {
    if (allowed[i] === true) next = i;
    table[offset + i] = next;
  }
}

/** Bit i set when value i is allowed. */
function toMask(allowed: readonly boolean[]): number {
  let mask = 0;
  allowed.forEach((on, i) => {
    if (on) mask |= 1 << i;
  });
  return mask;
}

/**
 * Parses a cron pattern. Throws ScheduleError naming the field at fault, e.g.
 * `cron "61 * * * *": minute: 61 is out of range 0-59`.
 */
export function parseCron(pattern: string): CronSpec {
  const text = pattern.trim();
  const fail = (why: string): never => {
    throw new ScheduleError(`cron ${JSON.stringify(pattern)}: ${why}`);
  };
  if (text === "") return fail(`empty pattern (an empty cron means "no schedule"); ${EXPECTED}`);
  let fields = text.split(/\s+/);
  if (text.startsWith("@")) {
    const expansion = fields.length === 1 ? NICKNAMES[text.toLowerCase()] : undefined;
    if (expansion === undefined) {
      return fail(`${text} is not supported; use 5 fields or @hourly/@daily/@weekly/@monthly/@yearly`);
    }
    fields = expansion.split(" ");
  }
  if (fields.length === 5) fields = ["0", ...fields];
  if (fields.length !== 6) return fail(`${EXPECTED}; got ${fields.length}`);
  try {
    return new CronSpec(text, fields);
  } catch (err) {
    if (err instanceof FieldError) return fail(err.message);
    throw err;
  }
}
