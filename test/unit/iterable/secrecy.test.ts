import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log.js";
import { API_KEY, collect, rejectionOf, sendJson, startServer, testClient, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Every text form of an error or object that could reach a user, a log or a job record. */
function renderings(value: unknown): string[] {
  const out = [inspect(value, { depth: Infinity, showHidden: true }), String(value)];
  try {
    out.push(JSON.stringify(value) ?? "");
  } catch {
    // not serialisable: nothing to leak that way
  }
  if (value instanceof Error) out.push(value.message, value.stack ?? "", inspect(value.cause, { depth: Infinity, showHidden: true }));
  return out;
}

function expectNoKey(texts: readonly string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(encodeURIComponent(API_KEY));
  }
}

describe("the API key stays secret", () => {
  it("never appears in errors, logs or the client, even when the server echoes it back", async () => {
    server = await startServer((req, res, n) => {
      const echoed = `key=${String(req.headers["api-key"])} url=/api?api_key=${encodeURIComponent(String(req.headers["api-key"]))}`;
      switch (n) {
        case 1:
          return sendJson(res, 500, { msg: `server error for ${echoed}`, code: "GenericError", params: { headers: req.headers } });
        case 2:
          res.writeHead(502, { "content-type": "text/html" });
          return res.end(`<html><body><pre>${echoed}</pre></body></html>`);
        case 3:
          res.writeHead(503, { "content-type": "text/plain" });
          return res.end(echoed);
        default:
          return sendJson(res, 401, { msg: `Invalid API key ${echoed}`, code: "BadApiKey", params: { apiKey: req.headers["api-key"] } });
      }
    });
    const logLines: string[] = [];
    const logger = createLogger({ level: "trace", destination: { write: (s: string) => logLines.push(s) } });
    const { client } = testClient(server.url, { logger });
    const err = await rejectionOf(client.lists());
    expect(server.requests.every((r) => r.headers["api-key"] === API_KEY)).toBe(true);
    expect(server.requests).toHaveLength(4);
    expect(logLines.length).toBeGreaterThanOrEqual(7);
    expect((err as Error).message).toContain("***");
    expectNoKey([...renderings(err), ...logLines, ...renderings(client)]);
  });

  it("never appears when a retried attempt's last failure echoes it in plain text", async () => {
    server = await startServer((req, res) => {
      res.writeHead(503);
      res.end(`upstream said: ${String(req.headers["api-key"])}`);
    });
    const { client } = testClient(server.url);
    const err = await rejectionOf(collect(client.exportJson({ dataTypeName: "user", range: "All" })));
    expect((err as Error).message).toContain('"upstream said: ***"');
    expectNoKey(renderings(err));
  });

  it("never appears in a malformed-line error that quotes a line containing it", async () => {
    server = await startServer((req, res) => {
      res.end(`{"ok":1}\n{"leak": "${String(req.headers["api-key"])}" oops\n`);
    });
    const { client } = testClient(server.url);
    const err = await rejectionOf(collect(client.exportJson({ dataTypeName: "user", range: "All" })));
    expect((err as Error).message).toContain("line 2");
    expectNoKey(renderings(err));
  });

  it("never appears in connection errors", async () => {
    const closed = await startServer((_req, res) => res.end());
    await closed.close();
    const { client } = testClient(closed.url, { retry: { retryLimit: 0, initialRetryWait: 1, maxRetryWait: 1 } });
    const err = await rejectionOf(client.lists());
    expectNoKey(renderings(err));
  });
});
