import { describe, expect, it } from "vitest";
import { EXPORT_DATA_TYPES } from "../../../src/iterable/types.js";
import { CATALOG } from "../../../src/fake-iterable/catalog.js";
import {
  countExportRecords,
  exportRecords,
  fieldsOf,
  generatorConfig,
  keyFieldOf,
  type GeneratorConfig,
} from "../../../src/fake-iterable/index.js";
import { DAY, HOUR, NOW } from "./helpers.js";

const cfg: GeneratorConfig = { ...generatorConfig({ seed: 7, eventsPerDay: 2400 }), now: NOW };
const day = { start: Date.UTC(2025, 4, 20), end: Date.UTC(2025, 4, 21) };

function ids(type: string, window: { start: number; end: number }, config = cfg): string[] {
  const key = keyFieldOf(type) as string;
  return [...exportRecords(config, type, window)].map((r) => String(r[key]));
}

function parseExportTime(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) \+00:00$/.exec(s) ?? /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})\+00:00$/.exec(s);
  if (!m) throw new Error(`not an export time: ${s}`);
  return Date.parse(`${m[1] as string}T${m[2] as string}Z`);
}

describe("fake Iterable data generator", () => {
  it("the embedded catalog covers exactly the 53 export types", () => {
    expect(Object.keys(CATALOG).sort()).toEqual([...EXPORT_DATA_TYPES].sort());
    expect(EXPORT_DATA_TYPES).toHaveLength(53);
  });

  it("the same window gives the same records every time", () => {
    const a = [...exportRecords(cfg, "emailSend", day)];
    const b = [...exportRecords({ ...cfg }, "emailSend", day)];
    expect(a.length).toBeGreaterThan(2000);
    expect(b).toEqual(a);
  });

  it("a different seed gives different records", () => {
    const other = ids("emailSend", day, { ...cfg, seed: 8 });
    const mine = new Set(ids("emailSend", day));
    expect(other.filter((id) => mine.has(id))).toHaveLength(0);
  });

  it("two adjacent windows partition the window they make up, to the second", () => {
    const cut = day.start + 7 * HOUR + 13 * 60_000 + 17_000;
    const small = { ...cfg, eventsPerDay: 240 };
    for (const type of ["emailOpen", "customEvent", "user"]) {
      const whole = ids(type, { start: day.start - 60 * DAY, end: day.end }, small);
      const left = ids(type, { start: day.start - 60 * DAY, end: cut }, small);
      const right = ids(type, { start: cut, end: day.end }, small);
      expect(whole.length).toBeGreaterThan(0);
      expect([...left, ...right]).toEqual(whole);
    }
  });

  it("counts a window's records without generating them", () => {
    for (const type of ["emailSend", "user", "smsReceived"]) {
      const w = { start: day.start - 3 * DAY + 1234, end: day.end - 5 * HOUR };
      expect(countExportRecords(cfg, type, w)).toBe([...exportRecords(cfg, type, w)].length);
    }
  });

  it("holds about eventsPerDay records per day for each type", () => {
    for (const type of ["emailSend", "inAppClick", "whatsAppSeen"]) {
      const n = countExportRecords(cfg, type, { start: day.start - 9 * DAY, end: day.end });
      expect(n / 10).toBeGreaterThan(2400 * 0.95);
      expect(n / 10).toBeLessThan(2400 * 1.05);
    }
  });

  it("never returns a record at or after now, nor before dataStart", () => {
    const w = { start: Date.UTC(2024, 0, 1), end: NOW + 5 * DAY };
    const small = { ...cfg, eventsPerDay: 50 };
    const times = [...exportRecords(small, "emailClick", w)].map((r) => parseExportTime(r["createdAt"] as string));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(cfg.dataStart);
    expect(Math.max(...times)).toBeLessThan(NOW);
    expect(Math.max(...times)).toBeGreaterThan(NOW - HOUR);
    const users = [...exportRecords(small, "user", w)].map((r) => parseExportTime(r["profileUpdatedAt"] as string));
    expect(users.length).toBeGreaterThan(0);
    expect(Math.max(...users)).toBeLessThan(NOW);
  });

  it("filters events by createdAt and users by profileUpdatedAt within the window", () => {
    const w = { start: day.start + 5 * HOUR + 30_000, end: day.start + 9 * HOUR + 1_000 };
    for (const r of exportRecords(cfg, "pushOpen", w)) {
      const t = parseExportTime(r["createdAt"] as string);
      expect(t >= w.start && t < w.end).toBe(true);
    }
    const uw = { start: cfg.dataStart + 30 * DAY, end: cfg.dataStart + 90 * DAY };
    const users = [...exportRecords(cfg, "user", uw)];
    expect(users.length).toBeGreaterThan(100);
    for (const r of users) {
      const t = parseExportTime(r["profileUpdatedAt"] as string);
      expect(t >= uw.start && t < uw.end).toBe(true);
    }
  });

  it("gives every record a messageId unique across types and hours", () => {
    const seen = new Set<string>();
    let total = 0;
    const big = { ...cfg, eventsPerDay: 20_000 };
    // Another eventsPerDay is another data set, so its window must not overlap `day`.
    for (const id of ids("emailSend", { start: day.start - 4 * DAY, end: day.start - DAY }, big)) {
      seen.add(id);
      total++;
    }
    for (const type of EXPORT_DATA_TYPES) {
      if (keyFieldOf(type) !== "messageId") continue;
      for (const id of ids(type, day)) {
        expect(id).toMatch(/^[0-9a-f]{32}$/);
        seen.add(id);
        total++;
      }
    }
    expect(total).toBeGreaterThan(150_000);
    expect(seen.size).toBe(total);
  });

  it.each(EXPORT_DATA_TYPES.map((t) => [t]))("%s records have the catalog's required fields and a unique key", (type) => {
    const window = type === "user" ? { start: cfg.dataStart, end: NOW } : { start: day.start, end: day.start + 2 * HOUR };
    const records = [...exportRecords(cfg, type, window)];
    expect(records.length).toBeGreaterThan(100);
    const catalog = CATALOG[type];
    const required = Object.entries(catalog).filter(([, t]) => !t.endsWith("?")).map(([f]) => f);
    const allowed = new Set(fieldsOf(type));
    const key = keyFieldOf(type) as string;
    const keys = new Set<unknown>();
    for (const r of records) {
      for (const f of required) {
        expect(r[f], `${type}.${f}`).not.toBeUndefined();
        expect(r[f], `${type}.${f}`).not.toBeNull();
      }
      for (const f of Object.keys(r)) expect(allowed.has(f), `${type} has unexpected field ${f}`).toBe(true);
      expect(typeof r[key]).toBe("string");
      keys.add(r[key]);
      const time = type === "user" ? r["profileUpdatedAt"] : r["createdAt"];
      expect(time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+00:00$/);
    }
    expect(keys.size).toBe(records.length);
    for (const [f, t] of Object.entries(catalog)) {
      const base = t.replace("?", "");
      for (const r of records) {
        const v = r[f];
        if (v === undefined || v === null) continue;
        if (base === "integer") expect(Number.isInteger(v), `${type}.${f}`).toBe(true);
        if (base === "number") expect(typeof v, `${type}.${f}`).toBe("number");
        if (base === "boolean") expect(typeof v, `${type}.${f}`).toBe("boolean");
        if (base === "string" || base === "timestamp") expect(typeof v, `${type}.${f}`).toBe("string");
        if (base === "array") expect(Array.isArray(v), `${type}.${f}`).toBe(true);
        if (base === "object") expect(typeof v === "object" && !Array.isArray(v), `${type}.${f}`).toBe(true);
      }
    }
  });

  it("makes optional fields sometimes null and sometimes absent", () => {
    const records = [...exportRecords(cfg, "emailOpen", day)];
    const cities = records.map((r) => r["city"]);
    expect(cities.filter((c) => c === null).length).toBeGreaterThan(records.length * 0.02);
    expect(cities.filter((c) => c === undefined).length).toBeGreaterThan(records.length * 0.02);
    expect(cities.filter((c) => typeof c === "string").length).toBeGreaterThan(records.length * 0.8);
  });

  it("writes createdAt in Iterable's export form", () => {
    const [first] = exportRecords(cfg, "emailSend", day);
    expect(first?.["createdAt"]).toMatch(/^2025-05-20 \d{2}:\d{2}:\d{2} \+00:00$/);
  });

  it("leaves itblInternal out of every event type's rows, as data.json does", () => {
    for (const type of EXPORT_DATA_TYPES.filter((t) => t !== "user")) {
      expect(fieldsOf(type), type).not.toContain("itblInternal");
      for (const r of exportRecords(cfg, type, { start: day.start, end: day.start + HOUR })) {
        expect(Object.keys(r).some((k) => k.startsWith("itblInternal")), type).toBe(false);
      }
    }
  });

  it("puts unicode in names and cities", () => {
    const users = [...exportRecords(cfg, "user", { start: cfg.dataStart, end: NOW })];
    const text = JSON.stringify(users);
    expect(text).toMatch(/Zoë|José|Björn|Søren/);
    expect(text).toMatch(/東京|서울|São Paulo|Zürich/);
  });

  it("exports users with dotted itblInternal keys, int arrays, custom fields and profileUpdatedAt in the export form", () => {
    const users = [...exportRecords(cfg, "user", { start: cfg.dataStart, end: NOW })];
    expect(users.length).toBeGreaterThan(300);
    const withDomain = users.filter((u) => typeof u["itblInternal.emailDomain"] === "string");
    expect(withDomain.length).toBeGreaterThan(users.length * 0.8);
    for (const u of withDomain) expect(String(u["email"]).endsWith(`@${String(u["itblInternal.emailDomain"])}`)).toBe(true);
    expect(users.some((u) => typeof u["itblInternal.documentCreatedAt"] === "string")).toBe(true);
    expect(users.some((u) => typeof u["itblDS.brandAffinityLabel"] === "string")).toBe(true);
    expect(users.every((u) => !("itblInternal" in u))).toBe(true);
    for (const u of users) expect(Array.isArray(u["emailListIds"])).toBe(true);
    expect(users.some((u) => typeof u["plan"] === "string")).toBe(true);
    for (const u of users) expect(u["profileUpdatedAt"]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+00:00$/);
    expect(new Set(users.map((u) => u["email"])).size).toBe(users.length);
  });

  it("puts custom event fields at the top level, varying by eventName", () => {
    const events = [...exportRecords(cfg, "customEvent", day)];
    const byName = new Map<string, Set<string>>();
    for (const e of events) {
      const fields = byName.get(String(e["eventName"])) ?? new Set<string>();
      for (const k of Object.keys(e)) fields.add(k);
      byName.set(String(e["eventName"]), fields);
    }
    expect(byName.size).toBeGreaterThanOrEqual(4);
    expect(byName.get("searched")?.has("searchQuery")).toBe(true);
    expect(byName.get("searched")?.has("productId")).toBe(false);
    expect(byName.get("addToWishlist")?.has("productId")).toBe(true);
    expect(events.every((e) => typeof e["id"] === "string")).toBe(true);
  });

  it("references campaigns of the event's medium", async () => {
    const { campaignsFor } = await import("../../../src/fake-iterable/index.js");
    const byId = new Map(campaignsFor(cfg).map((c) => [c.id, c]));
    for (const [type, medium] of [["emailSend", "Email"], ["pushSend", "Push"], ["smsSend", "SMS"], ["inAppOpen", "InApp"]] as const) {
      for (const r of exportRecords(cfg, type, { start: day.start, end: day.start + HOUR })) {
        if (r["campaignId"] === null || r["campaignId"] === undefined) continue;
        const c = byId.get(r["campaignId"] as number);
        expect(c?.messageMedium).toBe(medium);
        expect(r["templateId"] === null || r["templateId"] === undefined || r["templateId"] === c?.templateId).toBe(true);
      }
    }
  });

  it("filters by campaignId when asked", () => {
    const all = [...exportRecords(cfg, "emailSend", day)];
    const campaignId = all[0]?.["campaignId"] as number;
    const only = [...exportRecords(cfg, "emailSend", day, { campaignId })];
    expect(only.length).toBe(all.filter((r) => r["campaignId"] === campaignId).length);
    expect(only.length).toBeGreaterThan(0);
  });
});
