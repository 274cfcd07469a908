/** Late events: a share of event records served only once the fake's now reaches createdAt + their delay; the oracles. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EXPORT_DATA_TYPES } from "../../../src/iterable/types.js";
import {
  countExportRecords,
  eventIdentities,
  exportRecords,
  generatorConfig,
  keyFieldOf,
  latestUserProfiles,
  servedAt,
  type EventIdentity,
  type GeneratorConfig,
} from "../../../src/fake-iterable/index.js";
import { BASE_OPTIONS, DAY, exportQuery, get, HOUR, iterableDate, ndjson, NOW, withFake } from "./helpers.js";

const LATE = { lateShare: 0.05, lateByMs: 2 * HOUR } as const;
const cfgOf = (late: { lateShare: number; lateByMs: number }): GeneratorConfig => ({ ...generatorConfig({ ...BASE_OPTIONS, ...late }), now: NOW });
const cfg = cfgOf(LATE);
const ON_TIME = cfgOf({ lateShare: 0, lateByMs: 0 });
const delayOf = (i: EventIdentity): number => i.visibleAt - i.createdAt;
/** createdAt in the export's form. */
const exportForm = (ms: number): string => `${iterableDate(ms)} +00:00`;

describe("lateness", () => {
  const fiveDays = { start: NOW - 5 * DAY, end: NOW };

  it("holds back about lateShare of the records, each by whole seconds in (0, lateBy]", () => {
    const ids = [...eventIdentities(cfg, "emailSend", fiveDays)];
    expect(ids.length).toBeGreaterThan(4500);
    const late = ids.filter((i) => delayOf(i) > 0);
    expect(late.length / ids.length).toBeGreaterThan(0.04);
    expect(late.length / ids.length).toBeLessThan(0.06);
    for (const i of late) {
      expect(delayOf(i) % 1000).toBe(0);
      expect(delayOf(i)).toBeGreaterThanOrEqual(1000);
      expect(delayOf(i)).toBeLessThanOrEqual(LATE.lateByMs);
    }
    const delays = late.map(delayOf);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean / LATE.lateByMs).toBeGreaterThan(0.4);
    expect(mean / LATE.lateByMs).toBeLessThan(0.6);
    expect(Math.max(...delays)).toBeGreaterThan(0.9 * LATE.lateByMs);
  });

  it("is decided by the record alone: the same records are late every time, other ones for another seed", () => {
    const lateKeys = (c: GeneratorConfig): string[] => [...eventIdentities(c, "emailOpen", fiveDays)].filter((i) => delayOf(i) > 0).map((i) => `${i.key}@${i.visibleAt}`);
    const once = lateKeys(cfg);
    expect(once.length).toBeGreaterThan(100);
    expect(lateKeys(cfg)).toEqual(once);
    expect(lateKeys({ ...cfg, now: undefined })).toEqual(once);
    const other = new Set(lateKeys({ ...cfg, seed: 8 }));
    expect(once.filter((k) => other.has(k)).length).toBeLessThan(once.length / 10);
  });

  it("holds back nothing with share 0 and everything with share 1", () => {
    const day = { start: NOW - DAY, end: NOW };
    expect([...eventIdentities({ ...cfg, lateShare: 0 }, "pushSend", day)].every((i) => i.visibleAt === i.createdAt)).toBe(true);
    const all = [...eventIdentities({ ...cfg, lateShare: 1 }, "pushSend", day)];
    expect(all.length).toBeGreaterThan(800);
    expect(all.every((i) => delayOf(i) >= 1000)).toBe(true);
  });

  it("refuses a late share without a delay of at least a second, and shares outside 0..1", () => {
    expect(() => generatorConfig({ lateShare: 0.1 })).toThrow(/lateByMs must be at least 1000/);
    expect(() => generatorConfig({ lateShare: 0.1, lateByMs: 999 })).toThrow(/lateByMs must be at least 1000/);
    expect(() => generatorConfig({ lateShare: 1.5, lateByMs: HOUR })).toThrow(/lateShare must be a fraction from 0 to 1; got 1.5/);
    expect(() => generatorConfig({ lateShare: Number.NaN, lateByMs: HOUR })).toThrow(/lateShare/);
    expect(() => generatorConfig({ lateByMs: -1 })).toThrow(/lateByMs must be a whole number/);
    expect(generatorConfig({ lateByMs: HOUR }).lateShare).toBe(0);
  });
});

describe("the export with late records", () => {
  const window = { start: Date.UTC(2025, 4, 31, 0), end: Date.UTC(2025, 4, 31, 6) };
  // A late record that arrives after the window's end: at its visibleAt − 1 s every other record of the window exists.
  const target = [...eventIdentities(cfg, "emailSend", window)].find((i) => i.visibleAt > window.end + 1000) as EventIdentity;

  it("serves a late record from createdAt + delay on, not a second before, and unchanged", async () => {
    expect(target).toBeDefined();
    const onTime = [...exportRecords(ON_TIME, "emailSend", window)].find((r) => r["messageId"] === target.messageId);
    expect(onTime?.["createdAt"]).toBe(exportForm(target.createdAt));
    await withFake({ ...LATE, now: target.visibleAt - 1000 }, async (fake) => {
      const query = exportQuery("emailSend", window.start, window.end);
      const before = ndjson((await get(fake, "/api/export/data.json", query)).text);
      expect(before.length).toBeGreaterThan(100);
      expect(before.map((r) => r["messageId"])).not.toContain(target.messageId);
      expect((await get(fake, "/api/export/data.csv", query)).text).not.toContain(target.messageId);
      fake.setNow(target.visibleAt);
      const after = ndjson((await get(fake, "/api/export/data.json", query)).text);
      expect(after.find((r) => r["messageId"] === target.messageId)).toEqual(onTime);
      expect((await get(fake, "/api/export/data.csv", query)).text).toContain(target.messageId as string);
    });
  });

  it("serves, once every delay has passed, exactly the bytes an on-time fake serves", async () => {
    const old = exportQuery("customEvent", NOW - 2 * DAY, NOW - LATE.lateByMs);
    const recent = exportQuery("customEvent", NOW - LATE.lateByMs, NOW);
    const bodies = async (late: { lateShare: number; lateByMs: number }): Promise<[string, string]> =>
      withFake(late, async (fake) => [(await get(fake, "/api/export/data.json", old)).text, (await get(fake, "/api/export/data.json", recent)).text]);
    const [lateOld, lateRecent] = await bodies(LATE);
    const [onTimeOld, onTimeRecent] = await bodies({ lateShare: 0, lateByMs: 0 });
    expect(lateOld).toBe(onTimeOld);
    // The last lateBy: a strict subset, in the same order.
    const lines = new Set(lateRecent.split("\n"));
    expect(lines.size).toBeGreaterThan(20);
    expect(lateRecent.length).toBeLessThan(onTimeRecent.length);
    expect(onTimeRecent.split("\n").filter((l) => lines.has(l)).join("\n")).toBe(lateRecent);
  });

  it("serves with share 0 byte for byte what the fake served before late events existed", async () => {
    // Digest of the same requests against the fake at b3fcda3 (before lateShare), seed 7, frozen at NOW.
    const BEFORE = "f06ad825e022c4d147c5ad8e5fa6dc723cfc856d4d183b5af137006d3ccfc409";
    await withFake({ lateShare: 0, lateByMs: 2 * HOUR }, async (fake) => {
      const h = createHash("sha256");
      const start = Date.UTC(2025, 4, 31);
      for (const [type, path] of [["emailSend", "json"], ["customEvent", "json"], ["purchase", "json"], ["inboxSession", "json"], ["emailOpen", "csv"]] as const) {
        h.update((await get(fake, `/api/export/data.${path}`, exportQuery(type, start, NOW))).text);
      }
      h.update((await get(fake, "/api/export/data.json", { dataTypeName: "user", range: "All" })).text);
      expect(h.digest("hex")).toBe(BEFORE);
    });
  });

  it("never holds back users", async () => {
    const users = async (lateShare: number): Promise<string> =>
      withFake({ lateShare, lateByMs: 30 * DAY }, async (fake) => (await get(fake, "/api/export/data.json", { dataTypeName: "user", range: "All" })).text);
    const late = await users(1);
    expect(late.length).toBeGreaterThan(1000);
    expect(late).toBe(await users(0));
  });
});

describe("the oracles", () => {
  it("eventIdentities and countExportRecords agree with what every event type's export serves", async () => {
    const heavy = { lateShare: 0.3, lateByMs: 2 * HOUR };
    const c = cfgOf(heavy);
    const window = { start: NOW - 3 * HOUR, end: NOW + HOUR };
    let held = 0;
    await withFake(heavy, async (fake) => {
      for (const type of EXPORT_DATA_TYPES) {
        if (type === "user") continue;
        const served = ndjson((await get(fake, "/api/export/data.json", exportQuery(type, window.start, window.end))).text);
        const ids = [...eventIdentities(c, type, window)];
        const expected = ids.filter((i) => servedAt(i, NOW));
        held += ids.filter((i) => i.createdAt < NOW && !servedAt(i, NOW)).length;
        const key = keyFieldOf(type) as string;
        expect(served.length, type).toBeGreaterThan(30);
        expect(served.map((r) => String(r[key])), type).toEqual(expected.map((i) => i.key));
        expect(served.map((r) => r["messageId"]), type).toEqual(expected.map((i) => i.messageId));
        expect(served.map((r) => r["createdAt"]), type).toEqual(expected.map((i) => exportForm(i.createdAt)));
        expect(countExportRecords(c, type, window), type).toBe(served.length);
      }
    });
    expect(held).toBeGreaterThan(500);
  });

  it("eventIdentities covers the whole window whatever the now, from dataStart on", () => {
    const ids = [...eventIdentities(cfg, "emailClick", { start: cfg.dataStart - DAY, end: NOW + DAY })];
    expect(ids[0]?.createdAt).toBeGreaterThanOrEqual(cfg.dataStart);
    expect(ids.at(-1)?.createdAt).toBeGreaterThan(NOW);
    expect(ids.length).toBe(countExportRecords({ ...cfg, lateShare: 0, now: undefined }, "emailClick", { start: 0, end: NOW + DAY }));
  });

  it("eventIdentities refuses users and unknown types", () => {
    expect(() => eventIdentities(cfg, "user", { start: 0, end: NOW })).toThrow(/users have no event identities/);
    expect(() => eventIdentities(cfg, "emailSent", { start: 0, end: NOW })).toThrow(/unknown dataTypeName "emailSent"/);
  });

  it("latestUserProfiles is each user's profile as the user export serves it at that time", async () => {
    await withFake(LATE, async (fake) => {
      let previous = Number.POSITIVE_INFINITY;
      for (const asOf of [NOW, NOW - 100 * DAY, Date.UTC(2025, 0, 15)]) {
        fake.setNow(asOf);
        const served = ndjson((await get(fake, "/api/export/data.json", { dataTypeName: "user", range: "All" })).text);
        const profiles = latestUserProfiles(cfg, asOf);
        expect(profiles.size).toBe(served.length);
        expect(profiles.size).toBeLessThan(previous);
        expect(profiles.size).toBeGreaterThan(0);
        previous = profiles.size;
        expect(profiles).toEqual(new Map(served.map((r) => [r["email"], r])));
        for (const p of profiles.values()) expect(String(p["profileUpdatedAt"]) < exportForm(asOf)).toBe(true);
      }
    });
  });
});
