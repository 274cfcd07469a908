/**
 * The daemon's slot source: parsed patterns and zone data shared by every
 * schedule (10,000 schedules in a handful of zones cost a few hundred KB, not a
 * croner object each). The caller owns the instance; nothing is global.
 */
import { parseCron, type CronSpec } from "./cron.js";
import { nextSlotIn, nextSlotsIn, slotsBetweenIn } from "./slots.js";
import { ZoneCache } from "./zone-rules.js";

export interface SlotCalculatorOptions {
  /** Parsed patterns kept (least recently used dropped first). Default 50,000. */
  readonly maxPatterns?: number;
}

export class SlotCalculator {
  private readonly specs = new Map<string, CronSpec>();
  private readonly maxPatterns: number;
  readonly zones = new ZoneCache();

  constructor(options: SlotCalculatorOptions = {}) {
    this.maxPatterns = options.maxPatterns ?? 50_000;
  }

  /** The parsed pattern, from the cache when seen before. Throws ScheduleError. */
  spec(pattern: string): CronSpec {
    const cached = this.specs.get(pattern);
    if (cached !== undefined) {
      this.specs.delete(pattern); // re-insert: Map order is the LRU order
      this.specs.set(pattern, cached);
      return cached;
    }
    const spec = parseCron(pattern);
    if (this.specs.size >= this.maxPatterns) {
      const oldest = this.specs.keys().next();
      if (oldest.done !== true) this.specs.delete(oldest.value);
    }
    this.specs.set(pattern, spec);
    return spec;
  }

  /** The first slot strictly after `from`. Throws ScheduleError for a bad pattern or zone. */
  next(pattern: string | CronSpec, tz: string, from: number): number | undefined {
    return nextSlotIn(this.resolve(pattern), this.zones.get(tz), from);
  }

  /** The next `n` slots strictly after `from`. */
  nextN(pattern: string | CronSpec, tz: string, from: number, n: number): number[] {
    return nextSlotsIn(this.resolve(pattern), this.zones.get(tz), from, n);
  }

  /** Slots in (fromExclusive, toInclusive], the earliest `limit`. */
  between(pattern: string | CronSpec, tz: string, fromExclusive: number, toInclusive: number, limit: number): number[] {
    return slotsBetweenIn(this.resolve(pattern), this.zones.get(tz), fromExclusive, toInclusive, limit);
  }

  get patternCount(): number {
    return this.specs.size;
  }

  private resolve(pattern: string | CronSpec): CronSpec {
    return typeof pattern === "string" ? this.spec(pattern) : pattern;
  }
}
