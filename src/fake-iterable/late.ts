/**
 * Late events. Iterable accepts events whose createdAt lies in the past
 * (offline mobile SDKs, the track API's createdAt) and its export filters on
 * createdAt, so an incremental import that read a window before such an event
 * arrived never sees it. A share of the fake's event records is late: each
 * record's delay is a pure function of its identity (seed, type, hour, index),
 * so the server, the oracles and tests agree. A late record is the same record
 * (same createdAt, messageId and fields), only served later. Pure.
 */
import type { GeneratorConfig } from "./options.js";
import { hash32, unit } from "./prng.js";

const LATE_SALT = 0x1a7e;

/** The seed of one type's lateness, hashed with each record's hour and index. */
export function lateSeed(cfg: GeneratorConfig, typeIndex: number): number {
  return hash32(cfg.seed, LATE_SALT, typeIndex);
}

/**
 * How long after its createdAt record (hour, index) of a type becomes visible
 * (`seed` from lateSeed): 0 for an on-time record; for a late one (probability
 * lateShare) whole seconds uniform in [1 s, lateByMs].
 */
export function lateDelay(cfg: GeneratorConfig, seed: number, hour: number, index: number): number {
  if (cfg.lateShare <= 0 || unit(hash32(seed, hour, index, 1)) >= cfg.lateShare) return 0;
  const seconds = Math.max(1, Math.floor(cfg.lateByMs / 1000));
  return 1000 * (1 + Math.floor(unit(hash32(seed, hour, index, 2)) * seconds));
}

/**
 * Whether the export serves a record at `now`: it exists (createdAt < now, as
 * for every record) and has arrived (visibleAt ≤ now; visibleAt = createdAt +
 * its delay).
 */
export function servedAt(record: { createdAt: number; visibleAt: number }, now: number): boolean {
  return record.createdAt < now && record.visibleAt <= now;
}
