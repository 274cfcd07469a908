/**
 * The pure face of the fake's data: exactly the records a window holds, as
 * objects with the same keys, order and values the server writes, computed
 * without HTTP (for tests, oracles and benchmarks).
 */
import { countRecords, eventIdentities as identitiesOf, openCursor, openLatestUsersCursor, type EventIdentity, type Window } from "./events.js";
import type { GeneratorConfig } from "./options.js";
import { fieldMask, toObject } from "./serialize.js";
import { shapeOf, type Shape } from "./shapes.js";
import { userVersionsIn, type UserVersion } from "./user-versions.js";

export interface ExportFilter {
  campaignId?: number;
  onlyFields?: readonly string[];
  omitFields?: readonly string[];
}

function requireShape(dataTypeName: string): Shape {
  const shape = shapeOf(dataTypeName);
  if (!shape) throw new Error(`fake-iterable: unknown dataTypeName "${dataTypeName}"`);
  return shape;
}

/**
 * The records of `dataTypeName` whose time (createdAt; profileUpdatedAt for
 * users) is in `window` ∩ [cfg.dataStart, cfg.now), in the order served; with
 * a lateShare, only the event records that have arrived by cfg.now.
 */
export function* exportRecords(
  cfg: GeneratorConfig,
  dataTypeName: string,
  window: Window,
  filter: ExportFilter = {},
): Generator<Record<string, unknown>> {
  const shape = requireShape(dataTypeName);
  const mask = fieldMask(shape, filter.onlyFields, filter.omitFields);
  const cursor = openCursor(cfg, shape, window, filter.campaignId);
  for (let values = cursor.next(); values !== undefined; values = cursor.next()) yield toObject(shape, values, mask);
}

/** How many records `window` holds for `dataTypeName` (no campaign filter), without generating them. */
export function countExportRecords(cfg: GeneratorConfig, dataTypeName: string, window: Window): number {
  return countRecords(cfg, requireShape(dataTypeName), window);
}

/**
 * The identity (createdAt, visibleAt, messageId, key) of every record of the
 * event type `dataTypeName` whose createdAt is in `window` ∩ [cfg.dataStart, ∞),
 * served or not (cfg.now is ignored): the records not served at T are those
 * failing `servedAt(identity, T)`. Only keys and messageIds are generated.
 */
export function eventIdentities(cfg: GeneratorConfig, dataTypeName: string, window: Window): Generator<EventIdentity> {
  return identitiesOf(cfg, requireShape(dataTypeName), window);
}

/**
 * Each user's newest profile as the user export serves it at `asOf`: its
 * newest version with profileUpdatedAt < asOf, every field as served, by
 * email, in the order the export serves them; users first updated at or
 * after asOf are absent. Computed per user (a binary search over its
 * versions), not by reading the export, so it checks the export.
 */
export function latestUserProfiles(cfg: GeneratorConfig, asOf: number): Map<string, Record<string, unknown>> {
  const shape = requireShape("user");
  const profiles = new Map<string, Record<string, unknown>>();
  const cursor = openLatestUsersCursor(cfg, shape, asOf);
  for (let values = cursor.next(); values !== undefined; values = cursor.next()) {
    const record = toObject(shape, values);
    profiles.set(String(record["email"]), record);
  }
  return profiles;
}

/**
 * The user profile versions the export serves for `window` (profileUpdatedAt
 * in window ∩ [cfg.dataStart, cfg.now)), in the order served: email, version
 * (0 = the user's first profile) and profileUpdatedAt, without generating the
 * records. A version above 0 updates a row an earlier window brought.
 */
export function userVersions(cfg: GeneratorConfig, window: Window): Generator<UserVersion> {
  return userVersionsIn(cfg, window);
}
