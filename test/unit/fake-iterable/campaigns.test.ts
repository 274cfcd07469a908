import { describe, expect, it } from "vitest";
import type { Campaign } from "../../../src/iterable/types.js";
import { campaignsFor, generatorConfig, metricColumns, metricsFor, MEDIUMS } from "../../../src/fake-iterable/index.js";
import { BASE_OPTIONS, get, parseCsv, withFake } from "./helpers.js";

const cfg = generatorConfig(BASE_OPTIONS);

interface Page {
  campaigns: Campaign[];
  nextPageUrl?: string;
  previousPageUrl?: string;
  totalCampaignsCount?: number;
}

describe("GET /api/campaigns", () => {
  it("returns every campaign unpaginated when no paging parameter is given", async () => {
    await withFake({}, async (fake) => {
      const r = await get(fake, "/api/campaigns");
      expect(r.status).toBe(200);
      expect(r.type).toBe("application/json");
      const body = JSON.parse(r.text) as Page;
      expect(body.campaigns).toEqual(campaignsFor(cfg));
      expect(body.campaigns).toHaveLength(50);
      expect(body).not.toHaveProperty("nextPageUrl");
      expect(body).not.toHaveProperty("totalCampaignsCount");
    });
  });

  it("pages with absolute nextPageUrl links until the last page", async () => {
    await withFake({ campaigns: 45 }, async (fake) => {
      let next: string | undefined = `${fake.url}/api/campaigns?page=1&pageSize=20`;
      const seen: Campaign[] = [];
      const pages: Page[] = [];
      while (next !== undefined) {
        const res = await fetch(next, { headers: { "Api-Key": "test-key" } });
        const page = (await res.json()) as Page;
        pages.push(page);
        seen.push(...page.campaigns);
        next = page.nextPageUrl;
        if (next !== undefined) expect(next.startsWith(`${fake.url}/api/campaigns?`)).toBe(true);
      }
      expect(pages.map((p) => p.campaigns.length)).toEqual([20, 20, 5]);
      expect(pages.every((p) => p.totalCampaignsCount === 45)).toBe(true);
      expect(pages[0]).not.toHaveProperty("previousPageUrl");
      expect(pages[2]?.previousPageUrl).toBe(`${fake.url}/api/campaigns?page=2&pageSize=20`);
      expect(seen).toEqual(campaignsFor({ ...cfg, campaigns: 45 }));
    });
  });

  it("defaults pageSize to 20 and refuses more than 1000 or a page below 1", async () => {
    await withFake({}, async (fake) => {
      const first = JSON.parse((await get(fake, "/api/campaigns", { page: 1 })).text) as Page;
      expect(first.campaigns).toHaveLength(20);
      const big = await get(fake, "/api/campaigns", { page: 1, pageSize: 1001 });
      expect(big.status).toBe(400);
      expect(JSON.parse(big.text)).toMatchObject({ code: "BadParams", msg: expect.stringMatching(/pageSize/) });
      const zero = await get(fake, "/api/campaigns", { page: 0, pageSize: 10 });
      expect(zero.status).toBe(400);
      expect(zero.text).toMatch(/page must be 1 or more/);
    });
  });

  it("sorts by a field, descending with a minus", async () => {
    await withFake({}, async (fake) => {
      const body = JSON.parse((await get(fake, "/api/campaigns", { sort: "-createdAt" })).text) as Page;
      const times = body.campaigns.map((c) => c.createdAt);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect((await get(fake, "/api/campaigns", { sort: "color" })).status).toBe(400);
    });
  });

  it("gives campaigns Iterable's fields with epoch-millisecond times and unicode names", () => {
    const all = campaignsFor(cfg);
    const ids = all.map((c) => c.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of all) {
      expect(["Blast", "Triggered"]).toContain(c.type);
      expect(MEDIUMS).toContain(c.messageMedium);
      expect(String(c.createdAt)).toMatch(/^\d{13}$/);
      expect(c.updatedAt).toBeGreaterThanOrEqual(c.createdAt);
      expect(c.createdByUserId).toMatch(/@/);
      expect(Number.isInteger(c.templateId)).toBe(true);
      expect(Array.isArray(c.listIds)).toBe(true);
      if (c.endedAt !== undefined) expect(c.endedAt).toBeGreaterThan(c.startAt as number);
    }
    expect(all.some((c) => /[\u0080-\uffff]/.test(c.name))).toBe(true);
    expect(new Set(all.map((c) => c.campaignState)).size).toBeGreaterThan(3);
  });
});

describe("GET /api/campaigns/metrics", () => {
  const byMedium = (m: string): Campaign => campaignsFor(cfg).find((c) => c.messageMedium === m) as Campaign;

  it("answers CSV with an id column and the medium's labels, one row per known id", async () => {
    await withFake({}, async (fake) => {
      const email = byMedium("Email");
      const r = await get(fake, "/api/campaigns/metrics", { campaignId: [email.id, 999] });
      expect(r.status).toBe(200);
      expect(r.type).toMatch(/^text\/plain/);
      const [header, ...rows] = parseCsv(r.text);
      expect(header).toEqual(["id", ...metricColumns("Email")]);
      expect(header).toEqual(expect.arrayContaining(["Total Email Sends", "Unique Email Opens", "Revenue", "Purchases / M (Email)"]));
      expect(rows).toHaveLength(1);
      expect(rows[0]?.[0]).toBe(String(email.id));
      for (const cell of rows[0]?.slice(1) ?? []) expect(cell).toMatch(/^\d+(\.\d{1,2})?$/);
    });
  });

  it("uses Pushes and Web Push labels for those mediums", () => {
    expect(metricColumns("Push")).toEqual(expect.arrayContaining(["Total Pushes Sent", "Total Pushes Delivered", "Total Pushes Bounced", "Total Pushes Opened"]));
    expect(metricColumns("WebPush")).toEqual(expect.arrayContaining(["Total Web Push Sends", "Total Web Push Clicks"]));
  });

  it("gives a mixed batch the union of columns with empty cells, quoting labels with commas and quotes", async () => {
    await withFake({}, async (fake) => {
      const ids = MEDIUMS.map((m) => byMedium(m).id);
      const r = await get(fake, "/api/campaigns/metrics", { campaignId: ids });
      const headerLine = r.text.split("\n")[0] as string;
      expect(headerLine).toContain('"Total In-App Closes (""X"", back)"');
      const [header, ...rows] = parseCsv(r.text);
      const union = ["id", ...new Set(MEDIUMS.flatMap((m) => metricColumns(m)))];
      expect(header).toEqual(union);
      expect(rows.map((row) => Number(row[0]))).toEqual(ids);
      const table = metricsFor(cfg, ids);
      rows.forEach((row, i) => {
        expect(row).toHaveLength(union.length);
        const expected = table.rows[i] as Record<string, number>;
        union.forEach((col, j) => expect(row[j]).toBe(expected[col] === undefined ? "" : String(expected[col])));
      });
      const emailRow = rows[0] as string[];
      expect(emailRow[union.indexOf("Total Pushes Sent")]).toBe("");
      expect(emailRow[union.indexOf("Total Email Sends")]).not.toBe("");
    });
  });

  it("accepts comma-separated ids and the three date forms, and is deterministic per window", async () => {
    await withFake({}, async (fake) => {
      const a = byMedium("Email").id;
      const b = byMedium("SMS").id;
      const w1 = await get(fake, "/api/campaigns/metrics", { campaignId: `${a},${b}`, startDateTime: "2025-01-01", endDateTime: "2025-02-01" });
      const w2 = await get(fake, "/api/campaigns/metrics", { campaignId: [a, b], startDateTime: "2025-01-01T00:00:00Z", endDateTime: "2025-02-01 00:00:00" });
      expect(w2.text).toBe(w1.text);
      const again = await get(fake, "/api/campaigns/metrics", { campaignId: [a, b], startDateTime: "2025-01-01", endDateTime: "2025-02-01", useNewFormat: "true" });
      expect(again.text).toBe(w1.text);
      const other = await get(fake, "/api/campaigns/metrics", { campaignId: [a, b], startDateTime: "2025-01-01", endDateTime: "2025-03-01" });
      expect(other.text).not.toBe(w1.text);
    });
  });

  it("answers 400 for a missing or non-numeric campaignId or a bad date", async () => {
    await withFake({}, async (fake) => {
      expect(JSON.parse((await get(fake, "/api/campaigns/metrics")).text)).toMatchObject({ code: "BadParams", msg: expect.stringMatching(/campaignId is required/) });
      expect((await get(fake, "/api/campaigns/metrics", { campaignId: "x1" })).text).toMatch(/campaignId must be an integer/);
      expect((await get(fake, "/api/campaigns/metrics", { campaignId: 1, startDateTime: "01/02/2025" })).text).toMatch(/startDateTime is not a valid date/);
    });
  });

  it("answers a header-only body when no id is known", async () => {
    await withFake({}, async (fake) => {
      const r = await get(fake, "/api/campaigns/metrics", { campaignId: [1, 2] });
      expect(r.status).toBe(200);
      expect(r.text).toBe("id\n");
    });
  });
});
