/**
 * The pure matcher: finds cron wall times on a zone-less calendar. A wall time is
 * written as epoch milliseconds of the same fields in UTC (2026-03-08 02:30 local
 * → Date.UTC(2026, 2, 8, 2, 30)); zones and DST are the caller's business.
 */
import type { CronSpec } from "./cron.js";

const DAY = 86_400_000;
/** No valid pattern needs more than 8 years to fire (Feb 29 across 2100). */
const MAX_YEARS = 10;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month0: number): number {
  if (month0 === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return MONTH_DAYS[month0] ?? 31;
}

function weekday(year: number, month0: number, day: number): number {
  return (((Math.floor(Date.UTC(year, month0, day) / DAY) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/**
 * The first wall time matching `spec` in [from, end), or undefined. `from` is
 * rounded up to a whole second. Each step moves one field to its next allowed
 * value, resetting the smaller fields, so a search costs a few dozen steps.
 */
export function nextWall(spec: CronSpec, from: number, end: number): number | undefined {
  const start = new Date(Math.ceil(from / 1000) * 1000);
  let y = start.getUTCFullYear();
  let mo = start.getUTCMonth();
  let d = start.getUTCDate();
  let h = start.getUTCHours();
  let mi = start.getUTCMinutes();
  let s = start.getUTCSeconds();
  const lastYear = y + MAX_YEARS;
  while (y <= lastYear) {
    // carry overflowing fields upwards
    if (s > 59) {
      s = 0;
      mi++;
    }
    if (mi > 59) {
      mi = 0;
      h++;
    }
    if (h > 23) {
      h = 0;
      d++;
    }
    if (d > daysInMonth(y, mo)) {
      d = 1;
      mo++;
    }
    if (mo > 11) {
      mo = 0;
      y++;
    }

    const nextMonth = spec.nextMonth(mo);
    if (nextMonth !== mo) {
      if (nextMonth < 0) y++;
      mo = nextMonth < 0 ? 0 : nextMonth;
      d = 1;
      h = mi = s = 0;
      continue;
    }
    if (Date.UTC(y, mo, d) >= end) return undefined;

    const dim = daysInMonth(y, mo);
    let wd = weekday(y, mo, d);
    const firstDay = d;
    while (d <= dim && !spec.dayMatches(d, wd)) {
      d++;
      wd = (wd + 1) % 7;
    }
    if (d !== firstDay) {
      h = mi = s = 0;
      continue; // the carry moves a day past the month's end to the next month
    }

    const nextHour = spec.nextHour(h);
    if (nextHour !== h) {
      if (nextHour < 0) d++;
      h = nextHour < 0 ? 0 : nextHour;
      mi = s = 0;
      continue;
    }

    const nextMinute = spec.nextMinute(mi);
    if (nextMinute !== mi) {
      if (nextMinute < 0) h++;
      mi = nextMinute < 0 ? 0 : nextMinute;
      s = 0;
      continue;
    }

    const nextSecond = spec.nextSecond(s);
    if (nextSecond < 0) {
      mi++;
      s = 0;
      continue;
    }
    const wall = Date.UTC(y, mo, d, h, mi, nextSecond);
    return wall < end ? wall : undefined;
  }
  return undefined;
}
