import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { FakeClock } from "../../../src/clock.js";
import { createIterableClient } from "../../../src/iterable/client.js";
import { IterableApiError } from "../../../src/iterable/errors.js";
import type { JsonRecord, RequestEvent } from "../../../src/iterable/types.js";
import { API_KEY, collect, delay, looseBudgets, rejectionOf, sendJson, startServer, testClient, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const exportParams = { dataTypeName: "emailSend", range: "Today" } as const;
const line = (i: number): string => `${JSON.stringify({ i, email: `user${i}@example.com` })}\n`;
const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, k) => line(from + k)).join("");

/** Writes `count` records, then cuts the connection mid-body. */
async function cutAfter(res: ServerResponse, count: number): Promise<void> {
  res.writeHead(200, { "content-type": "application/x-json-stream" });
  res.write(lines(0, count));
  res.write('{"i": 99999, "email": "half');
  await delay(20);
  res.socket?.destroy();
}

async function expectApiError(promise: Promise<unknown>): Promise<IterableApiError> {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(IterableApiError);
  return err as IterableApiError;
}

describe("retries before the body starts", () => {
  it("retries a 500 and returns the second answer", async () => {
    server = await startServer((_req, res, n) =>
      n === 1 ? sendJson(res, 500, { msg: "Please try again later", code: "GenericError" }) : sendJson(res, 200, { lists: [] }),
    );
    const { client, clock } = testClient(server.url);
    expect(await client.lists()).toEqual([]);
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([75]);
  });

  it("retries a 503 of a streamed endpoint transparently", async () => {
    server = await startServer((_req, res, n) => {
      if (n < 3) return sendJson(res, 503, { msg: "Request timeout. Try again later.", code: "GenericError" });
      res.end("a@example.com\nb@example.com\n");
    });
    const { client, clock } = testClient(server.url);
    expect(await collect(client.listUsers(1))).toEqual(["a@example.com", "b@example.com"]);
    expect(server.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([75, 150]);
  });

  it("honours Retry-After on a 429", async () => {
    server = await startServer((_req, res, n) =>
      n === 1
        ? sendJson(res, 429, { msg: "Exceeded rate limit for endpoint: /api/export/data.json", code: "RateLimitExceeded", params: {} }, { "retry-after": "7" })
        : res.end(line(1)),
    );
    const { client, clock } = testClient(server.url);
    expect(await collect(client.exportJson(exportParams))).toEqual([{ i: 1, email: "user1@example.com" }]);
    expect(clock.sleeps).toEqual([7_000]);
  });

  it("waits at least the endpoint's spacing after a 429 without Retry-After", async () => {
    server = await startServer((_req, res, n) =>
      n === 1 ? sendJson(res, 429, { msg: "Exceeded rate limit", code: "RateLimitExceeded" }) : res.end(line(1)),
    );
    const clock = new FakeClock(0);
    const { client, clock: instant } = testClient(server.url, { budgets: looseBudgets(clock, { export: { limit: 4, windowMs: 60_000 } }) });
    await collect(client.exportJson(exportParams));
    expect(instant.sleeps).toEqual([15_300]);
  });

  for (const [status, code] of [
    [400, "BadParams"],
    [401, "BadApiKey"],
    [403, "Forbidden"],
    [404, "NotFound"],
  ] as const) {
    it(`never retries a ${status}`, async () => {
      server = await startServer((_req, res) => sendJson(res, status, { msg: `nope ${status}`, code }));
      const { client, clock } = testClient(server.url);
      const err = await expectApiError(collect(client.exportJson(exportParams)));
      expect(err.status).toBe(status);
      expect(err.iterableCode).toBe(code);
      expect(err.retryable).toBe(false);
      expect(err.attempts).toBe(1);
      expect(server.requests).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);
    });
  }

  it("explains a 401 with the region to try", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get("https://api.iterable.com")
      .intercept({ path: "/api/lists", method: "GET" })
      .reply(401, { msg: "Invalid API key", code: "BadApiKey", params: { ip: "1.2.3.4", endpoint: "/api/lists" } });
    const client = createIterableClient({ apiKey: API_KEY, region: "us", budgets: looseBudgets(new FakeClock()), dispatcher: agent });
    const err = await expectApiError(client.lists());
    expect(err.message).toBe(
      "Iterable rejected the API key (401 BadApiKey: Invalid API key) for https://api.iterable.com: " +
        "check in.api_key; the key may belong to the other region (in.region: eu)",
    );
  });

  it("explains a 401 from a base_url without guessing a region", async () => {
    server = await startServer((_req, res) => sendJson(res, 401, { msg: "Invalid API key", code: "BadApiKey" }));
    const { client } = testClient(server.url);
    const err = await expectApiError(client.lists());
    expect(err.message).toBe(`Iterable rejected the API key (401 BadApiKey: Invalid API key) for ${server.url}: check in.api_key and in.base_url`);
  });

  it("says what was tried, how often, over how long and Iterable's last answer when retries run out", async () => {
    server = await startServer((_req, res) => sendJson(res, 503, { msg: "Please try again later", code: "GenericError" }));
    const { client } = testClient(server.url);
    const err = await expectApiError(collect(client.exportJson(exportParams)));
    expect(err.message).toBe(
      'Iterable GET /api/export/data.json failed after 4 attempts over 0.5 s (retry_limit 3): last error 503 GenericError "Please try again later"',
    );
    expect(err).toMatchObject({ status: 503, iterableCode: "GenericError", attempts: 4, retryable: true, exhausted: true, midStream: false });
    expect(server.requests).toHaveLength(4);
  });

  it("keeps a short excerpt of an HTML error body", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end(`<html><head><title>502 Bad Gateway</title></head><body>${"x".repeat(5000)}</body></html>`);
    });
    const { client } = testClient(server.url, { retry: { retryLimit: 0, initialRetryWait: 1, maxRetryWait: 1 } });
    const err = await expectApiError(client.lists());
    expect(err.message).toContain('last error 502 "502 Bad Gateway"');
    expect(err.iterableCode).toBeUndefined();
  });

  it("retries a refused connection and names it when retries run out", async () => {
    const closed = await startServer((_req, res) => res.end());
    const url = closed.url;
    await closed.close();
    const { client } = testClient(url, { retry: { retryLimit: 2, initialRetryWait: 10, maxRetryWait: 10 } });
    const err = await expectApiError(client.lists());
    expect(err.iterableCode).toBe("ConnectionError");
    expect(err.attempts).toBe(3);
    expect(err.message).toMatch(/failed after 3 attempts .*: last error ConnectionError ".*ECONNREFUSED/);
  });

  it("retries after a headers timeout", async () => {
    server = await startServer((_req, res, n) => {
      if (n === 1) return; // never answers
      sendJson(res, 200, { lists: [] });
    });
    const { client } = testClient(server.url, { timeouts: { connect: 2_000, headers: 200, idle: 2_000 } });
    expect(await client.lists()).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it("names the headers timeout when every attempt times out", async () => {
    server = await startServer(() => undefined);
    const { client } = testClient(server.url, {
      timeouts: { connect: 2_000, headers: 150, idle: 2_000 },
      retry: { retryLimit: 1, initialRetryWait: 1, maxRetryWait: 1 },
    });
    const err = await expectApiError(client.lists());
    expect(err.iterableCode).toBe("Timeout");
    expect(err.message).toMatch(/failed after 2 attempts .*last error Timeout "no response headers within 0.15 s"$/);
  });

  it("reports each attempt to onRequest", async () => {
    server = await startServer((_req, res, n) => (n === 1 ? sendJson(res, 500, { msg: "x", code: "GenericError" }) : sendJson(res, 200, { lists: [] })));
    const events: RequestEvent[] = [];
    const { client } = testClient(server.url, { onRequest: (e) => events.push(e) });
    await client.lists();
    expect(events.map(({ durationMs: _d, ...rest }) => rest)).toEqual([
      { endpoint: "lists", status: 500, errorCode: "GenericError", attempt: 1 },
      { endpoint: "lists", status: 200, attempt: 2 },
    ]);
    expect(events.every((e) => e.durationMs >= 0)).toBe(true);
  });
});

describe("failures inside a streamed body", () => {
  it("throws a retryable midStream error naming the records already yielded", async () => {
    server = await startServer((_req, res) => cutAfter(res, 100));
    const { client } = testClient(server.url);
    const seen: JsonRecord[] = [];
    const err = await expectApiError(
      (async () => {
        for await (const r of client.exportJson(exportParams)) seen.push(r);
      })(),
    );
    expect(seen).toHaveLength(100);
    expect(err).toMatchObject({ midStream: true, retryable: true, exhausted: false, recordsYielded: 100, iterableCode: "ConnectionError" });
    expect(err.message).toMatch(/^Iterable GET \/api\/export\/data\.json broke off after 100 records: ConnectionError/);
    expect(server.requests).toHaveLength(1);
  });

  it("retries a body cut before any record transparently", async () => {
    server = await startServer((_req, res, n) => (n === 1 ? cutAfter(res, 0) : res.end(lines(0, 3))));
    const { client } = testClient(server.url);
    expect(await collect(client.exportJson(exportParams))).toHaveLength(3);
    expect(server.requests).toHaveLength(2);
  });

  it("reports a cut stream, a retry and a consumer's early stop to onRequest", async () => {
    server = await startServer((_req, res, n) => (n === 1 ? cutAfter(res, 0) : res.end(lines(0, 3))));
    const events: RequestEvent[] = [];
    const { client } = testClient(server.url, { onRequest: (e) => events.push(e) });
    for await (const _r of client.exportJson(exportParams)) break;
    expect(events.map(({ durationMs: _d, ...rest }) => rest)).toEqual([
      { endpoint: "export/data.json", status: 200, errorCode: "ConnectionError", attempt: 1 },
      { endpoint: "export/data.json", status: 200, attempt: 2 },
    ]);
  });

  it("recovers with retryStream, rerunning the whole consumer attempt", async () => {
    server = await startServer((_req, res, n) => (n === 1 ? cutAfter(res, 100) : res.end(lines(0, 250))));
    const { client, clock } = testClient(server.url);
    const attempts: number[] = [];
    const rows = await client.retryStream("export/data.json", async (attemptNo) => {
      attempts.push(attemptNo);
      const mine: JsonRecord[] = []; // the consumer's own state, reset each attempt
      for await (const batch of client.exportJsonBatches(exportParams)) mine.push(...batch);
      return mine;
    });
    expect(attempts).toEqual([1, 2]);
    expect(rows).toHaveLength(250);
    expect(new Set(rows.map((r) => r["i"])).size).toBe(250);
    expect(clock.sleeps).toEqual([75]);
  });

  it("gives up after the retry limit with the same message format", async () => {
    server = await startServer((_req, res) => cutAfter(res, 10));
    const { client } = testClient(server.url, { retry: { retryLimit: 2, initialRetryWait: 100, maxRetryWait: 1_000 } });
    const err = await expectApiError(client.retryStream("export/data.json", (_n) => collect(client.exportJson(exportParams))));
    expect(err.message).toMatch(
      /^Iterable GET \/api\/export\/data\.json failed after 3 attempts over 0\.2 s \(retry_limit 2\): last error ConnectionError ".*" after 10 records$/,
    );
    expect(err).toMatchObject({ attempts: 3, exhausted: true, midStream: false });
    expect(server.requests).toHaveLength(3);
  });

  it("does not rerun an attempt that failed for a reason a retry cannot fix", async () => {
    server = await startServer((_req, res) => res.end(`${line(1)}not json\n`));
    const { client } = testClient(server.url);
    let runs = 0;
    const err = await expectApiError(
      client.retryStream("export/data.json", async () => {
        runs++;
        return collect(client.exportJson(exportParams));
      }),
    );
    expect(err.iterableCode).toBe("MalformedResponse");
    expect(runs).toBe(1);
  });

  it("times out a body that stays silent for the idle timeout", async () => {
    server = await startServer(async (_req, res) => {
      res.writeHead(200);
      res.write(lines(0, 5));
      await delay(2_000);
      res.end();
    });
    const { client } = testClient(server.url, { timeouts: { connect: 2_000, headers: 2_000, idle: 200 } });
    const err = await expectApiError(collect(client.exportJson(exportParams)));
    expect(err).toMatchObject({ iterableCode: "Timeout", midStream: true, retryable: true, recordsYielded: 5 });
    expect(err.message).toContain("the response body was silent for 0.2 s");
  });

  it("keeps a slow body alive as long as bytes keep coming", async () => {
    server = await startServer(async (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 8; i++) {
        res.write(line(i));
        await delay(60);
      }
      res.end();
    });
    const { client } = testClient(server.url, { timeouts: { connect: 2_000, headers: 2_000, idle: 200 } });
    expect(await collect(client.exportJson(exportParams))).toHaveLength(8);
    expect(server.requests).toHaveLength(1);
  });

  it("stops an in-flight stream when its signal aborts", async () => {
    let closed = false;
    server = await startServer(async (req, res) => {
      req.socket.on("close", () => {
        closed = true;
      });
      res.writeHead(200);
      for (let i = 0; i < 1_000 && !closed; i++) {
        res.write(line(i));
        await delay(5);
      }
      res.end();
    });
    const controller = new AbortController();
    const { client } = testClient(server.url);
    let seen = 0;
    const reason = new Error("user pressed ctrl-c");
    const err = await rejectionOf(
      (async () => {
        for await (const _r of client.exportJson(exportParams, { signal: controller.signal })) {
          if (++seen === 3) controller.abort(reason);
        }
      })(),
    );
    expect(err).toBe(reason);
    await delay(50);
    expect(closed).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("releases the connection when the consumer stops early", async () => {
    let closed = false;
    server = await startServer(async (req, res) => {
      req.socket.on("close", () => {
        closed = true;
      });
      res.writeHead(200);
      for (let i = 0; i < 1_000 && !closed; i++) {
        res.write(line(i));
        await delay(5);
      }
      res.end();
    });
    const { client } = testClient(server.url);
    for await (const r of client.exportJson(exportParams)) if (r["i"] === 2) break;
    await delay(50);
    expect(closed).toBe(true);
  });
});
