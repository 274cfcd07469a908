/**
 * Slots: the instants a cron pattern fires in a time zone, with cron's DST rule.
 *
 * - Wall-clock patterns (a `*` or step in the minute or hour field) fire at every
 *   real instant whose local time matches: none in a spring-forward gap, and
 *   twice for a wall time repeated by a fall-back overlap.
 * - Fixed-time patterns (specific minutes and hours) fire once for a wall time
 *   swallowed by a gap, at the first instant after the jump, and only at the
 *   first occurrence of a repeated wall time.
 *
 * Every function takes its reference time; none reads the clock.
 */
import type { CronSpec } from "./cron.js";
import { nextWall } from "./wall-match.js";
import { ZoneCache, type Segment, type ZoneRules } from "./zone-rules.js";

/** Give up after this long without a slot (valid patterns fire within 8 years). */
const HORIZON = 10 * 366 * 86_400_000;

/** The first slot strictly after `from` (epoch ms), or undefined when none within ten years. */
export function nextSlotIn(spec: CronSpec, zone: ZoneRules, from: number): number | undefined {
  const limit = from + HORIZON;
  let segment = zone.segmentAt(from);
  let wallFrom = Math.floor((from + segment.offset) / 1000) * 1000 + 1000; // strictly after `from`
  for (;;) {
    const { offset, end } = segment;
    const firstWall = spec.fixedTime ? Math.max(wallFrom, firstNewWall(segment)) : wallFrom;
    const wall = nextWall(spec, firstWall, Math.min(end, limit) + offset);
    if (wall !== undefined) return wall - offset;
    if (end >= limit) return undefined;
    segment = zone.segmentAt(end);
    if (spec.fixedTime && segment.start === end && swallowed(spec, segment)) return end;
    wallFrom = Math.ceil((end + segment.offset) / 1000) * 1000;
  }
}

/**
 * The first wall time of a segment not already seen before it: after a fall-back
 * the repeated hour belongs to the first occurrence.
 */
function firstNewWall(segment: Segment): number {
  return segment.start + Math.max(segment.offset, segment.prevOffset);
}

/** Whether a spring-forward at the segment's start skipped a wall time the pattern matches. */
function swallowed(spec: CronSpec, segment: Segment): boolean {
  if (segment.prevOffset >= segment.offset) return false;
  const gapEnd = segment.start + segment.offset;
  return nextWall(spec, segment.start + segment.prevOffset, gapEnd) !== undefined;
}

/** Up to `n` slots strictly after `from`, strictly increasing. */
export function nextSlotsIn(spec: CronSpec, zone: ZoneRules, from: number, n: number): number[] {
  const slots: number[] = [];
  let t = from;
  while (slots.length < n) {
    const next = nextSlotIn(spec, zone, t);
    if (next === undefined) break;
    slots.push(next);
    t = next;
  }
  return slots;
}

/** Slots in (fromExclusive, toInclusive], the earliest `limit` of them: missed slots to catch up. */
export function slotsBetweenIn(
  spec: CronSpec,
  zone: ZoneRules,
  fromExclusive: number,
  toInclusive: number,
  limit: number,
): number[] {
  const slots: number[] = [];
  let t = fromExclusive;
  while (slots.length < limit) {
    const next = nextSlotIn(spec, zone, t);
    if (next === undefined || next > toInclusive) break;
    slots.push(next);
    t = next;
  }
  return slots;
}

/** The first slot strictly after `from`. Pass a ZoneCache to reuse zone data across calls. */
export function nextSlot(spec: CronSpec, tz: string, from: number, zones = new ZoneCache()): number | undefined {
  return nextSlotIn(spec, zones.get(tz), from);
}

/** The next `n` slots strictly after `from`, strictly increasing. */
export function nextSlots(spec: CronSpec, tz: string, from: number, n: number, zones = new ZoneCache()): number[] {
  return nextSlotsIn(spec, zones.get(tz), from, n);
}

/** Slots in (fromExclusive, toInclusive], at most `limit` (the earliest), for catch-up of missed slots. */
export function slotsBetween(
  spec: CronSpec,
  tz: string,
  fromExclusive: number,
  toInclusive: number,
  limit: number,
  zones = new ZoneCache(),
): number[] {
  return slotsBetweenIn(spec, zones.get(tz), fromExclusive, toInclusive, limit);
}
