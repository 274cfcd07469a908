/**
 * A time zone's UTC offsets and transitions, found through Intl once per zone
 * and year and then answered from memory.
 *
 * Transitions are found by probing the offset weekly and bisecting to the
 * second, which assumes a zone never changes offset twice within a week and
 * comes back (true of every zone since 1970).
 */
import { validateTimezone } from "./timezone.js";

const SECOND = 1000;
const WEEK = 7 * 86_400_000;

export interface Transition {
  /** The first instant (epoch ms) of the new offset. */
  readonly at: number;
  /** Offsets in ms (local wall time = instant + offset). */
  readonly before: number;
  readonly after: number;
}

/** A stretch of time with one offset, and the transition that began it. */
export interface Segment {
  /** Epoch ms; the transition instant, or a year boundary when there was none. */
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly offset: number;
  /** The offset before `start`; equal to `offset` at a year boundary. */
  readonly prevOffset: number;
}

interface YearInfo {
  readonly start: number;
  readonly end: number;
  readonly startOffset: number;
  readonly transitions: readonly Transition[];
}

const LONG_OFFSET = /GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?/;

export class ZoneRules {
  /** The canonical IANA name. */
  readonly name: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly years = new Map<number, YearInfo>();
  private last: Segment | undefined;

  /** Throws ScheduleError when `tz` is not an IANA name. */
  constructor(tz: string) {
    this.name = validateTimezone(tz);
    this.format = new Intl.DateTimeFormat("en-US", { timeZone: this.name, timeZoneName: "longOffset" });
  }

  /** The offset (ms) in force at an instant. */
  offsetAt(t: number): number {
    return this.segmentAt(t).offset;
  }

  /** The constant-offset segment containing instant `t`. */
  segmentAt(t: number): Segment {
    const last = this.last;
    if (last !== undefined && t >= last.start && t < last.end) return last;
    const segment = this.findSegment(t);
    this.last = segment;
    return segment;
  }

  private findSegment(t: number): Segment {
    const y = new Date(t).getUTCFullYear();
    const year = this.year(y);
    const trs = year.transitions;
    let i = trs.length - 1;
    while (i >= 0 && (trs[i]?.at ?? 0) > t) i--;
    const begun = trs[i];
    const next = trs[i + 1] ?? this.year(y + 1).transitions[0];
    const end = next?.at ?? this.year(y + 1).end;
    if (begun !== undefined) return { start: begun.at, end, offset: begun.after, prevOffset: begun.before };
    const before = this.year(y - 1).transitions.at(-1);
    const offset = year.startOffset;
    if (before !== undefined) return { start: before.at, end, offset, prevOffset: before.before };
    return { start: year.start, end, offset, prevOffset: offset };
  }

  private year(y: number): YearInfo {
    let info = this.years.get(y);
    if (info === undefined) {
      info = this.scanYear(y);
      this.years.set(y, info);
    }
    return info;
  }

  /** Probes a UTC year weekly; bisects each change down to the second. */
  private scanYear(y: number): YearInfo {
    const start = Date.UTC(y, 0, 1);
    const end = Date.UTC(y + 1, 0, 1);
    const transitions: Transition[] = [];
    let lo = start - SECOND;
    let loOffset = this.rawOffset(lo);
    for (let probe = start; lo < end - SECOND; probe = Math.min(probe + WEEK, end - SECOND)) {
      const probeOffset = this.rawOffset(probe);
      while (probeOffset !== loOffset) {
        const tr = this.bisect(lo, loOffset, probe);
        transitions.push(tr);
        lo = tr.at;
        loOffset = tr.after;
      }
      lo = probe;
    }
    return { start, end, startOffset: this.rawOffset(start), transitions };
  }

  /** The first instant in (lo, hi] whose offset differs from `loOffset` (whole seconds). */
  private bisect(lo: number, loOffset: number, hi: number): Transition {
    while (hi - lo > SECOND) {
      const mid = lo + Math.floor((hi - lo) / 2 / SECOND) * SECOND;
      if (this.rawOffset(mid) === loOffset) lo = mid;
      else hi = mid;
    }
    return { at: hi, before: loOffset, after: this.rawOffset(hi) };
  }

  /** The offset at an instant, asked of Intl (about 2 µs). */
  private rawOffset(t: number): number {
    const match = LONG_OFFSET.exec(this.format.format(t));
    if (match === null) return 0; // "GMT" alone: UTC
    const [, sign, hh = "0", mm = "0", ss = "0"] = match;
    const ms = ((Number(hh) * 60 + Number(mm)) * 60 + Number(ss)) * SECOND;
    return sign === "-" ? -ms : ms;
  }
}

/** ZoneRules by name, shared by every schedule in the same zone. */
export class ZoneCache {
  private readonly zones = new Map<string, ZoneRules>();

  /** Throws ScheduleError when `tz` is not an IANA name. */
  get(tz: string): ZoneRules {
    let rules = this.zones.get(tz);
    if (rules === undefined) {
      rules = new ZoneRules(tz);
      this.zones.set(tz, rules);
    }
    return rules;
  }

  get size(): number {
    return this.zones.size;
  }
}
