/**
 * A real `itd connector:issue` child process SIGKILLed in the middle of an
 * import, then re-run: no record lost, none duplicated (checked by messageId).
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { ITD, runItd, tempDir } from "./helpers.js";

const KEY = "kill-test-key-77aa";
const FAKE: FakeIterableOptions = { apiKey: KEY, now: Date.UTC(2026, 5, 10), seed: 5, eventsPerDay: 8000, rateLimits: false };
const WINDOW = { start: Date.UTC(2026, 5, 1), end: Date.UTC(2026, 5, 4) };

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());

function committedSlices(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 2000");
    const t = db.prepare("SELECT name FROM sqlite_master WHERE name = '_itd_loads'").get();
    return t ? (db.prepare("SELECT count(*) n FROM _itd_loads").get() as { n: number }).n : 0;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

describe("a killed import", () => {
  it("loses and duplicates nothing when SIGKILLed mid-import and re-run", async () => {
    const dir = tempDir("itd-kill-");
    // The fake has no limits here; the client keeps a matching generous budget.
    const env = { ...process.env, ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, NO_COLOR: "1", ITD_RATE_LIMITS: "export=100/1s" };
    const seed = [
      "in:",
      "  type: iterable",
      "  api_key: ${ITERABLE_API_KEY}",
      `  base_url: ${fake.url}`,
      "  data_type: export_data",
      "  export_data_type: emailOpen",
      `  start_time: '${new Date(WINDOW.start).toISOString()}'`,
      `  end_time: '${new Date(WINDOW.end).toISOString()}'`,
      "  slice_hours: 2",
      "",
    ].join("\n");
    writeFileSync(join(dir, "seed.yml"), seed);
    expect((await runItd(["connector:guess", "seed.yml", "-o", "load.yml"], { cwd: dir, env })).code).toBe(0);
    expect(readFileSync(join(dir, "load.yml"), "utf8")).toContain("slice_hours: 2");
    const args = [ITD, "connector:issue", "load.yml", "--database", "kill_db", "--table", "opens", "--auto-create-table"];
    const ledger = join(dir, "home", "warehouse", "kill_db.db");

    // Every export request waits a little, so the job is still going when we strike.
    fake.addFaults(["export.json:slow=150@100%"]);
    const kills: number[] = [];
    try {
      for (const after of [2, 9, 20]) {
        const child = spawn(process.execPath, args, { cwd: dir, env, stdio: "ignore" });
        const exited = new Promise<void>((res) => child.once("exit", () => res()));
        for (let i = 0; i < 600 && committedSlices(ledger) < after; i++) await new Promise((r) => setTimeout(r, 25));
        child.kill("SIGKILL");
        await exited;
        kills.push(committedSlices(ledger));
      }
    } finally {
      fake.clearFaults();
    }
    // Each kill landed part-way: some slices committed, not all 36.
    expect(kills.every((n) => n > 0 && n < 36)).toBe(true);

    const final = await runItd(args.slice(1), { cwd: dir, env });
    expect(final.code).toBe(0);
    expect(final.stdout).toContain("continuing from the committed cursor");

    const want = new Set([...exportRecords(generatorConfig(FAKE), "emailOpen", WINDOW)].map((r) => r["messageId"] as string));
    const db = new Database(ledger, { readonly: true });
    const rows = db.prepare("SELECT message_id FROM opens").all() as { message_id: string }[];
    db.close();
    const got = rows.map((r) => r.message_id);
    expect(new Set(got).size).toBe(got.length); // no duplicate
    expect(got.length).toBe(want.size); // none lost
    expect(got.every((id) => want.has(id))).toBe(true); // none extra

    const jobs = await runItd(["job:list", "-f", "json"], { cwd: dir, env });
    const statuses = (JSON.parse(jobs.stdout) as { Status: string }[]).map((j) => j.Status);
    expect(statuses[0]).toBe("success");
    expect(statuses.filter((s) => s === "error").length).toBe(3); // the killed runs, marked interrupted
  }, 120_000);
});
