/**
 * Measures how fast the fake produces export data, so benchmarks of the
 * client are not limited by the server. Prints the rates; the floors are far
 * below the measured rates so a loaded machine does not fail them, but a
 * serializer that regressed to a fraction of its speed would.
 */
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { measureGeneration } from "../../../src/fake-iterable/index.js";
import { KEY, url, withFake } from "./helpers.js";

describe("fake Iterable throughput", () => {
  it("generates and serializes emailSend records well above what a client parses", () => {
    const r = measureGeneration("emailSend", 4);
    const fmt = (run: typeof r.best): string =>
      `${Math.round(run.recordsPerSecond).toLocaleString("en-US")} records/s, ${run.megabytesPerSecond.toFixed(0)} MB/s`;
    console.log(
      `emailSend generation (CPU time, ${r.runs} runs of ${r.best.records} records, ${Math.round(r.best.bytes / r.best.records)} B each): best ${fmt(r.best)}; median ${fmt(r.median)}` +
        " (vitest's module runner makes this slower than compiled code run by node)",
    );
    expect(r.best.records).toBeGreaterThan(90_000);
    expect(r.median.recordsPerSecond).toBeGreaterThan(80_000);
  });

  it("serves emailSend over HTTP to a reader that only counts bytes", async () => {
    await withFake({ eventsPerDay: 2_400_000 }, async (fake) => {
      const target = url(fake, "/api/export/data.json", { dataTypeName: "emailSend", startDateTime: "2025-05-01 00:00:00", endDateTime: "2025-05-01 03:00:00" });
      const t0 = performance.now();
      const { bytes, lines } = await new Promise<{ bytes: number; lines: number }>((resolve, reject) => {
        const req = request(target, { headers: { "Api-Key": KEY } }, (res) => {
          let bytes = 0;
          let lines = 0;
          res.on("data", (c: Buffer) => {
            bytes += c.length;
            for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
          });
          res.on("end", () => resolve({ bytes, lines }));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
      });
      const seconds = (performance.now() - t0) / 1000;
      console.log(
        `emailSend over HTTP: ${Math.round(lines / seconds).toLocaleString("en-US")} records/s, ${(bytes / seconds / 1e6).toFixed(0)} MB/s (${lines} records, wall time, server and reader on one thread)`,
      );
      expect(lines).toBeGreaterThan(250_000);
      expect(lines / seconds).toBeGreaterThan(25_000);
    });
  });
});
