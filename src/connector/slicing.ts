/**
 * Export windows sized to the data (issue 18). Iterable allows 4 export
 * requests a minute, and one request can carry many days: so a run starts
 * with one large window (its whole range, or `slice_hours`), and a window
 * whose response turns out too big (more than `max_slice_records` records) or
 * too slow (no end within `max_slice_seconds`, or no headers within the
 * response timeout) is split before any of its rows commit. Later windows are
 * sized from the density of the last committed one (records per hour), which
 * is remembered per stream for its next run.
 *
 * Pure: no clock, no IO. Exactly-once does not depend on anything here: a
 * window is a slice like any other, committed with its ledger row, and the
 * cursor only ever moves to the end of a committed window.
 */
import type { TimeWindow } from "../iterable/types.js";

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The shortest window a split makes: a minute's records are read whole, however many. */
export const MIN_WINDOW_MS = MINUTE;
/** A window is at most this many times as long as the committed one before it (density changes). */
export const MAX_GROWTH = 8;
/** A remainder shorter than this share of the planned window joins it (no two-minute tail request). */
export const TAIL_SHARE = 0.25;
/** Throughput is learnt from responses of at least this many records (fewer say little about speed). */
const MIN_RECORDS_FOR_SPEED = 10_000;

export interface SlicingLimits {
  /** The longest window (`slice_hours`), ms; Infinity when unset. */
  maxWindowMs: number;
  /** A response with more records than this is split (`max_slice_records`). */
  maxRecords: number;
  /** A response that takes longer than this is split (`max_slice_seconds`), ms. */
  maxResponseMs: number;
}

/** What a stream's data looked like in its last committed window. */
export interface StreamDensity {
  /** Records per hour of data time. */
  recordsPerHour: number;
  /** Records per second of response time; null until a large enough response was timed. */
  recordsPerSecond: number | null;
}

/** Why a window was split, and what its response showed before it was abandoned. */
export interface SplitInfo {
  reason: "records" | "time";
  /** Records read before the response was abandoned. */
  records: number;
  /** The newest record time seen (epoch ms), when the records carry one. */
  newest?: number | undefined;
}

/**
 * How many records a window should hold: half the cap (room for uneven days),
 * and no more than half of what the stream's responses deliver in the
 * longest response time.
 */
export function targetRecords(limits: SlicingLimits, density: StreamDensity | undefined): number {
  let target = limits.maxRecords / 2;
  const speed = density?.recordsPerSecond;
  if (speed !== null && speed !== undefined && speed > 0) target = Math.min(target, (speed * limits.maxResponseMs) / SECOND / 2);
  return Math.max(1, target);
}

/** Whole hours from two hours up, whole minutes below (down, or to the nearest), at least MIN_WINDOW_MS. */
export function roundLength(ms: number, nearest = false): number {
  if (!Number.isFinite(ms)) return ms;
  const unit = ms >= 2 * HOUR ? HOUR : MINUTE;
  // A hair over the whole unit: 500,000 records at 200,000 a day is 60 hours, not 59.
  const units = nearest ? Math.round(ms / unit) : Math.floor(ms / unit + 1e-9);
  return Math.max(MIN_WINDOW_MS, units * unit);
}

/**
 * The length of the next window: the target's worth of records at the
 * stream's density, never more than MAX_GROWTH times the window before it,
 * nor `maxWindowMs`. Without a density (a stream's first run), as long as
 * allowed: one request for a sparse range, a split for a dense one.
 */
export function windowLength(limits: SlicingLimits, density: StreamDensity | undefined, previousMs?: number): number {
  if (density === undefined) return limits.maxWindowMs;
  let len = density.recordsPerHour > 0 ? (targetRecords(limits, density) / density.recordsPerHour) * HOUR : Number.POSITIVE_INFINITY;
  if (previousMs !== undefined) len = Math.min(len, previousMs * MAX_GROWTH);
  return Math.min(roundLength(len), limits.maxWindowMs);
}

/**
 * The end of the shorter window that replaces one whose response was too big
 * or too slow. Too big, with the newest record time read (Iterable streams in
 * time order): the target's worth at the density the records showed. Too
 * slow: half of what arrived in the time allowed, at least an eighth of the
 * window. Otherwise, or when that is no shorter, half the window. Always at
 * most half, at least MIN_WINDOW_MS (the caller splits only longer windows).
 */
export function splitEnd(window: TimeWindow, info: SplitInfo, limits: SlicingLimits, density: StreamDensity | undefined): number {
  const length = window.end - window.start;
  const half = Math.floor(length / 2 / SECOND) * SECOND;
  let len = half;
  if (info.records > 0 && info.newest !== undefined && info.newest > window.start && info.newest < window.end) {
    const seen = info.newest - window.start + SECOND;
    if (info.reason === "records") {
      len = Math.min(half, (seen * targetRecords(limits, density)) / info.records);
    } else {
      // Half of what arrived in the time allowed, but no less than an eighth: a stall says little about speed.
      len = Math.max(Math.min(half, seen / 2), length / 8);
    }
  }
  const rounded = roundLength(len, true);
  return window.start + Math.min(Math.max(rounded, MIN_WINDOW_MS), Math.max(half, MIN_WINDOW_MS));
}

/** A window that may still be split (longer than MIN_WINDOW_MS). */
export function splittable(window: TimeWindow): boolean {
  return window.end - window.start > MIN_WINDOW_MS;
}

/**
 * The windows of one run over `range`, one at a time: `next()` is the window
 * to read now; `committed()` moves on past it, `split()` shortens it.
 */
export class AdaptiveWindows {
  #at: number;
  readonly #end: number;
  /** The length of the next window when a split fixed it. */
  #planned: number | undefined;
  /** The length of the last committed window. */
  #previous: number | undefined;
  #density: StreamDensity | undefined;

  constructor(
    range: TimeWindow | undefined,
    private readonly limits: SlicingLimits,
    density: StreamDensity | undefined,
  ) {
    this.#at = range?.start ?? 0;
    this.#end = range?.end ?? 0;
    this.#density = density;
  }

  /** What the stream's data looked like (to remember for its next run). */
  get density(): StreamDensity | undefined {
    return this.#density;
  }

  #length(): number {
    return this.#planned ?? windowLength(this.limits, this.#density, this.#previous);
  }

  /** The window to read now; undefined when the range is done. The same until committed() or split(). */
  next(): TimeWindow | undefined {
    if (this.#at >= this.#end) return undefined;
    const len = this.#length();
    let end = Math.min(this.#end, this.#at + len);
    const rest = this.#end - end;
    if (this.#planned === undefined && rest > 0 && rest < len * TAIL_SHARE && this.#end - this.#at <= this.limits.maxWindowMs) end = this.#end;
    return { start: this.#at, end };
  }

  /** Windows left, the current one included (an estimate: later densities may differ). */
  remaining(): number {
    const left = this.#end - this.#at;
    if (left <= 0) return 0;
    const len = this.#length();
    if (!Number.isFinite(len)) return 1;
    const first = this.next() as TimeWindow;
    const after = this.#end - first.end;
    if (after <= 0) return 1;
    const steady = windowLength(this.limits, this.#density, first.end - first.start);
    if (!Number.isFinite(steady)) return 2;
    // Whole windows, and the remainder as one more unless it is short enough to join the last.
    let more = Math.floor(after / steady);
    const rest = after - more * steady;
    if (rest > 0 && (more === 0 || rest >= steady * TAIL_SHARE)) more++;
    return 1 + more;
  }

  /** The window's rows committed: move on, and learn its density (and speed, from a large enough response). */
  committed(window: TimeWindow, records: number, responseMs: number): void {
    const length = window.end - window.start;
    this.#at = window.end;
    this.#planned = undefined;
    this.#previous = length;
    const speed =
      records >= MIN_RECORDS_FOR_SPEED && responseMs >= SECOND ? records / (responseMs / SECOND) : (this.#density?.recordsPerSecond ?? null);
    this.#density = { recordsPerHour: length > 0 ? records / (length / HOUR) : 0, recordsPerSecond: speed };
  }

  /**
   * The window's response was too big or too slow (nothing of it committed):
   * read a shorter one from the same start. Speed is learnt only from
   * complete responses (a stalled one would make every later window tiny).
   */
  split(window: TimeWindow, info: SplitInfo): TimeWindow {
    const end = splitEnd(window, info, this.limits, this.#density);
    this.#planned = end - window.start;
    return { start: window.start, end };
  }
}

/**
 * Time left for `slicesLeft` slices (the current one included): each takes
 * what the slices so far took on average, and never less than the budget's
 * spacing between requests; less what the current one has taken already.
 * 0 (unknown) for a lone first slice, or once the current one overran.
 */
export function estimateRemainingMs(input: {
  slicesLeft: number;
  spacingMs: number;
  meanSliceMs?: number | undefined;
  /** Time spent on the current slice so far, ms. */
  currentMs?: number | undefined;
}): number {
  if (input.slicesLeft <= 0) return 0;
  if (input.meanSliceMs === undefined && input.slicesLeft <= 1) return 0;
  return Math.max(0, input.slicesLeft * Math.max(input.spacingMs, input.meanSliceMs ?? 0) - (input.currentMs ?? 0));
}
