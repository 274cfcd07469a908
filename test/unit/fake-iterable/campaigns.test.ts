import { describe, expect, it } from "vitest";
import type { Campaign } from "../../../src/iterable/types.js";
import { campaignsFor, generatorConfig, metricColumns, metricsFor, metricText, MEDIUMS } from "../../../src/fake-iterable/index.js";
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
      expect(rows).toHaveLength(1);
      expect(rows[0]?.[0]).toBe(String(email.id));
    });
  });

  it("writes the labels after id in alphabetical order, as Iterable does", () => {
    for (const m of MEDIUMS) {
      const labels = metricColumns(m);
      expect(labels, m).toEqual([...labels].sort());
      expect(new Set(labels).size, m).toBe(labels.length);
    }
    expect(metricColumns("Email").slice(0, 6)).toEqual([
      "Average Custom Conversion Value",
      "Average Order Value",
      "Purchases / M (Email)",
      "Revenue",
      "Revenue / M (Email)",
      "Sum of Custom Conversions",
    ]);
    const email = metricColumns("Email");
    expect(email.indexOf("Total Email Opens")).toBeLessThan(email.indexOf("Total Email Opens (filtered)"));
    expect(email.indexOf("Total Email Send Skips")).toBeLessThan(email.indexOf("Total Email Sends"));
    expect(email.indexOf("Total Email Sends")).toBeLessThan(email.indexOf("Total Emails Bounced"));
  });

  it("writes every value with a decimal point, counts and money alike", async () => {
    expect([0, 16, 19.99, 0.5, 1234567].map(metricText)).toEqual(["0.0", "16.0", "19.99", "0.5", "1234567.0"]);
    await withFake({}, async (fake) => {
      const ids = MEDIUMS.map((m) => byMedium(m).id);
      const [, ...rows] = parseCsv((await get(fake, "/api/campaigns/metrics", { campaignId: ids })).text);
      const cells = rows.flatMap((row) => row.slice(1)).filter((cell) => cell !== "");
      expect(cells.length).toBeGreaterThan(80);
      for (const cell of cells) expect(cell).toMatch(/^\d+\.\d{1,2}$/);
      expect(cells).toContain("0.0");
      expect(cells.some((cell) => /\.[1-9]/.test(cell))).toBe(true);
    });
  });

  it("uses Iterable's labels: holdouts, send skips, filtered opens, unique sends, app uninstalls", () => {
    expect(metricColumns("Email")).toEqual(
      expect.arrayContaining([
        "Total Email Sends",
        "Unique Email Sends",
        "Total Email Opens (filtered)",
        "Unique Email Opens (filtered)",
        "Unique Email Opens Or Clicks",
        "Total Email Holdout",
        "Total Email Send Skips",
        "Revenue",
        "Average Order Value",
        "Purchases / M (Email)",
        "Revenue / M (Email)",
      ]),
    );
    expect(metricColumns("Push")).toEqual(expect.arrayContaining(["Total Pushes Sent", "Total App Uninstalls", "Total Push Holdout", "Total Push Send Skips"]));
    expect(metricColumns("Push")).not.toContain("Total Push Uninstalls");
    expect(metricColumns("WebPush")).toEqual(
      expect.arrayContaining(["Total Web Pushes Sent", "Unique Web Pushes Sent", "Total Web Push Clicks", "Total WebPush Holdout", "Total Web Push Send Skips"]),
    );
    expect(metricColumns("SMS")).toEqual(expect.arrayContaining(["Total SMS Sent", "Total SMS Holdout", "Total SMS Send Skips", "Total Inbound SMS"]));
  });

  it("gives web push no per-mille columns", () => {
    expect(metricColumns("WebPush").filter((l) => l.includes(" / M"))).toEqual([]);
    for (const m of MEDIUMS.filter((x) => x !== "WebPush")) expect(metricColumns(m).some((l) => l.startsWith("Purchases / M (")), m).toBe(true);
  });

  it("keeps each funnel consistent: uniques within totals, deliveries within sends", () => {
    const email = byMedium("Email");
    const [row] = metricsFor(cfg, [email.id]).rows;
    const v = (label: string): number => (row as Record<string, number>)[label] as number;
    expect(v("Total Email Sends")).toBeGreaterThan(0);
    expect(v("Unique Email Sends")).toBeLessThanOrEqual(v("Total Email Sends"));
    expect(v("Total Emails Delivered") + v("Total Emails Bounced")).toBe(v("Total Email Sends"));
    expect(v("Total Email Opens (filtered)")).toBeLessThanOrEqual(v("Total Email Opens"));
    expect(v("Unique Email Opens")).toBeLessThanOrEqual(v("Unique Email Opens Or Clicks"));
    expect(v("Unique Purchases")).toBeLessThanOrEqual(v("Total Purchases"));
  });

  it("gives a mixed batch the union of columns, sorted, with empty cells, quoting labels with commas and quotes", async () => {
    await withFake({}, async (fake) => {
      const ids = MEDIUMS.map((m) => byMedium(m).id);
      const r = await get(fake, "/api/campaigns/metrics", { campaignId: ids });
      const headerLine = r.text.split("\n")[0] as string;
      expect(headerLine).toContain('"Total In-App Closes (""X"", back)"');
      const [header, ...rows] = parseCsv(r.text);
      const union = ["id", ...[...new Set(MEDIUMS.flatMap((m) => metricColumns(m)))].sort()];
      expect(header).toEqual(union);
      expect(rows.map((row) => Number(row[0]))).toEqual(ids);
      const table = metricsFor(cfg, ids);
      rows.forEach((row, i) => {
        expect(row).toHaveLength(union.length);
        const expected = table.rows[i] as Record<string, number>;
        union.forEach((col, j) => {
          if (j === 0) return;
          expect(row[j]).toBe(expected[col] === undefined ? "" : metricText(expected[col]));
        });
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
