/**
 * The campaign metrics body: CSV with a header row whose first column is `id`
 * and whose other columns are readable labels ("Total Email Sends"). Each row
 * becomes `{id, label: number, …}` with the labels kept as they are; empty
 * cells are omitted. An empty or header-only body means no data. Iterable
 * writes `16.0` where it means a decimal; the number keeps no trace of that,
 * so the labels written so are reported apart.
 */
import type { CampaignMetrics } from "../types.js";
import { parseCsv } from "./csv.js";
import { MalformedInput } from "./malformed.js";

export interface MetricsParseResult {
  rows: CampaignMetrics[];
  /** Labels whose cells were not numbers (those cells are left out). */
  nonNumericLabels: string[];
  /** Labels with a number written with a decimal point (`0.0`, `19.99`), in header order. */
  decimalLabels: string[];
}

export function parseMetricsCsv(text: string): MetricsParseResult {
  const table = parseCsv(text);
  const header = table[0];
  const rows: CampaignMetrics[] = [];
  const nonNumeric = new Set<string>();
  const decimal = new Set<string>();
  if (header === undefined) return { rows, nonNumericLabels: [], decimalLabels: [] };
  const labels = header.map((h) => h.trim());
  if (labels[0]?.toLowerCase() !== "id") {
    throw new MalformedInput(`the metrics header starts with ${JSON.stringify(labels[0] ?? "")}, not "id"`, 1);
  }
  for (let r = 1; r < table.length; r++) {
    const cells = table[r] as string[];
    const id = Number(cells[0]?.trim());
    if (cells[0]?.trim() === "" || !Number.isSafeInteger(id)) {
      throw new MalformedInput(`metrics row ${r + 1} has id ${JSON.stringify(cells[0] ?? "")}, not a campaign id`, r + 1);
    }
    const row: CampaignMetrics = { id };
    const n = Math.min(labels.length, cells.length);
    for (let k = 1; k < n; k++) {
      const cell = (cells[k] as string).trim();
      if (cell === "") continue;
      const label = labels[k] as string;
      const value = Number(cell);
      if (Number.isFinite(value)) {
        row[label] = value;
        if (cell.includes(".")) decimal.add(label);
      } else nonNumeric.add(label);
    }
    rows.push(row);
  }
  return { rows, nonNumericLabels: [...nonNumeric], decimalLabels: labels.filter((l) => decimal.has(l)) };
}
