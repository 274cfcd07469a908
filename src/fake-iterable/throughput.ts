/**
 * How fast this process generates and serializes export records (NDJSON,
 * UTF-8 encoded, in 64 KB chunks, no HTTP): for benchmarks that must show the
 * fake is not their bottleneck. Measures CPU time, one hour of data per run.
 */
import { openCursor } from "./events.js";
import { generatorConfig } from "./options.js";
import { jsonLine } from "./serialize.js";
import { shapeOf } from "./shapes.js";

export interface ThroughputRun {
  records: number;
  bytes: number;
  cpuSeconds: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
}

export interface ThroughputResult {
  dataTypeName: string;
  runs: number;
  best: ThroughputRun;
  median: ThroughputRun;
}

function cpuSeconds(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/** Runs one-hour windows of `dataTypeName` for about `seconds` (after one warm-up run) and reports the best and median run. */
export function measureGeneration(dataTypeName = "emailSend", seconds = 3, recordsPerHour = 100_000): ThroughputResult {
  const shape = shapeOf(dataTypeName);
  if (!shape) throw new Error(`fake-iterable: unknown dataTypeName "${dataTypeName}"`);
  const base = Date.UTC(2025, 0, 1);
  // Users are spread over a year: give the user export as many per hour as the events get.
  const users = dataTypeName === "user" ? recordsPerHour * 24 * 365 : 1000;
  const cfg = { ...generatorConfig({ eventsPerDay: recordsPerHour * 24, users }), now: base + 10 * 365 * 86_400_000 };
  const runs: ThroughputRun[] = [];
  const deadline = performance.now() + seconds * 1000;
  for (let hour = 0; hour < 2 || performance.now() < deadline; hour++) {
    const start = base + hour * 3_600_000;
    const cursor = openCursor(cfg, shape, { start, end: start + 3_600_000 });
    const t0 = cpuSeconds();
    let records = 0;
    let bytes = 0;
    let buf = "";
    for (let v = cursor.next(); v !== undefined; v = cursor.next()) {
      buf += `${jsonLine(shape, v)}\n`;
      records++;
      if (buf.length >= 65_536) {
        bytes += Buffer.from(buf).length;
        buf = "";
      }
    }
    bytes += Buffer.from(buf).length;
    const cpu = Math.max(cpuSeconds() - t0, 1e-6);
    if (hour > 0) runs.push({ records, bytes, cpuSeconds: cpu, recordsPerSecond: records / cpu, megabytesPerSecond: bytes / cpu / 1e6 });
  }
  runs.sort((a, b) => b.recordsPerSecond - a.recordsPerSecond);
  return { dataTypeName, runs: runs.length, best: runs[0] as ThroughputRun, median: runs[runs.length >> 1] as ThroughputRun };
}
