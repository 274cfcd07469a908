/**
 * An in-memory SlotStore and a harness that drives a Scheduler on a FakeClock:
 * time moves only when a test says so, and `settle` lets the loop catch up.
 */
import { FakeClock } from "../../../src/clock.js";
import { Scheduler, type SchedulerEvent, type SchedulerOptions, type SlotStore } from "../../../src/daemon/index.js";
import { SlotCalculator, type ScheduleDefinition } from "../../../src/schedule/index.js";

interface SlotRecord {
  status: "queued" | "skipped" | "success";
  priority: number;
  reason: string | null;
}

export class MemorySlotStore implements SlotStore {
  readonly slots = new Map<string, Map<number, SlotRecord>>();
  /** Every claim asked for, in order, whether granted or not. */
  readonly attempts: { schedule: string; slot: number }[] = [];
  /** Claims granted, in order. */
  readonly claims: { schedule: string; slot: number; priority: number }[] = [];
  lastSlotCalls = 0;
  /** Makes claim (or lastSlot) throw while it returns true. */
  failClaim: (schedule: string, slot: number) => boolean = () => false;
  failLastSlot: (schedule: string) => boolean = () => false;

  /** A job from an earlier life of the daemon. */
  seed(schedule: string, slot: number): void {
    this.of(schedule).set(slot, { status: "success", priority: 0, reason: null });
  }

  lastSlot(schedule: string): number | undefined {
    this.lastSlotCalls++;
    if (this.failLastSlot(schedule)) throw new Error("database is locked");
    const slots = [...(this.slots.get(schedule)?.keys() ?? [])];
    return slots.length === 0 ? undefined : Math.max(...slots);
  }

  readonly seen = new Map<string, number>();

  firstSeen(schedule: string, now: number): number {
    if (!this.seen.has(schedule)) this.seen.set(schedule, now);
    return this.seen.get(schedule) as number;
  }

  /** Claims granted as catch-up (missed slots run late), in order. */
  readonly caughtUp: { schedule: string; slot: number }[] = [];

  claim(schedule: string, slot: number, priority: number, catchup = false): boolean {
    this.attempts.push({ schedule, slot });
    if (this.failClaim(schedule, slot)) throw new Error("database is locked");
    const slots = this.of(schedule);
    if (slots.has(slot)) return false;
    slots.set(slot, { status: "queued", priority, reason: null });
    this.claims.push({ schedule, slot, priority });
    if (catchup) this.caughtUp.push({ schedule, slot });
    return true;
  }

  skip(schedule: string, slots: readonly number[], reason: string): void {
    const known = this.of(schedule);
    for (const slot of slots) {
      if (known.has(slot)) throw new Error(`slot ${iso(slot)} of ${schedule} recorded twice`);
      known.set(slot, { status: "skipped", priority: 0, reason });
    }
  }

  claimed(schedule: string): string[] {
    return this.claims.filter((c) => c.schedule === schedule).map((c) => iso(c.slot));
  }

  /** Skipped slots of a schedule, in slot order, with their reasons. */
  skipped(schedule: string): { slot: string; reason: string | null }[] {
    return [...this.of(schedule).entries()]
      .filter(([, r]) => r.status === "skipped")
      .sort(([a], [b]) => a - b)
      .map(([slot, r]) => ({ slot: iso(slot), reason: r.reason }));
  }

  private of(schedule: string): Map<number, SlotRecord> {
    let slots = this.slots.get(schedule);
    if (slots === undefined) {
      slots = new Map();
      this.slots.set(schedule, slots);
    }
    return slots;
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function at(isoWithOffset: string): number {
  const ms = Date.parse(isoWithOffset);
  if (Number.isNaN(ms)) throw new Error(`bad ISO string in test: ${isoWithOffset}`);
  return ms;
}

/** Instants written with their offsets, as UTC ISO strings. */
export function utc(...isoWithOffsets: string[]): string[] {
  return isoWithOffsets.map((s) => iso(at(s)));
}

let nextDefId = 1;
export function def(name: string, cron: string, fields: Partial<ScheduleDefinition> = {}): ScheduleDefinition {
  return {
    id: nextDefId++, name, cron, timezone: "UTC", delay: 0, database: "db", table: name, timeColumn: null, priority: 0,
    catchup: "all", config: {}, paused: false, source: "cli", ...fields,
  };
}

export interface Harness {
  clock: FakeClock;
  store: MemorySlotStore;
  scheduler: Scheduler;
  events: SchedulerEvent[];
  /** Lets the loop run until it is parked on its timer with nothing due. */
  settle(): Promise<void>;
  /** Moves the clock to each due time in turn up to `target` (no slot is late), then to `target`. */
  runTo(target: number): Promise<void>;
  /** Moves the clock in equal steps up to `target`, as a wall clock would. */
  walkTo(target: number, stepMs: number): Promise<void>;
  fired(schedule?: string): Extract<SchedulerEvent, { type: "fire" }>[];
}

export function harness(
  start: number,
  options: Partial<Omit<SchedulerOptions, "clock" | "store">> & { store?: MemorySlotStore } = {},
): Harness {
  const clock = new FakeClock(start);
  const store = options.store ?? new MemorySlotStore();
  const events: SchedulerEvent[] = [];
  const scheduler = new Scheduler({
    slots: new SlotCalculator(),
    ...options,
    clock,
    store,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10_000; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const due = scheduler.nextDue();
      if (clock.pendingSleeps > 0 && (due === undefined || due > clock.now())) return;
    }
    throw new Error("the scheduler did not settle");
  };
  const runTo = async (target: number): Promise<void> => {
    for (let due = scheduler.nextDue(); due !== undefined && due <= target; due = scheduler.nextDue()) {
      clock.set(Math.max(due, clock.now()));
      await settle();
    }
    clock.set(target);
    await settle();
  };
  const walkTo = async (target: number, stepMs: number): Promise<void> => {
    while (clock.now() < target) {
      clock.set(Math.min(clock.now() + stepMs, target));
      await settle();
    }
  };
  const fired = (schedule?: string): Extract<SchedulerEvent, { type: "fire" }>[] =>
    events.flatMap((e) => (e.type === "fire" && (schedule === undefined || e.schedule === schedule) ? [e] : []));
  return { clock, store, scheduler, events, settle, runTo, walkTo, fired };
}
