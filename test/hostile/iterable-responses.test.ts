/**
 * Hostile bodies from Iterable through the real client: every case ends in a
 * result or a clear IterableApiError, never a crash, a hang or unbounded memory.
 */
import type { ServerResponse } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { IterableApiError } from "../../src/iterable/errors.js";
import type { IterableClient } from "../../src/iterable/types.js";
import { collect, startServer, testClient, type TestServer } from "../unit/iterable/helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MB = 1024 * 1024;
const PARAMS = { dataTypeName: "emailSend", range: "All" } as const;

let server: TestServer | undefined;
let client: IterableClient | undefined;
let cases = 0;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});
afterAll(() => {
  console.info(`hostile Iterable responses: ${cases} cases run`);
});

type Outcome<T> = { ok: true; value: T } | { ok: false; error: IterableApiError };

/** Runs a call; anything but a result or an IterableApiError fails the test. */
async function outcome<T>(promise: Promise<T>): Promise<Outcome<T>> {
  cases++;
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    if (!(err instanceof IterableApiError)) throw err;
    return { ok: false, error: err };
  }
}

async function failure(promise: Promise<unknown>): Promise<IterableApiError> {
  const o = await outcome(promise);
  if (o.ok) throw new Error(`expected an IterableApiError, got ${JSON.stringify(o.value).slice(0, 200)}`);
  return o.error;
}

/** A server answering every request with `body` (bytes or text) and the given content type. */
async function serve(body: Buffer | string, contentType = "application/x-json-stream", status = 200): Promise<IterableClient> {
  server = await startServer((_req, res) => {
    res.writeHead(status, { "content-type": contentType });
    res.end(body);
  });
  client = testClient(server.url).client;
  return client;
}

/** A server that writes `chunks` one by one (each its own write) and ends. */
async function serveChunks(chunks: readonly Buffer[], contentType = "application/x-json-stream"): Promise<IterableClient> {
  server = await startServer(async (_req, res) => {
    res.writeHead(200, { "content-type": contentType });
    for (const c of chunks) {
      await write(res, c);
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.end();
  });
  client = testClient(server.url).client;
  return client;
}

function write(res: ServerResponse, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => res.write(data, (err) => (err ? reject(err) : resolve())));
}

const exportAll = (c: IterableClient) => collect(c.exportJson(PARAMS));

describe("data.json (NDJSON) bodies", () => {
  it("a truncated JSON line fails with MalformedResponse naming the line and an excerpt", async () => {
    const c = await serve('{"a":1}\n{"a":2}\n{"a":3, "b": "unfinis');
    const err = await failure(exportAll(c));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/line 3 is not valid JSON/);
    expect(err.message).toContain("unfinis");
  });

  for (const [what, line] of [
    ["an array", "[1,2]"],
    ["a number", "42"],
    ["a string", '"hello"'],
    ["null", "null"],
    ["true", "true"],
  ] as const) {
    it(`a line that is ${what} instead of an object fails naming the line`, async () => {
      const c = await serve(`{"a":1}\n${line}\n{"a":2}\n`);
      const err = await failure(exportAll(c));
      expect(err.iterableCode).toBe("MalformedResponse");
      expect(err.message).toContain(`line 2 is not a JSON object: ${JSON.stringify(line)}`);
    });
  }

  it("CRLF line endings are read as plain lines", async () => {
    const c = await serve('{"a":1}\r\n{"a":2}\r\n\r\n{"a":"x\\r"}\r\n');
    const o = await outcome(exportAll(c));
    expect(o).toEqual({ ok: true, value: [{ a: 1 }, { a: 2 }, { a: "x\r" }] });
  });

  it("a 10 MB single line is read, with and without a final newline, with bounded heap growth", async () => {
    for (const newline of [true, false]) {
      const big = JSON.stringify({ big: "x".repeat(10 * MB) }) + (newline ? "\n" : "");
      const c = await serveChunks(chunksOf(Buffer.from(big), 64 * 1024));
      gc();
      const before = process.memoryUsage().heapUsed;
      let peak = 0;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }, 5);
      const o = await outcome(exportAll(c));
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      expect(o.ok).toBe(true);
      if (o.ok) expect((o.value[0]?.["big"] as string).length).toBe(10 * MB);
      expect(peak).toBeLessThan(200 * MB);
      await client?.close();
      await server?.close();
      client = undefined;
      server = undefined;
    }
  });

  it("a line longer than maxLineBytes fails with MalformedResponse naming the line number and the size", async () => {
    const c = await serveLimited(['{"a":1}\n{"a":2}\n', `{"big":"${"y".repeat(5000)}`, "y".repeat(5000)], 4096);
    const err = await failure(exportAll(c));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/line 3 is longer than 4096 bytes/);
  });

  it("a line longer than maxLineBytes in the same chunk as complete lines still names its own line number", async () => {
    const c = await serveLimited([`{"a":1}\n{"a":2}\n{"big":"${"y".repeat(5000)}`], 4096);
    const err = await failure(exportAll(c));
    expect(err.message).toMatch(/line 3 is longer than 4096 bytes/);
  });

  it("invalid UTF-8 outside a string fails naming the line", async () => {
    const body = Buffer.concat([Buffer.from('{"a":1}\n{"a":'), Buffer.from([0xff, 0xfe]), Buffer.from("}\n")]);
    const err = await failure(exportAll(await serve(body)));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/line 2/);
  });

  it("invalid UTF-8 inside a string fails naming the line instead of storing replacement characters", async () => {
    const body = Buffer.concat([Buffer.from('{"a":1}\n{"a":"ok\xff'.replace("\xff", "")), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const err = await failure(exportAll(await serve(body)));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/line 2 is not valid UTF-8/);
  });

  it("a multi-byte character split across chunks is decoded whole", async () => {
    const bytes = Buffer.from('{"name":"é漢🎉"}\n', "utf8");
    for (let cut = 1; cut < bytes.length; cut++) {
      const c = await serveChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
      const o = await outcome(exportAll(c));
      expect(o).toEqual({ ok: true, value: [{ name: "é漢🎉" }] });
      await client?.close();
      await server?.close();
      client = undefined;
      server = undefined;
    }
  });

  it("an HTML error page with status 200 fails with MalformedResponse quoting it", async () => {
    const c = await serve("<!DOCTYPE html>\n<html><body>Bad gateway</body></html>\n", "text/html");
    const err = await failure(exportAll(c));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("an HTML page (text/html) instead of application/x-json-stream: Bad gateway");
  });

  it("an HTML page sent as text/plain fails at line 1, quoting it", async () => {
    const c = await serve("<!DOCTYPE html>\n<html><body>Bad gateway</body></html>\n", "text/plain");
    const err = await failure(exportAll(c));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toContain('line 1 is not valid JSON');
    expect(err.message).toContain("<!DOCTYPE html>");
  });

  it("a wrong content type with a valid body is still read", async () => {
    const o = await outcome(exportAll(await serve('{"a":1}\n', "application/octet-stream")));
    expect(o).toEqual({ ok: true, value: [{ a: 1 }] });
  });

  it("headers then silence: the idle timeout fires as a Timeout error", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-json-stream" });
      res.write('{"a":1}\n');
    });
    client = testClient(server.url, { timeouts: { connect: 1_000, headers: 1_000, idle: 300 }, retry: { retryLimit: 1, initialRetryWait: 1, maxRetryWait: 1 } }).client;
    const err = await failure(exportAll(client));
    expect(err.iterableCode).toBe("Timeout");
    expect(err.message).toMatch(/silent for 0.3 s/);
  }, 10_000);

  it("a body trickling one byte at a time without a newline is stopped by maxLineBytes, not by the idle timeout", async () => {
    server = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-json-stream" });
      await write(res, '{"a":1}\n{"s":"');
      for (let i = 0; i < 10_000 && !res.destroyed; i++) {
        await write(res, "z").catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      res.end();
    });
    client = testClient(server.url, { timeouts: { connect: 1_000, headers: 1_000, idle: 200 }, maxLineBytes: 256 }).client;
    const started = Date.now();
    const err = await failure(exportAll(client));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/line 2 is longer than 256 bytes/);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 10_000);

  it("random bytes always end in records or a MalformedResponse (property)", async () => {
    let body: Buffer = Buffer.alloc(0);
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-json-stream" });
      res.end(body);
    });
    client = testClient(server.url).client;
    const c = client;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        body = Buffer.from(bytes);
        const o = await outcome(exportAll(c));
        if (!o.ok) {
          expect(o.error.iterableCode).toBe("MalformedResponse");
          expect(o.error.message).toMatch(/line \d+/);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("random mixes of good and bad lines fail at exactly the first bad line (property)", async () => {
    let body = "";
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-json-stream" });
      res.end(body);
    });
    client = testClient(server.url).client;
    const c = client;
    const good = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map((o) => ({ good: true, text: JSON.stringify(o) }));
    const bad = fc
      .constantFrom("[1]", "3", '"s"', "null", "{", '{"a":', "}", "<html>", "{'a':1}", "NaN")
      .map((text) => ({ good: false, text }));
    const blank = fc.constantFrom("", " ", "\r").map((text) => ({ good: true, text, blank: true }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(good, good, bad, blank), { maxLength: 30 }), fc.boolean(), async (lines, crlf) => {
        body = lines.map((l) => l.text).join(crlf ? "\r\n" : "\n");
        const firstBad = lines.findIndex((l) => !l.good);
        const o = await outcome(exportAll(c));
        if (firstBad === -1) {
          expect(o.ok).toBe(true);
          if (o.ok) expect(o.value.length).toBe(lines.filter((l) => !("blank" in l)).length);
        } else {
          expect(o.ok).toBe(false);
          if (!o.ok) expect(o.error.message).toContain(`line ${firstBad + 1} `);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** A client with a small maxLineBytes whose server sends `parts` as separate writes. */
async function serveLimited(parts: readonly string[], maxLineBytes: number): Promise<IterableClient> {
  server = await startServer(async (_req, res) => {
    res.writeHead(200, { "content-type": "application/x-json-stream" });
    for (const p of parts) {
      await write(res, p);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    res.end();
  });
  client = testClient(server.url, { maxLineBytes }).client;
  return client;
}

function chunksOf(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

describe("data.csv bodies", () => {
  it("an unbalanced quote fails with MalformedResponse naming the row", async () => {
    const c = await serve('email,n\na@x.io,1\n"b@x.io,2\n', "text/csv");
    const err = await failure(collect(c.exportCsv(PARAMS)));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/row 3 ends inside a quoted field/);
  });

  it("a row of endless short fields is refused past maxLineBytes, naming the row", async () => {
    server = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      await write(res, "email,n\na@x.io,1\n");
      for (let i = 0; i < 2_000 && !res.destroyed; i++) await write(res, "a,".repeat(100)).catch(() => undefined);
      res.end();
    });
    client = testClient(server.url, { maxLineBytes: 4096 }).client;
    const err = await failure(collect(client.exportCsv(PARAMS)));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/row 3 is longer than 4096 characters/);
  });

  it("random bytes always end in records or a MalformedResponse (property)", async () => {
    let body: Buffer = Buffer.alloc(0);
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end(body);
    });
    client = testClient(server.url).client;
    const c = client;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        body = Buffer.from(bytes);
        const o = await outcome(collect(c.exportCsv(PARAMS)));
        if (!o.ok) expect(o.error.iterableCode).toBe("MalformedResponse");
      }),
      { numRuns: 200 },
    );
  });
});

describe("campaigns and metrics bodies", () => {
  for (const [what, body] of [
    ['{"campaigns": "oops"}', '{"campaigns": "oops"}'],
    ["a JSON array", "[]"],
    ["null", "null"],
    ["an HTML page", "<html><body>Service Unavailable</body></html>"],
    ["truncated JSON", '{"campaigns": [{"id": 1'],
    ["an empty body", ""],
  ] as const) {
    it(`campaigns answering ${what} fails with MalformedResponse`, async () => {
      const c = await serve(body, "application/json");
      const err = await failure(collect(c.campaigns()));
      expect(err.iterableCode).toBe("MalformedResponse");
      expect(err.message).toContain("the campaigns page");
    });
  }

  it("campaigns whose entries are not objects fail with MalformedResponse", async () => {
    const c = await serve('{"campaigns": [{"id": 1, "name": "a"}, 3, null]}', "application/json");
    const err = await failure(collect(c.campaigns()));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/campaign 2 .*not a JSON object/);
  });

  it("a campaigns body larger than the body limit fails with MalformedResponse instead of being read whole", async () => {
    server = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      await write(res, '{"campaigns": [');
      for (let i = 0; i < 1_000 && !res.destroyed; i++) await write(res, `{"id": ${i}, "name": "${"n".repeat(100)}"},`).catch(() => undefined);
      res.end("]}");
    });
    client = testClient(server.url, { maxLineBytes: 16 * 1024 }).client;
    const err = await failure(collect(client.campaigns()));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/larger than 16384 bytes/);
  });

  it("metrics CSV with ragged rows keeps the cells it can place", async () => {
    const c = await serve("id,Total Email Sends,Unique Opens\n1,10\n2,20,5,99,100\n", "text/csv");
    const o = await outcome(collect(c.campaignMetrics({ campaignIds: [1, 2] })));
    expect(o).toEqual({ ok: true, value: [{ id: 1, "Total Email Sends": 10 }, { id: 2, "Total Email Sends": 20, "Unique Opens": 5 }] });
  });

  it("metrics CSV with an unbalanced quote fails naming the row", async () => {
    const c = await serve('id,Total Email Sends\n1,10\n2,"20\n', "text/csv");
    const err = await failure(collect(c.campaignMetrics({ campaignIds: [1, 2] })));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/row 3 ends inside a quoted field/);
  });

  it("metrics answering an HTML page with status 200 fails with MalformedResponse", async () => {
    const c = await serve("<html>\n<body>oops</body>\n</html>", "text/html");
    const err = await failure(collect(c.campaignMetrics({ campaignIds: [1] })));
    expect(err.iterableCode).toBe("MalformedResponse");
  });

  it("random metrics bodies always end in rows or a MalformedResponse (property)", async () => {
    let body = "";
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end(body);
    });
    client = testClient(server.url).client;
    const c = client;
    const cell = fc.oneof(fc.integer().map(String), fc.constantFrom("", '"', "x", "1e400", "-", '"1,2"', "NaN"));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cell, { maxLength: 5 }), { maxLength: 6 }), async (rows) => {
        body = ["id,Total Email Sends,Opens", ...rows.map((r) => r.join(","))].join("\n");
        const o = await outcome(collect(c.campaignMetrics({ campaignIds: [1] })));
        if (o.ok) for (const r of o.value) expect(Number.isSafeInteger(r.id)).toBe(true);
        else expect(o.error.iterableCode).toBe("MalformedResponse");
      }),
      { numRuns: 200 },
    );
  });
});

describe("lists/getUsers bodies", () => {
  it("CRLF lines and blank lines give the members", async () => {
    const o = await outcome(collect((await serve("a@x.io\r\n\r\nb@x.io\r\n", "text/plain")).listUsers(1)));
    expect(o).toEqual({ ok: true, value: ["a@x.io", "b@x.io"] });
  });

  it("a member line with a NUL byte fails with MalformedResponse naming the line", async () => {
    const c = await serve("a@x.io\nb\u0000@x.io\n", "text/plain");
    const err = await failure(collect(c.listUsers(1)));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/line 2 contains a NUL byte/);
  });

  it("a member line with invalid UTF-8 fails with MalformedResponse naming the line", async () => {
    const c = await serve(Buffer.concat([Buffer.from("a@x.io\n"), Buffer.from([0x62, 0xff, 0x40]), Buffer.from("\n")]), "text/plain");
    const err = await failure(collect(c.listUsers(1)));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/line 2 is not valid UTF-8/);
  });

  it("an HTML page with status 200 is not taken for a list of members", async () => {
    const c = await serve("<!DOCTYPE html>\n<html>\n<body>Bad gateway</body>\n</html>\n", "text/html; charset=utf-8");
    const err = await failure(collect(c.listUsers(1)));
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(err.message).toMatch(/text\/html/);
  });

  it("random bytes always end in members or a MalformedResponse (property)", async () => {
    let body: Buffer = Buffer.alloc(0);
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(body);
    });
    client = testClient(server.url).client;
    const c = client;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 1024 }), async (bytes) => {
        body = Buffer.from(bytes);
        const o = await outcome(collect(c.listUsers(1)));
        if (o.ok) for (const m of o.value) for (const bad of ["\0", "\n"]) expect(m).not.toContain(bad);
        else expect(o.error.iterableCode).toBe("MalformedResponse");
      }),
      { numRuns: 200 },
    );
  });
});
