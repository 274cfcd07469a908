/**
 * Issue 15: `mode: upsert` on the user export. The fake's 600 users each
 * get three profile versions over a year; guess proposes the upsert (by
 * email, `time` from profile_updated_at); an incremental schedule every two months runs
 * each slot in the foreground while the fake's clock follows, some runs
 * SIGKILLed mid-slice and run again. The table ends with one row per user,
 * equal to the fake's latest profile; a replay of the whole year (the cursor
 * rewound) finds every record already present and changes nothing.
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatorConfig, latestUserProfiles, userVersions, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { fakeForFile, ITD, itdHome, sleep } from "./helpers.js";

const KEY = "upsert-key-15";
const D = Date.UTC(2025, 0, 1);
const FAKE: FakeIterableOptions = { apiKey: KEY, seed: 1516, users: 600, userUpdates: 3, rateLimits: false, dataStart: D, now: D };
const cfg = generatorConfig(FAKE);

const theFake = fakeForFile(FAKE);

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
/** The first of month `m` after D (m = 12: a year on). */
const month = (m: number): number => Date.UTC(2025, m, 1);
/** Iterable's `2026-07-16 15:17:46 +00:00` as the warehouse stores a timestamp: `2026-07-16 15:17:46.000`. */
const stored = (t: string): string => `${t.slice(0, 19)}.000`;

describe("mode: upsert (issue 15)", () => {
  it("keeps one row per user equal to the latest profile, through kills and a replay of the whole year", async () => {
    const { dir, home, env, itd } = itdHome("itd-upsert-", KEY);
    const fake = theFake();
    writeFileSync(
      join(dir, "seed.yml"),
      [
        "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data",
        "  export_data_type: user", "  incremental: true", `  start_time: '${iso(D)}'`, "  max_slice_records: 100", "",
      ].join("\n"),
    );
    fake.setNow(month(12));
    await itd("connector:guess", "seed.yml", "-o", "load.yml");
    const guessed = readFileSync(join(dir, "load.yml"), "utf8");
    expect(guessed).toMatch(/mode: upsert/);
    expect(guessed).toMatch(/primary_keys:\s*\n?\s*- email|primary_keys: \[email\]/);
    expect(guessed).toMatch(/time_column: profile_updated_at/);

    await itd("connector:create", "users", "0 0 1 */2 *", "crm", "users", "load.yml", "--auto-create-table");
    let kills = 0;
    for (let m = 2; m <= 12; m += 2) {
      fake.setNow(month(m));
      if (m % 6 === 0) {
        const child = spawn(process.execPath, [ITD, "connector:run", "users", iso(month(m)), "--foreground"], {
          cwd: dir,
          env: { ...process.env, NO_COLOR: "1", ...env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        const exited = new Promise<void>((res) => child.once("exit", () => res()));
        for (let waited = 0; waited < 5_000 && (out.match(/records committed/g) ?? []).length < 1 && child.exitCode === null; waited += 20) await sleep(20);
        if (child.exitCode === null) {
          child.kill("SIGKILL");
          kills++;
        }
        await exited;
      }
      await itd("connector:run", "users", iso(month(m)), "--foreground");
    }
    expect(kills).toBeGreaterThan(0);

    const table = (): Map<string, { profile_updated_at: string; city: string | null; first_name: string | null }> => {
      const conn = new Database(join(home, "warehouse", "crm.db"), { readonly: true, fileMustExist: true });
      try {
        const rows = conn.prepare("SELECT email, profile_updated_at, city, first_name FROM users").all() as {
          email: string; profile_updated_at: string; city: string | null; first_name: string | null;
        }[];
        expect(rows.length).toBe(new Set(rows.map((r) => r.email)).size); // one row per email
        return new Map(rows.map((r) => [r.email, r]));
      } finally {
        conn.close();
      }
    };
    const latest = latestUserProfiles(cfg, month(12));
    const rows = table();
    expect(rows.size).toBe(latest.size);
    let newer = 0;
    for (const [email, p] of latest) {
      const row = rows.get(email);
      expect(row, email).toEqual({
        email,
        profile_updated_at: stored(p["profileUpdatedAt"] as string),
        city: (p["city"] as string | null) ?? null,
        first_name: (p["firstName"] as string | null) ?? null,
      });
      if ((p["profileUpdatedAt"] as string) > "2025-05") newer++;
    }
    expect(newer).toBeGreaterThan(latest.size / 2); // most users' rows were updated by later versions

    // A replay of the whole year: every version read again, none newer than what the table holds.
    writeFileSync(join(dir, "rewind.yml"), `in: {start_time: '${iso(D)}'}\n`);
    await itd("connector:update", "users", "--config-diff", "rewind.yml");
    const before = [...table()];
    // (A slot runs once: the replay runs the minute after, the fake's clock still at the year's end.)
    await itd("connector:run", "users", iso(month(12) + 60_000), "--foreground");
    expect([...table()]).toEqual(before);
    const last = (JSON.parse(await itd("connector:show", "users", "-f", "json")) as { last_run: Record<string, number> }).last_run;
    // Every version of the year read again (as the fake's generator counts them), all of them already present.
    const versions = [...userVersions({ ...cfg, now: month(12) }, { start: D, end: month(12) })].length;
    expect(versions).toBeGreaterThan(2 * 600);
    expect(last).toMatchObject({ status: "success", records: versions, present_records: versions, updated_records: 0 });
  }, 240_000);
});
