/** Users updated several times (userUpdates): versions in the user export, userVersions and latestUserProfiles. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { countExportRecords, generatorConfig, latestUserProfiles, userVersions, type GeneratorConfig } from "../../../src/fake-iterable/index.js";
import { BASE_OPTIONS, exportQuery, get, iterableDate, ndjson, withFake } from "./helpers.js";

/** After the year of profile updates that begins at the default dataStart (2025-01-01). */
const AFTER = Date.UTC(2026, 1, 1);
const THREE = { userUpdates: 3, now: AFTER } as const;
const cfg: GeneratorConfig = { ...generatorConfig({ ...BASE_OPTIONS, ...THREE }), now: AFTER };
const exportForm = (ms: number): string => `${iterableDate(ms)} +00:00`;

/** Fields every version of a user keeps (when not null or absent: optional fields are, now and then). */
const KEPT = ["email", "userId", "itblUserId", "signupDate", "itblInternal.documentCreatedAt", "phoneNumber", "emailListIds"];
/** Fields that follow the version's time. */
const TIMES = new Set(["profileUpdatedAt", "itblInternal.documentUpdatedAt"]);

function byEmail(records: Record<string, unknown>[]): Map<string, Record<string, unknown>[]> {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const r of records) {
    const email = String(r["email"]);
    groups.set(email, [...(groups.get(email) ?? []), r]);
  }
  return groups;
}

function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !TIMES.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

describe("userUpdates", () => {
  it("serves with one version per user byte for byte what the fake served before versions existed", async () => {
    // Digest of the same requests against the fake at a7ba980 (before userUpdates), seed 7, frozen at AFTER.
    const BEFORE = "176458445df7d9226539b06ecaffec455e6875d734fe247d055e0d6cf4983d4b";
    for (const opts of [{}, { userUpdates: 1 }]) {
      await withFake({ ...opts, now: AFTER }, async (fake) => {
        const h = createHash("sha256");
        h.update((await get(fake, "/api/export/data.json", { dataTypeName: "user", range: "All" })).text);
        h.update((await get(fake, "/api/export/data.csv", { dataTypeName: "user", range: "All" })).text);
        const week = exportQuery("user", Date.UTC(2025, 2, 1), Date.UTC(2025, 2, 8), { onlyFields: ["email", "profileUpdatedAt", "city"] });
        h.update((await get(fake, "/api/export/data.json", week)).text);
        expect(h.digest("hex"), JSON.stringify(opts)).toBe(BEFORE);
      });
    }
  });

  it("serves each user 3 times over the year, at rising times, keeping who it is and changing its profile", async () => {
    const served = await withFake(THREE, async (fake) => ndjson((await get(fake, "/api/export/data.json", { dataTypeName: "user", range: "All" })).text));
    expect(served.length).toBe(3 * cfg.users);
    const groups = byEmail(served);
    expect(groups.size).toBe(cfg.users);
    let cityMoves = 0;
    for (const [email, versions] of groups) {
      expect(versions.length, email).toBe(3);
      for (let v = 1; v < versions.length; v++) {
        const [before, after] = [versions[v - 1] as Record<string, unknown>, versions[v] as Record<string, unknown>];
        expect(String(after["profileUpdatedAt"]) > String(before["profileUpdatedAt"]), email).toBe(true);
        if (after["itblInternal.documentUpdatedAt"] != null) expect(after["itblInternal.documentUpdatedAt"]).toBe(after["profileUpdatedAt"]);
        expect(after["userId"], email).toBe(before["userId"]);
        for (const k of KEPT) if (after[k] != null && before[k] != null) expect(after[k], `${email} ${k}`).toEqual(before[k]);
        expect(after["loyaltyPoints"] as number, email).toBeGreaterThan(before["loyaltyPoints"] as number);
        expect(changedFields(before, after).length, email).toBeGreaterThanOrEqual(3);
        if (typeof after["city"] === "string" && typeof before["city"] === "string") {
          expect(after["city"], email).not.toBe(before["city"]);
          cityMoves++;
        }
      }
    }
    expect(cityMoves).toBeGreaterThan(cfg.users);
  });

  it("userVersions and countExportRecords say which versions a window serves, without generating them", async () => {
    // Version v of every user lies in the v-th third of the year: this window straddles the first boundary (May 2).
    const window = { start: Date.UTC(2025, 3, 28), end: Date.UTC(2025, 4, 6) };
    const all = [...userVersions(cfg, { start: 0, end: AFTER })];
    expect(all.length).toBe(3 * cfg.users);
    const seen = new Map<string, number>();
    for (const v of all) {
      expect(v.version, v.email).toBe(seen.get(v.email) ?? 0);
      seen.set(v.email, v.version + 1);
    }
    const versions = [...userVersions(cfg, window)];
    expect(new Set(versions.map((v) => v.version))).toEqual(new Set([0, 1]));
    await withFake(THREE, async (fake) => {
      const served = ndjson((await get(fake, "/api/export/data.json", exportQuery("user", window.start, window.end))).text);
      expect(served.length).toBeGreaterThan(50);
      expect(served.map((r) => [r["email"], r["profileUpdatedAt"]])).toEqual(versions.map((v) => [v.email, exportForm(v.updatedAt)]));
      expect(countExportRecords(cfg, "user", window)).toBe(served.length);
    });
    // Clipped to now: nothing at or after it.
    expect([...userVersions({ ...cfg, now: window.start }, window)]).toEqual([]);
  });

  it("latestUserProfiles is each user's newest record in the user export at that time", async () => {
    await withFake(THREE, async (fake) => {
      for (const asOf of [AFTER, Date.UTC(2025, 9, 20, 13, 7, 1), Date.UTC(2025, 4, 1), Date.UTC(2025, 0, 20)]) {
        fake.setNow(asOf);
        const served = ndjson((await get(fake, "/api/export/data.json", { dataTypeName: "user", range: "All" })).text);
        const last = new Map<string, number>(served.map((r, i) => [String(r["email"]), i]));
        const newest = served.filter((r, i) => last.get(String(r["email"])) === i);
        const profiles = latestUserProfiles(cfg, asOf);
        expect(profiles.size, iterableDate(asOf)).toBe(newest.length);
        expect(profiles.size).toBeGreaterThan(0);
        // The same records, in the order the export serves them.
        expect([...profiles]).toEqual(newest.map((r) => [r["email"], r]));
        for (const p of profiles.values()) expect(String(p["profileUpdatedAt"]) < exportForm(asOf)).toBe(true);
      }
    });
    const updated = (asOf: number): number => [...latestUserProfiles(cfg, asOf).values()].filter((p) => (p["loyaltyPoints"] as number) >= 50_000).length;
    expect(updated(Date.UTC(2025, 9, 20))).toBeGreaterThan(cfg.users / 2);
    expect(updated(Date.UTC(2025, 2, 1))).toBe(0);
  });

  it("finds a window's versions among a billion slots at once", () => {
    const big: GeneratorConfig = { ...generatorConfig({ seed: 3, users: 1_000_000, userUpdates: 1000 }), now: AFTER };
    const t0 = performance.now();
    expect(countExportRecords(big, "user", { start: 0, end: AFTER })).toBe(1_000_000_000);
    const minute = [...userVersions(big, { start: Date.UTC(2025, 5, 1), end: Date.UTC(2025, 5, 1, 0, 1) })];
    expect(minute.length).toBeGreaterThan(1000);
    expect(minute.length).toBeLessThan(3000);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("refuses a userUpdates that is not a whole number from 1 to 1000", () => {
    for (const bad of [0, -1, 1.5, 1001, Number.NaN]) {
      expect(() => generatorConfig({ userUpdates: bad })).toThrow(`fake-iterable: userUpdates must be a whole number from 1 to 1000; got ${String(bad)}`);
    }
    expect(generatorConfig({}).userUpdates).toBe(1);
    expect(generatorConfig({ userUpdates: 1000 }).userUpdates).toBe(1000);
  });
});
