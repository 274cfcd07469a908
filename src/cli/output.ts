import Table from "cli-table3";
import { once } from "node:events";
import { setImmediate } from "node:timers/promises";
import stringWidth from "string-width";
import { UsageError } from "../errors.js";
import type { CommandContext } from "./command.js";

/** `-f/--format` of every listing (TD's common.rb). */
export const FORMATS = ["table", "tsv", "csv", "json"] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string | undefined): Format {
  if (value === undefined) return "table";
  const v = value.toLowerCase();
  if ((FORMATS as readonly string[]).includes(v)) return v as Format;
  throw new UsageError(`--format: expected one of ${FORMATS.join(", ")}; got "${value}"`);
}

export type Cell = string | number | bigint | boolean | Uint8Array | null | undefined;

/** A cell in JSON: bigints as strings (exact), BLOBs as base64 (not Node's `{"type":"Buffer",…}`). */
function jsonCell(v: Cell): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  return v ?? null;
}

function cellText(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  return String(value);
}

const BORDERS = {
  top: "-", "top-mid": "+", "top-left": "+", "top-right": "+",
  bottom: "-", "bottom-mid": "+", "bottom-left": "+", "bottom-right": "+",
  left: "|", "left-mid": "", mid: "", "mid-mid": "", right: "|", "right-mid": "", middle: "|",
};
const STYLE = { head: [], border: [], "padding-left": 1, "padding-right": 1, compact: true };

/**
 * Rows per cli-table3 table. Its layout looks for span conflicts against every
 * row above each cell, so one table costs rows² (1,000 rows 0.5 s, 4,000 rows
 * 18 s): a listing is drawn as tables of this many rows, with the column widths
 * measured once over all rows, which is linear and gives the same text.
 */
const TABLE_PIECE_ROWS = 100;
/** Rows per piece of tsv, csv and json. */
const TEXT_PIECE_ROWS = 1_000;
/** Rows measured between two yields of the width pass. */
const WIDTH_PASS_ROWS = 2_000;

/** Printable ASCII: its display width is its length (string-width agrees, and is much slower). */
const PLAIN = /^[\x20-\x7e]*$/;

/** A cell's display width as cli-table3 measures it: its widest line, by string-width (wide and emoji 2, ANSI codes 0). */
function textWidth(text: string): number {
  let widest = 0;
  for (const line of text.split("\n")) widest = Math.max(widest, PLAIN.test(line) ? line.length : stringWidth(line));
  return widest;
}

/**
 * One row as cli-table3 draws it with these borders and widths, for a row whose
 * cells are each one line: `| a   | b |`. cli-table3's layout costs ~0.3 ms a
 * row (10,000 schedules: 3 s); this is the same text at a fraction of it (the
 * property test in test/unit/cli/output.test.ts holds it to cli-table3's).
 */
function drawLine(texts: readonly string[], widths: readonly number[]): string {
  let line = BORDERS.left;
  for (let c = 0; c < widths.length; c++) {
    const text = texts[c] ?? "";
    line += ` ${text}${" ".repeat((widths[c] ?? 0) - textWidth(text))} ${c === widths.length - 1 ? BORDERS.right : BORDERS.middle}`;
  }
  return line;
}

/**
 * TD's (HIRB) table: border, header, border, rows, border; then `N rows in set`.
 * Yields the text in pieces; an empty piece is only a pause in the width pass.
 * Pieces whose cells are all one line are drawn by drawLine, others by cli-table3.
 */
function* tablePieces(headers: readonly string[], rows: readonly (readonly Cell[])[]): Generator<string> {
  const footer = rows.length === 1 ? "1 row in set" : `${rows.length} rows in set`;
  if (rows.length === 0) {
    yield `${footer}\n`;
    return;
  }
  const widths = headers.map(textWidth);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as readonly Cell[];
    for (let c = 0; c < row.length; c++) widths[c] = Math.max(widths[c] ?? 0, textWidth(cellText(row[c])));
    if (i % WIDTH_PASS_ROWS === WIDTH_PASS_ROWS - 1) yield "";
  }
  const colWidths = Array.from(widths, (w) => (w ?? 0) + STYLE["padding-left"] + STYLE["padding-right"]);
  const headerLines = Math.max(1, ...headers.map((h) => h.split("\n").length));
  const border = `${BORDERS["top-left"]}${colWidths.map((w) => BORDERS.top.repeat(w)).join(BORDERS["top-mid"])}${BORDERS["top-right"]}`;
  const oneLine = (texts: readonly string[]): boolean => texts.every((t) => !t.includes("\n"));
  for (let start = 0; start < rows.length; start += TABLE_PIECE_ROWS) {
    const first = start === 0;
    const last = start + TABLE_PIECE_ROWS >= rows.length;
    const texts = rows.slice(start, start + TABLE_PIECE_ROWS).map((row) => Array.from(widths, (_, c) => cellText(row[c])));
    if (texts.every(oneLine) && (!first || oneLine(headers))) {
      const lines = first ? [border, drawLine(headers, widths as number[]), border] : [];
      for (const row of texts) lines.push(drawLine(row, widths as number[]));
      if (last) lines.push(border);
      yield `${lines.join("\n")}\n${last ? `${footer}\n` : ""}`;
      continue;
    }
    const table = new Table({ head: first ? [...headers] : [], colWidths, chars: BORDERS, style: STYLE });
    for (const row of rows.slice(start, start + TABLE_PIECE_ROWS)) table.push(row.map(cellText));
    const lines = table.toString().split("\n");
    // cli-table3 draws a border above and below each table; the border under the header is TD's.
    if (first) lines.splice(1 + headerLines, 0, lines[0] ?? "");
    else lines.shift();
    if (!last) lines.pop();
    yield `${lines.join("\n")}\n${last ? `${footer}\n` : ""}`;
  }
}

const CSV_SPECIAL = /[",\r\n]/;

function csvField(text: string): string {
  return CSV_SPECIAL.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const TSV_SPECIAL = /[\\\t\n\r]/;

function tsvField(text: string): string {
  if (!TSV_SPECIAL.test(text)) return text;
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** Delimited lines, the header first; in pieces of TEXT_PIECE_ROWS rows. */
function* linePieces(headers: readonly string[], rows: readonly (readonly Cell[])[], field: (text: string) => string, separator: string): Generator<string> {
  const line = (r: readonly Cell[]): string => r.map((c) => field(cellText(c))).join(separator);
  yield `${line(headers)}\n`;
  for (let start = 0; start < rows.length; start += TEXT_PIECE_ROWS) {
    yield rows.slice(start, start + TEXT_PIECE_ROWS).map((r) => `${line(r)}\n`).join("");
  }
}

/** `JSON.stringify(objects, null, 2)`, one piece per TEXT_PIECE_ROWS objects. */
function* jsonPieces(headers: readonly string[], rows: readonly (readonly Cell[])[]): Generator<string> {
  if (rows.length === 0) {
    yield "[]\n";
    return;
  }
  const object = (row: readonly Cell[]): string => {
    const o: Record<string, unknown> = {};
    headers.forEach((h, i) => {
      o[h] = jsonCell(row[i]);
    });
    // Indented one level deeper, as inside the array (JSON strings hold no raw newlines).
    return `  ${JSON.stringify(o, null, 2).replace(/\n/g, "\n  ")}`;
  };
  for (let start = 0; start < rows.length; start += TEXT_PIECE_ROWS) {
    const body = rows.slice(start, start + TEXT_PIECE_ROWS).map(object).join(",\n");
    const last = start + TEXT_PIECE_ROWS >= rows.length;
    yield `${start === 0 ? "[\n" : ",\n"}${body}${last ? "\n]\n" : ""}`;
  }
}

/** A listing in one of the four formats, in pieces that join to the whole text; an empty piece is a pause. */
function renderPieces(format: Format, headers: readonly string[], rows: readonly (readonly Cell[])[]): Generator<string> {
  switch (format) {
    case "table":
      return tablePieces(headers, rows);
    case "csv":
      return linePieces(headers, rows, csvField, ",");
    case "tsv":
      return linePieces(headers, rows, tsvField, "\t");
    case "json":
      return jsonPieces(headers, rows);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/** Renders a listing in one of the four formats; always ends with a newline. */
export function renderRows(format: Format, headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  let text = "";
  for (const piece of renderPieces(format, headers, rows)) text += piece;
  return text;
}

/**
 * Writes a listing as renderRows renders it, piece by piece: between pieces it
 * lets the event loop run (so SIGINT/SIGTERM, and a closed pipe, are seen at
 * once whatever the size) and waits for a full stdout to drain. Once `signal`
 * is aborted it stops writing and throws the signal's reason.
 */
export async function writeRows(
  ctx: Pick<CommandContext, "stdout" | "signal">,
  format: Format,
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): Promise<void> {
  const { stdout, signal } = ctx;
  try {
    for (const piece of renderPieces(format, headers, rows)) {
      signal.throwIfAborted();
      if (piece !== "" && !stdout.write(piece)) await once(stdout, "drain", { signal });
      else await setImmediate(undefined, { signal });
    }
  } catch (err) {
    // Node's AbortError says only "The operation was aborted"; the reason says by what.
    if (signal.aborted) throw signal.reason;
    throw err;
  }
}

/** Colour only on a TTY and never with NO_COLOR (design §7). */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env["NO_COLOR"] === undefined || env["NO_COLOR"] === "");
}

/** A count in a table listing reads 1,234,567 (td's format_with_delimiter); tsv/csv/json keep the number. */
export function countCell(n: number, format: Format): string | number {
  return format === "table" ? n.toLocaleString("en-US") : n;
}
