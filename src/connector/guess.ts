/**
 * Guess: columns from a sample of records (design §4). Top-level fields only,
 * in first-seen order; nested objects and arrays become json; Iterable's
 * timestamp strings (and, for campaigns and lists, epoch-ms `*At` fields)
 * become timestamps; numbers the source knows to be decimals (campaign
 * metrics) become double even when the sample holds only whole ones; names
 * are TD-style and unique.
 */
import type { ColumnType } from "../warehouse/types.js";
import type { LoadColumn } from "./config-schema.js";
import { columnName, legacyColumnName, uniqueNames } from "./naming.js";
import { parseTimestamp, timestampFormatOf } from "./timestamp.js";

export interface GuessOptions {
  /**
   * Integer fields named `*At` (createdAt, updatedAt, startAt, endedAt) whose
   * values all have 13 digits are epoch-ms timestamps (campaign and list
   * metadata).
   */
  epochMillisFields?: boolean;
  /**
   * Fields that are double whenever the sample holds only numbers for them,
   * whole ones included (a metric written `0.0` today is `19.99` tomorrow).
   */
  doubleFields?: ReadonlySet<string> | undefined;
}

const BOOL = 1;
const INT = 2;
const FLOAT = 4;
const STRING = 8; // a string that is not a timestamp
const TS = 16; // a timestamp string
const OBJECT = 32;
const ARRAY = 64;
const NOT_EPOCH_MS = 128; // an integer that is not a 13-digit epoch ms

interface FieldStats {
  seen: number;
  /** The form of the first timestamp string, for `format`. */
  firstTimestamp?: string;
}

/** Epoch ms with 13 digits: 2001-09-09 … 2286-11-20. */
function isEpochMs13(n: number): boolean {
  return n >= 1e12 && n < 1e13;
}

function typeOf(key: string, s: FieldStats, opts: GuessOptions): { type: ColumnType; format?: string } {
  const f = s.seen;
  if (f === 0) return { type: "string" };
  if (f === BOOL) return { type: "boolean" };
  if ((f & ~(INT | FLOAT | NOT_EPOCH_MS)) === 0 && opts.doubleFields?.has(key) === true) return { type: "double" };
  const epochMillisFields = opts.epochMillisFields === true;
  if ((f & ~(INT | NOT_EPOCH_MS)) === 0) {
    if (epochMillisFields && (f & NOT_EPOCH_MS) === 0 && /At$/.test(key)) return { type: "timestamp", format: "epoch_ms" };
    return { type: "long" };
  }
  if ((f & ~(INT | FLOAT | NOT_EPOCH_MS)) === 0) return { type: "double" };
  if (f === TS) return { type: "timestamp", format: timestampFormatOf(s.firstTimestamp ?? "") };
  if ((f & ~(OBJECT | ARRAY)) === 0) return { type: "json" };
  return { type: "string" };
}

/**
 * Columns for a sample of records. `src` is set only when a column's name is
 * not simply `columnName(field)` (e.g. `user_id_2` after a collision).
 */
export function guessColumns(records: Iterable<Record<string, unknown>>, opts: GuessOptions = {}): LoadColumn[] {
  const stats = new Map<string, FieldStats>();
  for (const record of records) {
    for (const key of Object.keys(record)) {
      let s = stats.get(key);
      if (s === undefined) {
        s = { seen: 0 };
        stats.set(key, s);
      }
      const v = record[key];
      if (v === null || v === undefined) continue;
      switch (typeof v) {
        case "boolean":
          s.seen |= BOOL;
          break;
        case "number":
          if (Number.isSafeInteger(v)) s.seen |= isEpochMs13(v) ? INT : INT | NOT_EPOCH_MS;
          else s.seen |= FLOAT;
          break;
        case "string":
          // once a field has a plain string, its timestamps no longer matter
          if ((s.seen & STRING) === 0 && parseTimestamp(v) !== undefined) {
            s.seen |= TS;
            s.firstTimestamp ??= v;
          } else s.seen |= STRING;
          break;
        case "object":
          s.seen |= Array.isArray(v) ? ARRAY : OBJECT;
          break;
        default:
          s.seen |= STRING;
      }
    }
  }
  const keys = [...stats.keys()];
  const names = uniqueNames(keys);
  return keys.map((key, i) => {
    const name = names[i] as string;
    const { type, format } = typeOf(key, stats.get(key) as FieldStats, opts);
    const col: LoadColumn = { name, type };
    if (format !== undefined) col.format = format;
    if (name !== columnName(key)) col.src = key;
    return col;
  });
}

/**
 * Fields present in `records` that no column reads (a column reads its `src`,
 * or, without `src`, the fields whose TD-style name, or legacy name, is its name), in
 * first-seen order. For telling users about new fields.
 */
export function findNewFields(columns: readonly LoadColumn[], records: Iterable<Record<string, unknown>>): string[] {
  const srcs = new Set<string>();
  const plainNames = new Set<string>();
  for (const c of columns) {
    if (c.src !== undefined) srcs.add(c.src);
    else plainNames.add(c.name);
  }
  const checked = new Set<string>();
  const found: string[] = [];
  for (const record of records) {
    for (const key of Object.keys(record)) {
      if (checked.has(key)) continue;
      checked.add(key);
      if (srcs.has(key)) continue;
      if (plainNames.has(key) || plainNames.has(columnName(key)) || plainNames.has(legacyColumnName(key))) continue;
      found.push(key);
    }
  }
  return found;
}
