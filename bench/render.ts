/**
 * `itd query`'s table output: time per row of `renderRows("table")` from 1,000
 * to 10,000 rows (flat = linear), against the baseline of 1,000 rows measured
 * in the same run; and, for comparison, one cli-table3 table of every row (how
 * the table was drawn before, quadratic in the rows) at 1,000 to 4,000 rows.
 * Same process, sizes interleaved per round; medians.
 */
import Table from "cli-table3";
import { renderRows, type Cell } from "../src/cli/output.js";
import { fmt, median } from "./stats.js";

const HEADERS = ["message_id", "email", "campaign_id", "template_id", "created_at", "city", "content_id", "time"];

function rows(n: number): Cell[][] {
  return Array.from({ length: n }, (_, i) => [
    `m${i.toString(36)}aa0c94f6b2e1d3`, `user${i % 5000}@example.com`, 2_200_000 + (i % 40), 3_040_000 + (i % 40),
    `2026-11-28 10:${String(i % 60).padStart(2, "0")}:00.000`, i % 7 === 0 ? "Zürich" : "Lyon", i % 977, 1_764_316_800 + i,
  ]);
}

const CHARS = {
  top: "-", "top-mid": "+", "top-left": "+", "top-right": "+", bottom: "-", "bottom-mid": "+", "bottom-left": "+", "bottom-right": "+",
  left: "|", "left-mid": "", mid: "", "mid-mid": "", right: "|", "right-mid": "", middle: "|",
};

/** The table as drawn before: one cli-table3 table of every row. */
function oneTable(headers: readonly string[], data: readonly (readonly Cell[])[]): string {
  const table = new Table({ head: [...headers], chars: CHARS, style: { head: [], border: [], "padding-left": 1, "padding-right": 1, compact: true } });
  for (const row of data) table.push(row.map((c) => (c === null || c === undefined ? "" : String(c))));
  return table.toString();
}

function seconds(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

export interface RenderBenchResult {
  sizes: number[];
  rounds: number;
  /** seconds per round, per size */
  pieces: Map<number, number[]>;
  /** seconds of one cli-table3 table (one round), per size */
  whole: Map<number, number>;
}

export function renderBench(opts: { sizes: number[]; wholeSizes: number[]; rounds: number }): RenderBenchResult {
  const data = new Map(opts.sizes.map((n) => [n, rows(n)]));
  const result: RenderBenchResult = { sizes: opts.sizes, rounds: opts.rounds, pieces: new Map(opts.sizes.map((n) => [n, []])), whole: new Map() };
  renderRows("table", HEADERS, rows(2_000)); // warm-up
  for (let r = 0; r < opts.rounds; r++) {
    const order = r % 2 === 0 ? opts.sizes : [...opts.sizes].reverse();
    for (const n of order) result.pieces.get(n)?.push(seconds(() => renderRows("table", HEADERS, data.get(n) ?? [])));
  }
  for (const n of opts.wholeSizes) result.whole.set(n, seconds(() => oneTable(HEADERS, rows(n))));
  return result;
}

export function renderBenchMarkdown(r: RenderBenchResult): string {
  const base = r.sizes[0] as number;
  const perRow = (n: number, round: number): number => ((r.pieces.get(n) ?? [])[round] as number) / n;
  const lines = r.sizes.map((n) => {
    const s = median(r.pieces.get(n) ?? []);
    // Per round: this size's time per row / the baseline's time per row in the same round; median.
    const ratios = Array.from({ length: r.rounds }, (_, i) => perRow(n, i) / perRow(base, i));
    return `| ${fmt(n)} | ${fmt(s, 3)} | ${fmt((s / n) * 1e6, 1)} | ${n === base ? "1.00" : fmt(median(ratios), 2)} | ${r.whole.has(n) ? fmt(r.whole.get(n) as number, 2) : ""} |`;
  });
  return [
    `\`renderRows("table")\` of ${HEADERS.length} columns, ${r.rounds} interleaved rounds, medians. "per row vs ${fmt(base)}" = time per row / time per row of ${fmt(base)} rows, per round, median (1.00 = linear). "one table s": the same rows as one cli-table3 table (the drawing before: its layout is quadratic in the rows), one round.`,
    "",
    `| rows | median s | µs per row | per row vs ${fmt(base)} | one table s |`,
    "|---:|---:|---:|---:|---:|",
    ...lines,
  ].join("\n");
}
