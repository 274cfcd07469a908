import { afterEach, describe, expect, it } from "vitest";
import { MockAgent } from "undici";
import { FakeClock } from "../../../src/clock.js";
import { ConfigError } from "../../../src/errors.js";
import { createIterableClient } from "../../../src/iterable/client.js";
import { IterableApiError } from "../../../src/iterable/errors.js";
import type { Campaign } from "../../../src/iterable/types.js";
import { API_KEY, collect, looseBudgets, rejectionOf, sendJson, startServer, testClient, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const campaign = (id: number): Campaign => ({
  id,
  name: `Campaign ${id}`,
  type: "Blast",
  campaignState: "Finished",
  createdAt: 1_700_000_000_000 + id,
  updatedAt: 1_700_000_000_000 + id,
  createdByUserId: "owner@example.com",
});

describe("base URL and authentication", () => {
  function mockRegion(origin: string): { agent: MockAgent; seen: string[] } {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const seen: string[] = [];
    agent
      .get(origin)
      .intercept({ path: "/api/lists", method: "GET" })
      .reply(200, (opts) => {
        seen.push(`${origin} ${String((opts.headers as Record<string, string>)["api-key"])}`);
        return { lists: [] };
      });
    return { agent, seen };
  }

  it("sends a US client's requests to https://api.iterable.com", async () => {
    const { agent, seen } = mockRegion("https://api.iterable.com");
    const client = createIterableClient({ apiKey: API_KEY, region: "us", budgets: looseBudgets(new FakeClock()), dispatcher: agent });
    expect(client.baseUrl).toBe("https://api.iterable.com");
    await client.lists();
    expect(seen).toEqual([`https://api.iterable.com ${API_KEY}`]);
  });

  it("sends an EU client's requests to https://api.eu.iterable.com", async () => {
    const { agent, seen } = mockRegion("https://api.eu.iterable.com");
    const client = createIterableClient({ apiKey: API_KEY, region: "eu", budgets: looseBudgets(new FakeClock()), dispatcher: agent });
    await client.lists();
    expect(seen).toEqual([`https://api.eu.iterable.com ${API_KEY}`]);
  });

  it("uses base_url over the region, keeping its path prefix, and sends the key in the Api-Key header", async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { lists: [{ id: 1, name: "L", createdAt: 1, listType: "Standard" }] }));
    const { client } = testClient(`${server.url}/proxy/iterable/`, { region: "eu" });
    expect(await client.lists()).toEqual([{ id: 1, name: "L", createdAt: 1, listType: "Standard" }]);
    const [req] = server.requests;
    expect(req?.url.pathname).toBe("/proxy/iterable/api/lists");
    expect(req?.headers["api-key"]).toBe(API_KEY);
    expect(req?.url.search).toBe("");
  });

  it("refuses an empty API key and a base_url that is not http(s)", () => {
    const budgets = looseBudgets(new FakeClock());
    expect(() => createIterableClient({ apiKey: " ", budgets })).toThrow(ConfigError);
    expect(() => createIterableClient({ apiKey: API_KEY, baseUrl: "ftp://x", budgets })).toThrow(/in.base_url/);
  });
});

describe("campaigns", () => {
  it("follows nextPageUrl across three pages and stops when it is absent", async () => {
    server = await startServer((req, res) => {
      const page = Number(new URL(req.url ?? "", "http://x").searchParams.get("page"));
      const next = page < 3 ? { nextPageUrl: `https://api.iterable.com/api/campaigns?page=${page + 1}&pageSize=2` } : {};
      sendJson(res, 200, { campaigns: [campaign(page * 10 + 1), campaign(page * 10 + 2)], totalCampaignsCount: 6, ...next });
    });
    const { client } = testClient(server.url);
    const ids = (await collect(client.campaigns({ pageSize: 2 }))).map((c) => c.id);
    expect(ids).toEqual([11, 12, 21, 22, 31, 32]);
    expect(server.requests.map((r) => r.url.search)).toEqual([
      "?page=1&pageSize=2",
      "?page=2&pageSize=2",
      "?page=3&pageSize=2",
    ]);
    expect(server.requests.every((r) => r.headers.host === new URL(server?.url ?? "").host)).toBe(true);
  });

  it("takes an unpaginated response as the whole list", async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { campaigns: [campaign(1), campaign(2)] }));
    const { client } = testClient(server.url);
    expect((await collect(client.campaigns())).map((c) => c.id)).toEqual([1, 2]);
    expect(server.requests).toHaveLength(1);
  });

  it("reports a page without a campaigns array as a malformed response", async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { oops: true }));
    const { client } = testClient(server.url);
    const err = await rejectionOf(collect(client.campaigns()));
    expect(err).toBeInstanceOf(IterableApiError);
    expect((err as IterableApiError).iterableCode).toBe("MalformedResponse");
    expect(server.requests).toHaveLength(1);
  });
});

describe("campaign metrics", () => {
  it("repeats campaignId, sends the window as UTC date-times and parses the CSV", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end('id,Total Email Sends,"Revenue, total","Say ""hi"""\r\n7,100,12.5,\r\n8,,3,1\r\n');
    });
    const { client } = testClient(server.url);
    const rows = await collect(
      client.campaignMetrics({
        campaignIds: [7, 8],
        window: { start: Date.UTC(2024, 0, 2, 3, 4, 5), end: Date.UTC(2024, 0, 3) },
      }),
    );
    expect(rows).toEqual([
      { id: 7, "Total Email Sends": 100, "Revenue, total": 12.5 },
      { id: 8, "Revenue, total": 3, 'Say "hi"': 1 },
    ]);
    const q = server.requests[0]?.url.searchParams;
    expect(q?.getAll("campaignId")).toEqual(["7", "8"]);
    expect(q?.get("startDateTime")).toBe("2024-01-02 03:04:05");
    expect(q?.get("endDateTime")).toBe("2024-01-03 00:00:00");
    expect(q?.has("useNewFormat")).toBe(false);
  });

  it("reads the labels in whatever order they come and tells onDecimalLabels the ones written as decimals", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("id,Average Order Value,Revenue,Total Email Sends,Unique Email Sends\n7,0,0.0,16.0,16\n");
    });
    const { client } = testClient(server.url);
    const told: string[][] = [];
    const rows = await collect(client.campaignMetrics({ campaignIds: [7] }, { onDecimalLabels: (labels) => told.push([...labels]) }));
    expect(rows).toEqual([{ id: 7, "Average Order Value": 0, Revenue: 0, "Total Email Sends": 16, "Unique Email Sends": 16 }]);
    expect(told).toEqual([["Revenue", "Total Email Sends"]]);
  });

  it("tells onBytes the size of bodies read whole (metrics, campaigns, lists), not only of streams", async () => {
    const metrics = "id,Total Email Sends\n7,16.0\n";
    const page = JSON.stringify({ campaigns: [] });
    const lists = JSON.stringify({ lists: [{ id: 1, name: "a", createdAt: 1, listType: "Standard" }] });
    server = await startServer((req, res) => {
      const path = req.url ?? "";
      res.end(path.startsWith("/api/campaigns/metrics") ? metrics : path.startsWith("/api/campaigns") ? page : lists);
    });
    const { client } = testClient(server.url);
    let bytes = 0;
    const onBytes = (n: number): void => void (bytes += n);
    await collect(client.campaignMetrics({ campaignIds: [7] }, { onBytes }));
    expect(bytes).toBe(metrics.length);
    await collect(client.campaigns({ onBytes }));
    expect(bytes).toBe(metrics.length + page.length);
    await client.lists({ onBytes });
    expect(bytes).toBe(metrics.length + page.length + lists.length);
  });

  it("yields nothing for a header-only body", async () => {
    server = await startServer((_req, res) => res.end("id,Total Email Sends\n"));
    const { client } = testClient(server.url);
    expect(await collect(client.campaignMetrics({ campaignIds: [1] }))).toEqual([]);
  });

  it("asks nothing for no campaign ids", async () => {
    server = await startServer((_req, res) => res.end(""));
    const { client } = testClient(server.url);
    expect(await collect(client.campaignMetrics({ campaignIds: [] }))).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe("list users", () => {
  it("streams one member per line, skipping blank lines, with listId and preferUserId", async () => {
    server = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("a@example.com\r\n\r\nb@exa");
      await new Promise((r) => setTimeout(r, 10));
      res.end("mple.com\n\n   \nc@example.com");
    });
    const { client } = testClient(server.url);
    expect(await collect(client.listUsers(42, { preferUserId: true }))).toEqual(["a@example.com", "b@example.com", "c@example.com"]);
    expect(server.requests[0]?.url.pathname).toBe("/api/lists/getUsers");
    expect(server.requests[0]?.url.search).toBe("?listId=42&preferUserId=true");
  });
});

describe("export data.json", () => {
  it("sends the export parameters the way Iterable reads them", async () => {
    server = await startServer((_req, res) => res.end(""));
    const { client } = testClient(server.url);
    await collect(
      client.exportJson({
        dataTypeName: "emailSend",
        window: { start: Date.UTC(2024, 4, 1), end: Date.UTC(2024, 4, 1, 12, 30) },
        onlyFields: ["email", "createdAt"],
        campaignId: 9,
      }),
    );
    await collect(client.exportJson({ dataTypeName: "user", range: "All", omitFields: ["phoneNumber", "locale"] }));
    const [a, b] = server.requests.map((r) => r.url.searchParams);
    expect(server.requests[0]?.url.pathname).toBe("/api/export/data.json");
    expect(a?.get("dataTypeName")).toBe("emailSend");
    expect(a?.get("startDateTime")).toBe("2024-05-01 00:00:00");
    expect(a?.get("endDateTime")).toBe("2024-05-01 12:30:00");
    expect(a?.getAll("onlyFields")).toEqual(["email,createdAt"]);
    expect(a?.get("campaignId")).toBe("9");
    expect(a?.has("range")).toBe(false);
    expect(b?.get("range")).toBe("All");
    expect(b?.get("omitFields")).toBe("phoneNumber,locale");
    expect(b?.has("startDateTime")).toBe(false);
  });

  it("refuses both a range and a window, and both onlyFields and omitFields", () => {
    const { client } = testClient("http://127.0.0.1:9");
    const window = { start: 0, end: 1000 };
    expect(() => client.exportJson({ dataTypeName: "user", range: "All", window })).toThrow(ConfigError);
    expect(() => client.exportJson({ dataTypeName: "user", range: "All", onlyFields: ["a"], omitFields: ["b"] })).toThrow(ConfigError);
  });

  it("parses records whose lines and multi-byte characters are split across network chunks", async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ i, city: "東京", emoji: "🎉", text: "x".repeat(i * 7) }));
    const bytes = Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join("\n"));
    server = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-json-stream" });
      for (let i = 0; i < bytes.length; i += 97) {
        res.write(bytes.subarray(i, i + 97));
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
    const { client } = testClient(server.url);
    const batches = await collect(client.exportJsonBatches({ dataTypeName: "emailSend", range: "Today" }));
    expect(batches.flat()).toEqual(records);
    expect(batches.every((b) => b.length > 0)).toBe(true);
  });

  it("fails on a malformed line with its number, without retrying", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200);
      res.end('{"a":1}\n{"a":2}\n\n{"a": nope}\n{"a":4}\n');
    });
    const { client } = testClient(server.url);
    const seen: unknown[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const r of client.exportJson({ dataTypeName: "emailSend", range: "Today" })) seen.push(r);
      })(),
    );
    expect(err).toBeInstanceOf(IterableApiError);
    const e = err as IterableApiError;
    expect(e.iterableCode).toBe("MalformedResponse");
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(/^Iterable GET \/api\/export\/data\.json sent a malformed response: line 4 is not valid JSON/);
    expect(e.message).toContain('{\\"a\\": nope}');
    expect(server.requests).toHaveLength(1);
  });
});

describe("export data.csv", () => {
  it("streams rows keyed by the header", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end('email,createdAt,note\r\na@x.com,2024-01-01 00:00:00 +00:00,"hello, ""world"""\r\nb@x.com,2024-01-02 00:00:00 +00:00,\r\n');
    });
    const { client } = testClient(server.url);
    const rows = await collect(client.exportCsv({ dataTypeName: "emailOpen", range: "Yesterday" }));
    expect(rows).toEqual([
      { email: "a@x.com", createdAt: "2024-01-01 00:00:00 +00:00", note: 'hello, "world"' },
      { email: "b@x.com", createdAt: "2024-01-02 00:00:00 +00:00", note: "" },
    ]);
    expect(server.requests[0]?.url.pathname).toBe("/api/export/data.csv");
  });
});
