/**
 * The scheduler's record of one schedule: the fields of its definition that
 * decide when it fires, and where it stands (the last slot handled, the next
 * one). Only schedules with a cron and not paused sit in the heap.
 */
import type { Catchup, CronSpec, ScheduleDefinition } from "../schedule/index.js";
import type { HeapItem } from "./heap.js";

export interface Timing {
  readonly cron: string;
  readonly timezone: string;
  readonly delayMs: number;
  readonly priority: number;
  readonly catchup: Catchup;
  readonly paused: boolean;
}

export function timingOf(def: ScheduleDefinition): Timing {
  return {
    cron: def.cron,
    timezone: def.timezone,
    delayMs: def.delay * 1000,
    priority: def.priority,
    catchup: def.catchup,
    paused: def.paused,
  };
}

/** Whether a schedule with this timing fires at all (a cron, not paused). */
export function fires(t: Timing): boolean {
  return t.cron !== "" && !t.paused;
}

/** Whether going from `a` to `b` changes the slots themselves (so they are recomputed from now). */
export function slotsMoved(a: Timing, b: Timing): boolean {
  return a.cron !== b.cron || a.timezone !== b.timezone || !fires(a);
}

export interface Entry extends HeapItem {
  readonly name: string;
  timing: Timing;
  /** The parsed pattern, shared with every schedule of the same pattern (SlotCalculator's cache). */
  spec: CronSpec | undefined;
  /**
   * Slots up to this instant were claimed or skipped, or lie before the
   * schedule was first seen: they never fire again, whatever the clock does.
   */
  handledThrough: number | undefined;
  /** The next slot not yet handled; undefined while the entry waits to be set up from the store. */
  slot: number | undefined;
  /** Set up from the store's last slot (catching up since) rather than from now. */
  backfill: boolean;
  /** Missed slots claimed in the current catch-up (for the `all` cap). */
  caughtUp: number;
}

export function newEntry(name: string, timing: Timing, backfill: boolean): Entry {
  return { name, timing, spec: undefined, handledThrough: undefined, slot: undefined, backfill, caughtUp: 0, at: 0, priority: timing.priority };
}
