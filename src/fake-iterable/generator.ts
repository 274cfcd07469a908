/**
 * The pure face of the fake's data: exactly the records a window holds, as
 * objects with the same keys, order and values the server writes, computed
 * without HTTP (for tests, oracles and benchmarks).
 */
import { countRecords, openCursor, type Window } from "./events.js";
import type { GeneratorConfig } from "./options.js";
import { fieldMask, toObject } from "./serialize.js";
import { shapeOf, type Shape } from "./shapes.js";

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
 * users) is in `window` ∩ [cfg.dataStart, cfg.now), in the order served.
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
