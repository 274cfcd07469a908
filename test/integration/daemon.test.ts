/**
 * A real `itd daemon` process against the fake Iterable: incremental firing
 * with each record once, SIGKILL and restart, SIGTERM, CLI and file schedules
 * picked up while running, the home lock, health and metrics.
 */
import Database from "better-sqlite3";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { exportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { runItd, sleep, spawnDaemon, stateJobs, tempDir, until } from "./helpers.js";

const KEY = "daemon-test-key-3c4d5e";
const FAKE: FakeIterableOptions = { apiKey: KEY, seed: 9, eventsPerDay: 200_000, rateLimits: false };
const cfg = generatorConfig(FAKE);

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());

const daemons: ChildProcess[] = [];
afterEach(() => {
  for (const d of daemons.splice(0)) if (d.exitCode === null) d.kill("SIGKILL");
  fake.clearFaults();
});

function home(httpPort = 0) {
  const dir = tempDir("itd-daemon-");
  const env = {
    ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_SCHEDULES: join(dir, "schedules"), ITD_RATE_LIMITS: "export=1000/1s",
    ITD_CONFIG: join(dir, "itd.yml"),
  };
  writeFileSync(env.ITD_CONFIG, `http_port: ${httpPort}\nshutdown_grace: 5\n`);
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const load = (start: number, more = ""): string =>
    [
      "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data",
      "  export_data_type: emailOpen", "  incremental: true", `  start_time: '${iso(start)}'`, more,
      "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "",
    ].filter((l) => l !== "").join("\n") + "\n";
  const itd = (...args: string[]) => runItd(args, { cwd: dir, env });
  const start = (): { child: ChildProcess; log: () => string } => spawnDaemon(dir, env, daemons);
  const rows = (db: string, table: string): string[] => {
    const file = join(dir, "home", "warehouse", `${db}.db`);
    if (!existsSync(file)) return [];
    const conn = new Database(file, { readonly: true });
    try {
      return (conn.prepare(`SELECT message_id FROM ${table}`).all() as { message_id: string }[]).map((r) => r.message_id);
    } catch {
      return [];
    } finally {
      conn.close();
    }
  };
  const jobs = async (name: string) =>
    JSON.parse((await itd("connector:history", name, "-n", "1000", "-f", "json")).stdout) as { JobID: number; Status: string; Records: number; Scheduled: string }[];
  /** Job statuses from state.db, for the waits (no itd process per look). */
  const polled = (name: string): string[] => stateJobs(env.ITD_HOME, name).map((j) => j.status);
  return { dir, env, itd, start, rows, jobs, polled, load, write: (n: string, t: string) => writeFileSync(join(dir, n), t) };
}

function expectedIds(start: number, end: number): Set<string> {
  return new Set([...exportRecords(cfg, "emailOpen", { start, end })].map((r) => r["messageId"] as string));
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once("exit", (code) => r(code)));
}

describe("itd daemon", () => {
  it("fires a 6-field cron every few seconds, incrementally, each record exactly once", async () => {
    const h = home();
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    h.write("load.yml", h.load(t0));
    expect((await h.itd("connector:create", "every3", "*/3 * * * * *", "dmn_db", "opens", "load.yml", "--auto-create-table")).code).toBe(0);
    const d = h.start();
    await until("three successes", () => h.polled("every3").filter((s) => s === "success").length >= 3 || undefined, 30_000, d.log);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    const runs = await h.jobs("every3");
    const ok = runs.filter((j) => j.Status === "success");
    expect(ok.length).toBeGreaterThanOrEqual(3);
    // Slots claimed but not yet run when it stopped stay queued for the next start (on a busy machine jobs can take
    // longer than the 3-second cron); none failed.
    expect(runs.every((j) => ["success", "skipped", "killed", "queued"].includes(j.Status)), JSON.stringify(runs.map((j) => [j.Status, j.Scheduled]))).toBe(true);
    // The committed cursor is the last successful slot: the table holds exactly [t0, that slot).
    const show = (await h.itd("connector:show", "every3")).stdout;
    const cursor = Date.parse(/start_time: '([^']+)'/.exec(show.split("Config Diff")[1] ?? "")?.[1] ?? "");
    expect(cursor, show).toBeGreaterThan(t0);
    const got = h.rows("dmn_db", "opens");
    const want = expectedIds(t0, cursor);
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBe(want.size);
    expect(got.every((id) => want.has(id))).toBe(true);
    expect(d.log()).toMatch(/"msg":"fire"/);
    expect(d.log()).toMatch(/"msg":"finish"/);
    expect(d.log()).not.toContain(KEY);
  }, 60_000);

  it("survives a SIGKILL mid-import: the interrupted job is error, its slot retried, nothing lost or duplicated", async () => {
    const h = home();
    const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000;
    h.write("load.yml", h.load(t0, "  slice_hours: 2"));
    expect((await h.itd("connector:create", "big", "", "kill_db", "opens", "load.yml", "--auto-create-table")).code).toBe(0);
    fake.addFaults(["export.json:slow=250@100%"]);
    const slot = Math.floor(Date.now() / 1000) * 1000;
    expect((await h.itd("connector:run", "big", String(slot / 1000))).code).toBe(0);
    const first = h.start();
    const ledger = join(h.dir, "home", "warehouse", "kill_db.db");
    await until("two committed slices", () => {
      if (!existsSync(ledger)) return undefined;
      const c = new Database(ledger, { readonly: true });
      try {
        return (c.prepare("SELECT count(*) n FROM _itd_loads").get() as { n: number }).n >= 2 || undefined;
      } catch {
        return undefined;
      } finally {
        c.close();
      }
    });
    first.child.kill("SIGKILL");
    await exited(first.child);
    fake.clearFaults();
    const second = h.start();
    await until("the retried slot's success", () => h.polled("big").includes("success") || undefined, 60_000, second.log);
    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toBe(0);
    const runs = await h.jobs("big");
    expect(runs.map((j) => j.Status).sort()).toEqual(["error", "success"]);
    expect(new Set(runs.map((j) => j.Scheduled)).size).toBe(1); // the same slot, retried
    const got = h.rows("kill_db", "opens");
    const want = expectedIds(t0, slot);
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBe(want.size);
    expect(second.log()).toMatch(/interrupted/);
  }, 150_000);

  it("exits 0 on SIGTERM during an import, the job killed and its uncommitted slice invisible", async () => {
    const h = home();
    const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000;
    h.write("load.yml", h.load(t0, "  slice_hours: 2"));
    await h.itd("connector:create", "term", "", "term_db", "opens", "load.yml", "--auto-create-table");
    fake.addFaults(["export.json:slow=400@100%"]);
    await h.itd("connector:run", "term");
    const d = h.start();
    for (let i = 0; i < 100 && h.polled("term")[0] !== "running"; i++) await sleep(100);
    await sleep(1500);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    const r = await h.jobs("term");
    expect(["killed", "success"]).toContain(r[0]?.Status);
    // What is in the table is exactly what the ledger says was committed.
    const c = new Database(join(h.dir, "home", "warehouse", "term_db.db"), { readonly: true });
    const committed = (c.prepare("SELECT COALESCE(SUM(rows), 0) n FROM _itd_loads").get() as { n: number }).n;
    c.close();
    expect(h.rows("term_db", "opens").length).toBe(committed);
  }, 60_000);

  it("fires a schedule created with the CLI while it runs and one added as a file; a broken edit keeps the previous version; SIGHUP reloads", async () => {
    const h = home();
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 30_000;
    h.write("load.yml", h.load(t0));
    mkdirSync(join(h.dir, "schedules"));
    const d = h.start();
    await until("the daemon started", () => /daemon started/.test(d.log()) || undefined);
    await h.itd("connector:create", "from_cli", "*/2 * * * * *", "live_db", "cli_opens", "load.yml", "--auto-create-table");
    h.write("schedules/from_file.yml", "name: from_file\ncron: '*/2 * * * * *'\ndatabase: live_db\ntable: cli_opens\nconfig: ../load.yml\n");
    h.write("schedules/broken.yml", "name: broken\ncron: 'nope'\ndatabase: live_db\ntable: t\nconfig: ../load.yml\n");
    for (let i = 0; i < 150 && !(h.polled("from_cli").includes("success") && h.polled("from_file").includes("success")); i++) await sleep(200);
    expect((await h.jobs("from_cli")).some((j) => j.Status === "success")).toBe(true);
    expect((await h.jobs("from_file")).some((j) => j.Status === "success")).toBe(true);
    expect(d.log()).toMatch(/broken\.yml/);
    // Breaking a file that was valid: reported, and its previous version keeps firing.
    const before = (await h.jobs("from_file")).filter((j) => j.Status === "success").length;
    h.write("schedules/from_file.yml", "name: from_file\ncron: '*/2 * * * * *'\ndatabase: live_db\ntable: cli_opens\ndelay: -1\nconfig: ../load.yml\n");
    await until("the broken edit reported", () => /from_file\.yml: delay/.test(d.log()) || undefined);
    for (let i = 0; i < 100 && h.polled("from_file").filter((st) => st === "success").length < before + 2; i++) await sleep(200);
    expect((await h.jobs("from_file")).filter((j) => j.Status === "success").length).toBeGreaterThanOrEqual(before + 2);
    // SIGHUP applies what can change at run time (the README lists it).
    writeFileSync(h.env.ITD_CONFIG, "http_port: 0\nshutdown_grace: 5\nmax_concurrent_jobs: 2\ncatchup_cap: 7\njob_timeout: 90m\n");
    d.child.kill("SIGHUP");
    await until("SIGHUP handled", () => /SIGHUP: settings applied/.test(d.log()) || undefined);
    const applied = d.log().split("\n").find((l) => l.includes("SIGHUP: settings applied")) ?? "";
    expect(JSON.parse(applied)).toMatchObject({ maxConcurrentJobs: 2, catchupCap: 7, jobTimeoutMs: 5_400_000 });
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
  }, 120_000);

  it("refuses a second daemon on the same home, and serves health and metrics", async () => {
    const port = 19000 + Math.floor(Math.random() * 2000);
    const h = home(port);
    const d = h.start();
    await until("the daemon started", () => /health and metrics listening/.test(d.log()) || undefined);
    const second = h.start();
    expect(await exited(second.child)).not.toBe(0);
    expect(second.log()).toMatch(/another itd daemon \(pid \d+/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe("ok");
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE itd_firing_lateness_seconds histogram$/m);
    expect(metrics).toMatch(/^itd_schedules\{source="cli"\} 0$/m);
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
  }, 60_000);
});
