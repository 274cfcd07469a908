/**
 * One measured run of the client benchmark, in its own process so that its
 * peak RSS is its own. Usage: node client-worker.js VARIANT URL KEY START END
 * Prints one JSON line: {variant, records, bytes, ms, maxRssMb}.
 */
import { request } from "undici";
import { systemClock } from "../src/clock.js";
import { createIterableClient, RateBudgets } from "../src/iterable/index.js";
import { formatDateTime } from "../src/iterable/index.js";

type Variant = "transfer" | "raw" | "client-batches" | "client-records";

const [variant, url, key, start, end] = process.argv.slice(2) as [Variant, string, string, string, string];
const window = { start: Number(start), end: Number(end) };

function exportUrl(): string {
  const q = new URLSearchParams({
    dataTypeName: "emailSend",
    startDateTime: formatDateTime(window.start),
    endDateTime: formatDateTime(window.end),
  });
  return `${url}/api/export/data.json?${q.toString()}`;
}

async function transfer(): Promise<{ records: number; bytes: number }> {
  const { body } = await request(exportUrl(), { headers: { "Api-Key": key } });
  let bytes = 0;
  let records = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) records++;
  }
  return { records, bytes };
}

/** The baseline: undici + line split + JSON.parse, nothing else. */
async function raw(): Promise<{ records: number; bytes: number }> {
  const { body } = await request(exportUrl(), { headers: { "Api-Key": key } });
  body.setEncoding("utf8");
  let rest = "";
  let records = 0;
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<string>) {
    bytes += Buffer.byteLength(chunk);
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (line.length === 0) continue;
      const r = JSON.parse(line) as Record<string, unknown>;
      if (r["messageId"] !== undefined) records++;
    }
  }
  if (rest.length > 0 && (JSON.parse(rest) as Record<string, unknown>)["messageId"] !== undefined) records++;
  return { records, bytes };
}

async function client(batches: boolean): Promise<{ records: number; bytes: number }> {
  const c = createIterableClient({ apiKey: key, baseUrl: url, budgets: new RateBudgets(systemClock) });
  let records = 0;
  let bytes = 0;
  const onBytes = (n: number): void => {
    bytes += n;
  };
  if (batches) {
    for await (const batch of c.exportJsonBatches({ dataTypeName: "emailSend", window }, { onBytes })) {
      for (const r of batch) if (r["messageId"] !== undefined) records++;
    }
  } else {
    for await (const r of c.exportJson({ dataTypeName: "emailSend", window }, { onBytes })) if (r["messageId"] !== undefined) records++;
  }
  await c.close();
  return { records, bytes };
}

const t0 = performance.now();
const result =
  variant === "transfer" ? await transfer() : variant === "raw" ? await raw() : await client(variant === "client-batches");
const ms = performance.now() - t0;
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify({ variant, ...result, ms, maxRssMb }) + "\n");
