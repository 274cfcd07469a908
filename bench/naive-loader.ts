/**
 * The import benchmark's baselines, each one whole process, one thread:
 * - raw: undici + split on newlines + JSON.parse of every window (the parser's ceiling);
 * - naive: the same, plus better-sqlite3 inserts of each record's fields as they come
 *   (one prepared single-row INSERT, 10,000-row transactions, WAL with synchronous=NORMAL
 *   as itd's warehouse), no conversion, no ledger, no scratch file.
 * Usage: node naive-loader.js raw|naive URL DBFILE START END HOURS_PER_WINDOW.
 * Prints one JSON line: {variant, records, bytes, ms, maxRssMb}.
 */
import Database from "better-sqlite3";
import { request } from "undici";
import { formatDateTime } from "../src/iterable/index.js";

const [variant, url, dbFile, start, end, hours] = process.argv.slice(2) as [string, string, string, string, string, string];
const step = Number(hours) * 3_600_000;
type Value = string | number | bigint | null;

let records = 0;
let bytes = 0;
let insert: ((r: Record<string, unknown>) => void) | undefined;
let db: Database.Database | undefined;
let inTx = 0;

function value(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "object") return JSON.stringify(v);
  return v as Value;
}

function naiveInsert(first: Record<string, unknown>): (r: Record<string, unknown>) => void {
  db = new Database(dbFile);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const keys = Object.keys(first);
  db.exec(`CREATE TABLE IF NOT EXISTS t (${keys.map((k) => `"${k}"`).join(", ")})`);
  const st = db.prepare(`INSERT INTO t VALUES (${keys.map(() => "?").join(", ")})`);
  const conn = db;
  return (r) => {
    if (inTx === 0) conn.exec("BEGIN");
    st.run(keys.map((k) => value(r[k])));
    if (++inTx === 10_000) {
      conn.exec("COMMIT");
      inTx = 0;
    }
  };
}

function take(line: string): void {
  if (line.length === 0) return;
  const r = JSON.parse(line) as Record<string, unknown>;
  records++;
  if (variant === "naive") {
    insert ??= naiveInsert(r);
    insert(r);
  }
}

const t0 = performance.now();
for (let from = Number(start); from < Number(end); from += step) {
  const q = new URLSearchParams({ dataTypeName: "emailSend", startDateTime: formatDateTime(from), endDateTime: formatDateTime(from + step) });
  const { body, statusCode } = await request(`${url}/api/export/data.json?${q.toString()}`, { headers: { "Api-Key": "bench-key" } });
  if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
  body.setEncoding("utf8");
  let rest = "";
  for await (const chunk of body as AsyncIterable<string>) {
    bytes += Buffer.byteLength(chunk);
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) take(line);
  }
  take(rest);
  // A window is one transaction's end, as a slice would be.
  if (inTx > 0) {
    db?.exec("COMMIT");
    inTx = 0;
  }
}
db?.close();
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ variant, records, bytes, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
