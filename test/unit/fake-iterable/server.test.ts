import { describe, expect, it } from "vitest";
import { ENDPOINT_PATHS, FAKE_ENDPOINTS, startFakeIterable } from "../../../src/fake-iterable/index.js";
import { get, KEY, rawGet, url, withFake } from "./helpers.js";

describe("fake Iterable server", () => {
  it("listens on 127.0.0.1 on an ephemeral port by default", async () => {
    const fake = await startFakeIterable();
    try {
      expect(fake.host).toBe("127.0.0.1");
      expect(fake.port).toBeGreaterThan(0);
      expect(fake.url).toBe(`http://127.0.0.1:${fake.port}`);
      const ok = await fetch(`${fake.url}/api/lists`, { headers: { "Api-Key": "fake-api-key" } });
      expect(ok.status).toBe(200);
    } finally {
      await fake.close();
    }
  });

  it("answers 401 BadApiKey with the caller's ip on every endpoint for a missing or wrong Api-Key", async () => {
    await withFake({}, async (fake) => {
      for (const endpoint of FAKE_ENDPOINTS) {
        const path = ENDPOINT_PATHS[endpoint];
        for (const key of [null, "wrong", `${KEY}x`]) {
          const r = await get(fake, path, { dataTypeName: "emailSend", range: "Today" }, key);
          expect(r.status, `${path} ${String(key)}`).toBe(401);
          expect(JSON.parse(r.text)).toEqual({ msg: "Invalid API key", code: "BadApiKey", params: { ip: "127.0.0.1", endpoint: path } });
        }
      }
      expect(fake.stats().requests["export.json"]?.["401"]).toBe(3);
    });
  });

  it("sends campaigns, lists and error bodies with a Content-Length, not chunked", async () => {
    await withFake({}, async (fake) => {
      for (const [path, query, key] of [
        ["/api/campaigns", {}, KEY],
        ["/api/campaigns", { page: 1, pageSize: 7 }, KEY],
        ["/api/lists", {}, KEY],
        ["/api/lists", {}, "wrong"],
        ["/api/campaigns/metrics", {}, KEY],
      ] as const) {
        const r = await rawGet(url(fake, path, query), key);
        expect(r.headers["transfer-encoding"], path).toBeUndefined();
        expect(r.headers["content-length"], path).toBe(String(r.body.length));
        expect(r.body.length, path).toBeGreaterThan(10);
      }
    });
  });

  it("does not take the key from a query parameter", async () => {
    await withFake({}, async (fake) => {
      expect((await get(fake, "/api/lists", { api_key: KEY }, null)).status).toBe(401);
    });
  });

  it("answers 404 NotFound for unknown paths and methods", async () => {
    await withFake({}, async (fake) => {
      const r = await get(fake, "/api/export/data.xml");
      expect(r.status).toBe(404);
      expect(JSON.parse(r.text)).toMatchObject({ code: "NotFound" });
      const post = await fetch(`${fake.url}/api/lists`, { method: "POST", headers: { "Api-Key": KEY } });
      expect(post.status).toBe(404);
      expect(fake.stats().requests["notFound"]?.["404"]).toBe(2);
    });
  });

  it("counts requests by endpoint and status, and records served, at /_fake/stats without auth", async () => {
    await withFake({}, async (fake) => {
      await get(fake, "/api/lists");
      await get(fake, "/api/lists");
      await get(fake, "/api/campaigns");
      await get(fake, "/api/export/data.json", { range: "Today" });
      const res = await fetch(`${fake.url}/_fake/stats`);
      expect(res.status).toBe(200);
      const stats = (await res.json()) as ReturnType<typeof fake.stats>;
      expect(stats.requests["lists"]).toEqual({ "200": 2 });
      expect(stats.requests["campaigns"]).toEqual({ "200": 1 });
      expect(stats.requests["export.json"]).toEqual({ "400": 1 });
      expect(stats.recordsServed["lists"]).toBe(10);
      expect(stats.recordsServed["campaigns"]).toBe(50);
      expect(stats.bytesServed["lists"]).toBeGreaterThan(100);
    });
  });

  it("closes with streams still open", async () => {
    const fake = await startFakeIterable({ apiKey: KEY, rateLimits: false, eventsPerDay: 10_000_000, now: Date.UTC(2025, 5, 1) });
    const res = await fetch(`${fake.url}/api/export/data.json?dataTypeName=emailSend&range=All`, { headers: { "Api-Key": KEY } });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const t0 = Date.now();
    await fake.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
  });
});
