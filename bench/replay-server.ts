/**
 * Serves one recorded export file for every request, as fast as the disk
 * cache allows: lets the client benchmark measure parsing, not the fake's
 * generator. Usage: node replay-server.js FILE; prints `listening on URL`.
 */
import { createReadStream } from "node:fs";
import { createServer } from "node:http";

const file = process.argv[2] as string;
const server = createServer((req, res) => {
  res.writeHead(200, { "content-type": "application/x-json-stream" });
  createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(res);
});
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  if (addr && typeof addr === "object") process.stdout.write(`listening on http://127.0.0.1:${addr.port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
