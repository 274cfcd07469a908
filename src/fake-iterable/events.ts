/**
 * Where records live in time. Events: UTC hour buckets per type; bucket h
 * holds about eventsPerDay/24 records whose times rise with their index, so a
 * window maps to an index range per hour (binary search, no generation).
 * Users: profile versions in update slots at rising times (user-versions.ts).
 * A cursor walks the window and generates only the records inside it. With a
 * lateShare, event records that have not arrived by `now` (late.ts) are
 * skipped.
 */
import type { TimeWindow } from "../iterable/types.js";
import { RecordContext } from "./context.js";
import { lateDelay, lateSeed } from "./late.js";
import type { GeneratorConfig } from "./options.js";
import { hash32, unit } from "./prng.js";
import { prepareUser } from "./fields-user.js";
import { fillRecord, type FieldDef, type Shape } from "./shapes.js";
import { dataWindow, exportTime, HOUR_MS, lowerBound } from "./time.js";
import { UserSlots } from "./user-versions.js";
import { worldFor } from "./world.js";
import type { FakeCampaign } from "./campaigns.js";

const COUNT_SALT = 0xc0;
const BUCKET_SALT = 0xb0;
/** A window `[start, end)` in epoch ms. */
export type Window = TimeWindow;

/** Records in hour `h` for a type: eventsPerDay/24 ± 10%, rounded stochastically so the mean holds. */
export function bucketCount(cfg: GeneratorConfig, typeIndex: number, h: number): number {
  const mean = cfg.eventsPerDay / 24;
  const x = mean * (0.9 + 0.2 * unit(hash32(cfg.seed, typeIndex, h, COUNT_SALT)));
  return Math.floor(x + unit(hash32(cfg.seed, typeIndex, h, COUNT_SALT + 1)));
}

function eventTime(h: number, bucketSeed: number, n: number, k: number): number {
  return h * HOUR_MS + 1000 * Math.floor(((k + unit(hash32(bucketSeed, k))) * 3600) / n);
}

export interface Cursor {
  /**
   * The next record's values, or undefined when the window is exhausted. The
   * array is reused by the following call (copy it to keep it).
   */
  next(): unknown[] | undefined;
  readonly shape: Shape;
}

/** Who an event record is and when it is served, without generating the record. */
export interface EventIdentity {
  /** The record's createdAt, epoch ms (whole seconds). */
  createdAt: number;
  /** When the export starts serving it: createdAt when on time, createdAt + its delay when late. */
  visibleAt: number;
  /** Its messageId, for types that have one. */
  messageId: string | undefined;
  /** Its key field's value (`keyFieldOf(type)`). */
  key: string;
}

function pickCampaign(c: RecordContext, shape: Shape): FakeCampaign | undefined {
  const pool = shape.medium ? c.world.byMedium[shape.medium] : c.world.campaigns;
  const from = pool.length > 0 ? pool : c.world.campaigns;
  return from.length > 0 ? from[c.rng.int(from.length)] : undefined;
}

class EventCursor implements Cursor {
  private readonly c: RecordContext;
  private readonly values: unknown[];
  private readonly lo: number;
  private readonly hi: number;
  private readonly lastHour: number;
  private readonly pool: number;
  private readonly campaignIndex: number;
  /** Only records of this campaign (ignored by types without campaignId). */
  private readonly campaignId: number | undefined;
  /** Records not yet arrived by cfg.now are skipped (only with a lateShare and a now). */
  private readonly late: boolean;
  private readonly lateSeed: number;
  private readonly visibleBy: number;
  private hour: number;
  private bucketSeed = 0;
  private n = 0;
  private k = 0;
  private kEnd = 0;

  constructor(
    private readonly cfg: GeneratorConfig,
    readonly shape: Shape,
    window: Window,
    campaignId: number | undefined,
  ) {
    this.campaignIndex = shape.campaignIndex;
    this.values = new Array<unknown>(shape.fields.length);
    this.campaignId = this.campaignIndex >= 0 ? campaignId : undefined;
    this.c = new RecordContext(cfg, worldFor(cfg), shape.typeIndex);
    const b = dataWindow(cfg, window);
    this.lo = b.start;
    this.hi = b.end;
    this.hour = Math.floor(b.start / HOUR_MS) - 1;
    this.lastHour = b.end > b.start ? Math.floor((b.end - 1) / HOUR_MS) : this.hour;
    this.pool = Math.max(1, cfg.users);
    this.late = cfg.lateShare > 0 && cfg.now !== undefined;
    this.lateSeed = lateSeed(cfg, shape.typeIndex);
    this.visibleBy = cfg.now ?? Number.POSITIVE_INFINITY;
  }

  /** Moves to the next hour with records in the window; false when none is left. */
  private nextHour(): boolean {
    while (this.hour < this.lastHour) {
      const h = ++this.hour;
      const n = bucketCount(this.cfg, this.shape.typeIndex, h);
      if (n === 0) continue;
      const seed = hash32(this.cfg.seed, this.shape.typeIndex, h, BUCKET_SALT);
      const timeOf = (k: number): number => eventTime(h, seed, n, k);
      this.bucketSeed = seed;
      this.n = n;
      this.k = lowerBound(n, this.lo, timeOf);
      this.kEnd = lowerBound(n, this.hi, timeOf);
      if (this.k < this.kEnd) return true;
    }
    return false;
  }

  /** Whether record k of the current hour, created at t, has arrived by cfg.now. */
  private arrived(k: number, t: number): boolean {
    return !this.late || t + lateDelay(this.cfg, this.lateSeed, this.hour, k) <= this.visibleBy;
  }

  /** How many records the window holds (arrived ones; ignoring a campaign filter), without generating them. */
  count(): number {
    let total = 0;
    while (this.nextHour()) {
      if (!this.late) {
        total += this.kEnd - this.k;
        continue;
      }
      for (let k = this.k; k < this.kEnd; k++) if (this.arrived(k, eventTime(this.hour, this.bucketSeed, this.n, k))) total++;
    }
    return total;
  }

  /** Every record's identity, arrived or not (build the cursor with now undefined to walk the whole window). */
  *identities(): Generator<EventIdentity> {
    const fields = this.shape.fields;
    const keyGen = (fields[this.shape.names.indexOf(this.shape.keyField)] as FieldDef).gen;
    const messageGen = fields[this.shape.names.indexOf("messageId")]?.gen;
    const c = this.c;
    while (this.nextHour()) {
      for (let k = this.k; k < this.kEnd; k++) {
        const t = eventTime(this.hour, this.bucketSeed, this.n, k);
        c.hour = this.hour;
        c.index = k;
        c.t = t;
        c.ts = exportTime(t);
        yield {
          createdAt: t,
          visibleAt: t + lateDelay(this.cfg, this.lateSeed, this.hour, k),
          messageId: messageGen ? (messageGen(c) as string) : undefined,
          key: String(keyGen(c)),
        };
      }
    }
  }

  next(): unknown[] | undefined {
    for (;;) {
      if (this.k >= this.kEnd && !this.nextHour()) return undefined;
      const k = this.k++;
      const t = eventTime(this.hour, this.bucketSeed, this.n, k);
      if (!this.arrived(k, t)) continue;
      const c = this.c;
      c.hour = this.hour;
      c.index = k;
      c.t = t;
      c.ts = exportTime(t);
      c.rng.reset(hash32(this.bucketSeed, k, 1));
      c.user = c.rng.int(this.pool);
      c.campaign = this.campaignIndex >= 0 ? pickCampaign(c, this.shape) : undefined;
      if (this.campaignId !== undefined && c.campaign?.id !== this.campaignId) continue;
      const values = fillRecord(this.shape, c, this.values);
      if (this.campaignId !== undefined && values[this.campaignIndex] !== this.campaignId) continue;
      return values;
    }
  }
}

/** A cursor over the user records of some update slots, in the order given. */
class UserCursor implements Cursor {
  private readonly c: RecordContext;
  private readonly values: unknown[];
  private i: number;

  /** Slots `slotAt(i)` for i in [from, to). */
  constructor(
    cfg: GeneratorConfig,
    readonly shape: Shape,
    private readonly slots: UserSlots,
    from: number,
    private readonly to: number,
    private readonly slotAt: (i: number) => number = (i) => i,
  ) {
    this.c = new RecordContext(cfg, worldFor(cfg), shape.typeIndex);
    this.values = new Array<unknown>(shape.fields.length);
    this.i = from;
  }

  static ofWindow(cfg: GeneratorConfig, shape: Shape, window: Window): UserCursor {
    const slots = new UserSlots(cfg);
    const { from, to } = slots.range(dataWindow(cfg, window));
    return new UserCursor(cfg, shape, slots, from, to);
  }

  count(): number {
    return Math.max(0, this.to - this.i);
  }

  next(): unknown[] | undefined {
    if (this.i >= this.to) return undefined;
    const s = this.slotAt(this.i++);
    const c = this.c;
    const slots = this.slots;
    c.hour = 0;
    c.index = s;
    prepareUser(c, slots.user(s), slots.version(s), slots.time(s), slots.firstTime(s));
    return fillRecord(this.shape, c, this.values);
  }
}

/** A cursor over the records of `shape` in `window` (clipped to [dataStart, now)), optionally of one campaign. */
export function openCursor(cfg: GeneratorConfig, shape: Shape, window: Window, campaignId?: number): Cursor {
  if (shape.type === "user") return UserCursor.ofWindow(cfg, shape, window);
  return new EventCursor(cfg, shape, window, campaignId);
}

/**
 * The identities of the event records of `shape` whose createdAt is in
 * `window` ∩ [dataStart, ∞), whether or not they have arrived by cfg.now, in
 * createdAt order; only the key and messageId are generated.
 */
export function eventIdentities(cfg: GeneratorConfig, shape: Shape, window: Window): Generator<EventIdentity> {
  if (shape.type === "user") throw new Error("fake-iterable: users have no event identities (they are never late)");
  return new EventCursor({ ...cfg, now: undefined }, shape, window, undefined).identities();
}

/** How many records `window` holds for `shape` (before any campaign filter), computed without generating them. */
export function countRecords(cfg: GeneratorConfig, shape: Shape, window: Window): number {
  return shape.type === "user" ? UserCursor.ofWindow(cfg, shape, window).count() : new EventCursor(cfg, shape, window, undefined).count();
}

/**
 * A cursor over each user's newest profile version written before `asOf`
 * (`shape` is the user shape), in the order the export serves them.
 */
export function openLatestUsersCursor(cfg: GeneratorConfig, shape: Shape, asOf: number): Cursor {
  const slots = new UserSlots(cfg);
  const newest = slots.newestBefore(asOf);
  return new UserCursor(cfg, shape, slots, 0, newest.length, (i) => newest[i] as number);
}
