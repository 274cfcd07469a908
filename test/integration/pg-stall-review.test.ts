/**
 * Review of issue 14: a daemon stopped (SIGSTOP) past its lease on a shared PostgreSQL state store, then
 * continued (SIGCONT), beside one that never stopped: it exits without claiming or starting anything, and every
 * slot runs once, every record lands once.
 */
import { type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { exportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { startPostgres, type PostgresServer } from "../../demo/postgres-server.js";
import { freshPgDatabase, withPg } from "../support/postgres.js";
import { incrementalSendsLoad, minutesAgo, runItd, sleep, spawnDaemon, tempDir, until } from "./helpers.js";
import { exited } from "./procs.js";

const KEY = "stall-review-key-14";
const FAKE: FakeIterableOptions = { apiKey: KEY, seed: 41, eventsPerDay: 2_000_000, rateLimits: false };
const EVERY_MS = 2_000;

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGCONT");
      c.kill("SIGKILL");
    }
  }
});

interface JobRow { id: number; scheduled_time: number; status: string; created_at: number; start_at: number | null; host: string; pid: number; error: string | null }

describe("a daemon stopped past its lease on a PostgreSQL state store (review 14)", () => {
  it("exits when continued, claiming and starting nothing, and the slots and records stay exactly once", async () => {
    const state = await freshPgDatabase("itd_state_stall");
    const warehouse = await freshPgDatabase("itd_wh_stall");
    const root = tempDir("itd-stall-");
    const start = minutesAgo(1);
    writeFileSync(
      join(root, "load.yml"),
      incrementalSendsLoad(fake.url, start),
    );
    const homes = [0, 1].map((i) => {
      const dir = join(root, `host${i}`);
      mkdirSync(dir);
      // No warm job processes: each job a process of its own, whose parent is the daemon that started it.
      writeFileSync(join(dir, "itd.yml"), "http_port: 0\nshutdown_grace: 5\ncatchup_cap: 1000\njob_processes: 0\n");
      return {
        dir,
        env: {
          ITD_HOME: join(dir, "home"), ITD_CONFIG: join(dir, "itd.yml"), ITD_SCHEDULES: join(dir, "schedules"),
          ITD_STATE: state, ITD_WAREHOUSE: warehouse, ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=1000/1s",
        },
      };
    });
    const created = await runItd(
      ["connector:create", "every2s", "*/2 * * * * *", "anchors", "sends", join(root, "load.yml"), "--time-column", "created_at", "--auto-create-table"],
      { cwd: root, env: homes[0]!.env },
    );
    expect(created.code, created.stderr).toBe(0);
    const daemons = homes.map((h) => spawnDaemon(h.dir, h.env, children));
    const jobs = async (): Promise<JobRow[]> =>
      withPg(state, async (c) => (await c.query(`SELECT id, scheduled_time, status, created_at, start_at, host, pid, error FROM itd_state.jobs ORDER BY scheduled_time, id`)).rows as JobRow[]);
    const logs = (): string => daemons.map((d, i) => `--- daemon ${i}\n${d.log().slice(-3000)}`).join("\n");
    await until("slots run by both daemons", async () => (await jobs()).filter((j) => j.status === "success").length >= 4, 40_000, logs);

    const stalled = daemons[0]!;
    stalled.child.kill("SIGSTOP");
    const stoppedAt = Date.now();
    await sleep(14_000);
    const before = stalled.log().length;
    stalled.child.kill("SIGCONT");
    expect(await exited(stalled.child)).toBe(1);
    const after = stalled.log().slice(before);
    expect(after).toMatch(/lease on the shared state store expired unrenewed/);
    // Nothing fired by it once it woke, and nothing started: a "start" line it logs on waking is the launch of a job
    // it had started (under the stream's lease, still live) before the signal stopped it — seen once on a loaded
    // machine — never a start of its own after it.
    expect(after).not.toMatch(/"msg":"fire"/);
    const launched = [...after.matchAll(/"jobId":(\d+),[^\n]*"msg":"start"/g)].map((m) => Number(m[1]));
    const atWake = await jobs();
    for (const id of launched) expect(Number(atWake.find((j) => Number(j.id) === id)?.start_at), `job ${id} launched on waking`).toBeLessThan(stoppedAt + 500);

    await sleep(3 * EVERY_MS);
    const other = daemons[1]!;
    other.child.kill("SIGTERM");
    expect(await exited(other.child)).toBe(0);

    const all = await jobs();
    const live = all.filter((j) => j.status !== "error" && j.status !== "killed");
    const slots = live.map((j) => Number(j.scheduled_time));
    expect(new Set(slots).size).toBe(slots.length);
    const first = Math.min(...slots);
    const last = Math.max(...slots);
    const expected: number[] = [];
    for (let s = first; s <= last; s += EVERY_MS) expected.push(s);
    expect(slots.sort((a, b) => a - b)).toEqual(expected);
    const ok = live.filter((j) => j.status === "success");
    const lastDone = Math.max(...ok.map((j) => Number(j.scheduled_time)));
    const ids = await withPg(warehouse, async (c) => (await c.query(`SELECT message_id FROM anchors.sends`)).rows.map((r: { message_id: string }) => r.message_id));
    expect(new Set(ids).size).toBe(ids.length);
    const want = [...exportRecords(generatorConfig(FAKE), "emailSend", { start: Date.parse(start), end: lastDone })].map((r) => r["messageId"] as string);
    expect(new Set(ids)).toEqual(new Set(want));
  }, 180_000);
});

describe("a host whose clock is an hour ahead of the shared state store's (review 14)", () => {
  it("connector:run --foreground there imports up to the store's now, never leaving the schedule's cursor in the future", async () => {
    const state = await freshPgDatabase("itd_state_skew");
    const warehouse = await freshPgDatabase("itd_wh_skew");
    const root = tempDir("itd-skew-");
    const start = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    writeFileSync(
      join(root, "load.yml"),
      incrementalSendsLoad(fake.url, start),
    );
    // This host's clock: an hour ahead (Date.now of the itd process).
    writeFileSync(join(root, "skew.mjs"), "const real = Date.now; Date.now = () => real() + 3_600_000;\n");
    const env = {
      ITD_HOME: join(root, "home"), ITD_SCHEDULES: join(root, "schedules"), ITD_STATE: state, ITD_WAREHOUSE: warehouse,
      ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=1000/1s",
    };
    const created = await runItd(["connector:create", "hourly", "0 * * * *", "anchors", "sends", join(root, "load.yml"), "--time-column", "created_at", "--auto-create-table"], { cwd: root, env });
    expect(created.code, created.stderr).toBe(0);
    const ran = await runItd(["connector:run", "hourly", "--foreground"], { cwd: root, env: { ...env, NODE_OPTIONS: `--import ${join(root, "skew.mjs")}` } });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const realNow = Date.now();
    const diff = await withPg(state, async (c) => (await c.query(`SELECT config_diff FROM itd_state.cursors`)).rows[0] as { config_diff: string } | undefined);
    const cursor = Date.parse((JSON.parse(diff?.config_diff ?? "{}") as { in: { start_time: string } }).in.start_time);
    // Records up to the cursor are taken as imported: one past the present means the next hour's are never read.
    expect(cursor).toBeLessThanOrEqual(realNow);
  }, 60_000);
});

// A home switched from its state.db to a PostgreSQL state store (--state, $ITD_STATE, state:) started from an empty
// state, silently — its CLI schedules gone, and its file schedules given new ids, so new streams (named by the new
// store's home id in a shared warehouse): an incremental schedule started again at in.start_time and imported,
// again, everything its state.db's cursor had passed. The first process of the home to open an empty PostgreSQL
// state store now copies its state.db into it (store/postgres/adopt.ts), and says so.
describe("a home switched from state.db to a PostgreSQL state store (review 14)", () => {
  it("does not import again what its state.db's cursor had passed", async () => {
    const state = await freshPgDatabase("itd_state_switch");
    const warehouse = await freshPgDatabase("itd_wh_switch");
    const root = tempDir("itd-switch-");
    const start = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    mkdirSync(join(root, "schedules"));
    writeFileSync(
      join(root, "schedules", "sends.yml"),
      [
        "name: sends", "cron: '0 * * * *'", "timezone: UTC", "database: anchors", "table: sends", "config:",
        "  in:", "    type: iterable", "    api_key: ${ITERABLE_API_KEY}", `    base_url: ${fake.url}`, "    data_type: export_data",
        "    export_data_type: emailSend", "    incremental: true", `    start_time: '${start}'`,
        "    columns:", "    - {name: created_at, type: timestamp}", "    - {name: message_id, type: string}", "",
      ].join("\n"),
    );
    const env = { ITD_HOME: join(root, "home"), ITD_SCHEDULES: join(root, "schedules"), ITD_WAREHOUSE: warehouse, ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=1000/1s" };
    const first = await runItd(["connector:run", "sends", "--foreground"], { cwd: root, env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    await sleep(1_500);
    const second = await runItd(["connector:run", "sends", "--foreground"], { cwd: root, env: { ...env, ITD_STATE: state } });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stderr).toMatch(/the PostgreSQL state store was empty: copied .*state\.db into it \(0 schedules, 1 jobs, 1 cursors\)/);
    const ids = await withPg(warehouse, async (c) => (await c.query(`SELECT message_id FROM anchors.sends`)).rows.map((r: { message_id: string }) => r.message_id));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length - new Set(ids).size, "records imported twice").toBe(0);
  }, 60_000);
});

describe("two daemons whose PostgreSQL (state and warehouse) goes away for longer than their leases, mid-import (review 14)", () => {
  it("exit, are started again (as systemd would), and every slot runs once, every record lands once", async () => {
    const server: PostgresServer = await startPostgres({ settings: { fsync: "off" } });
    const mine: ChildProcess[] = []; // this test's daemons
    try {
      const state = await server.createDatabase("itd_state_failover");
      const warehouse = await server.createDatabase("itd_wh_failover");
      const root = tempDir("itd-failover-");
      const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      writeFileSync(
        join(root, "load.yml"),
        incrementalSendsLoad(fake.url, start),
      );
      const homes = [0, 1].map((i) => {
        const dir = join(root, `host${i}`);
        mkdirSync(dir);
        writeFileSync(join(dir, "itd.yml"), "http_port: 0\nshutdown_grace: 5\ncatchup_cap: 1000\n");
        return {
          dir,
          env: {
            ITD_HOME: join(dir, "home"), ITD_CONFIG: join(dir, "itd.yml"), ITD_SCHEDULES: join(dir, "schedules"),
            ITD_STATE: state, ITD_WAREHOUSE: warehouse, ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=20/1s",
          },
        };
      });
      const created = await runItd(
        ["connector:create", "every2s", "*/2 * * * * *", "anchors", "sends", join(root, "load.yml"), "--time-column", "created_at", "--auto-create-table"],
        { cwd: root, env: homes[0]!.env },
      );
      expect(created.code, created.stderr).toBe(0);
      let daemons = homes.map((h) => spawnDaemon(h.dir, h.env, mine));
      const jobs = async (): Promise<JobRow[]> =>
        withPg(state, async (c) => (await c.query(`SELECT id, scheduled_time, status, created_at, start_at, host, pid, error FROM itd_state.jobs ORDER BY scheduled_time, id`)).rows as JobRow[]);
      const logs = (): string => daemons.map((d, i) => `--- daemon ${i}\n${d.log().slice(-3000)}`).join("\n");
      await until("slots run", async () => (await jobs()).filter((j) => j.status === "success").length >= 3, 60_000, logs);
      await until("a job running", async () => (await jobs()).some((j) => j.status === "running"), 30_000, logs);
      await server.stop();
      await sleep(14_000);
      await server.start();
      // Past their leases: they exit (code 1); systemd starts them again.
      for (const d of daemons) expect(await exited(d.child)).toBe(1);
      daemons = homes.map((h) => spawnDaemon(h.dir, h.env, mine));
      const upAt = Date.now();
      await until("slots after the restart", async () => (await jobs()).filter((j) => j.status === "success" && j.scheduled_time > upAt).length >= 3, 90_000, logs);
      for (const d of daemons) d.child.kill("SIGTERM");
      await Promise.all(daemons.map((d) => exited(d.child)));

      const all = await jobs();
      const live = all.filter((j) => j.status !== "error" && j.status !== "killed");
      const slots = live.map((j) => Number(j.scheduled_time));
      expect(new Set(slots).size, "a slot with two live jobs").toBe(slots.length);
      const first = Math.min(...slots);
      const last = Math.max(...slots);
      const expected: number[] = [];
      for (let t = first; t <= last; t += EVERY_MS) expected.push(t);
      expect(slots.sort((a, b) => a - b), "every slot from the first to the last").toEqual(expected);
      const ids = await withPg(warehouse, async (c) => (await c.query(`SELECT message_id FROM anchors.sends`)).rows.map((r: { message_id: string }) => r.message_id));
      expect(ids.length - new Set(ids).size, "records imported twice").toBe(0);
      const cursor = await withPg(state, async (c) => (await c.query(`SELECT config_diff FROM itd_state.cursors`)).rows[0] as { config_diff: string });
      const through = Date.parse((JSON.parse(cursor.config_diff) as { in: { start_time: string } }).in.start_time);
      const want = [...exportRecords(generatorConfig(FAKE), "emailSend", { start: Date.parse(start), end: through })].map((r) => r["messageId"] as string);
      expect(new Set(ids)).toEqual(new Set(want));
    } finally {
      for (const c of mine) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await server.close();
    }
  }, 240_000);
});
