/**
 * Migration 7 (issue 18): each stream's density, remembered in state.db so a
 * stream's next run sizes its export windows at once. Adding it never drops
 * or changes what a schema-6 home holds.
 */
import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { MIGRATIONS } from "../../../src/store/migrations.js";
import { openStore, type Store } from "../../../src/store/index.js";

const T0 = Date.UTC(2026, 0, 1);
let opened: Store[] = [];
afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

function home(): string {
  return join(mkdtempSync(join(tmpdir(), "itd-density-")), "home");
}

function open(dir: string, clock = new FakeClock(T0)): Store {
  const s = openStore(dir, clock, { holder: { pid: 100, host: "here" }, isAlive: () => true });
  opened.push(s);
  return s;
}

describe("stream density", () => {
  it("upgrades a schema-6 home without touching its cursors, schedules or jobs", () => {
    const dir = home();
    mkdirSync(dir, { recursive: true });
    const legacy = new Database(join(dir, "state.db"));
    for (const sql of MIGRATIONS.slice(0, 6)) legacy.exec(sql);
    legacy.pragma("user_version = 6");
    legacy.prepare(`INSERT INTO cursors (stream, config_diff, job_id, updated_at, epoch, seq) VALUES ('schedule#1', '{"in":{"start_time":"2026-01-05T00:00:00Z"}}', 7, 1, 2, 9)`).run();
    legacy.prepare(`INSERT INTO jobs (kind, status, database_name, table_name, config, stream, created_at) VALUES ('issue', 'success', 'd', 't', '{}', 's', 1)`).run();
    legacy.close();

    const s = open(dir);
    expect(s.db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(7);
    expect(s.cursors.get("schedule#1")).toMatchObject({ configDiff: { in: { start_time: "2026-01-05T00:00:00Z" } }, jobId: 7, position: { epoch: 2, seq: 9 } });
    expect(s.jobs.getJob(1).status).toBe("success");
    expect(s.cursors.densityOf("schedule#1")).toBeUndefined();
  });

  it("remembers the last density per stream, and ignores values that are not densities", () => {
    const dir = home();
    const s = open(dir);
    s.cursors.rememberDensity("a", { recordsPerHour: 41.5, recordsPerSecond: null });
    s.cursors.rememberDensity("b", { recordsPerHour: 9_000, recordsPerSecond: 50_000 });
    s.cursors.rememberDensity("a", { recordsPerHour: 42, recordsPerSecond: 12_000 });
    s.cursors.rememberDensity("a", { recordsPerHour: Number.NaN, recordsPerSecond: 1 });
    s.cursors.rememberDensity("b", { recordsPerHour: 8_000, recordsPerSecond: Number.POSITIVE_INFINITY });
    s.close();
    opened = [];
    const again = open(dir);
    expect(again.cursors.densityOf("a")).toEqual({ recordsPerHour: 42, recordsPerSecond: 12_000 });
    expect(again.cursors.densityOf("b")).toEqual({ recordsPerHour: 8_000, recordsPerSecond: null });
    expect(again.cursors.densityOf("c")).toBeUndefined();
  });
});
