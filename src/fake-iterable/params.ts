/**
 * Query parameters of the fake's endpoints: parsing and validation. Every
 * problem is a BadParams whose message names the parameter.
 */
import { EXPORT_DATA_TYPES } from "../iterable/types.js";
import { BadParams } from "./errors.js";
import type { Window } from "./events.js";
import { fieldMask, type FieldMask } from "./serialize.js";
import { shapeOf, type Shape } from "./shapes.js";
import { parseDateParam, rangeWindow, RANGES, type RangeName } from "./time.js";

/** All values of a repeatable parameter, each also split on commas. */
export function listParam(sp: URLSearchParams, name: string): string[] {
  return sp
    .getAll(name)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

export function intParam(sp: URLSearchParams, name: string): number | undefined {
  const v = sp.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw new BadParams(`${name} must be an integer; got "${v}"`, { [name]: v });
  return Number(v.trim());
}

export function boolParam(sp: URLSearchParams, name: string): boolean | undefined {
  const v = sp.get(name);
  if (v === null) return undefined;
  const t = v.trim().toLowerCase();
  if (t === "true") return true;
  if (t === "false") return false;
  throw new BadParams(`${name} must be true or false; got "${v}"`, { [name]: v });
}

export function dateParam(sp: URLSearchParams, name: string): number | undefined {
  const v = sp.get(name);
  if (v === null) return undefined;
  const ms = parseDateParam(v);
  if (ms === undefined) {
    throw new BadParams(`${name} is not a valid date: "${v}" (expected yyyy-MM-dd HH:mm:ss with an optional zone, or ISO 8601)`, { [name]: v });
  }
  return ms;
}

export interface ExportRequest {
  shape: Shape;
  window: Window;
  mask: FieldMask;
  campaignId: number | undefined;
}

/** The window of an export request: both dates when given (they win over `range`), else `range`. */
function exportWindow(sp: URLSearchParams, now: number, dataStart: number): Window {
  const start = dateParam(sp, "startDateTime");
  const end = dateParam(sp, "endDateTime");
  if (start !== undefined && end !== undefined) {
    if (start > end) throw new BadParams(`startDateTime must not be after endDateTime`, { startDateTime: sp.get("startDateTime"), endDateTime: sp.get("endDateTime") });
    return { start, end };
  }
  const range = sp.get("range");
  if (range !== null) {
    if (!(RANGES as readonly string[]).includes(range)) throw new BadParams(`range must be one of ${RANGES.join(", ")}; got "${range}"`, { range });
    return rangeWindow(range as RangeName, now, dataStart);
  }
  if (start !== undefined) throw new BadParams("endDateTime is required with startDateTime (or give range)", { startDateTime: sp.get("startDateTime") });
  if (end !== undefined) throw new BadParams("startDateTime is required with endDateTime (or give range)", { endDateTime: sp.get("endDateTime") });
  throw new BadParams("Either range or both startDateTime and endDateTime are required");
}

export function exportRequest(sp: URLSearchParams, now: number, dataStart: number): ExportRequest {
  const name = sp.get("dataTypeName");
  if (name === null || name.trim() === "") throw new BadParams("dataTypeName is required");
  const shape = shapeOf(name);
  if (!shape) {
    throw new BadParams(`Invalid dataTypeName: "${name}" (expected one of ${EXPORT_DATA_TYPES.join(", ")})`, { dataTypeName: name });
  }
  const window = exportWindow(sp, now, dataStart);
  const only = listParam(sp, "onlyFields");
  const omit = listParam(sp, "omitFields");
  if (only.length > 0 && omit.length > 0) throw new BadParams("onlyFields and omitFields cannot be combined", { onlyFields: only, omitFields: omit });
  return { shape, window, mask: fieldMask(shape, only, omit), campaignId: intParam(sp, "campaignId") };
}

/** The CSV `delimiter`: one character other than a quote or a line break; default a comma. */
export function delimiterParam(sp: URLSearchParams): string {
  const d = sp.get("delimiter");
  if (d === null || d === "") return ",";
  if ([...d].length !== 1 || d === '"' || d === "\n" || d === "\r") {
    throw new BadParams(`delimiter must be a single character other than a quote or a line break; got ${JSON.stringify(d)}`, { delimiter: d });
  }
  return d;
}
