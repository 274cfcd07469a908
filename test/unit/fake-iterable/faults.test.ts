import { describe, expect, it } from "vitest";
import { parseFaultSpec, startFakeIterable } from "../../../src/fake-iterable/index.js";
import { exportQuery, get, KEY, ndjson, parseCsv, rawGet, url, withFake } from "./helpers.js";

const start = Date.UTC(2025, 4, 10);
const q = exportQuery("emailSend", start, start + 3_600_000);

describe("parseFaultSpec", () => {
  it("reads endpoint, kind, argument and repetition", () => {
    expect(parseFaultSpec("export:500@2")).toEqual({ endpoint: "export", kind: "500", times: 2 });
    expect(parseFaultSpec("getUsers:cut=100@10%")).toEqual({ endpoint: "getUsers", kind: "cut", arg: 100, percent: 10 });
    expect(parseFaultSpec("*:slow=2000")).toEqual({ endpoint: "*", kind: "slow", arg: 2000 });
    expect(parseFaultSpec("export.csv:malformed")).toEqual({ endpoint: "export.csv", kind: "malformed" });
    expect(parseFaultSpec("metrics:html@12.5%")).toEqual({ endpoint: "metrics", kind: "html", percent: 12.5 });
  });

  it("names the bad part of a spec", () => {
    expect(() => parseFaultSpec("export500")).toThrow(/"export500": expected ENDPOINT:KIND/);
    expect(() => parseFaultSpec("exports:500")).toThrow(/unknown endpoint "exports" \(expected one of campaigns, metrics/);
    expect(() => parseFaultSpec("export:404")).toThrow(/unknown kind "404"/);
    expect(() => parseFaultSpec("export:cut")).toThrow(/cut needs a whole number ≥ 0 \(cut=BYTES\)/);
    expect(() => parseFaultSpec("export:slow=fast")).toThrow(/bad argument "fast" for slow/);
    expect(() => parseFaultSpec("export:500=3")).toThrow(/500 takes no argument/);
    expect(() => parseFaultSpec("export:500@x")).toThrow(/bad repeat "@x"/);
    expect(() => parseFaultSpec("export:500@0")).toThrow(/count after @ must be a whole number ≥ 1/);
    expect(() => parseFaultSpec("export:500@150%")).toThrow(/share after @ must be more than 0% and at most 100%/);
  });

  it("refuses bad faults passed as options", async () => {
    await expect(startFakeIterable({ faults: ["lists:teapot"] })).rejects.toThrow(/unknown kind "teapot"/);
  });
});

describe("faults on demand", () => {
  it("500 answers GenericError for the next N matching requests only", async () => {
    await withFake({ faults: ["export:500@2"] }, async (fake) => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await get(fake, "/api/export/data.json", q);
        statuses.push(r.status);
        if (r.status === 500) expect(JSON.parse(r.text)).toMatchObject({ code: "GenericError", msg: expect.stringMatching(/Please try again later/) });
      }
      expect(statuses).toEqual([500, 500, 200]);
      expect((await get(fake, "/api/lists")).status).toBe(200);
      expect(fake.stats().faultsInjected).toEqual({ "500": 2 });
    });
  });

  it("export faults hit both export endpoints, export.json only the JSON one", async () => {
    await withFake({ faults: ["export.json:503@5"] }, async (fake) => {
      expect((await get(fake, "/api/export/data.csv", q)).status).toBe(200);
      const r = await get(fake, "/api/export/data.json", q);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.text)).toMatchObject({ msg: "Request timeout. Try again later." });
    });
    await withFake({ faults: ["export:503@2"] }, async (fake) => {
      expect((await get(fake, "/api/export/data.csv", q)).status).toBe(503);
      expect((await get(fake, "/api/export/data.json", q)).status).toBe(503);
      expect((await get(fake, "/api/export/data.json", q)).status).toBe(200);
    });
  });

  it("429 answers RateLimitExceeded naming the endpoint and its limit, without Retry-After", async () => {
    await withFake({ faults: ["*:429"] }, async (fake) => {
      const r = await get(fake, "/api/lists/getUsers", { listId: 1 });
      expect(r.status).toBe(429);
      expect(JSON.parse(r.text)).toEqual({
        msg: "Exceeded rate limit of 5.0 per minute for endpoint: /api/lists/getUsers, project: 1 ",
        code: "RateLimitExceeded",
        params: {},
      });
      expect(r.headers.get("retry-after")).toBeNull();
      expect(fake.stats().rateLimited).toBe(0);
    });
  });

  it("html answers a 502 with an HTML body, as proxies do", async () => {
    await withFake({ faults: ["campaigns:html"] }, async (fake) => {
      const r = await get(fake, "/api/campaigns");
      expect(r.status).toBe(502);
      expect(r.type).toBe("text/html");
      expect(r.text).toMatch(/<title>502 Bad Gateway<\/title>/);
    });
  });

  it("cut sends the headers and exactly BYTES of the real body, then drops the connection", async () => {
    await withFake({}, async (fake) => {
      const whole = await rawGet(url(fake, "/api/export/data.json", q));
      fake.addFaults(["export.json:cut=5000"]);
      const cut = await rawGet(url(fake, "/api/export/data.json", q));
      expect(cut.status).toBe(200);
      expect(cut.error).toBeDefined();
      expect(cut.body.length).toBe(5000);
      expect(cut.body.equals(whole.body.subarray(0, 5000))).toBe(true);
      fake.addFaults(["lists:cut=0"]);
      const none = await rawGet(url(fake, "/api/lists"));
      expect(none.status).toBe(200);
      expect(none.body.length).toBe(0);
      expect(none.error).toBeDefined();
      fake.addFaults(["lists:cut=100000"]);
      const short = await rawGet(url(fake, "/api/lists"));
      expect(short.error).toBeDefined();
      // A cut past the end of a body sent with a Content-Length falls on its last byte.
      expect(short.body.length).toBe(Number(short.headers["content-length"]) - 1);
      expect(fake.stats().faultsInjected["cut"]).toBe(3);
    });
  });

  it("malformed puts one broken JSON line in the middle of an otherwise normal body", async () => {
    await withFake({}, async (fake) => {
      const normal = (await get(fake, "/api/export/data.json", q)).text.split("\n").filter(Boolean);
      fake.addFaults(["export:malformed"]);
      const lines = (await get(fake, "/api/export/data.json", q)).text.split("\n").filter(Boolean);
      expect(lines).toHaveLength(normal.length + 1);
      const broken = lines.flatMap((l, i) => {
        try {
          JSON.parse(l);
          return [];
        } catch {
          return [i];
        }
      });
      expect(broken).toHaveLength(1);
      const at = broken[0] as number;
      expect(at).toBeGreaterThan(normal.length * 0.3);
      expect(at).toBeLessThan(normal.length * 0.7);
      expect(lines.filter((_, i) => i !== at)).toEqual(normal);
    });
  });

  it("malformed puts a garbage line into CSV and plain-text bodies", async () => {
    await withFake({}, async (fake) => {
      fake.addFaults(["export.csv:malformed", "getUsers:malformed", "metrics:malformed"]);
      const csv = await get(fake, "/api/export/data.csv", q);
      expect(() => parseCsv(csv.text)).toThrow();
      const lists = JSON.parse((await get(fake, "/api/lists")).text) as { lists: { id: number }[] };
      const users = (await get(fake, "/api/lists/getUsers", { listId: lists.lists[0]?.id ?? 0 })).text.split("\n").filter(Boolean);
      expect(users.filter((u) => !/^[a-z]+\.[a-z]+\d+@[a-z.]+$/.test(u))).toHaveLength(1);
      const metrics = await get(fake, "/api/campaigns/metrics", { campaignId: [1, 2] });
      expect(() => parseCsv(metrics.text)).toThrow();
    });
  });

  it("malformed truncates a JSON document body", async () => {
    await withFake({ faults: ["lists:malformed"] }, async (fake) => {
      const r = await get(fake, "/api/lists");
      expect(r.status).toBe(200);
      expect(r.text.length).toBeGreaterThan(10);
      expect(() => JSON.parse(r.text)).toThrow();
    });
  });

  it("slow waits MS before the first byte", async () => {
    await withFake({ faults: ["lists:slow=700"] }, async (fake) => {
      const r = await rawGet(url(fake, "/api/lists"));
      expect(r.status).toBe(200);
      expect(r.headersAt).toBeGreaterThanOrEqual(650);
      const fast = await rawGet(url(fake, "/api/lists"));
      expect(fast.headersAt).toBeLessThan(650);
    });
  });

  it("stall sends part of the body, pauses MS, then finishes it", async () => {
    await withFake({}, async (fake) => {
      const whole = await rawGet(url(fake, "/api/export/data.json", q));
      fake.addFaults(["export:stall=800"]);
      const r = await rawGet(url(fake, "/api/export/data.json", q));
      expect(r.error).toBeUndefined();
      expect(r.body.equals(whole.body)).toBe(true);
      expect(r.firstByteAt).toBeLessThan(600);
      expect(r.endAt - r.firstByteAt).toBeGreaterThanOrEqual(750);
    });
  });

  it("@P% hits about that share of requests, the same ones for the same seed", async () => {
    const run = async (seed: number): Promise<number[]> =>
      withFake({ seed, faults: ["lists:500@30%"] }, async (fake) => {
        const out: number[] = [];
        for (let i = 0; i < 60; i++) out.push((await get(fake, "/api/lists")).status);
        return out;
      });
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    const hits = a.filter((s) => s === 500).length;
    expect(hits).toBeGreaterThan(6);
    expect(hits).toBeLessThan(30);
    expect(await run(2)).not.toEqual(a);
  });

  it("are checked before rate limiting and do not use the budget", async () => {
    await withFake({ rateLimits: true, rateLimitOverrides: { "export.json": { limit: 1, windowMs: 60_000 } }, faults: ["export.json:500"] }, async (fake) => {
      expect((await get(fake, "/api/export/data.json", q)).status).toBe(500);
      expect((await get(fake, "/api/export/data.json", q)).status).toBe(200);
      expect((await get(fake, "/api/export/data.json", q)).status).toBe(429);
    });
  });

  it("can be added, listed and cleared over HTTP at /_fake/faults", async () => {
    await withFake({}, async (fake) => {
      const added = await fetch(`${fake.url}/_fake/faults`, { method: "POST", body: JSON.stringify({ faults: ["lists:500@3", "export:slow=10"] }) });
      expect(added.status).toBe(200);
      expect(await added.json()).toEqual({ faults: ["lists:500@3", "export:slow=10@1"] });
      expect((await get(fake, "/api/lists")).status).toBe(500);
      expect(fake.faults()).toEqual(["lists:500@2", "export:slow=10@1"]);
      const bad = await fetch(`${fake.url}/_fake/faults`, { method: "POST", body: JSON.stringify({ faults: ["lists:nope"] }) });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: "BadParams", msg: expect.stringMatching(/unknown kind "nope"/) });
      const cleared = await fetch(`${fake.url}/_fake/faults`, { method: "DELETE" });
      expect(await cleared.json()).toEqual({ faults: [] });
      expect((await get(fake, "/api/lists")).status).toBe(200);
      fake.addFaults([{ endpoint: "lists", kind: "503" }]);
      expect((await get(fake, "/api/lists")).status).toBe(503);
      fake.addFaults(["lists:503@5"]);
      fake.clearFaults();
      expect((await get(fake, "/api/lists")).status).toBe(200);
      expect(fake.stats().faultsInjected).toEqual({ "500": 1, "503": 1 });
    });
  });

  it("do not apply to requests with a bad key", async () => {
    await withFake({ faults: ["lists:500"] }, async (fake) => {
      expect((await get(fake, "/api/lists", {}, "nope")).status).toBe(401);
      expect((await get(fake, "/api/lists", {}, KEY)).status).toBe(500);
    });
  });
});

describe("malformed JSON lines", () => {
  it("leave the other lines parseable", async () => {
    await withFake({ faults: ["export.json:malformed"] }, async (fake) => {
      const text = (await get(fake, "/api/export/data.json", q)).text;
      const good = text.split("\n").filter(Boolean).filter((l) => {
        try {
          JSON.parse(l);
          return true;
        } catch {
          return false;
        }
      });
      expect(good.map((l) => JSON.parse(l) as unknown)).toEqual(ndjson((await get(fake, "/api/export/data.json", q)).text));
    });
  });
});
