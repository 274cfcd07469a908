import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { createIterableClient } from "../../../src/iterable/client.js";
import { grantDelay, RateBudgets, type BudgetWait } from "../../../src/iterable/rate-budget.js";
import type { CallEvent } from "../../../src/iterable/types.js";
import { describeCallEvent, formatRate, formatWait, retryReason } from "../../../src/iterable/waits.js";
import { API_KEY, collect, InstantClock, sendJson, startServer, testClient, type TestServer } from "./helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const exportParams = { dataTypeName: "emailSend", range: "Today" } as const;

describe("budget waits are told before they happen", () => {
  it("grantDelay follows the sliding window, queued requests included", () => {
    // limit 2 per 1000 ms: grants at 0 and 400; now 500
    expect(grantDelay([0, 400], 0, 2, 1000, 500)).toBe(500);
    expect(grantDelay([0, 400], 1, 2, 1000, 500)).toBe(900);
    expect(grantDelay([0, 400], 2, 2, 1000, 500)).toBe(1500);
    expect(grantDelay([400], 0, 2, 1000, 500)).toBe(0);
    expect(grantDelay([], 3, 2, 1000, 0)).toBe(1000);
  });

  it("a request that must wait is told how long at once, and is granted after exactly that", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, { export: { limit: 2, windowMs: 1_000, marginMs: 0 } });
    const waits: BudgetWait[] = [];
    await budgets.acquire("k", "export/data.json", undefined, (w) => waits.push(w));
    clock.advance(400);
    await budgets.acquire("k", "export/data.json", undefined, (w) => waits.push(w));
    expect(waits).toEqual([]);
    let granted = false;
    void budgets.acquire("k", "export/data.json", undefined, (w) => waits.push(w)).then(() => (granted = true));
    expect(waits).toEqual([{ waitMs: 600, group: "export", limit: { limit: 2, windowMs: 1_000, marginMs: 0 } }]);
    // queued behind the third: told the time of its own turn
    void budgets.acquire("k", "export/data.json", undefined, (w) => waits.push(w));
    expect(waits[1]?.waitMs).toBe(1_000);
    clock.advance(599);
    await settle();
    expect(granted).toBe(false);
    clock.advance(1);
    await settle();
    expect(granted).toBe(true);
  });

  it("a listener that throws does not stop the grant", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, { export: { limit: 1, windowMs: 1_000, marginMs: 0 } });
    await budgets.acquire("k", "export/data.json");
    let granted = false;
    void budgets
      .acquire("k", "export/data.json", undefined, () => {
        throw new Error("boom");
      })
      .then(() => (granted = true));
    clock.advance(1_000);
    await settle();
    expect(granted).toBe(true);
  });
});

describe("the client tells a call's waits, retries and requests", () => {
  it("reports the budget wait, each retry with its reason, and each attempt sent", async () => {
    server = await startServer((_req, res, n) => {
      if (n === 1) return sendJson(res, 429, { msg: "Exceeded rate limit for endpoint: /api/export/data.json", code: "RateLimitExceeded", params: {} });
      if (n === 2) return sendJson(res, 503, { msg: "Request timeout. Try again later.", code: "GenericError" });
      res.end('{"a":1}\n');
    });
    const clock = new InstantClock();
    const budgets = new RateBudgets(clock, { export: { limit: 1, windowMs: 60_000, marginMs: 0 } });
    const { client } = testClient(server.url, { clock, budgets });
    const events: CallEvent[] = [];
    expect(await collect(client.exportJson(exportParams, { onEvent: (e) => events.push(e) }))).toEqual([{ a: 1 }]);
    // the 429's wait (the endpoint's spacing) outlasts the budget's window; the 503's short backoff does not
    expect(events.map((e) => e.type)).toEqual(["sent", "retry", "sent", "retry", "rate-limit", "sent"]);
    const [, first429, , second, budgetWait] = events;
    expect(first429).toMatchObject({ type: "retry", retry: 1, retryLimit: 3, failure: { status: 429, iterableCode: "RateLimitExceeded" } });
    // a 429 without Retry-After waits at least the endpoint's spacing (60 s / 1)
    expect((first429 as Extract<CallEvent, { type: "retry" }>).waitMs).toBe(60_000);
    expect(second).toMatchObject({ type: "retry", retry: 2, failure: { status: 503 } });
    const backoff = (second as Extract<CallEvent, { type: "retry" }>).waitMs;
    expect(budgetWait).toMatchObject({ type: "rate-limit", group: "export", limit: 1, windowMs: 60_000, waitMs: 60_000 - backoff });
    expect(describeCallEvent(first429 as CallEvent)).toBe(
      'rate-limited by Iterable (429 RateLimitExceeded "Exceeded rate limit for endpoint: /api/export/data.json"), retry 1 of 3: next request in 60 s',
    );
    expect(client.spacingOf("export/data.json")).toBe(60_000);
  });

  it("names an unreachable host when it retries a refused connection", async () => {
    const events: CallEvent[] = [];
    const clock = new InstantClock();
    const client = createIterableClient({
      apiKey: API_KEY,
      baseUrl: "http://127.0.0.1:1",
      retry: { retryLimit: 1, initialRetryWait: 10, maxRetryWait: 10 },
      timeouts: { connect: 2_000, headers: 5_000, idle: 5_000 },
      budgets: new RateBudgets(clock),
      clock,
      random: () => 0.5,
    });
    await expect(client.lists({ onEvent: (e) => events.push(e) })).rejects.toThrow(/ECONNREFUSED/);
    const retries = events.filter((e) => e.type === "retry");
    expect(retries).toHaveLength(1);
    expect(describeCallEvent(retries[0] as CallEvent)).toMatch(/^Iterable unreachable \(.*ECONNREFUSED.*\), retry 1 of 1: next request in under 1 s$/);
    await client.close();
  });

  it("a throwing listener is logged and the call goes on", async () => {
    server = await startServer((_req, res) => sendJson(res, 200, { lists: [] }));
    const { client } = testClient(server.url);
    await expect(
      client.lists({
        onEvent: () => {
          throw new Error("listener broke");
        },
      }),
    ).resolves.toEqual([]);
  });
});

describe("wait lines", () => {
  it("formats rates, waits and reasons as people read them", () => {
    expect(formatRate(4, 60_000)).toBe("4/min");
    expect(formatRate(100, 1_000)).toBe("100/s");
    expect(formatRate(8, 120_000)).toBe("8/2 min");
    expect(formatRate(3, 1_500)).toBe("3/1.5 s");
    expect(formatWait(400)).toBe("under 1 s");
    expect(formatWait(11_200)).toBe("12 s");
    expect(formatWait(125_000)).toBe("2 min 5 s");
    expect(formatWait(180_000)).toBe("3 min");
    expect(retryReason({ status: 200, iterableCode: "Timeout", detail: "the response body was silent for 2 s", retryable: true, recordsYielded: 1234 })).toBe(
      'the response broke off after 1234 records (200 Timeout "the response body was silent for 2 s")',
    );
    expect(retryReason({ status: undefined, iterableCode: "Timeout", detail: "no response headers within 300 s", retryable: true })).toBe(
      "Iterable too slow (no response headers within 300 s)",
    );
    const wait: CallEvent = { type: "rate-limit", endpoint: "export/data.json", group: "export", waitMs: 11_500, limit: 4, windowMs: 60_000 };
    expect(describeCallEvent(wait)).toBe("waiting for Iterable's export limit (4/min): next request in 12 s");
    expect(describeCallEvent({ type: "sent", endpoint: "lists", attempt: 1 })).toBeUndefined();
  });
});
