/**
 * Window planning for windowed imports (design §3, §6 "Incremental hand-off";
 * td-connector.md §4): pure functions of the config, the cursor, the
 * scheduled time and `now`.
 */
import type { TimeWindow } from "../iterable/types.js";
import { ConfigError } from "../errors.js";
import { formatRfc3339 } from "./timestamp.js";

export { resolveDateRange } from "./config-schema.js";

export interface PlanInput {
  /** `in.start_time` (epoch ms). */
  start?: number | undefined;
  /** `in.end_time` (epoch ms). */
  end?: number | undefined;
  incremental: boolean;
  /** For incremental runs: the start_time of the stored config diff (epoch ms), when there is one. */
  cursorStart?: number | undefined;
  /** A scheduled run's scheduled_time (epoch ms): its window ends there. */
  scheduledTime?: number | undefined;
  now: number;
  /** Slice length (ms), `slice_hours` × 3 600 000; Infinity for one window. */
  sliceMs: number;
  /**
   * `in.lookback` (issue 15): an incremental run with new time to read
   * starts this much before its cursor (never before `start`).
   */
  lookbackMs?: number | undefined;
}

export interface ExportPlan {
  /** Consecutive `[start, end)` windows; empty when there is nothing to import yet. */
  windows: TimeWindow[];
  /** For incremental runs with windows: the start_time of the next run (the end of the last window). */
  nextCursor?: number;
}

const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/**
 * The windows of one run: from the cursor (incremental runs after the first)
 * or `start`, to `end` if given, never past the scheduled time of a scheduled
 * run nor past `now`; cut into `sliceMs` slices (the last one shorter). Bounds
 * are whole seconds, as Iterable's `startDateTime`/`endDateTime` are.
 * Throws a ConfigError without a start (use `range` instead for use_date_range).
 */
export function planExportWindows(input: PlanInput): ExportPlan {
  if (!(input.sliceMs > 0)) throw new RangeError(`sliceMs must be positive, got ${input.sliceMs}`);
  const from = input.incremental && input.cursorStart !== undefined ? input.cursorStart : input.start;
  if (from === undefined) {
    throw new ConfigError("in.start_time: required for export_data unless use_date_range is true; got nothing");
  }
  let end = Math.min(input.scheduledTime ?? input.now, input.now);
  if (input.end !== undefined) end = Math.min(end, input.end);
  end = floorSecond(end);
  let start = floorSecond(from);
  // Only a run that reads past its cursor looks back: an older slot's run must not move the cursor back.
  const lookback = input.lookbackMs ?? 0;
  if (lookback > 0 && input.incremental && input.cursorStart !== undefined && start < end) {
    start = floorSecond(Math.max(input.cursorStart - lookback, input.start ?? Number.NEGATIVE_INFINITY));
  }

  const windows: TimeWindow[] = [];
  for (let s = start; s < end; ) {
    const e = Math.min(s + input.sliceMs, end);
    windows.push({ start: s, end: e });
    s = e;
  }
  const plan: ExportPlan = { windows };
  const last = windows[windows.length - 1];
  if (input.incremental && last !== undefined) plan.nextCursor = last.end;
  return plan;
}

/** The config diff a committed window leaves for the next run: `{in: {start_time: '2024-01-01T08:51:00Z'}}`. */
export function configDiffFor(windowEnd: number): { in: { start_time: string } } {
  return { in: { start_time: formatRfc3339(windowEnd) } };
}
