/**
 * Rows to COPY's text format (issue 13), the fastest form PostgreSQL reads:
 * one line per row, values separated by tabs, `\N` for null, backslash,
 * newline, carriage return and tab escaped. Pure.
 *
 * Values arrive as the converter stores them for SQLite (types.ts: booleans
 * 0/1, timestamps as UTC `YYYY-MM-DD HH:MM:SS.SSS` text, JSON as text) and
 * are written for the table's column type: `t`/`f` for a boolean, `+00`
 * after a timestamp. PostgreSQL's text and jsonb cannot hold U+0000, and
 * jsonb refuses a `\uXXXX` escape of a lone UTF-16 surrogate (JSON.stringify
 * writes one for a string cut inside an emoji): each becomes U+FFFD (the
 * replacement character), so one such value does not fail a whole slice.
 * Year 0000, the first the converter stores, is written as PostgreSQL's 1 BC.
 */
import type { CellValue, Row } from "../types.js";

/** How a column's values are written: by the table's column type. */
export type CopyKind = "boolean" | "timestamptz" | "jsonb" | "other";

/** The copy kind of a column with PostgreSQL type `pgType` (`format_type`). */
export function copyKind(pgType: string): CopyKind {
  if (pgType === "boolean") return "boolean";
  if (pgType === "timestamp with time zone") return "timestamptz";
  if (pgType === "jsonb" || pgType === "json") return "jsonb";
  return "other";
}

const NEEDS_ESCAPE = /[\\\n\r\t\0]/;
const ESCAPES = /[\\\n\r\t\0]/g;
const ESCAPED: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\uFFFD" };
/**
 * `\u0000` or a lone surrogate's escape in JSON text (an odd run of backslashes
 * before it, so not an escaped backslash followed by `u0000`); a high
 * surrogate's escape followed by a low one's is a pair, kept.
 */
const JSON_UNSUPPORTED = /(\\+)u(0000|d[89ab][0-9a-f]{2}(?:\\ud[c-f][0-9a-f]{2})?|d[c-f][0-9a-f]{2})/gi;
const MAY_NEED_JSON_FIX = /\\u(0000|d[89a-f])/i;
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;

function escapeText(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(ESCAPES, (c) => ESCAPED[c] as string) : s;
}

function fixJsonEscape(m: string, slashes: string, escape: string): string {
  if (slashes.length % 2 === 0) return m;
  // A surrogate pair (12 characters) is kept; `\u0000` or a lone surrogate becomes U+FFFD.
  return escape.length > 4 ? m : `${slashes}ufffd`;
}

function cell(v: CellValue, kind: CopyKind): string {
  if (v === null || v === undefined) return "\\N";
  switch (kind) {
    case "boolean":
      if (typeof v === "number" || typeof v === "bigint") return v === 0 || v === 0n ? "f" : "t";
      return escapeText(v);
    case "timestamptz":
      if (typeof v === "string" && TIMESTAMP_TEXT.test(v)) return v.startsWith("0000-") ? `0001${v.slice(4)}+00 BC` : `${v}+00`;
      return escapeText(String(v));
    case "jsonb":
      if (typeof v === "string") return escapeText(MAY_NEED_JSON_FIX.test(v) ? v.replace(JSON_UNSUPPORTED, fixJsonEscape) : v);
      return String(v);
    case "other":
      if (typeof v === "string") return escapeText(v);
      return String(v);
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** COPY text of `rows` (each ends with a newline); `kinds` has one entry per value of a row. */
export function encodeCopyRows(rows: readonly Row[], kinds: readonly CopyKind[]): string {
  let out = "";
  for (const row of rows) out += copyLine(row, kinds);
  return out;
}

/**
 * The same COPY text as UTF-8 bytes, the form the connection sends: each
 * row's line is built as a short string and written straight into one
 * buffer, so no long string of the whole chunk is built and then flattened
 * and encoded again (that took about twice the time of the rows' encoding).
 */
export function encodeCopyBuffer(rows: readonly Row[], kinds: readonly CopyKind[]): Buffer {
  let buf = Buffer.allocUnsafe(Math.max(4096, rows.length * 256));
  let at = 0;
  for (const row of rows) {
    const line = copyLine(row, kinds);
    // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair 4 for 2 units).
    const most = line.length * 3;
    if (at + most > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + most));
      buf.copy(bigger, 0, 0, at);
      buf = bigger;
    }
    at += buf.write(line, at, "utf8");
  }
  return buf.subarray(0, at);
}

function copyLine(row: Row, kinds: readonly CopyKind[]): string {
  const width = kinds.length;
  let line = width > 0 ? cell(row[0] as CellValue, kinds[0] as CopyKind) : "";
  for (let i = 1; i < width; i++) line += "\t" + cell(row[i] as CellValue, kinds[i] as CopyKind);
  return line + "\n";
}
