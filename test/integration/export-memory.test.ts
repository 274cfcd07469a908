/**
 * A 1,000,000-record export streamed from the fake (in its own process) through
 * the client: every record arrives, and this process's memory stays flat.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/clock.js";
import { countExportRecords, dataStartBefore, generatorConfig } from "../../src/fake-iterable/index.js";
import { createIterableClient, RateBudgets } from "../../src/iterable/index.js";
import { spawnFake, type FakeProcess } from "./helpers.js";

const NOW = "2026-06-02T00:00:00Z";
const DAY = { start: Date.UTC(2026, 5, 1), end: Date.UTC(2026, 5, 2) };
const EVENTS = 1_000_000;

let fake: FakeProcess;
beforeAll(async () => {
  fake = await spawnFake(["--api-key", "mem-key", "--events-per-day", String(EVENTS), "--no-rate-limits", "--now", NOW, "--seed", "3"]);
});
afterAll(async () => fake.stop());

describe("a million-record export", () => {
  it("streams every record with bounded memory", async () => {
    // The CLI starts the data a year before --now.
    const now = Date.parse(NOW);
    const expected = countExportRecords(generatorConfig({ eventsPerDay: EVENTS, seed: 3, now, dataStart: dataStartBefore(now) }), "emailSend", DAY);
    expect(expected).toBeGreaterThan(900_000);
    const client = createIterableClient({ apiKey: "mem-key", baseUrl: fake.url, budgets: new RateBudgets(systemClock) });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let count = 0;
    let ids = 0;
    let bytes = 0;
    for await (const batch of client.exportJsonBatches({ dataTypeName: "emailSend", window: DAY }, { onBytes: (n) => (bytes += n) })) {
      count += batch.length;
      for (const r of batch) if (typeof r["messageId"] === "string") ids++;
      if ((count & 0x3fff) < batch.length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    await client.close();
    expect(count).toBe(expected);
    expect(ids).toBe(expected);
    expect(bytes).toBeGreaterThan(300 * 1024 * 1024);
    // The body is hundreds of MB; what this process holds must not grow with it.
    expect(peak - baseline).toBeLessThan(120 * 1024 * 1024);
  }, 180_000);
});
