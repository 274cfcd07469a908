/**
 * Records → typed rows: the per-record hot path (design §4, td-connector.md §6).
 *
 * A row holds the values of the output columns in order, then `time` (unix
 * seconds). Each record is walked once (`for…in`); each field name is mapped
 * to its column once and cached (and the previous record's field order is
 * remembered, so the usual lookup is a string identity check), then a switch
 * per field. No Date or luxon per value on the usual timestamp forms.
 */
import { ConfigError, DataError } from "../errors.js";
import type { CellValue, ColumnSpec, ColumnType, Row } from "../warehouse/types.js";
import type { LoadColumn } from "./config-schema.js";
import { columnName, legacyColumnName } from "./naming.js";
import { formatTimestamp, storedTimestampToMs, toTimestampText } from "./timestamp.js";

export interface RowConverterOptions {
  /** `in.columns`. */
  columns: readonly LoadColumn[];
  /** `out.time_column` / `--time-column`: a long or timestamp column copied into `time`. */
  timeColumn?: string | undefined;
  /** Unix seconds: `time` of every row when there is no time column. */
  uploadTime: number;
  /** Skip (and count) invalid records instead of throwing a DataError. */
  skipInvalidRecords: boolean;
  /** Columns a record must give a value (an upsert's primary key, issue 15): without one it is invalid. */
  requiredColumns?: readonly string[] | undefined;
}

export interface RowConverter {
  /** The table's data columns in row order (`time`, always last in a row, is not listed). */
  readonly columns: readonly ColumnSpec[];
  /**
   * The row for one record, or undefined when the record is invalid and
   * skipInvalidRecords is on. `position` (e.g. 1-based record number) names
   * the record in messages.
   */
  convert(record: Record<string, unknown>, position: number): Row | undefined;
  /** Records skipped as invalid so far. */
  readonly skipped: number;
  /** Fields no column reads, with the number of records they appeared in. */
  readonly unknownFields: ReadonlyMap<string, number>;
}

const T_BOOLEAN = 0;
const T_LONG = 1;
const T_DOUBLE = 2;
const T_STRING = 3;
const T_TIMESTAMP = 4;
const T_JSON = 5;

const TYPE_CODES: Record<ColumnType, number> = {
  boolean: T_BOOLEAN,
  long: T_LONG,
  double: T_DOUBLE,
  string: T_STRING,
  timestamp: T_TIMESTAMP,
  json: T_JSON,
};

/** How numbers in a timestamp column are read. */
const EPOCH_AUTO = 0;
const EPOCH_MS = 1;
const EPOCH_S = 2;

/** Returned by `convertValue` for a value that does not fit. */
const INVALID: unique symbol = Symbol("invalid");

const INTEGER_TEXT = /^\s*[-+]?\d+\s*$/;
const NUMBER_TEXT = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

function epochToText(n: number, epoch: number): string | typeof INVALID {
  if (!Number.isFinite(n)) return INVALID;
  const ms = epoch === EPOCH_MS ? n : epoch === EPOCH_S ? n * 1000 : Math.abs(n) >= 1e11 ? n : n * 1000;
  return formatTimestamp(ms) ?? INVALID;
}

function convertValue(type: number, v: unknown, epoch: number): CellValue | typeof INVALID {
  switch (type) {
    case T_STRING:
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "boolean") return String(v);
      return JSON.stringify(v);
    case T_LONG:
      if (typeof v === "number") return Number.isSafeInteger(v) ? v : INVALID;
      if (typeof v === "string" && INTEGER_TEXT.test(v)) {
        const n = Number(v);
        return Number.isSafeInteger(n) ? n : INVALID;
      }
      return INVALID;
    case T_TIMESTAMP:
      if (typeof v === "string") return toTimestampText(v) ?? INVALID;
      if (typeof v === "number") return epochToText(v, epoch);
      return INVALID;
    case T_DOUBLE:
      if (typeof v === "number") return v;
      if (typeof v === "string" && NUMBER_TEXT.test(v)) return Number(v);
      return INVALID;
    case T_BOOLEAN:
      if (v === true) return 1;
      if (v === false) return 0;
      if (typeof v === "string") {
        const t = v.trim().toLowerCase();
        if (t === "true") return 1;
        if (t === "false") return 0;
      }
      if (v === 1 || v === 0) return v;
      return INVALID;
    case T_JSON:
      return JSON.stringify(v);
    default:
      return INVALID;
  }
}

function excerpt(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

function epochOf(format: string | undefined): number {
  if (format === "epoch_ms") return EPOCH_MS;
  if (format === "epoch_s" || format === "epoch_sec" || format === "epoch") return EPOCH_S;
  return EPOCH_AUTO;
}

/** Where `time` comes from. */
const TIME_UPLOAD = 0;
/** A column used as `time` (it is not a data column). */
const TIME_OWN_SLOT = 1;
/** A data column copied into `time` (time_column). */
const TIME_COPY = 2;

/**
 * Builds the converter for a load's columns. Throws a ConfigError for a bad
 * time column (TD's messages: `A specified time_column 'X' does not exist`,
 * `Type of 'X' column must be long or timestamp`).
 */
export function createRowConverter(options: RowConverterOptions): RowConverter {
  const cols = options.columns;
  const n = cols.length;
  const types = cols.map((c) => TYPE_CODES[c.type]);
  const epochs = cols.map((c) => epochOf(c.format));

  // --- time ---------------------------------------------------------------
  let timeMode = TIME_UPLOAD;
  let timeIndex: number; // the input column feeding `time` (-1: none)
  const tc = options.timeColumn;
  if (tc !== undefined && tc !== "") {
    timeIndex = cols.findIndex((c) => c.name === tc);
    const col = cols[timeIndex];
    if (col === undefined) throw new ConfigError(`A specified time_column '${tc}' does not exist`);
    if (col.type !== "long" && col.type !== "timestamp") {
      throw new ConfigError(`Type of '${tc}' column must be long or timestamp`);
    }
    timeMode = tc === "time" ? TIME_OWN_SLOT : TIME_COPY;
  } else {
    timeIndex = cols.findIndex((c) => c.name === "time" && (c.type === "long" || c.type === "timestamp"));
    if (timeIndex >= 0) timeMode = TIME_OWN_SLOT;
  }

  // --- output layout ------------------------------------------------------
  const out: ColumnSpec[] = [];
  const slots = new Int32Array(n);
  const names = new Set(cols.map((c) => c.name));
  for (let i = 0; i < n; i++) {
    const col = cols[i] as LoadColumn;
    if (timeMode === TIME_OWN_SLOT && i === timeIndex) continue;
    let name = col.name;
    if (name === "time") {
      name = "time_";
      while (names.has(name)) name += "_";
      names.add(name);
    }
    slots[i] = out.length;
    const spec: ColumnSpec = { name, type: col.type };
    if (col.format !== undefined) spec.format = col.format;
    out.push(spec);
  }
  const width = out.length; // the `time` slot
  if (timeMode === TIME_OWN_SLOT) slots[timeIndex] = width;
  const timeSlot = timeMode === TIME_COPY ? (slots[timeIndex] ?? -1) : width;
  const timeIsTimestamp = timeIndex >= 0 && types[timeIndex] === T_TIMESTAMP;
  const timeName = timeIndex >= 0 ? (cols[timeIndex]?.name ?? "") : "";
  const timeType = timeIndex >= 0 ? (cols[timeIndex]?.type ?? "long") : "long";

  // --- field name → code: [0, n) a column read by that exact name (or src);
  // [n, 2n) a column whose name is the field's TD-style name, or its legacy one (an exact field wins);
  // ≥ 2n an unknown field (index into unknownNames).
  const keyCodes = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const src = cols[i]?.src;
    if (src !== undefined && !keyCodes.has(src)) keyCodes.set(src, i);
  }
  const bySoftName = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const col = cols[i] as LoadColumn;
    if (col.src !== undefined) continue;
    if (!keyCodes.has(col.name)) keyCodes.set(col.name, i);
    if (!bySoftName.has(col.name)) bySoftName.set(col.name, i);
  }
  const unknownNames: string[] = [];
  const unknownCounts: number[] = [];
  const twoN = 2 * n;

  const resolve = (key: string): number => {
    // A config guessed before names dropped their invalid end names the column the old way.
    const soft = bySoftName.get(columnName(key)) ?? bySoftName.get(legacyColumnName(key));
    let code: number;
    if (soft !== undefined) code = n + soft;
    else {
      code = twoN + unknownNames.length;
      unknownNames.push(key);
      unknownCounts.push(0);
    }
    keyCodes.set(key, code);
    return code;
  };

  const lastKeys: string[] = [];
  const lastCodes: number[] = [];
  /** Row slots of the required columns (the time column's own slot is the row's `time`). */
  const required = (options.requiredColumns ?? []).map((name) => {
    const i = cols.findIndex((c) => c.name === name);
    if (i < 0) throw new ConfigError(`The key column '${name}' is not one of in.columns`);
    return { slot: timeMode === TIME_OWN_SLOT && i === timeIndex ? width : (slots[i] as number), name };
  });

  let skipped = 0;
  const uploadTime = options.uploadTime;
  const skipInvalid = options.skipInvalidRecords;

  const invalid = (position: number, i: number, v: unknown): undefined => {
    if (skipInvalid) {
      skipped++;
      return undefined;
    }
    const col = cols[i] as LoadColumn;
    throw new DataError(`record ${position}: column ${col.name} (${col.type}): cannot convert ${excerpt(v)}`);
  };

  const convert = (record: Record<string, unknown>, position: number): Row | undefined => {
    const row: CellValue[] = new Array<CellValue>(width + 1);
    let j = 0;
    for (const key in record) {
      // Records of one export share their field order, and JSON.parse interns field
      // names: comparing with the previous record's field at this position is
      // cheaper than hashing the name.
      let code: number;
      if (lastKeys[j] === key) code = lastCodes[j] as number;
      else {
        code = keyCodes.get(key) ?? resolve(key);
        lastKeys[j] = key;
        lastCodes[j] = code;
      }
      j++;
      if (code < n) {
        const v = record[key];
        if (v === null || v === undefined) row[slots[code] as number] = null;
        else {
          const c = convertValue(types[code] as number, v, epochs[code] as number);
          if (c === INVALID) return invalid(position, code, v);
          row[slots[code] as number] = c;
        }
      } else if (code < twoN) {
        const i = code - n;
        const slot = slots[i] as number;
        if (row[slot] !== undefined) continue; // a field named exactly like the column came first
        const v = record[key];
        if (v === null || v === undefined) row[slot] = null;
        else {
          const c = convertValue(types[i] as number, v, epochs[i] as number);
          if (c === INVALID) return invalid(position, i, v);
          row[slot] = c;
        }
      } else {
        unknownCounts[code - twoN] = (unknownCounts[code - twoN] as number) + 1;
      }
    }
    for (let k = 0; k < width; k++) if (row[k] === undefined) row[k] = null;

    if (timeMode === TIME_UPLOAD) {
      row[width] = uploadTime;
    } else {
      const t = row[timeSlot];
      if (t === null || t === undefined) {
        if (skipInvalid) {
          skipped++;
          return undefined;
        }
        throw new DataError(
          `record ${position}: column ${timeName} (${timeType}): cannot convert null: the time column needs a value`,
        );
      }
      row[width] = timeIsTimestamp ? Math.floor(storedTimestampToMs(t as string) / 1000) : t;
    }
    for (const r of required) {
      if (row[r.slot] !== null) continue;
      if (skipInvalid) {
        skipped++;
        return undefined;
      }
      throw new DataError(`record ${position}: column ${r.name}: the primary key needs a value; got none (set in.skip_invalid_records to skip such records)`);
    }
    return row;
  };

  return {
    columns: out,
    convert,
    get skipped() {
      return skipped;
    },
    get unknownFields() {
      const m = new Map<string, number>();
      unknownNames.forEach((name, i) => {
        const count = unknownCounts[i] ?? 0;
        if (count > 0) m.set(name, count);
      });
      return m;
    },
  };
}
