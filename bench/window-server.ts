/**
 * Serves recorded export files by hour, as fast as the disk cache allows: a
 * request for [startDateTime, endDateTime) gets the records of those hours,
 * read from DIR/hour-HH.ndjson (the hour of the day; later days replay the
 * same hours, so 5 days give 5× the records). Lets the import benchmark
 * measure the importer, not the fake's generator.
 * Usage: node window-server.js DIR; prints `listening on URL`.
 */
import { createReadStream } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import { join } from "node:path";

const dir = process.argv[2] as string;
const HOUR = 3_600_000;
const parse = (s: string | null): number => Date.parse(`${(s ?? "").replace(" ", "T")}Z`);

async function pipeFile(file: string, res: ServerResponse): Promise<void> {
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
  }
}

const server = createServer((req, res) => {
  const q = new URL(req.url ?? "/", "http://x").searchParams;
  const start = parse(q.get("startDateTime"));
  const end = parse(q.get("endDateTime"));
  if (!Number.isFinite(start) || !Number.isFinite(end) || start % HOUR !== 0 || end % HOUR !== 0) {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ msg: "window must be whole hours", code: "BadParams" }));
    return;
  }
  res.writeHead(200, { "content-type": "application/x-json-stream" });
  void (async () => {
    for (let t = start; t < end; t += HOUR) {
      const hour = String(new Date(t).getUTCHours()).padStart(2, "0");
      await pipeFile(join(dir, `hour-${hour}.ndjson`), res);
    }
    res.end();
  })().catch((err: unknown) => res.destroy(err as Error));
});
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  if (addr && typeof addr === "object") process.stdout.write(`listening on http://127.0.0.1:${addr.port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
