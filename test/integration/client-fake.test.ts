/**
 * The Iterable client against the fake Iterable: every endpoint, every fault
 * kind, the shared rate budget, and the secrecy of the key.
 */
import { Writable } from "node:stream";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/clock.js";
import {
  campaignsFor,
  countExportRecords,
  exportRecords,
  generatorConfig,
  listMembers,
  listsFor,
  metricsFor,
  startFakeIterable,
  type FakeIterable,
  type FakeIterableOptions,
} from "../../src/fake-iterable/index.js";
import { createIterableClient, IterableApiError, RateBudgets, type IterableClient, type RateLimits } from "../../src/iterable/index.js";
import { createLogger } from "../../src/log.js";

const KEY = "it-secret-key-5d1c0ffee";
const NOW = Date.UTC(2026, 5, 2);
const DAY = { start: Date.UTC(2026, 5, 1), end: Date.UTC(2026, 5, 2) };
const FAKE: FakeIterableOptions = { apiKey: KEY, now: NOW, seed: 7, eventsPerDay: 2000, campaigns: 45, lists: 3, users: 500 };
const FAST_RETRY = { retryLimit: 3, initialRetryWait: 10, maxRetryWait: 50 };
const FAST_LIMITS: Partial<RateLimits> = { export: { limit: 50, windowMs: 1000, marginMs: 0 } };

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable({ ...FAKE, rateLimits: false });
});
afterAll(async () => fake.close());

function client(overrides: { key?: string; budgets?: RateBudgets; retry?: typeof FAST_RETRY; idle?: number; headers?: number } = {}): IterableClient {
  return createIterableClient({
    apiKey: overrides.key ?? KEY,
    baseUrl: fake.url,
    // Short windows: a 429 without Retry-After waits the endpoint's spacing (window / limit).
    budgets: overrides.budgets ?? new RateBudgets(systemClock, FAST_LIMITS),
    retry: overrides.retry ?? FAST_RETRY,
    timeouts: { connect: 5_000, headers: overrides.headers ?? 10_000, idle: overrides.idle ?? 10_000 },
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const cfg = generatorConfig(FAKE);

describe("the client against the fake Iterable", () => {
  it("follows campaign pages until the last and gets every campaign once", async () => {
    const got = await collect(client().campaigns({ pageSize: 10 }));
    expect(got.map((c) => c.id)).toEqual(campaignsFor(cfg).map((c) => c.id));
    expect(got.length).toBe(45);
    expect(fake.stats().requests["campaigns"]?.["200"]).toBeGreaterThanOrEqual(5);
  });

  it("parses the metrics CSV of several campaigns into numbers keyed by Iterable's labels", async () => {
    const ids = campaignsFor(cfg).slice(0, 8).map((c) => c.id);
    const got = await collect(client().campaignMetrics({ campaignIds: ids, window: DAY }));
    const want = metricsFor(cfg, ids, DAY).rows;
    expect(got).toEqual(want);
    expect(Object.keys(got[0] ?? {}).length).toBeGreaterThan(3);
  });

  it("reads lists and streams a list's members as text lines", async () => {
    const lists = await client().lists();
    expect(lists.map((l) => l.id)).toEqual(listsFor(cfg).map((l) => l.id));
    const id = lists[0]?.id as number;
    expect(await collect(client().listUsers(id, { preferUserId: true }))).toEqual([...listMembers(cfg, id, true)]);
    expect(await collect(client().listUsers(id))).toEqual([...listMembers(cfg, id, false)]);
  });

  it("streams a window of NDJSON exactly as the generator defines it", async () => {
    const got = await collect(client().exportJson({ dataTypeName: "emailSend", window: DAY }));
    const want = [...exportRecords(cfg, "emailSend", DAY)];
    expect(got.length).toBe(want.length);
    expect(new Set(got.map((r) => r["messageId"]))).toEqual(new Set(want.map((r) => r["messageId"])));
  });

  it("streams the user export with dotted keys, and CSV exports with the same records", async () => {
    const window = { start: cfg.dataStart, end: cfg.dataStart + 30 * 86_400_000 };
    const users = await collect(client().exportJson({ dataTypeName: "user", window }));
    expect(users.length).toBe(countExportRecords(cfg, "user", window));
    expect(users.some((u) => typeof u["itblInternal.emailDomain"] === "string")).toBe(true);
    const csv = await collect(client().exportCsv({ dataTypeName: "emailOpen", window: DAY }));
    const json = await collect(client().exportJson({ dataTypeName: "emailOpen", window: DAY }));
    expect(csv.map((r) => r["messageId"]).sort()).toEqual(json.map((r) => String(r["messageId"])).sort());
  });

  it("applies onlyFields on the server side", async () => {
    const got = await collect(client().exportJson({ dataTypeName: "emailClick", window: DAY, onlyFields: ["messageId", "createdAt"] }));
    expect(got.length).toBeGreaterThan(0);
    for (const r of got.slice(0, 50)) expect(Object.keys(r).sort()).toEqual(["createdAt", "messageId"]);
  });
});

describe("faults", () => {
  const messageIds = async (c: IterableClient): Promise<number> => (await collect(c.exportJson({ dataTypeName: "pushSend", window: DAY }))).length;
  const expected = countExportRecords(cfg, "pushSend", DAY);

  for (const spec of ["export.json:500@2", "export.json:503@2", "export.json:429@2", "export.json:html@1", "export.json:slow=1500@1"]) {
    it(`retries through ${spec} and returns the whole window`, async () => {
      fake.clearFaults();
      const before = fake.stats().faultsInjected;
      fake.addFaults([spec]);
      const c = spec.includes("slow") ? client({ headers: 1000 }) : client();
      expect(await messageIds(c)).toBe(expected);
      const kind = Object.keys(fake.stats().faultsInjected).find((k) => (fake.stats().faultsInjected[k] ?? 0) > (before[k] ?? 0));
      expect(kind).toBeDefined();
    });
  }

  it("reports a cut mid-stream as a retryable mid-stream error that retryStream recovers from", async () => {
    fake.clearFaults();
    fake.addFaults(["export.json:cut=50000@1"]);
    const c = client();
    let attempts = 0;
    const count = await c.retryStream("export/data.json", async () => {
      attempts++;
      let n = 0;
      for await (const batch of c.exportJsonBatches({ dataTypeName: "pushSend", window: DAY })) n += batch.length;
      return n;
    });
    expect(count).toBe(expected);
    expect(attempts).toBe(2);
  });

  it("fails a malformed line with its line number, without retrying", async () => {
    fake.clearFaults();
    fake.addFaults(["export.json:malformed@1"]);
    const err = await messageIds(client()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IterableApiError);
    expect((err as IterableApiError).iterableCode).toBe("MalformedResponse");
    expect((err as Error).message).toMatch(/line \d+/);
  });

  it("declares a body that stalls longer than the idle timeout dead", async () => {
    fake.clearFaults();
    fake.addFaults(["export.json:stall=5000@1"]);
    const err = await messageIds(client({ idle: 1000, retry: { retryLimit: 0, initialRetryWait: 10, maxRetryWait: 10 } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IterableApiError);
    expect((err as IterableApiError).retryable).toBe(true);
    fake.clearFaults();
  });

  it("gives up after retry_limit with what was tried and Iterable's last code", async () => {
    fake.clearFaults();
    fake.addFaults(["export.json:503@10"]);
    const err = await messageIds(client({ retry: { retryLimit: 2, initialRetryWait: 5, maxRetryWait: 10 } })).catch((e: unknown) => e);
    fake.clearFaults();
    expect((err as Error).message).toMatch(/after 3 attempts/);
    expect((err as Error).message).toMatch(/503/);
    expect((err as IterableApiError).attempts).toBe(3);
  });

  it("gives up on a lasting 429 with Iterable's message, which names the rate, in the error", async () => {
    fake.clearFaults();
    fake.addFaults(["export.json:429@3"]);
    const err = await messageIds(client({ retry: { retryLimit: 1, initialRetryWait: 5, maxRetryWait: 10 } })).catch((e: unknown) => e);
    fake.clearFaults();
    expect(err).toBeInstanceOf(IterableApiError);
    expect((err as IterableApiError).status).toBe(429);
    expect((err as IterableApiError).iterableCode).toBe("RateLimitExceeded");
    expect((err as IterableApiError).iterableMessage).toBe("Exceeded rate limit of 4.0 per minute for endpoint: /api/export/data.json, project: 1");
  });

  it("retries a campaigns page cut short of its Content-Length", async () => {
    fake.clearFaults();
    const cuts = fake.stats().faultsInjected["cut"] ?? 0;
    fake.addFaults(["campaigns:cut=200@1"]);
    const got = await collect(client().campaigns({ pageSize: 20 }));
    expect(fake.stats().faultsInjected["cut"]).toBe(cuts + 1);
    fake.clearFaults();
    expect(got.map((c) => c.id)).toEqual(campaignsFor(cfg).map((c) => c.id));
  });

  it("never retries a 401 and says the key may belong to the other region", async () => {
    const err = await client({ key: "wrong-key-123456" }).lists().catch((e: unknown) => e);
    expect((err as IterableApiError).status).toBe(401);
    expect((err as Error).message).toMatch(/rejected the API key.*in\.api_key/);
    expect(fake.stats().requests["lists"]?.["401"]).toBe(1);
  });
});

describe("the shared rate budget", () => {
  const limits: Partial<RateLimits> = { export: { limit: 3, windowMs: 1500, marginMs: 100 } };

  async function burst(budgetsA: RateBudgets, budgetsB: RateBudgets): Promise<number> {
    const limited = await startFakeIterable({ ...FAKE, rateLimitOverrides: { "export.json": { limit: 3, windowMs: 1500 } } });
    try {
      const mk = (b: RateBudgets): IterableClient =>
        createIterableClient({ apiKey: KEY, baseUrl: limited.url, budgets: b, retry: { retryLimit: 8, initialRetryWait: 50, maxRetryWait: 200 } });
      const a = mk(budgetsA);
      const b = mk(budgetsB);
      const window = { start: DAY.start, end: DAY.start + 60_000 };
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => collect((i % 2 ? a : b).exportJson({ dataTypeName: "emailSend", window }))),
      );
      return limited.stats().rateLimited;
    } finally {
      await limited.close();
    }
  }

  it("keeps two clients of one key under Iterable's limit: no 429 at all", async () => {
    const shared = new RateBudgets(systemClock, limits);
    expect(await burst(shared, shared)).toBe(0);
  });

  it("provokes 429s when the same clients do not share a budget (the control)", async () => {
    expect(await burst(new RateBudgets(systemClock, limits), new RateBudgets(systemClock, limits))).toBeGreaterThan(0);
  });
});

describe("secrecy", () => {
  it("never shows the key in logs, errors, stacks or inspected objects", async () => {
    let logs = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ level: "debug", destination: sink });
    const c = createIterableClient({ apiKey: KEY, baseUrl: fake.url, budgets: new RateBudgets(systemClock), retry: { retryLimit: 1, initialRetryWait: 5, maxRetryWait: 5 }, logger });
    fake.clearFaults();
    fake.addFaults(["export.json:500@5", "lists:html@1"]);
    const errors: unknown[] = [];
    await collect(c.exportJson({ dataTypeName: "emailSend", window: DAY })).catch((e: unknown) => errors.push(e));
    await c.lists().catch((e: unknown) => errors.push(e));
    fake.clearFaults();
    expect(errors.length).toBe(1);
    const everything = [
      logs,
      ...errors.flatMap((e) => [String(e), (e as Error).stack ?? "", JSON.stringify(e), inspect(e, { depth: 10, showHidden: true })]),
      inspect(c, { depth: 10, showHidden: true }),
    ].join("\n");
    expect(logs.length).toBeGreaterThan(100);
    expect(everything).not.toContain(KEY);
  });
});
