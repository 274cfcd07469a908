import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { countExportRecords, generatorConfig } from "../../../src/fake-iterable/index.js";
import { BASE_OPTIONS, DAY, exportQuery, KEY, NOW, url, withFake } from "./helpers.js";

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe("streaming exports", () => {
  it("streams a 200k-record window with flat server memory", async () => {
    const eventsPerDay = 100_000;
    await withFake({ eventsPerDay }, async (fake) => {
      const window = { start: NOW - 2 * DAY - 3_600_000, end: NOW };
      const expected = countExportRecords({ ...generatorConfig({ ...BASE_OPTIONS, eventsPerDay }), now: NOW }, "emailSend", window);
      expect(expected).toBeGreaterThan(200_000);
      globalThis.gc?.();
      const base = memory();
      let peak = base;
      let lines = 0;
      let bytes = 0;
      const res = await fetch(url(fake, "/api/export/data.json", exportQuery("emailSend", window.start, window.end)), { headers: { "Api-Key": KEY } });
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
        peak = Math.max(peak, memory());
      }
      expect(lines).toBe(expected);
      expect(bytes).toBeGreaterThan(90 * 1024 * 1024);
      // Building the body in memory would need more than the body's size.
      expect(peak - base).toBeLessThan(64 * 1024 * 1024);
    });
  });

  it("stops generating when the client disconnects", async () => {
    await withFake({ eventsPerDay: 50_000_000 }, async (fake) => {
      const ac = new AbortController();
      const res = await fetch(url(fake, "/api/export/data.json", { dataTypeName: "emailSend", range: "All" }), {
        headers: { "Api-Key": KEY },
        signal: ac.signal,
      });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let got = 0;
      while (got < 1_000_000) got += (await reader.read()).value?.length ?? 0;
      ac.abort();
      await sleep(300);
      const served = fake.stats().recordsServed["export.json"] ?? 0;
      const cpu0 = process.cpuUsage();
      await sleep(700);
      const cpu = process.cpuUsage(cpu0);
      expect(fake.stats().recordsServed["export.json"]).toBe(served);
      expect(fake.stats().inFlight).toBe(0);
      // A runaway generator would burn ~700 ms of CPU here.
      expect((cpu.user + cpu.system) / 1000).toBeLessThan(300);
      expect(served).toBeLessThan(100_000);
    });
  });

  it("waits for a client that stops reading instead of buffering the body", async () => {
    await withFake({ eventsPerDay: 200_000 }, async (fake) => {
      const target = url(fake, "/api/export/data.json", { dataTypeName: "emailSend", range: "Yesterday" });
      const total = countExportRecords({ ...generatorConfig({ ...BASE_OPTIONS, eventsPerDay: 200_000 }), now: NOW }, "emailSend", { start: NOW - 12 * 3_600_000 - DAY, end: NOW - 12 * 3_600_000 });
      await new Promise<void>((resolve, reject) => {
        const req = request(target, { headers: { "Api-Key": KEY } }, (res) => {
          res.pause();
          void (async () => {
            await sleep(800);
            const whilePaused = fake.stats().recordsServed["export.json"] ?? 0;
            // Socket buffers hold a few MB at most (~10k records); the day is ~120 MB.
            expect(whilePaused).toBeLessThan(total / 8);
            await sleep(300);
            expect(fake.stats().recordsServed["export.json"]).toBe(whilePaused);
            let lines = 0;
            res.on("data", (c: Buffer) => {
              for (let i = 0; i < c.length; i++) if (c[i] === 10) lines++;
            });
            res.on("end", () => {
              try {
                expect(lines).toBe(total);
                resolve();
              } catch (e) {
                reject(e as Error);
              }
            });
            res.resume();
          })().catch(reject);
        });
        req.on("error", reject);
        req.end();
      });
    });
  });
});
