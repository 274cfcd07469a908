/**
 * Benchmarks' helper servers (the fake Iterable, replay servers): started as
 * processes, ready at their `listening on URL` line; and recordings of the
 * fake's exports for them to replay.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { request } from "undici";
import { formatDateTime } from "../src/iterable/index.js";

export function startServer(args: string[]): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((res, rej) => {
    createInterface({ input: child.stdout }).once("line", (l: string) => {
      const m = /^listening on (\S+)$/.exec(l);
      if (m?.[1]) res({ url: m[1], stop: () => child.kill("SIGTERM") });
      else rej(new Error(l));
    });
  });
}

/** Saves an export (emailSend unless said) of [start, end) to a file, timing the fake's own generation rate. */
export async function recordExport(url: string, key: string, start: number, end: number, file: string, dataTypeName = "emailSend"): Promise<{ records: number; bytes: number; ms: number }> {
  const q = new URLSearchParams({ dataTypeName, startDateTime: formatDateTime(start), endDateTime: formatDateTime(end) });
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
