/**
 * One measured `itd connector:issue` (end to end: HTTP, parse, convert, SQLite
 * with the ledger) in its own process, against the replayed export.
 * Usage: node import-worker.js import URL KEY START END. Prints a JSON line last.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main.js";

const [, url, key, start, end] = process.argv.slice(2) as [string, string, string, string, string];
const dir = mkdtempSync(join(tmpdir(), "itd-bench-import-"));
process.env["ITD_HOME"] = join(dir, "home");
process.env["ITERABLE_API_KEY"] = key;
process.env["ITD_RATE_LIMITS"] = "export=1000/1s";
process.chdir(dir);
const iso = (ms: string): string => new Date(Number(ms)).toISOString();
writeFileSync(
  "seed.yml",
  `in:\n  type: iterable\n  api_key: \${ITERABLE_API_KEY}\n  base_url: ${url}\n  data_type: export_data\n  export_data_type: emailSend\n  start_time: '${iso(start)}'\n  end_time: '${iso(end)}'\n`,
);
// Quiet: the guess output is not part of the measurement.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (() => true) as typeof process.stdout.write;
if ((await main(["connector:guess", "seed.yml", "-o", "load.yml"])) !== 0) throw new Error("guess failed");
let out = "";
process.stdout.write = ((chunk: string | Uint8Array) => {
  out += chunk.toString();
  return true;
}) as typeof process.stdout.write;
const t0 = performance.now();
const code = await main(["connector:issue", "load.yml", "--database", "bench_db", "--table", "sends", "--auto-create-table", "-f", "json"]);
const ms = performance.now() - t0;
process.stdout.write = write;
if (code !== 0) throw new Error(`issue failed: ${out}`);
const result = JSON.parse(out) as { records: number; bytes: number };
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ variant: "import", records: result.records, bytes: result.bytes, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
