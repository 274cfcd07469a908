import { describe, expect, it } from "vitest";
import { EXPORT_DATA_TYPES } from "../../../src/iterable/types.js";
import { exportRecords, fieldsOf, generatorConfig, keyFieldOf, type GeneratorConfig } from "../../../src/fake-iterable/index.js";
import { BASE_OPTIONS, DAY, exportQuery, get, HOUR, ndjson, NOW, parseCsv, withFake } from "./helpers.js";

const cfg: GeneratorConfig = { ...generatorConfig(BASE_OPTIONS), now: NOW };
const start = Date.UTC(2025, 4, 10, 3);

describe("GET /api/export/data.json", () => {
  it("streams every type's records as NDJSON, exactly what exportRecords computes", async () => {
    await withFake({}, async (fake) => {
      for (const type of EXPORT_DATA_TYPES) {
        const window = type === "user" ? { start: cfg.dataStart, end: NOW } : { start, end: start + 2 * HOUR };
        const r = await get(fake, "/api/export/data.json", exportQuery(type, window.start, window.end));
        expect(r.status, type).toBe(200);
        expect(r.type).toBe("text/plain; charset=utf-8");
        const served = ndjson(r.text);
        expect(served.length, type).toBeGreaterThan(10);
        expect(served, type).toEqual([...exportRecords(cfg, type, window)]);
      }
    });
  });

  it("escapes quotes, backslashes and control characters and keeps unicode raw", async () => {
    await withFake({}, async (fake) => {
      const r = await get(fake, "/api/export/data.json", exportQuery("customEvent", start, start + 12 * HOUR));
      expect(r.text).toContain('\\"');
      expect(r.text).toContain("\\n");
      expect(r.text).toContain("\\t");
      expect(r.text).toContain("\\\\");
      expect(r.text).toMatch(/🎉|café|Zoë|Très/);
      expect(r.text).not.toMatch(/\\u00e9|\\ud83c/);
      const queries = ndjson(r.text).map((e) => e["searchQuery"]).filter((q) => typeof q === "string");
      expect(queries).toContain("line one\nline two");
      expect(queries).toContain('shoes "red"');
      expect(queries).toContain("C:\\temp\\file");
    });
  });

  it("answers an empty body for a window without data", async () => {
    await withFake({}, async (fake) => {
      const before = await get(fake, "/api/export/data.json", exportQuery("emailSend", Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 2)));
      expect(before.status).toBe(200);
      expect(before.text).toBe("");
      const future = await get(fake, "/api/export/data.json", exportQuery("emailSend", NOW + DAY, NOW + 2 * DAY));
      expect(future.text).toBe("");
    });
  });

  it("accepts emailUnsubscribe as well as emailUnSubscribe", async () => {
    await withFake({}, async (fake) => {
      const a = await get(fake, "/api/export/data.json", exportQuery("emailUnSubscribe", start, start + HOUR));
      const b = await get(fake, "/api/export/data.json", exportQuery("emailUnsubscribe", start, start + HOUR));
      expect(a.status).toBe(200);
      expect(b.text).toBe(a.text);
      expect(a.text.length).toBeGreaterThan(0);
    });
  });

  it("accepts dates with a zone, without one (UTC), in ISO 8601 and as bare days", async () => {
    await withFake({}, async (fake) => {
      const base = await get(fake, "/api/export/data.json", exportQuery("emailOpen", start, start + HOUR));
      const forms = [
        { startDateTime: "2025-05-10 03:00:00 +00:00", endDateTime: "2025-05-10 04:00:00 +00:00" },
        { startDateTime: "2025-05-10 12:00:00 +09:00", endDateTime: "2025-05-10 13:00:00 +0900" },
        { startDateTime: "2025-05-10T03:00:00Z", endDateTime: "2025-05-10T04:00:00.000Z" },
        { startDateTime: "2025-05-09T23:00:00-04:00", endDateTime: "2025-05-10T00:00:00-04:00" },
      ];
      for (const f of forms) {
        const r = await get(fake, "/api/export/data.json", { dataTypeName: "emailOpen", ...f });
        expect(r.text, JSON.stringify(f)).toBe(base.text);
      }
      const day = await get(fake, "/api/export/data.json", { dataTypeName: "emailOpen", startDateTime: "2025-05-10", endDateTime: "2025-05-11" });
      const times = ndjson(day.text).map((e) => String(e["createdAt"]));
      expect(times.every((t) => t.startsWith("2025-05-10 "))).toBe(true);
      expect(times.length).toBeGreaterThan(800);
    });
  });

  it("reads range relative to now in UTC days: Today, Yesterday, BeforeToday, All", async () => {
    await withFake({ eventsPerDay: 48 }, async (fake) => {
      const dates = async (range: string): Promise<string[]> =>
        ndjson((await get(fake, "/api/export/data.json", { dataTypeName: "emailClick", range })).text).map((e) => String(e["createdAt"]));
      const today = await dates("Today");
      expect(today.length).toBeGreaterThan(10);
      expect(today.every((t) => t >= "2025-06-01 00:00:00" && t < "2025-06-01 12:00:00")).toBe(true);
      const yesterday = await dates("Yesterday");
      expect(yesterday.length).toBeGreaterThan(30);
      expect(yesterday.every((t) => t.startsWith("2025-05-31 "))).toBe(true);
      const beforeToday = await dates("BeforeToday");
      expect(beforeToday.every((t) => t < "2025-06-01 00:00:00")).toBe(true);
      expect(beforeToday.some((t) => t.startsWith("2025-01-01 "))).toBe(true);
      const all = await dates("All");
      expect(all).toEqual([...beforeToday, ...today]);
    });
  });

  it("follows a moving now when none is frozen, and never serves the future", async () => {
    const { FakeClock } = await import("../../../src/clock.js");
    const clock = new FakeClock(Date.UTC(2025, 2, 1, 10, 30));
    await withFake({ now: undefined, clock, eventsPerDay: 480 }, async (fake) => {
      const q = exportQuery("emailSend", Date.UTC(2025, 2, 1), Date.UTC(2025, 2, 2));
      const first = ndjson((await get(fake, "/api/export/data.json", q)).text);
      clock.advance(HOUR);
      const later = ndjson((await get(fake, "/api/export/data.json", q)).text);
      expect(first.every((e) => String(e["createdAt"]) < "2025-03-01 10:30:00")).toBe(true);
      expect(later.length).toBeGreaterThan(first.length);
      expect(later.slice(0, first.length)).toEqual(first);
      expect(later.every((e) => String(e["createdAt"]) < "2025-03-01 11:30:00")).toBe(true);
    });
  });

  it("keeps only onlyFields (repeated or comma separated) and drops omitFields", async () => {
    await withFake({}, async (fake) => {
      const q = exportQuery("emailSend", start, start + HOUR);
      const repeated = ndjson((await get(fake, "/api/export/data.json", { ...q, onlyFields: ["messageId", "createdAt"] })).text);
      const comma = ndjson((await get(fake, "/api/export/data.json", { ...q, onlyFields: "messageId,createdAt" })).text);
      expect(repeated.length).toBeGreaterThan(10);
      expect(comma).toEqual(repeated);
      for (const r of repeated) expect(Object.keys(r)).toEqual(["createdAt", "messageId"]);
      const omitted = ndjson((await get(fake, "/api/export/data.json", { ...q, omitFields: "templateId,email" })).text);
      expect(omitted.length).toBe(repeated.length);
      for (const r of omitted) {
        expect(r).not.toHaveProperty("templateId");
        expect(r).not.toHaveProperty("email");
        expect(r).toHaveProperty("messageId");
      }
    });
  });

  it("keeps only one campaign's records with campaignId", async () => {
    await withFake({}, async (fake) => {
      const q = exportQuery("emailSend", start, start + 3 * HOUR);
      const all = ndjson((await get(fake, "/api/export/data.json", q)).text);
      const campaignId = all[0]?.["campaignId"] as number;
      const only = ndjson((await get(fake, "/api/export/data.json", { ...q, campaignId })).text);
      expect(only.length).toBeGreaterThan(0);
      expect(only).toEqual(all.filter((r) => r["campaignId"] === campaignId));
    });
  });

  it("answers 400 BadParams naming the parameter when something is missing or wrong", async () => {
    await withFake({}, async (fake) => {
      const cases: [Record<string, string>, RegExp][] = [
        [{ range: "Today" }, /dataTypeName is required/],
        [{ dataTypeName: "emailSends", range: "Today" }, /dataTypeName.*emailSends/],
        [{ dataTypeName: "emailSend" }, /range or both startDateTime and endDateTime/],
        [{ dataTypeName: "emailSend", startDateTime: "2025-05-01 00:00:00" }, /endDateTime is required/],
        [{ dataTypeName: "emailSend", startDateTime: "yesterday", endDateTime: "2025-05-01 00:00:00" }, /startDateTime is not a valid date: "yesterday"/],
        [{ dataTypeName: "emailSend", startDateTime: "2025-02-30 00:00:00", endDateTime: "2025-03-01 00:00:00" }, /startDateTime is not a valid date/],
        [{ dataTypeName: "emailSend", startDateTime: "2025-05-01 00:00:00", endDateTime: "2025-05-01 25:00:00" }, /endDateTime is not a valid date/],
        [{ dataTypeName: "emailSend", startDateTime: "2025-05-02 00:00:00", endDateTime: "2025-05-01 00:00:00" }, /startDateTime must not be after endDateTime/],
        [{ dataTypeName: "emailSend", range: "today" }, /range must be one of Today, Yesterday, BeforeToday, All/],
        [{ dataTypeName: "emailSend", range: "Today", campaignId: "abc" }, /campaignId must be an integer/],
        [{ dataTypeName: "emailSend", range: "Today", onlyFields: "email", omitFields: "userId" }, /onlyFields and omitFields/],
      ];
      for (const [query, message] of cases) {
        const r = await get(fake, "/api/export/data.json", query);
        expect(r.status, JSON.stringify(query)).toBe(400);
        const body = JSON.parse(r.text) as { msg: string; code: string; params: unknown };
        expect(body.code).toBe("BadParams");
        expect(body.msg).toMatch(message);
        expect(body).toHaveProperty("params");
      }
    });
  });

  it("writes the whole window in many chunks", async () => {
    await withFake({ eventsPerDay: 50_000 }, async (fake) => {
      const res = await fetch(`${fake.url}/api/export/data.json?dataTypeName=emailSend&range=Yesterday`, { headers: { "Api-Key": "test-key" } });
      expect(res.headers.get("transfer-encoding")).toBe("chunked");
      let chunks = 0;
      let lines = 0;
      const decoder = new TextDecoder();
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        chunks++;
        for (const ch of decoder.decode(chunk, { stream: true })) if (ch === "\n") lines++;
      }
      expect(lines).toBe([...exportRecords({ ...cfg, eventsPerDay: 50_000 }, "emailSend", { start: NOW - 12 * HOUR - DAY, end: NOW - 12 * HOUR })].length);
      expect(chunks).toBeGreaterThan(50);
      expect(fake.stats().recordsServed["export.json"]).toBe(lines);
    });
  });
});

describe("GET /api/export/data.csv", () => {
  it("has a header row of the type's fields, then one properly quoted row per record", async () => {
    await withFake({}, async (fake) => {
      for (const type of ["customEvent", "user", "purchase", "emailSend"]) {
        const window = type === "user" ? { start: cfg.dataStart, end: NOW } : { start, end: start + 6 * HOUR };
        const r = await get(fake, "/api/export/data.csv", exportQuery(type, window.start, window.end));
        expect(r.status).toBe(200);
        expect(r.type).toMatch(/^text\/csv/);
        const [header, ...rows] = parseCsv(r.text);
        expect(header).toEqual(fieldsOf(type));
        const records = [...exportRecords(cfg, type, window)];
        expect(rows).toHaveLength(records.length);
        rows.forEach((row, i) => {
          const rec = records[i] as Record<string, unknown>;
          expect(row).toHaveLength((header as string[]).length);
          (header as string[]).forEach((name, j) => {
            const v = rec[name];
            const text = v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
            expect(row[j], `${type}.${name}`).toBe(text);
          });
        });
      }
    });
  });

  it("uses the delimiter parameter and quotes cells that contain it", async () => {
    await withFake({}, async (fake) => {
      const q = exportQuery("customEvent", start, start + 6 * HOUR);
      const comma = parseCsv((await get(fake, "/api/export/data.csv", q)).text);
      const semi = await get(fake, "/api/export/data.csv", { ...q, delimiter: ";" });
      expect(parseCsv(semi.text, ";")).toEqual(comma);
      const tab = await get(fake, "/api/export/data.csv", { ...q, delimiter: "\t" });
      expect(tab.text.split("\n")[0]).toContain("createdAt\temail");
      expect(parseCsv(tab.text, "\t")).toEqual(comma);
      const bad = await get(fake, "/api/export/data.csv", { ...q, delimiter: "ab" });
      expect(bad.status).toBe(400);
      expect(bad.text).toMatch(/delimiter/);
    });
  });

  it("keeps only onlyFields in the header and the rows", async () => {
    await withFake({}, async (fake) => {
      const r = await get(fake, "/api/export/data.csv", { ...exportQuery("emailSend", start, start + HOUR), onlyFields: "messageId,createdAt" });
      const [header, ...rows] = parseCsv(r.text);
      expect(header).toEqual(["createdAt", "messageId"]);
      expect(rows.length).toBeGreaterThan(10);
      expect(new Set(rows.map((row) => row[1])).size).toBe(rows.length);
    });
  });

  it("serves the same keys as the JSON export", async () => {
    await withFake({}, async (fake) => {
      const q = exportQuery("smsReceived", start, start + 4 * HOUR);
      const json = ndjson((await get(fake, "/api/export/data.json", q)).text).map((r) => r[keyFieldOf("smsReceived") as string]);
      const [header, ...rows] = parseCsv((await get(fake, "/api/export/data.csv", q)).text);
      const idx = (header as string[]).indexOf(keyFieldOf("smsReceived") as string);
      expect(rows.map((r) => r[idx])).toEqual(json);
    });
  });

  it("keeps its rate budget apart from data.json", async () => {
    await withFake({ rateLimits: true }, async (fake) => {
      const q = exportQuery("emailSend", start, start + 60_000);
      for (let i = 0; i < 4; i++) expect((await get(fake, "/api/export/data.json", q)).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await get(fake, "/api/export/data.csv", q)).status).toBe(200);
      expect((await get(fake, "/api/export/data.json", q)).status).toBe(429);
      expect((await get(fake, "/api/export/data.csv", q)).status).toBe(429);
    });
  });
});
