/**
 * The warehouse's write path for one big slice: rows spilled to the load's
 * scratch file and copied in at commit (what loads do since the scratch file,
 * so the database is not locked while rows stream in) against the baseline of
 * the same rows kept in memory and inserted at commit. Same process, the
 * variants interleaved per round; medians.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteWarehouse, type ColumnSpec } from "../src/warehouse/index.js";
import { fmt, median } from "./stats.js";

const COLUMNS: ColumnSpec[] = [
  { name: "message_id", type: "string" }, { name: "email", type: "string" }, { name: "campaign_id", type: "long" },
  { name: "template_id", type: "long" }, { name: "created_at", type: "timestamp" }, { name: "city", type: "string" },
  { name: "user_agent", type: "string" }, { name: "content_id", type: "long" },
];

function rows(n: number): (string | number)[][] {
  return Array.from({ length: n }, (_, i) => [
    `m${i.toString(36)}aa0c94f6b2e1d3`, `user${i % 5000}@example.com`, 2_200_000 + (i % 40), 3_040_000 + (i % 40),
    `2026-11-28 10:${String(i % 60).padStart(2, "0")}:00.000`, "Zürich", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", i % 977,
    1_764_316_800 + i,
  ]);
}

export interface WarehouseBenchResult {
  rows: number;
  rounds: number;
  /** seconds per round, per variant */
  memory: number[];
  scratch: number[];
}

export function warehouseBench(opts: { rows: number; rounds: number }): WarehouseBenchResult {
  const data = rows(opts.rows);
  const batch = 1000;
  const run = (bufferRows: number): number => {
    const dir = mkdtempSync(join(tmpdir(), "itd-bench-wh-"));
    try {
      const wh = openSqliteWarehouse(join(dir, "home"));
      wh.createDatabase("bench_db");
      const t0 = performance.now();
      const load = wh.beginLoad({ database: "bench_db", table: "events", mode: "append", columns: COLUMNS, jobId: "1", stream: "s", bufferRows });
      const slice = load.beginSlice("w1");
      for (let i = 0; i < data.length; i += batch) slice.insert(data.slice(i, i + batch));
      slice.commit({ at: 1 });
      load.finish();
      const s = (performance.now() - t0) / 1000;
      wh.close();
      return s;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const result: WarehouseBenchResult = { rows: opts.rows, rounds: opts.rounds, memory: [], scratch: [] };
  run(10_000); // warm-up
  for (let r = 0; r < opts.rounds; r++) {
    if (r % 2 === 0) {
      result.memory.push(run(Number.MAX_SAFE_INTEGER));
      result.scratch.push(run(10_000));
    } else {
      result.scratch.push(run(10_000));
      result.memory.push(run(Number.MAX_SAFE_INTEGER));
    }
  }
  return result;
}

export function warehouseBenchMarkdown(r: WarehouseBenchResult): string {
  const ratios = r.memory.map((m, i) => m / (r.scratch[i] as number));
  const line = (name: string, xs: number[], ratio: string): string =>
    `| ${name} | ${fmt(median(xs), 2)} | ${fmt(r.rows / median(xs))} | ${ratio} |`;
  return [
    `One slice of ${fmt(r.rows)} rows (9 columns) into an append table, ${r.rounds} interleaved rounds, medians. "vs baseline" = baseline time / variant time, per round, median.`,
    "",
    "- baseline: all rows kept in memory and inserted at commit; scratch: rows beyond 10,000 spilled to the load's scratch file and copied in at commit (what loads do, so the database is not locked while rows stream in).",
    "",
    "| variant | median s | rows/s | throughput vs baseline |",
    "|---|---:|---:|---:|",
    line("baseline (memory)", r.memory, "1.00"),
    line("scratch file", r.scratch, fmt(median(ratios), 2)),
  ].join("\n");
}
