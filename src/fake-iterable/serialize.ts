/**
 * Records to bytes: one NDJSON line or one CSV row from a record's value
 * array, without building intermediate objects. Keys are pre-rendered per
 * shape and values are written by kind; only strings that could need it are
 * escaped (via JSON.stringify), so the output is exactly JSON.
 */
import { K_JSON, K_NUM, K_SAFE, K_STR, type Shape } from "./shapes.js";

// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal. Unicode stays raw; quotes, backslashes, control characters and surrogates are escaped. */
export function jsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let hit = escaped.get(s);
  if (hit === undefined) {
    hit = JSON.stringify(s);
    if (escaped.size < 4096) escaped.set(s, hit);
  }
  return hit;
}

/** Escaped forms of strings that recur (values drawn from word lists). */
const escaped = new Map<string, string>();

function anyJson(v: unknown): string {
  if (typeof v === "string") return jsonString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/**
 * Pre-rendered key text per field, in variants: with or without the comma
 * before it, with or without the closing quote of the previous string value
 * in front, and with or without the opening quote of a string value after.
 */
interface Keys {
  /** Index 4·i + (comma ? 2 : 0) + (closeQuote ? 1 : 0); the text ends with `"` for K_SAFE fields. */
  keyed: string[];
  /** Same indexing, never with an opening quote (for null, numbers, objects). */
  plain: string[];
  kinds: Uint8Array;
}

const keyCache = new WeakMap<Shape, Keys>();

function keysOf(shape: Shape): Keys {
  let keys = keyCache.get(shape);
  if (!keys) {
    const keyed: string[] = [];
    const plain: string[] = [];
    shape.fields.forEach((f) => {
      const k = `${JSON.stringify(f.name)}:`;
      for (const variant of [k, `"${k}`, `,${k}`, `",${k}`]) {
        plain.push(variant);
        keyed.push(f.kind === K_SAFE ? `${variant}"` : variant);
      }
    });
    keys = { keyed, plain, kinds: Uint8Array.from(shape.fields, (f) => f.kind) };
    keyCache.set(shape, keys);
  }
  return keys;
}

/** Which fields to keep (1) or drop (0); undefined keeps all. */
export type FieldMask = Uint8Array | undefined;

/** A mask for `onlyFields` / `omitFields` (names not in the shape are ignored). */
export function fieldMask(shape: Shape, only: readonly string[] | undefined, omit: readonly string[] | undefined): FieldMask {
  if ((!only || only.length === 0) && (!omit || omit.length === 0)) return undefined;
  const keep = new Set(only && only.length > 0 ? only : shape.names);
  for (const o of omit ?? []) keep.delete(o);
  return Uint8Array.from(shape.names, (n) => (keep.has(n) ? 1 : 0));
}

/**
 * One record as a JSON object text (no newline). Hot: written for speed
 * (pre-rendered keys that also carry the quotes around safe strings, so a
 * safe string costs one concatenation; no intermediate objects).
 */
export function jsonLine(shape: Shape, values: readonly unknown[], mask?: FieldMask): string {
  const { keyed, plain, kinds } = keysOf(shape);
  let s = "{";
  // 2 once a field was written (a comma is due), +1 while the previous value's closing quote is pending.
  let state = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined || (mask !== undefined && mask[i] === 0)) continue;
    const at = 4 * i + state;
    const kind = kinds[i];
    if (v === null) {
      s += `${plain[at] as string}null`;
    } else if (kind === K_SAFE) {
      s += (keyed[at] as string) + (v as string);
      state = 3;
      continue;
    } else if (kind === K_NUM) {
      s += (plain[at] as string) + (v as number);
    } else if (kind === K_STR) {
      s += (plain[at] as string) + jsonString(v as string);
    } else if (kind === K_JSON) {
      s += (plain[at] as string) + JSON.stringify(v);
    } else {
      s += (plain[at] as string) + anyJson(v);
    }
    state = 2;
  }
  return state === 3 ? `${s}"}` : `${s}}`;
}

/** One record as an object with the same keys, order and values as its JSON line. */
export function toObject(shape: Shape, values: readonly unknown[], mask?: FieldMask): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined || (mask !== undefined && mask[i] === 0)) continue;
    o[shape.names[i] as string] = v;
  }
  return o;
}

/** A CSV cell: quoted when it holds the delimiter, a quote or a line break. */
export function csvCell(text: string, delimiter: string): string {
  if (text.includes(delimiter) || /["\r\n]/.test(text)) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

function cellText(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** The CSV header row (the type's field union, minus masked fields), without newline. */
export function csvHeader(shape: Shape, delimiter: string, mask?: FieldMask): string {
  return shape.names
    .filter((_, i) => mask === undefined || mask[i] === 1)
    .map((n) => csvCell(n, delimiter))
    .join(delimiter);
}

/** One record as a CSV row: absent and null are empty cells, objects and arrays JSON text. */
export function csvRow(shape: Shape, values: readonly unknown[], delimiter: string, mask?: FieldMask): string {
  let s = "";
  let sep = "";
  for (let i = 0; i < values.length; i++) {
    if (mask !== undefined && mask[i] === 0) continue;
    s += sep + csvCell(cellText(values[i]), delimiter);
    sep = delimiter;
  }
  return s;
}
