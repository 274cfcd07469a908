import { describe, expect, test } from "vitest";
import {
  AdaptiveWindows,
  estimateRemainingMs,
  MAX_GROWTH,
  MIN_WINDOW_MS,
  roundLength,
  splitEnd,
  targetRecords,
  windowLength,
  type SlicingLimits,
} from "../../../src/connector/slicing.js";
import type { TimeWindow } from "../../../src/iterable/types.js";

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2026, 0, 1);
const LIMITS: SlicingLimits = { maxWindowMs: Number.POSITIVE_INFINITY, maxRecords: 1_000_000, maxResponseMs: 600_000 };

/**
 * Runs the planner over `range` against data of `perDay(t)` records a day (in
 * time order, as Iterable streams), the way runLoadJob does: a window with more
 * than the cap is split at the newest record read, else committed. Returns the
 * requests made and the windows committed.
 */
function simulate(range: TimeWindow, limits: SlicingLimits, perDay: (t: number) => number, density?: ConstructorParameters<typeof AdaptiveWindows>[2]) {
  const windows = new AdaptiveWindows(range, limits, density);
  const committed: TimeWindow[] = [];
  let requests = 0;
  const recordsIn = (w: TimeWindow): number => {
    let n = 0;
    for (let t = w.start; t < w.end; t += H) n += (perDay(t) / 24) * (Math.min(H, w.end - t) / H);
    return Math.round(n);
  };
  for (let w = windows.next(); w !== undefined; w = windows.next()) {
    requests++;
    if (requests > 10_000) throw new Error("runaway planner");
    const n = recordsIn(w);
    if (n > limits.maxRecords && w.end - w.start > MIN_WINDOW_MS) {
      // the response is abandoned once it passes the cap: how far did it get?
      let t = w.start;
      let seen = 0;
      while (seen <= limits.maxRecords) {
        seen += perDay(t) / 24 / 60;
        t += 60_000;
      }
      windows.split(w, { reason: "records", records: Math.round(seen), newest: t });
      continue;
    }
    windows.committed(w, n, 1_000);
    committed.push(w);
  }
  return { requests, committed, density: windows.density };
}

function expectChained(committed: TimeWindow[], range: TimeWindow): void {
  expect(committed[0]?.start).toBe(range.start);
  expect(committed[committed.length - 1]?.end).toBe(range.end);
  for (let i = 1; i < committed.length; i++) expect(committed[i]?.start).toBe(committed[i - 1]?.end);
}

describe("adaptive export windows", () => {
  test("a sparse year (1,000 records a day) is one request", () => {
    const range = { start: T0, end: T0 + 365 * D };
    const r = simulate(range, LIMITS, () => 1_000);
    expect(r.requests).toBe(1);
    expect(r.committed).toEqual([range]);
    expect(r.density?.recordsPerHour).toBeCloseTo(1000 / 24, 5);
  });

  test("a dense year is split once at what the abandoned response showed, then read in windows of about half the cap", () => {
    const range = { start: T0, end: T0 + 365 * D };
    const r = simulate(range, LIMITS, () => 200_000);
    expectChained(r.committed, range);
    // 73 M records at ≤ 1 M a window: at least 73 windows; one abandoned request; no more than the target's pace.
    const abandoned = r.requests - r.committed.length;
    expect(abandoned).toBe(1);
    expect(r.committed.length).toBeGreaterThanOrEqual(146);
    expect(r.committed.length).toBeLessThanOrEqual(150);
    expect(r.committed[0]?.end).toBe(T0 + 60 * H); // 500,000 records at 200,000 a day: 2.5 days
  });

  test("slice_hours stays an upper bound", () => {
    const range = { start: T0, end: T0 + 3 * D };
    const r = simulate(range, { ...LIMITS, maxWindowMs: 24 * H }, () => 10);
    expect(r.committed).toEqual([
      { start: T0, end: T0 + D },
      { start: T0 + D, end: T0 + 2 * D },
      { start: T0 + 2 * D, end: T0 + 3 * D },
    ]);
  });

  test("a quiet year that turns busy: windows grow at most eightfold, and shrink when the data thickens", () => {
    const range = { start: T0, end: T0 + 365 * D };
    const busyFrom = T0 + 300 * D;
    const r = simulate(range, { ...LIMITS, maxRecords: 100_000 }, (t) => (t < busyFrom ? 100 : 100_000));
    expectChained(r.committed, range);
    for (let i = 1; i < r.committed.length; i++) {
      const prev = r.committed[i - 1] as TimeWindow;
      const cur = r.committed[i] as TimeWindow;
      expect(cur.end - cur.start).toBeLessThanOrEqual((prev.end - prev.start) * MAX_GROWTH + H);
    }
    // 65 busy days at 100,000 a day, windows of ~50,000: about 130 of them; the quiet part takes only a few.
    expect(r.requests).toBeLessThan(150);
  });

  test("a remembered density sizes the first window at once: no request is abandoned", () => {
    const range = { start: T0, end: T0 + 30 * D };
    const r = simulate(range, LIMITS, () => 200_000, { recordsPerHour: 200_000 / 24, recordsPerSecond: null });
    expect(r.requests).toBe(r.committed.length);
    expect(r.committed[0]?.end).toBe(T0 + 60 * H);
  });

  test("a short remainder joins the window before it", () => {
    const windows = new AdaptiveWindows({ start: T0, end: T0 + 10 * D + 2 * H }, LIMITS, { recordsPerHour: 500_000 / (5 * 24), recordsPerSecond: null });
    // target 500,000 at 100,000 a day: 5-day windows; the 2-hour tail joins the second.
    expect(windows.next()).toEqual({ start: T0, end: T0 + 5 * D });
    expect(windows.remaining()).toBe(2);
    windows.committed({ start: T0, end: T0 + 5 * D }, 500_000, 10_000);
    expect(windows.next()).toEqual({ start: T0 + 5 * D, end: T0 + 10 * D + 2 * H });
    expect(windows.remaining()).toBe(1);
  });

  test("a response too slow is split to half of what arrived in time, at least an eighth; speed is learnt from complete responses", () => {
    const limits = { ...LIMITS, maxResponseMs: 100_000 };
    const windows = new AdaptiveWindows({ start: T0, end: T0 + 64 * D }, limits, undefined);
    const first = windows.next() as TimeWindow;
    expect(windows.split(first, { reason: "time", records: 20_000, newest: T0 + 20 * D })).toEqual({ start: T0, end: T0 + 10 * D });
    // a stall after a few records: an eighth, not a sliver
    expect(splitEnd(first, { reason: "time", records: 30, newest: T0 + 3_600_000 }, limits, undefined)).toBe(T0 + 8 * D);
    expect(windows.density).toBeUndefined();
    // 20,000 records in a complete 100 s response (200 a second): aim at 10,000 a window.
    windows.committed({ start: T0, end: T0 + 10 * D }, 20_000, 100_000);
    expect(windows.density).toEqual({ recordsPerHour: 20_000 / 240, recordsPerSecond: 200 });
    expect(targetRecords(limits, windows.density)).toBe(10_000);
    expect(windows.next()).toEqual({ start: T0 + 10 * D, end: T0 + 15 * D });
  });

  test("a split without a record time (or of unordered records) halves the window", () => {
    const w = { start: T0, end: T0 + 8 * D };
    expect(splitEnd(w, { reason: "time", records: 0 }, LIMITS, undefined)).toBe(T0 + 4 * D);
    expect(splitEnd(w, { reason: "records", records: 1_000_001, newest: T0 + 8 * D - 1000 }, LIMITS, undefined)).toBe(T0 + 4 * D);
    // never below a minute
    expect(splitEnd({ start: T0, end: T0 + 90_000 }, { reason: "records", records: 2_000_000, newest: T0 + 1000 }, LIMITS, undefined)).toBe(T0 + MIN_WINDOW_MS);
  });

  test("lengths are whole hours from two hours up, whole minutes below", () => {
    expect(roundLength(2.7 * H)).toBe(2 * H);
    expect(roundLength(90.5 * 60_000)).toBe(90 * 60_000);
    expect(roundLength(5_000)).toBe(MIN_WINDOW_MS);
    expect(windowLength(LIMITS, undefined)).toBe(Number.POSITIVE_INFINITY);
    expect(windowLength(LIMITS, { recordsPerHour: 0, recordsPerSecond: null }, 3 * H)).toBe(24 * H);
  });

  test("the time left counts each request as the slower of the budget's spacing and the slices so far", () => {
    expect(estimateRemainingMs({ slicesLeft: 4, spacingMs: 15_250 })).toBe(61_000);
    expect(estimateRemainingMs({ slicesLeft: 4, spacingMs: 15_250, meanSliceMs: 30_000 })).toBe(120_000);
    expect(estimateRemainingMs({ slicesLeft: 4, spacingMs: 15_250, meanSliceMs: 30_000, currentMs: 10_000 })).toBe(110_000);
    expect(estimateRemainingMs({ slicesLeft: 0, spacingMs: 15_250, meanSliceMs: 30_000 })).toBe(0);
    // nothing to go by: a lone first slice, or a current slice past its estimate
    expect(estimateRemainingMs({ slicesLeft: 1, spacingMs: 15_250 })).toBe(0);
    expect(estimateRemainingMs({ slicesLeft: 1, spacingMs: 15_250, meanSliceMs: 20_000, currentMs: 25_000 })).toBe(0);
  });
});
