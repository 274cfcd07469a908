/**
 * Client benchmark (issue 2): a one-day emailSend export of ~1,000,000 records
 * streamed from the fake Iterable (its own process) and parsed, against a raw
 * baseline (undici + line split + JSON.parse) measured in the same run.
 * Variants run interleaved, each in a fresh process; we report medians and the
 * median of per-round ratios.
 */
import { execFile } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { formatDateTime } from "../src/iterable/index.js";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startServer } from "./servers.js";
import { fmt, median } from "./stats.js";

const run = promisify(execFile);
const HERE = fileURLToPath(new URL(".", import.meta.url));
const ITD = fileURLToPath(new URL("../../bin/itd", import.meta.url));
const VARIANTS = ["transfer", "raw", "client-batches", "client-records", "import"] as const;
type Variant = (typeof VARIANTS)[number];

interface Sample {
  variant: Variant;
  records: number;
  bytes: number;
  ms: number;
  maxRssMb: number;
}

export interface ClientBenchResult {
  rounds: number;
  records: number;
  mb: number;
  fakeRecordsPerSec: number;
  fakeMbPerSec: number;
  rows: { variant: Variant; medianMs: number; recordsPerSec: number; mbPerSec: number; maxRssMb: number; ratioVsRaw: number }[];
}

export async function clientBench(options: { rounds: number; eventsPerDay: number }): Promise<ClientBenchResult> {
  const key = "bench-key";
  const now = "2026-06-02T00:00:00Z";
  const fake = await startServer([ITD, "fake-iterable", "--port", "0", "--api-key", key, "--no-rate-limits", "--events-per-day", String(options.eventsPerDay), "--now", now]);
  const start = String(Date.UTC(2026, 5, 1));
  const end = String(Date.UTC(2026, 5, 2));
  // Record the export once, then replay it: the fake generates ~1e5–1e6 records/s, which
  // would make the benchmark measure the generator rather than the client.
  const dir = mkdtempSync(join(tmpdir(), "itd-bench-"));
  const file = join(dir, "emailSend.ndjson");
  const live = await recordExport(fake.url, key, start, end, file);
  fake.stop();
  const replay = await startServer([`${HERE}/replay-server.js`, file]);
  const url = replay.url;
  const samples: Sample[] = [];
  try {
    // One warm-up of each, not counted.
    const worker = (v: Variant): string => `${HERE}/${v === "import" ? "import-worker" : "client-worker"}.js`;
    for (const v of VARIANTS) await run(process.execPath, [worker(v), v, url, key, start, end]);
    for (let round = 0; round < options.rounds; round++) {
      for (const v of VARIANTS) {
        const { stdout } = await run(process.execPath, [worker(v), v, url, key, start, end], { maxBuffer: 1 << 20 });
        samples.push(JSON.parse(stdout.trim().split("\n").pop() as string) as Sample);
      }
    }
  } finally {
    replay.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const of = (v: Variant): Sample[] => samples.filter((s) => s.variant === v);
  const raw = of("raw");
  const records = raw[0]?.records ?? 0;
  const bytes = raw[0]?.bytes ?? 0;
  for (const s of samples) {
    if (s.records !== records) throw new Error(`${s.variant} saw ${s.records} records, raw saw ${records}`);
  }
  const rows = VARIANTS.map((variant) => {
    const xs = of(variant);
    const ms = median(xs.map((s) => s.ms));
    // Ratio of throughputs (raw time / variant time), per round, then the median.
    const ratios = xs.map((s, i) => (raw[i]?.ms ?? Number.NaN) / s.ms);
    return {
      variant,
      medianMs: ms,
      recordsPerSec: records / (ms / 1000),
      mbPerSec: bytes / 1e6 / (ms / 1000),
      maxRssMb: median(xs.map((s) => s.maxRssMb)),
      ratioVsRaw: median(ratios),
    };
  });
  return { rounds: options.rounds, records, mb: bytes / 1e6, rows, fakeRecordsPerSec: live.records / (live.ms / 1000), fakeMbPerSec: live.bytes / 1e6 / (live.ms / 1000) };
}

/** Saves the fake's export to a file, timing the fake's own generation rate. */
async function recordExport(url: string, key: string, start: string, end: string, file: string): Promise<{ records: number; bytes: number; ms: number }> {
  const q = new URLSearchParams({ dataTypeName: "emailSend", startDateTime: formatDateTime(Number(start)), endDateTime: formatDateTime(Number(end)) });
  const t0 = performance.now();
  const { body } = await request(`${url}/api/export/data.json?${q.toString()}`, { headers: { "Api-Key": key } });
  let bytes = 0;
  let records = 0;
  const out = createWriteStream(file);
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) records++;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
  return { records, bytes, ms: performance.now() - t0 };
}

export function clientBenchMarkdown(r: ClientBenchResult): string {
  const lines = [
    `Export of ${fmt(r.records)} emailSend records (${fmt(r.mb, 0)} MB of NDJSON), generated by the fake Iterable ` +
      `(live: ${fmt(r.fakeRecordsPerSec)} records/s, ${fmt(r.fakeMbPerSec, 1)} MB/s), recorded, then replayed by a static server in its own process ` +
      `so that the figures measure the client, not the generator. ${r.rounds} interleaved rounds, each variant in a fresh process; medians. ` +
      `"vs raw" = raw baseline time / variant time, per round, median (1.00 = as fast as the baseline).`,
    "",
    "- transfer: undici, bytes only (the ceiling); raw: undici + split on newlines + JSON.parse (the baseline); " +
      "client-batches: itd's `exportJsonBatches` (what imports use); client-records: itd's `exportJson`, one record at a time; " +
      "import: a whole `itd connector:issue` into the warehouse (parse, convert 17 columns, SQLite inserts, ledger commit).",
    "",
    "| variant | median s | records/s | MB/s | peak RSS MB | throughput vs raw |",
    "|---|---:|---:|---:|---:|---:|",
    ...r.rows.map(
      (row) =>
        `| ${row.variant} | ${fmt(row.medianMs / 1000, 2)} | ${fmt(row.recordsPerSec)} | ${fmt(row.mbPerSec, 1)} | ${fmt(row.maxRssMb)} | ${fmt(row.ratioVsRaw, 2)} |`,
    ),
  ];
  return lines.join("\n");
}
