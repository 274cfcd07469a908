import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { rateText } from "../../../src/fake-iterable/errors.js";
import { DEFAULT_RATE_LIMITS, parseRateLimit, resolveRateLimits } from "../../../src/fake-iterable/index.js";
import { exportQuery, get, withFake } from "./helpers.js";

const start = Date.UTC(2025, 4, 10);
const q = exportQuery("emailSend", start, start + 60_000);

describe("parseRateLimit", () => {
  it("reads ENDPOINT=LIMIT/WINDOW with ms, s, m and h", () => {
    expect(parseRateLimit("export=4/60s")).toEqual({ endpoint: "export", limit: 4, windowMs: 60_000 });
    expect(parseRateLimit("getUsers=5/1m")).toEqual({ endpoint: "getUsers", limit: 5, windowMs: 60_000 });
    expect(parseRateLimit("metrics=10/2s")).toEqual({ endpoint: "metrics", limit: 10, windowMs: 2_000 });
    expect(parseRateLimit("campaigns=100/500ms")).toEqual({ endpoint: "campaigns", limit: 100, windowMs: 500 });
    expect(parseRateLimit("export.csv=1/1h")).toEqual({ endpoint: "export.csv", limit: 1, windowMs: 3_600_000 });
  });

  it("names what is wrong", () => {
    expect(() => parseRateLimit("export:4/60s")).toThrow(/expected ENDPOINT=LIMIT\/WINDOW/);
    expect(() => parseRateLimit("exports=4/60s")).toThrow(/unknown endpoint "exports"/);
    expect(() => parseRateLimit("export=4/0s")).toThrow(/window must be longer than 0/);
    expect(() => parseRateLimit("export=four/60s")).toThrow(/expected ENDPOINT=LIMIT\/WINDOW/);
  });

  it("lets export set both export endpoints and a single endpoint override it", () => {
    const limits = resolveRateLimits({ export: { limit: 9, windowMs: 1000 }, "export.csv": { limit: 2, windowMs: 5000 } });
    expect(limits["export.json"]).toEqual({ limit: 9, windowMs: 1000 });
    expect(limits["export.csv"]).toEqual({ limit: 2, windowMs: 5000 });
    expect(limits.getUsers).toEqual(DEFAULT_RATE_LIMITS.getUsers);
  });
});

describe("rateText", () => {
  it("says a limit as Iterable does: per minute from a minute up, else per second, always with a decimal", () => {
    expect(rateText({ limit: 4, windowMs: 60_000 })).toBe("4.0 per minute");
    expect(rateText({ limit: 1, windowMs: 3_600_000 })).toBe("0.0166666666667 per minute");
    expect(rateText({ limit: 100, windowMs: 1_000 })).toBe("100.0 per second");
    expect(rateText({ limit: 4, windowMs: 10_000 })).toBe("0.4 per second");
  });

  it("names an overridden limit in the 429 message", async () => {
    await withFake({ rateLimits: true, rateLimitOverrides: { "export.csv": { limit: 1, windowMs: 2_000 } } }, async (fake) => {
      expect((await get(fake, "/api/export/data.csv", q)).status).toBe(200);
      const r = await get(fake, "/api/export/data.csv", q);
      expect(JSON.parse(r.text)).toMatchObject({ msg: "Exceeded rate limit of 0.5 per second for endpoint: /api/export/data.csv, project: 1 " });
    });
  });
});

describe("rate limits", () => {
  it("follow Iterable's documented limits by default", () => {
    expect(DEFAULT_RATE_LIMITS).toEqual({
      campaigns: { limit: 100, windowMs: 1000 },
      lists: { limit: 100, windowMs: 1000 },
      metrics: { limit: 10, windowMs: 60_000 },
      getUsers: { limit: 5, windowMs: 60_000 },
      "export.json": { limit: 4, windowMs: 60_000 },
      "export.csv": { limit: 4, windowMs: 60_000 },
    });
  });

  it("answer 429 RateLimitExceeded after the fifth export in a minute, without Retry-After", async () => {
    await withFake({ rateLimits: true }, async (fake) => {
      for (let i = 0; i < 4; i++) expect((await get(fake, "/api/export/data.json", q)).status).toBe(200);
      const r = await get(fake, "/api/export/data.json", q);
      expect(r.status).toBe(429);
      expect(JSON.parse(r.text)).toEqual({
        msg: "Exceeded rate limit of 4.0 per minute for endpoint: /api/export/data.json, project: 1 ",
        code: "RateLimitExceeded",
        params: {},
      });
      expect(r.headers.get("retry-after")).toBeNull();
      expect(fake.stats().rateLimited).toBe(1);
      expect(fake.stats().requests["export.json"]).toEqual({ "200": 4, "429": 1 });
    });
  });

  it("allow five getUsers and ten metrics calls a minute", async () => {
    await withFake({ rateLimits: true }, async (fake) => {
      const users = [];
      for (let i = 0; i < 6; i++) users.push((await get(fake, "/api/lists/getUsers", { listId: 1 })).status);
      expect(users).toEqual([400, 400, 400, 400, 400, 429]);
      const metrics = [];
      for (let i = 0; i < 11; i++) metrics.push((await get(fake, "/api/campaigns/metrics", { campaignId: 1 })).status);
      expect(metrics.filter((s) => s === 429)).toHaveLength(1);
      expect(metrics[10]).toBe(429);
      const refused = await get(fake, "/api/campaigns/metrics", { campaignId: 1 });
      expect(JSON.parse(refused.text)).toMatchObject({ msg: "Exceeded rate limit of 10.0 per minute for endpoint: /api/campaigns/metrics, project: 1 " });
    });
  });

  it("slide: a request is allowed again once the oldest one leaves the window", async () => {
    const clock = new FakeClock(Date.UTC(2025, 5, 1));
    await withFake({ rateLimits: true, clock, rateLimitOverrides: { lists: { limit: 2, windowMs: 10_000 } } }, async (fake) => {
      expect((await get(fake, "/api/lists")).status).toBe(200);
      clock.advance(4_000);
      expect((await get(fake, "/api/lists")).status).toBe(200);
      expect((await get(fake, "/api/lists")).status).toBe(429);
      clock.advance(6_000);
      expect((await get(fake, "/api/lists")).status).toBe(200);
      expect((await get(fake, "/api/lists")).status).toBe(429);
      clock.advance(4_000);
      expect((await get(fake, "/api/lists")).status).toBe(200);
    });
  });

  it("are off with rateLimits: false", async () => {
    await withFake({ rateLimits: false }, async (fake) => {
      for (let i = 0; i < 12; i++) expect((await get(fake, "/api/export/data.json", q)).status).toBe(200);
    });
  });

  it("do not count requests refused for a bad key", async () => {
    await withFake({ rateLimits: true, rateLimitOverrides: { lists: { limit: 1, windowMs: 60_000 } } }, async (fake) => {
      for (let i = 0; i < 3; i++) expect((await get(fake, "/api/lists", {}, "bad")).status).toBe(401);
      expect((await get(fake, "/api/lists")).status).toBe(200);
      expect((await get(fake, "/api/lists")).status).toBe(429);
    });
  });
});
