import Table from "cli-table3";
import { dump } from "js-yaml";
import { UsageError } from "../errors.js";

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

/** TD's (HIRB) table: border, header, border, rows, border; then `N rows in set`. */
function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const footer = rows.length === 1 ? "1 row in set" : `${rows.length} rows in set`;
  if (rows.length === 0) return `${footer}\n`;
  const table = new Table({
    head: [...headers],
    chars: BORDERS,
    style: { head: [], border: [], "padding-left": 1, "padding-right": 1, compact: true },
  });
  for (const row of rows) table.push(row.map(cellText));
  const lines = table.toString().split("\n");
  const border = lines[0] ?? "";
  lines.splice(2, 0, border);
  return `${lines.join("\n")}\n${footer}\n`;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function tsvField(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** Renders a listing in one of the four formats; always ends with a newline. */
export function renderRows(format: Format, headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  switch (format) {
    case "table":
      return renderTable(headers, rows);
    case "csv":
      return [headers, ...rows].map((r) => r.map((c) => csvField(cellText(c as Cell))).join(",")).join("\n") + "\n";
    case "tsv":
      return [headers, ...rows].map((r) => r.map((c) => tsvField(cellText(c as Cell))).join("\t")).join("\n") + "\n";
    case "json": {
      const objects = rows.map((row) => {
        const o: Record<string, unknown> = {};
        headers.forEach((h, i) => {
          const v = row[i];
          o[h] = jsonCell(v);
        });
        return o;
      });
      return JSON.stringify(objects, null, 2) + "\n";
    }
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/** Colour only on a TTY and never with NO_COLOR (design §7). */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env["NO_COLOR"] === undefined || env["NO_COLOR"] === "");
}

/** A config diff as td prints it (`YAML.dump`): block YAML, without the `---` line (the dumps print it). */
export function configDiffYaml(diff: unknown): string {
  if (diff === null || diff === undefined) return "";
  return dump(diff, { lineWidth: -1, noRefs: true, sortKeys: false }).trimEnd();
}

/** A count in a table listing reads 1,234,567 (td's format_with_delimiter); tsv/csv/json keep the number. */
export function countCell(n: number, format: Format): string | number {
  return format === "table" ? n.toLocaleString("en-US") : n;
}
