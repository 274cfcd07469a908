/** The campaign source: which metric columns guess types double, and the bytes a run receives. */
import { afterEach, describe, expect, it } from "vitest";
import { parseLoadConfig } from "../../../src/connector/config.js";
import { createRowConverter } from "../../../src/connector/convert.js";
import { guessColumns } from "../../../src/connector/guess.js";
import { readSample } from "../../../src/connector/sample.js";
import { campaignSource, isFractionalMetricLabel } from "../../../src/connector/sources/campaign.js";
import type { SourceSlice } from "../../../src/connector/sources/source.js";
import { collect, startServer, testClient, type TestServer } from "../iterable/helpers.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CAMPAIGNS = {
  campaigns: [
    { id: 11, name: "Welcome", type: "Blast", campaignState: "Finished", messageMedium: "Email", createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000, createdByUserId: "m@example.com" },
    { id: 12, name: "Promo", type: "Blast", campaignState: "Running", messageMedium: "Email", createdAt: 1_700_000_100_000, updatedAt: 1_700_000_100_000, createdByUserId: "m@example.com" },
  ],
};

/** A campaign that earned nothing yet: money and ratios written `0` or `0.0`, counts `16.0`. */
const EARLY_METRICS =
  "id,Average Order Value,Purchases / M (Email),Revenue,Total Email Opens (filtered),Total Email Sends,Total Purchases\n" +
  "11,0,0,0.0,3.0,16.0,0\n12,0,0,0,0.0,4.0,0\n";
/** The same campaigns the day one of them sold something. */
const LATER_METRICS =
  "id,Average Order Value,Purchases / M (Email),Revenue,Total Email Opens (filtered),Total Email Sends,Total Purchases\n" +
  "11,19.99,62500.5,19.99,5.0,16.0,1\n12,0,0,0,0.0,4.0,0\n";

function serve(metrics: string): Promise<TestServer> {
  return startServer((req, res) => {
    if ((req.url ?? "").startsWith("/api/campaigns/metrics")) {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(metrics);
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(CAMPAIGNS));
    }
  });
}

function campaignConfig(baseUrl: string) {
  return parseLoadConfig(`in:\n  type: iterable\n  api_key: k\n  base_url: ${baseUrl}\n  data_type: campaign\n  number_of_ids_for_each_request: 20\n`, "seed.yml", {});
}

describe("isFractionalMetricLabel", () => {
  it.each([
    ["Revenue", true],
    ["Revenue / M (Email)", true],
    ["Average Order Value", true],
    ["Average Custom Conversion Value", true],
    ["Purchases / M (Web Push)", true],
    ["Sum of Custom Conversions", true],
    ["Open Rate", true],
    ["Total Email Sends", false],
    ["Total Purchases", false],
    ["Unique Email Opens (filtered)", false],
    ["Total Custom Conversions", false],
  ])("%s → %s", (label, fractional) => {
    expect(isFractionalMetricLabel(label)).toBe(fractional);
  });
});

describe("guessing campaign metrics", () => {
  it("types money, averages, per-mille and decimal-written metrics double, so a later 19.99 converts (regression)", async () => {
    server = await serve(EARLY_METRICS);
    const { client } = testClient(server.url);
    const { records, source } = await readSample(campaignConfig(server.url), client, { now: Date.UTC(2026, 0, 1), limit: 100 });
    expect(records).toHaveLength(2);
    const columns = guessColumns(records, { epochMillisFields: source.epochMillisFields, doubleFields: source.doubleFields });
    const typeOf = (name: string): string | undefined => columns.find((c) => c.name === name)?.type;
    expect(typeOf("average_order_value")).toBe("double");
    expect(typeOf("purchases_m_email")).toBe("double");
    expect(typeOf("revenue")).toBe("double");
    expect(typeOf("total_email_opens_filtered")).toBe("double");
    expect(typeOf("total_email_sends")).toBe("double");
    expect(typeOf("total_purchases")).toBe("long");
    expect(columns.some((c) => c.name.endsWith("_"))).toBe(false);
    await server.close();

    server = await serve(LATER_METRICS);
    const later = await readSample(campaignConfig(server.url), testClient(server.url).client, { now: Date.UTC(2026, 0, 2), limit: 100 });
    const converter = createRowConverter({ columns, uploadTime: 0, skipInvalidRecords: false });
    const row = converter.convert(later.records[0] as Record<string, unknown>, 1);
    expect(row?.[columns.findIndex((c) => c.name === "revenue")]).toBe(19.99);
    expect(row?.[columns.findIndex((c) => c.name === "average_order_value")]).toBe(19.99);
  });

  it("counts the bytes of the campaign list and the metrics responses it reads", async () => {
    server = await serve(EARLY_METRICS);
    const { client } = testClient(server.url);
    const source = campaignSource(campaignConfig(server.url), client, { now: Date.UTC(2026, 0, 1) });
    let bytes = 0;
    const slice = source.slices.next();
    expect(slice).toBeDefined();
    const batches = await collect((slice as SourceSlice).read({ onBytes: (n) => (bytes += n) }));
    expect(batches.flat()).toHaveLength(2);
    expect(bytes).toBe(Buffer.byteLength(JSON.stringify(CAMPAIGNS)) + Buffer.byteLength(EARLY_METRICS));
  });
});
