/**
 * The fake's options and the pure generator configuration derived from them.
 * Everything the fake serves is a function of a GeneratorConfig, so tests and
 * oracles can compute what a window holds without HTTP.
 */
import type { Clock } from "../clock.js";
import type { FaultSpec } from "./faults.js";
import type { RateLimitOverrides } from "./rate-limit.js";

export interface FakeIterableOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port; read it from `FakeIterable.port`). */
  port?: number;
  /** The one valid `Api-Key`; default "fake-api-key". */
  apiKey?: string;
  /** Seed of all generated data; default 1. */
  seed?: number;
  /** Records per day for each export data type; default 1000. */
  eventsPerDay?: number;
  /** User profiles; default 1000. */
  users?: number;
  /**
   * Profile versions per user (1 to MAX_USER_UPDATES); default 1. With N, the
   * user export holds N versions of each user at rising profileUpdatedAt over
   * the year after dataStart (users × N records), each differing from the
   * previous one in place, loyaltyPoints and other fields, with the same
   * email and userId: what an upsert import keyed by email has to update.
   */
  userUpdates?: number;
  /** Campaigns; default 50. */
  campaigns?: number;
  /** Lists; default 5. */
  lists?: number;
  /**
   * Share (0..1) of event records that arrive late, as events sent with a past
   * `createdAt` do (offline SDKs, the track API): such a record is served only
   * once the fake's now reaches createdAt + its delay. Default 0. Users,
   * campaigns and lists are never late.
   */
  lateShare?: number;
  /** The longest delay of a late record (ms; delays are whole seconds in (0, lateByMs], at least 1 s); default 0, ≥ 1000 when lateShare > 0. */
  lateByMs?: number;
  /** A frozen "now" (epoch ms); when undefined the clock's time at each request. */
  now?: number | undefined;
  /** Where data begins (epoch ms); default 2025-01-01T00:00:00Z (the CLI's `--now` moves it: see `dataStartBefore`). */
  dataStart?: number;
  /** Answer 429 past Iterable's documented limits; default true. */
  rateLimits?: boolean;
  rateLimitOverrides?: RateLimitOverrides;
  /** Faults to inject, as objects or spec strings (`export:500@2`). */
  faults?: readonly (FaultSpec | string)[];
  /** The clock for "now" (when not frozen) and rate-limit windows; default the system clock. */
  clock?: Clock;
}

/** What generated data depends on. */
export interface GeneratorConfig {
  seed: number;
  eventsPerDay: number;
  users: number;
  /** Profile versions per user (see FakeIterableOptions.userUpdates). */
  userUpdates: number;
  campaigns: number;
  lists: number;
  dataStart: number;
  /** Share of event records that become visible late (see FakeIterableOptions.lateShare). */
  lateShare: number;
  /** The longest delay of a late record, ms. */
  lateByMs: number;
  /** Records at or after `now` do not exist yet; undefined = no upper bound (the server always sets it). */
  now?: number | undefined;
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 0,
  apiKey: "fake-api-key",
  seed: 1,
  eventsPerDay: 1000,
  users: 1000,
  userUpdates: 1,
  campaigns: 50,
  lists: 5,
  dataStart: Date.UTC(2025, 0, 1),
  lateShare: 0,
  lateByMs: 0,
} as const;

/**
 * Where the data of a fake frozen at `now` begins when no start is given: a
 * year before `now` (the same day and time, UTC), so that a `--now` before the
 * default start still has a year of data (users' profile updates span a year).
 */
export function dataStartBefore(now: number): number {
  const d = new Date(now);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  return d.getTime();
}

function count(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`fake-iterable: ${name} must be a whole number ≥ 0; got ${String(value)}`);
  return v;
}

/** The most profile versions a user can have. */
export const MAX_USER_UPDATES = 1000;

function userUpdates(value: number | undefined): number {
  const v = value ?? DEFAULTS.userUpdates;
  if (!Number.isSafeInteger(v) || v < 1 || v > MAX_USER_UPDATES) {
    throw new Error(`fake-iterable: userUpdates must be a whole number from 1 to ${MAX_USER_UPDATES}; got ${String(value)}`);
  }
  return v;
}

function lateness(opts: FakeIterableOptions): { lateShare: number; lateByMs: number } {
  const lateShare = opts.lateShare ?? DEFAULTS.lateShare;
  const lateByMs = opts.lateByMs ?? DEFAULTS.lateByMs;
  if (!(lateShare >= 0 && lateShare <= 1)) throw new Error(`fake-iterable: lateShare must be a fraction from 0 to 1; got ${String(opts.lateShare)}`);
  if (!Number.isSafeInteger(lateByMs) || lateByMs < 0) throw new Error(`fake-iterable: lateByMs must be a whole number of ms ≥ 0; got ${String(opts.lateByMs)}`);
  if (lateShare > 0 && lateByMs < 1000) throw new Error(`fake-iterable: lateByMs must be at least 1000 (1 s) when lateShare is above 0; got ${lateByMs}`);
  return { lateShare, lateByMs };
}

/** The generator configuration the server uses for these options (with `now` left to each request). */
export function generatorConfig(opts: FakeIterableOptions = {}): GeneratorConfig {
  const dataStart = opts.dataStart ?? DEFAULTS.dataStart;
  if (!Number.isFinite(dataStart)) throw new Error(`fake-iterable: dataStart must be epoch milliseconds; got ${String(dataStart)}`);
  return {
    seed: count("seed", opts.seed, DEFAULTS.seed),
    eventsPerDay: count("eventsPerDay", opts.eventsPerDay, DEFAULTS.eventsPerDay),
    users: count("users", opts.users, DEFAULTS.users),
    userUpdates: userUpdates(opts.userUpdates),
    campaigns: count("campaigns", opts.campaigns, DEFAULTS.campaigns),
    lists: count("lists", opts.lists, DEFAULTS.lists),
    dataStart,
    ...lateness(opts),
    now: opts.now,
  };
}
