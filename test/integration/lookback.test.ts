/**
 * Issue 15: late events. The fake holds back 5 % of events for up to 2 h
 * (their createdAt unchanged) while its clock moves one hour per slot; an
 * hourly incremental schedule runs each slot in the foreground (real `itd`
 * processes). Without a lookback the table misses exactly the events not yet
 * visible when their window was read (the hole, counted against the fake's
 * generator); with `lookback: 3h` it ends holding every event exactly once
 * (by message_id), also when runs are SIGKILLed mid-slice and run again.
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { eventIdentities, generatorConfig, servedAt, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { fakeForFile, ITD, itdHome, sleep } from "./helpers.js";

const KEY = "lookback-key-15";
const HOUR = 3_600_000;
/** The first slot's window starts here; the fake's data began 30 days before. */
const T0 = Date.UTC(2026, 5, 1);
const SLOTS = 6;
const FAKE: FakeIterableOptions = {
  apiKey: KEY,
  seed: 1515,
  eventsPerDay: 12_000,
  lateShare: 0.05,
  lateByMs: 2 * HOUR,
  rateLimits: false,
  dataStart: T0 - 30 * 24 * HOUR,
  now: T0,
};
const cfg = generatorConfig(FAKE);

const theFake = fakeForFile(FAKE);

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function workspace(name: string, extra: string[]) {
  const { dir, home, env, itd } = itdHome(`itd-lookback-${name}-`, KEY);
  const fake = theFake();
  writeFileSync(
    join(dir, "load.yml"),
    [
      "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data",
      "  export_data_type: emailSend", "  incremental: true", `  start_time: '${iso(T0)}'`, ...extra.map((l) => `  ${l}`),
      "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}",
      "out:", "  mode: append", "",
    ].join("\n"),
  );
  const messageIds = (): string[] => {
    const conn = new Database(join(home, "warehouse", "late_db.db"), { readonly: true, fileMustExist: true });
    try {
      return (conn.prepare("SELECT message_id FROM sends").pluck().all() as string[]).sort();
    } finally {
      conn.close();
    }
  };
  return { dir, env, itd, messageIds };
}

/** The fake's emailSend events created in [from, to), with when each becomes visible. */
const identities = (from: number, to: number) => [...eventIdentities(cfg, "emailSend", { start: from, end: to })];

describe("late events (issue 15)", () => {
  it("without a lookback, an hourly schedule misses exactly the events that were late when their window was read", async () => {
    const w = workspace("hole", []);
    await w.itd("connector:create", "sends", "0 * * * *", "late_db", "sends", "load.yml", "--auto-create-table");
    for (let k = 1; k <= SLOTS; k++) {
      theFake().setNow(T0 + k * HOUR);
      await w.itd("connector:run", "sends", iso(T0 + k * HOUR), "--foreground");
    }
    const all = identities(T0, T0 + SLOTS * HOUR);
    // An event is read by the run of its hour, at the end of that hour: missed when not visible by then.
    const missed = all.filter((e) => !servedAt(e, T0 + Math.ceil((e.createdAt - T0 + 1) / HOUR) * HOUR));
    const gone = new Set(missed);
    const expected = all.filter((e) => !gone.has(e)).map((e) => e.messageId as string).sort();
    expect(missed.length).toBeGreaterThan(all.length * 0.02); // about 5 % of ~4,000, less those visible within their hour
    expect(w.messageIds()).toEqual(expected);
  }, 120_000);

  it("with lookback: 3h the table ends holding every event exactly once, also when runs are SIGKILLed mid-slice", async () => {
    // Small slices (about 25 records): a kill lands between commits, with some slices of the run committed.
    const w = workspace("fix", ["lookback: 3h", "max_slice_records: 50"]);
    await w.itd("connector:create", "sends", "0 * * * *", "late_db", "sends", "load.yml", "--auto-create-table");
    let kills = 0;
    // Two more slots than the data: by the last run every event of the first SLOTS hours is visible (late by ≤ 2 h).
    for (let k = 1; k <= SLOTS + 2; k++) {
      theFake().setNow(T0 + k * HOUR);
      if (k % 2 === 0) {
        // A run killed part-way (after some of its slices committed), then the slot run again to its end.
        const child = spawn(process.execPath, [ITD, "connector:run", "sends", iso(T0 + k * HOUR), "--foreground"], {
          cwd: w.dir,
          env: { ...process.env, NO_COLOR: "1", ...w.env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
        // Killed once a few of its slices committed (its log says so), or after 5 s.
        for (let waited = 0; waited < 5_000 && (out.match(/records committed/g) ?? []).length < 3 && child.exitCode === null; waited += 20) await sleep(20);
        if (child.exitCode === null) {
          child.kill("SIGKILL");
          kills++;
        }
        await exited;
      }
      await w.itd("connector:run", "sends", iso(T0 + k * HOUR), "--foreground");
    }
    expect(kills).toBeGreaterThan(0);
    const end = T0 + (SLOTS + 2) * HOUR;
    const all = identities(T0, end).filter((e) => servedAt(e, end));
    const late = identities(T0, T0 + SLOTS * HOUR).filter((e) => e.visibleAt > e.createdAt);
    expect(late.length).toBeGreaterThan(100);
    const ids = w.messageIds();
    expect(ids.length).toBe(new Set(ids).size); // nothing twice
    expect(ids).toEqual(all.map((e) => e.messageId as string).sort()); // nothing missing, nothing extra
    const shown = await w.itd("connector:show", "sends");
    expect(shown).toMatch(/Last run : job \d+ success, records \d+ \(\d+ already in the table\)/);
  }, 180_000);
});
