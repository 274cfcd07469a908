import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, testClient, type TestServer } from "./helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const RECORDS = 320_000;
const MB = 1024 * 1024;

/** An emailSend-like line of about 420 bytes. */
function record(i: number): string {
  return `${JSON.stringify({
    createdAt: "2024-05-01 12:00:00 +00:00",
    email: `user${i}@example.com`,
    userId: `u-${i}`,
    campaignId: 1000 + (i % 50),
    templateId: 2000 + (i % 7),
    messageTypeId: 12,
    channelId: 3,
    contentId: i,
    messageId: i.toString(16).padStart(32, "0"),
    messageBusId: `bus-${i}`,
    catalogCollectionCount: 0,
    catalogLookupCount: 0,
    productRecommendationCount: 0,
    transactionalData: { orderId: `o-${i}`, total: i / 100, items: ["a", "b"] },
  })}\n`;
}

describe("memory", () => {
  it(`stays flat while streaming ${RECORDS} NDJSON records (over 100 MB of body)`, async () => {
    let bytesSent = 0;
    server = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-json-stream" });
      let chunk = "";
      for (let i = 0; i < RECORDS; i++) {
        chunk += record(i);
        if (chunk.length >= 64 * 1024) {
          bytesSent += chunk.length;
          if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
          chunk = "";
        }
      }
      bytesSent += chunk.length;
      res.end(chunk);
    });
    const { client } = testClient(server.url);
    gc();
    const before = process.memoryUsage();
    let maxHeap = 0;
    let maxRss = 0;
    let count = 0;
    let nextCheck = 40_000;
    let lastId = -1;
    for await (const batch of client.exportJsonBatches({ dataTypeName: "emailSend", range: "All" })) {
      count += batch.length;
      lastId = batch[batch.length - 1]?.["contentId"] as number;
      if (count >= nextCheck) {
        nextCheck += 40_000;
        gc();
        const now = process.memoryUsage();
        maxHeap = Math.max(maxHeap, now.heapUsed - before.heapUsed);
        maxRss = Math.max(maxRss, now.rss - before.rss);
      }
    }
    expect(count).toBe(RECORDS);
    expect(lastId).toBe(RECORDS - 1);
    expect(bytesSent).toBeGreaterThan(100 * MB);
    expect(maxHeap / MB).toBeLessThan(60);
    // RSS also holds this process's own test server and what the allocator has not returned yet:
    // a loose bound here; test/integration/export-memory.test.ts checks RSS with the server elsewhere.
    expect(maxRss / MB).toBeLessThan(150);
  });
});
