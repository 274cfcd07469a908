/**
 * When users' profiles change. users × userUpdates update slots are spread
 * over USER_SPAN_MS after dataStart at rising times; slot s holds version
 * floor(s / users) of user perm(s mod users). So a user's versions lie
 * `users` slots apart at rising profileUpdatedAt (version v of every user
 * falls in the v-th of userUpdates equal parts of the span, about
 * span/userUpdates after the previous one), and with one version per user
 * (the default) slot s is user perm(s), as before versions existed.
 * Pure index arithmetic: a window maps to a slot range by binary search, and
 * a user's newest version before a time is found the same way.
 */
import type { TimeWindow } from "../iterable/types.js";
import type { GeneratorConfig } from "./options.js";
import { userEmail } from "./people.js";
import { hash32, unit } from "./prng.js";
import { DAY_MS, dataWindow, lowerBound } from "./time.js";

/** Users' profile updates spread over this span after dataStart. */
export const USER_SPAN_MS = 365 * DAY_MS;

/** One profile version of a user, as the user export serves it (without generating the record). */
export interface UserVersion {
  email: string;
  /** 0 for the user's first profile, rising by one per update. */
  version: number;
  /** Its profileUpdatedAt (and itblInternal.documentUpdatedAt), epoch ms, whole seconds. */
  updatedAt: number;
}

/** The slot-to-user bijection: u = (a·s + b) mod users, with a coprime to users. */
function permutation(users: number, seed: number): (s: number) => number {
  if (users <= 1) return (s) => s;
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  let a = 1 + (hash32(seed, 0xa) % Math.min(users, 1 << 20));
  while (gcd(a, users) !== 1) a++;
  const b = hash32(seed, 0xb) % users;
  return (s) => (a * s + b) % users;
}

/** The update slots of one configuration. */
export class UserSlots {
  /** users × userUpdates. */
  readonly count: number;
  private readonly users: number;
  private readonly perm: (s: number) => number;

  constructor(private readonly cfg: GeneratorConfig) {
    this.users = cfg.users;
    this.count = cfg.users * cfg.userUpdates;
    this.perm = permutation(cfg.users, cfg.seed);
  }

  /** When slot `s`'s profile version was written: rising with s, whole seconds. */
  time(s: number): number {
    const offset = ((s + unit(hash32(this.cfg.seed, 0x51, s))) * USER_SPAN_MS) / this.count;
    return this.cfg.dataStart + Math.floor(offset / 1000) * 1000;
  }

  /** The user whose profile slot `s` holds. */
  user(s: number): number {
    return this.perm(s % this.users);
  }

  /** Which version of its user slot `s` holds (0 = the first). */
  version(s: number): number {
    return Math.floor(s / this.users);
  }

  /** When the first version of slot `s`'s user was written (its signup date derives from it). */
  firstTime(s: number): number {
    return this.time(s % this.users);
  }

  /** The slots whose time is in `w` (no clipping): [from, to). */
  range(w: TimeWindow): { from: number; to: number } {
    const timeOf = (s: number): number => this.time(s);
    const from = lowerBound(this.count, w.start, timeOf);
    return { from, to: w.end > w.start ? lowerBound(this.count, w.end, timeOf) : from };
  }

  /**
   * The slots of each user's newest version written before `asOf`, in slot
   * order (users with none are left out).
   */
  newestBefore(asOf: number): number[] {
    const slots: number[] = [];
    const versions = this.cfg.userUpdates;
    for (let r = 0; r < this.users; r++) {
      const v = lowerBound(versions, asOf, (k) => this.time(r + k * this.users)) - 1;
      if (v >= 0) slots.push(r + v * this.users);
    }
    return slots.sort((x, y) => x - y);
  }
}

/**
 * The profile versions the user export serves for `window` (clipped to
 * [dataStart, now)), in the order served; only emails are generated.
 */
export function* userVersionsIn(cfg: GeneratorConfig, window: TimeWindow): Generator<UserVersion> {
  const slots = new UserSlots(cfg);
  const { from, to } = slots.range(dataWindow(cfg, window));
  for (let s = from; s < to; s++) yield { email: userEmail(cfg.seed, slots.user(s)), version: slots.version(s), updatedAt: slots.time(s) };
}
