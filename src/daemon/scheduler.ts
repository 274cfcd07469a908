/**
 * The daemon's scheduling core: a thin timer loop over a heap that holds, for
 * every schedule that fires, its next slot. It decides when a slot becomes a
 * job and nothing more: one timer (Clock.sleep) waits for the earliest due
 * entry; on waking, every due slot is claimed (SlotStore.claim queues its job)
 * or, when missed, handled by the schedule's catch-up policy (see catchup.ts).
 *
 * Overlap is the runner's business, not this loop's: claim only queues a job,
 * and the caller's runner runs the queued jobs of one schedule one at a time
 * in slot order. That is how one schedule never runs two slots at once — a
 * slot that comes due while the previous run is still going is queued here and
 * waits there.
 *
 * No slot twice, none lost: an entry's slots up to `handledThrough` were
 * claimed or skipped and are never asked for again, so a clock that jumps back
 * re-fires nothing (and the store refuses a second job for a slot anyway),
 * while the next slot after them still fires when its time comes again. A
 * clock that jumps forward makes the slots it passed due at once: the missed
 * ones go through the catch-up policy. Sleeps are capped (maxSleepMs) so that
 * a wall-clock jump is noticed even though timers run on a monotonic clock.
 */
import type { Clock } from "../clock.js";
import { errorMessage } from "../errors.js";
import { ScheduleError, type ScheduleDefinition, type SlotCalculator } from "../schedule/index.js";
import { decideSlot } from "./catchup.js";
import { fires, newEntry, slotsMoved, timingOf, type Entry } from "./entry.js";
import { SlotHeap } from "./heap.js";

/** Where slots become jobs; implemented over state.db by the daemon, in memory in tests. */
export interface SlotStore {
  /** The latest slot (scheduled_time, ms) that has a job of any status for this schedule, or undefined. */
  lastSlot(schedule: string): number | undefined;
  /** When a daemon first saw the schedule (recorded as `now` the first time): where its slots start before it has any. */
  firstSeen(schedule: string, now: number): number;
  /**
   * Records a slot's job as queued (kind 'scheduled'; `catchup`: a missed slot claimed by the catch-up policy);
   * returns false if the slot already has one (never twice).
   */
  claim(schedule: string, slot: number, priority: number, catchup?: boolean): boolean;
  /**
   * Claims a tick's due slots at once, in order (a store shared over the network: one round trip). `busy`:
   * another daemon is dealing with the schedule right now; the scheduler asks again after `retryMs`.
   */
  claimMany?: ((claims: readonly { schedule: string; slot: number; priority: number; catchup: boolean }[]) => ("queued" | "taken" | "busy")[]) | undefined;
  /** Records slots not run, with the reason (status 'skipped'). */
  skip(schedule: string, slots: readonly number[], reason: string): void;
  /** Runs `fn` as one unit of storage work (one transaction): a load of 10,000 schedules is one commit. */
  batch?<T>(fn: () => T): T;
}

export type SchedulerEvent =
  /** A slot's job was queued; lateMs = now − (slot + delay). Missed slots claimed by catch-up fire too. */
  | { type: "fire"; schedule: string; slot: number; dueAt: number; lateMs: number }
  /** Slots recorded as skipped. */
  | { type: "skip"; schedule: string; slots: number[]; reason: string }
  /** Missed slots claimed by one tick (each also had its `fire`). */
  | { type: "catchup"; schedule: string; slots: number[] }
  /** The store already had a job for this slot (e.g. a `connector:run` of it): not queued again. */
  | { type: "duplicate"; schedule: string; slot: number }
  /** A store or definition failure; other schedules go on, and a store failure is retried after retryMs. */
  | { type: "error"; schedule: string | null; message: string; error: unknown };

export interface SchedulerOptions {
  clock: Clock;
  slots: SlotCalculator;
  store: SlotStore;
  /** Missed slots claimed per schedule and catch-up under `catchup: all`; the rest are skipped. Default 100. */
  catchupCap?: number;
  /** How late the latest due slot may be and still fire as on time rather than count as missed. Default 60 s. */
  graceMs?: number;
  /** The longest single sleep, so a wall-clock jump is noticed within it. Default 60 s. */
  maxSleepMs?: number;
  /** How long after a store failure the schedule is tried again. Default 5 s. */
  retryMs?: number;
  onEvent?: (e: SchedulerEvent) => void;
}

/** Slots recorded per store.skip call; a longer run of missed slots takes several. */
const SKIP_CHUNK = 1000;
/** Heap entries handled before the loop yields to the event loop. */
const TICK_BUDGET = 2000;
/** How soon a slot found `busy` (another daemon claiming it) is asked again. */
const BUSY_RETRY_MS = 1000;

/** A claim made in a tick and sent with the others at its end (SlotStore.claimMany). */
interface PendingClaim {
  e: Entry;
  slot: number;
  dueAt: number;
  priority: number;
  catchup: boolean;
  /** The entry's handledThrough before this slot: where it goes back to when the slot is busy. */
  handledBefore: number | undefined;
  caughtUpBefore: number;
}

export class Scheduler {
  private readonly clock: Clock;
  private readonly slots: SlotCalculator;
  private readonly store: SlotStore;
  private cap: number;
  private readonly graceMs: number;
  private readonly maxSleepMs: number;
  private readonly retryMs: number;
  private readonly onEvent: ((e: SchedulerEvent) => void) | undefined;
  private readonly heap = new SlotHeap<Entry>();
  private readonly entries = new Map<string, Entry>();
  private loaded = false;
  private stopped = true;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wake: AbortController | undefined;
  private armedUntil = Number.POSITIVE_INFINITY;
  private tickTime = 0;
  private pending: PendingClaim[] = [];

  constructor(opts: SchedulerOptions) {
    this.clock = opts.clock;
    this.slots = opts.slots;
    this.store = opts.store;
    this.cap = opts.catchupCap ?? 100;
    this.graceMs = opts.graceMs ?? 60_000;
    this.maxSleepMs = opts.maxSleepMs ?? 60_000;
    this.retryMs = opts.retryMs ?? 5_000;
    this.onEvent = opts.onEvent;
  }

  /** Changes the `all` catch-up cap (SIGHUP). */
  setCatchupCap(cap: number): void {
    this.cap = cap;
  }

  /** The time the loop last woke (epoch ms; 0 before the first tick). */
  get lastTick(): number {
    return this.tickTime;
  }

  /** Schedules in the heap (with a cron, not paused). */
  get size(): number {
    return this.heap.size;
  }

  /** When the loop next has something to do (epoch ms), or undefined when nothing fires. O(1). */
  nextDue(): number | undefined {
    return this.heap.peek()?.at;
  }

  /**
   * Replaces the set of schedules (start-up and every reload), O(n log n).
   * Unchanged schedules keep their place; a new delay or priority moves one in
   * the heap; a new cron or time zone, or a resume, recomputes its slots from
   * now; removed and paused ones leave the heap.
   *
   * Where slots start: on the first call (start-up), from the schedule's last
   * slot in the store, so slots missed while the daemon was down are caught up
   * — or, for a schedule never run, from now (no backfill of its past). A
   * schedule added, changed or resumed later starts from now (and never before
   * its last stored slot): slots of its old pattern, of a paused stretch or of
   * an earlier schedule of the same name are not caught up.
   */
  setSchedules(defs: readonly ScheduleDefinition[]): void {
    if (this.store.batch) this.store.batch(() => this.applySchedules(defs));
    else this.applySchedules(defs);
  }

  private applySchedules(defs: readonly ScheduleDefinition[]): void {
    const now = this.clock.now();
    const seen = new Set<string>();
    for (const def of defs) {
      if (seen.has(def.name)) {
        this.emit({ type: "error", schedule: def.name, message: `scheduler: schedule "${def.name}" is defined twice; the first definition is kept`, error: undefined });
        continue;
      }
      seen.add(def.name);
      this.apply(def, now);
    }
    for (const name of this.entries.keys()) {
      if (seen.has(name)) continue;
      this.entries.delete(name);
      this.heap.remove(name);
    }
    this.loaded = true;
    this.rearm();
  }

  /** Runs the loop until stop(). Idempotent: a second call returns the same promise. */
  start(): Promise<void> {
    this.stopped = false;
    if (!this.running) {
      this.running = true;
      this.loop = this.run();
    }
    return this.loop;
  }

  /** Stops firing; the promise from start() resolves. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.wake?.abort();
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        const busy = this.tick();
        if (this.stopped) break;
        const now = this.clock.now();
        const due = this.nextDue() ?? Number.POSITIVE_INFINITY;
        if (busy || due <= now) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        await this.sleep(Math.min(due - now, this.maxSleepMs), now);
      }
    } finally {
      this.running = false;
    }
  }

  /** The one timer; setSchedules and stop() cut it short through `wake`. */
  private async sleep(ms: number, now: number): Promise<void> {
    const wake = new AbortController();
    this.wake = wake;
    this.armedUntil = now + ms;
    try {
      await this.clock.sleep(ms, wake.signal);
    } catch {
      // Woken early: re-armed or stopped.
    } finally {
      this.wake = undefined;
      this.armedUntil = Number.POSITIVE_INFINITY;
    }
  }

  /** Re-arms the timer when the earliest entry is now earlier than the timer. */
  private rearm(): void {
    const due = this.nextDue();
    if (this.wake !== undefined && due !== undefined && due < this.armedUntil) this.wake.abort();
  }

  private apply(def: ScheduleDefinition, now: number): void {
    const timing = timingOf(def);
    const e = this.entries.get(def.name);
    if (e === undefined) {
      // A new entry starts where the store says it stands (its mark, kept by the schedule's id): a renamed
      // schedule goes on from its last slot, a new or re-created one from when a daemon first saw it.
      const created = newEntry(def.name, timing, true);
      this.entries.set(def.name, created);
      if (fires(timing)) this.setUp(created, now);
      return;
    }
    const before = e.timing;
    e.timing = timing;
    e.priority = timing.priority;
    if (!fires(timing)) {
      this.heap.remove(e.name);
      e.slot = undefined;
    } else if (slotsMoved(before, timing)) {
      e.backfill = false;
      this.setUp(e, now);
    } else if (before.delayMs !== timing.delayMs || before.priority !== timing.priority) {
      if (e.slot !== undefined) e.at = e.slot + timing.delayMs;
      this.heap.update(e.name);
    }
  }

  /** Finds where a schedule's slots start (see setSchedules) and puts it in the heap at its next slot. */
  private setUp(e: Entry, now: number): void {
    e.caughtUp = 0;
    try {
      e.spec = this.slots.spec(e.timing.cron);
      // A schedule with no slot yet starts where a daemon first saw it: slots missed before its first run
      // (the daemon was down) are caught up like any others.
      const stored = this.store.lastSlot(e.name) ?? this.store.firstSeen(e.name, now);
      const from = e.backfill
        ? (stored ?? now)
        : Math.max(stored ?? Number.NEGATIVE_INFINITY, e.handledThrough ?? Number.NEGATIVE_INFINITY, now);
      const next = this.slots.next(e.spec, e.timing.timezone, from);
      e.handledThrough = from;
      this.moveTo(e, next);
    } catch (err) {
      e.slot = undefined; // set up again on retry, never resumed at a slot of an older definition
      if (err instanceof ScheduleError) {
        // A bad pattern or zone stays bad until the definition changes.
        this.emit({ type: "error", schedule: e.name, message: `scheduler: schedule "${e.name}": ${err.message}`, error: err });
        this.heap.remove(e.name);
      } else {
        this.fail(e, err, now);
      }
    }
  }

  /** Puts the entry at a slot, or out of the heap when it has no more. */
  private moveTo(e: Entry, slot: number | undefined): void {
    e.slot = slot;
    if (slot === undefined) {
      this.heap.remove(e.name);
      return;
    }
    e.at = slot + e.timing.delayMs;
    if (this.heap.has(e.name)) this.heap.update(e.name);
    else this.heap.push(e);
  }

  /** Reports a failure and tries the entry again after retryMs (its slot, if any, kept). */
  private fail(e: Entry, err: unknown, now: number): void {
    this.emit({ type: "error", schedule: e.name, message: `scheduler: schedule "${e.name}": ${errorMessage(err)}`, error: err });
    e.at = now + this.retryMs;
    if (this.heap.has(e.name)) this.heap.update(e.name);
    else this.heap.push(e);
  }

  /** Handles every due entry, earliest first (then higher priority, then name). Returns true when it stopped at the budget. */
  private tick(): boolean {
    const now = this.clock.now();
    this.tickTime = now;
    const caughtUp = new Map<string, number[]>();
    let handled = 0;
    let busy = false;
    for (let top = this.heap.peek(); top !== undefined && top.at <= now; top = this.heap.peek()) {
      if (handled++ >= TICK_BUDGET) {
        busy = true;
        break;
      }
      try {
        this.step(top, now, caughtUp);
      } catch (err) {
        this.fail(top, err, now);
      }
    }
    this.flush(caughtUp);
    for (const [schedule, slots] of caughtUp) this.emit({ type: "catchup", schedule, slots });
    return busy;
  }

  /**
   * Sends the tick's claims (claimMany), then tells what became of each. A
   * busy slot puts its entry back at it (and its later slots of this tick,
   * busy too, with it), to be asked again after BUSY_RETRY_MS. A failure
   * puts every entry back at its first slot of the batch, retried after retryMs.
   */
  private flush(caughtUp: Map<string, number[]>): void {
    const batch = this.pending;
    if (batch.length === 0 || this.store.claimMany === undefined) return;
    this.pending = [];
    let outcomes: ("queued" | "taken" | "busy")[];
    try {
      outcomes = this.store.claimMany(batch.map((p) => ({ schedule: p.e.name, slot: p.slot, priority: p.priority, catchup: p.catchup })));
    } catch (err) {
      const now = this.clock.now();
      for (const p of this.firstOfEach(batch)) {
        this.putBack(p);
        this.fail(p.e, err, now);
      }
      return;
    }
    const now = this.clock.now();
    const busy = new Map<Entry, PendingClaim>();
    batch.forEach((p, i) => {
      const outcome = outcomes[i] ?? "busy";
      if (outcome === "busy" || busy.has(p.e)) {
        if (!busy.has(p.e)) busy.set(p.e, p);
        return;
      }
      if (outcome === "queued") {
        this.emit({ type: "fire", schedule: p.e.name, slot: p.slot, dueAt: p.dueAt, lateMs: now - p.dueAt });
        if (p.catchup) {
          const list = caughtUp.get(p.e.name);
          if (list === undefined) caughtUp.set(p.e.name, [p.slot]);
          else list.push(p.slot);
        }
      } else {
        this.emit({ type: "duplicate", schedule: p.e.name, slot: p.slot });
      }
    });
    for (const p of busy.values()) {
      this.putBack(p);
      p.e.at = Math.max(p.e.at, now + BUSY_RETRY_MS);
      this.heap.update(p.e.name);
    }
  }

  /** Each entry's first claim in a batch. */
  private firstOfEach(batch: readonly PendingClaim[]): PendingClaim[] {
    const seen = new Set<Entry>();
    return batch.filter((p) => !seen.has(p.e) && seen.add(p.e));
  }

  /** Puts an entry back at a claim's slot, as it was before the claim. */
  private putBack(p: PendingClaim): void {
    p.e.handledThrough = p.handledBefore;
    p.e.caughtUp = p.caughtUpBefore;
    this.moveTo(p.e, p.slot);
  }

  /** Handles an entry's next slot (or a run of slots to skip), then moves the entry to the slot after. */
  private step(e: Entry, now: number, caughtUp: Map<string, number[]>): void {
    const { slot, spec } = e;
    if (slot === undefined || spec === undefined) {
      this.setUp(e, now);
      return;
    }
    const { timezone, delayMs, priority, catchup } = e.timing;
    const dueAt = slot + delayMs;
    if (dueAt > now) {
      this.moveTo(e, slot);
      return;
    }
    const next = this.slots.next(spec, timezone, slot);
    const isLast = next === undefined || next + delayMs > now;
    const action = decideSlot({ policy: catchup, cap: this.cap, graceMs: this.graceMs }, { isLast, lateMs: now - dueAt, caughtUp: e.caughtUp });
    if (action.kind === "skip") {
      // Claims of this tick go first: a skip moves the mark, past which no claim is taken. One of them found
      // busy puts this entry back at an earlier slot: it is handled from there, later.
      this.flush(caughtUp);
      if (e.slot !== slot) return;
      // Every due slot but the latest gets the same verdict: skip the run at once, leave the latest to its own.
      const later = isLast ? [] : this.slots.between(spec, timezone, slot, now - delayMs, SKIP_CHUNK);
      const skipped = [slot, ...later.slice(0, -1)];
      this.store.skip(e.name, skipped, action.reason);
      e.handledThrough = skipped.at(-1) ?? slot;
      if (isLast) e.caughtUp = 0;
      this.emit({ type: "skip", schedule: e.name, slots: skipped, reason: action.reason });
      this.moveTo(e, isLast ? next : later.at(-1));
      return;
    }
    if (this.store.claimMany !== undefined) {
      this.pending.push({ e, slot, dueAt, priority, catchup: action.kind === "catchup", handledBefore: e.handledThrough, caughtUpBefore: e.caughtUp });
      e.handledThrough = slot;
      if (action.kind === "catchup") e.caughtUp++;
      if (isLast) e.caughtUp = 0;
      this.moveTo(e, next);
      return;
    }
    const claimed = this.store.claim(e.name, slot, priority, action.kind === "catchup");
    e.handledThrough = slot;
    if (claimed) {
      this.emit({ type: "fire", schedule: e.name, slot, dueAt, lateMs: now - dueAt });
      if (action.kind === "catchup") {
        e.caughtUp++;
        const list = caughtUp.get(e.name);
        if (list === undefined) caughtUp.set(e.name, [slot]);
        else list.push(slot);
      }
    } else {
      this.emit({ type: "duplicate", schedule: e.name, slot });
    }
    if (isLast) e.caughtUp = 0;
    this.moveTo(e, next);
  }

  /** Events are reported safely: a listener that throws does not stop the loop. */
  private emit(e: SchedulerEvent): void {
    if (this.onEvent === undefined) return;
    try {
      this.onEvent(e);
    } catch {
      // The listener's failure is its own.
    }
  }
}
