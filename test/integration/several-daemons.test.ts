/**
 * Several daemons on one PostgreSQL state store (issue 14), the anchors'
 * own test: three daemons (each with a home of its own, as on three hosts),
 * a schedule every 2 s (the anchors used 5 s; 2 s keeps the suite short), one SIGKILLed, later the other two, all restarted
 * after a while — every slot from the first to the last exactly once, the
 * slots missed while all were down run late (catch-up), and every record of
 * the schedule's windows in the table once.
 */
import { type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { exportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { freshPgDatabase, withPg } from "../support/postgres.js";
import { incrementalSendsLoad, minutesAgo, runItd, sleep, spawnDaemon, tempDir, until } from "./helpers.js";
import { exited } from "./procs.js";

const KEY = "several-daemons-key-14";
const FAKE: FakeIterableOptions = { apiKey: KEY, seed: 14, eventsPerDay: 2_000_000, rateLimits: false };
const EVERY_MS = 2_000;

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

interface JobRow { id: number; scheduled_time: number; status: string; created_at: number; records: number; error: string | null; catchup: number }

describe("three daemons on one PostgreSQL state store", () => {
  it("run every slot of a 2-second schedule exactly once while they are killed and restarted, catching up the slots all of them missed", async () => {
    const state = await freshPgDatabase("itd_state_it");
    const warehouse = await freshPgDatabase("itd_wh_it");
    const root = tempDir("itd-several-");
    const start = minutesAgo(1);
    writeFileSync(
      join(root, "load.yml"),
      incrementalSendsLoad(fake.url, start),
    );
    const homes = [0, 1, 2].map((i) => {
      const dir = join(root, `host${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, "itd.yml"), "http_port: 0\nshutdown_grace: 5\ncatchup_cap: 1000\n");
      return {
        dir,
        env: {
          ITD_HOME: join(dir, "home"), ITD_CONFIG: join(dir, "itd.yml"), ITD_SCHEDULES: join(dir, "schedules"),
          ITD_STATE: state, ITD_WAREHOUSE: warehouse, ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=1000/1s",
        },
      };
    });
    const host0 = homes[0]!;
    const created = await runItd(
      ["connector:create", "every2s", "*/2 * * * * *", "anchors", "sends", join(root, "load.yml"), "--time-column", "created_at", "--auto-create-table"],
      { cwd: root, env: host0.env },
    );
    expect(created.stderr).not.toMatch(/Error/);
    expect(created.code).toBe(0);

    const daemons = homes.map((h) => spawnDaemon(h.dir, h.env, children));
    const jobs = async (): Promise<JobRow[]> =>
      withPg(state, async (c) =>
        ((await c.query(`SELECT id, scheduled_time, status, created_at, records, error, catchup FROM itd_state.jobs WHERE kind = 'scheduled' ORDER BY scheduled_time, id`)).rows as JobRow[]).map(
          (j) => ({ ...j, id: Number(j.id), scheduled_time: Number(j.scheduled_time), created_at: Number(j.created_at), records: Number(j.records) }),
        ),
      );
    const logs = (): string => daemons.map((d, i) => `--- daemon ${i}\n${d.log().slice(-3000)}`).join("\n");
    const successes = async (): Promise<number> => (await jobs()).filter((j) => j.status === "success").length;

    await until("three slots run by the three daemons", async () => (await successes()) >= 3, 40_000, logs);
    daemons[0]!.child.kill("SIGKILL");
    await exited(daemons[0]!.child);
    const before = await successes();
    await until("two more slots run by the other two", async () => (await successes()) >= before + 2, 30_000, logs);
    for (const d of daemons.slice(1)) d.child.kill("SIGKILL");
    await Promise.all(daemons.slice(1).map((d) => exited(d.child)));
    const downAt = Date.now();
    // All down for three slots and more.
    await sleep(3 * EVERY_MS + 2_000);
    const restarted = homes.map((h) => spawnDaemon(h.dir, h.env, children));
    const upAt = Date.now();
    // The slots missed while all were down, and two on time after them.
    await until(
      "the missed slots caught up and two slots after the restart run",
      async () => {
        const all = await jobs();
        const after = all.filter((j) => j.scheduled_time > upAt + 1_000 && j.status === "success");
        return after.length >= 2 && all.every((j) => j.status !== "queued" && j.status !== "running" || j.scheduled_time > upAt + 1_000);
      },
      60_000,
      () => restarted.map((d, i) => `--- daemon ${i}\n${d.log().slice(-3000)}`).join("\n"),
    );
    for (const d of restarted) d.child.kill("SIGTERM");
    expect(await Promise.all(restarted.map((d) => exited(d.child)))).toEqual([0, 0, 0]);

    const all = await jobs();
    // Slots fired just before the stop wait in the queue for the next daemon: only after every run slot.
    const waiting = all.filter((j) => j.status === "queued");
    const live = all.filter((j) => j.status !== "error" && j.status !== "killed" && j.status !== "queued");
    for (const q of waiting) expect(q.scheduled_time).toBeGreaterThan(Math.max(...live.map((j) => j.scheduled_time)));
    const slots = live.map((j) => Number(j.scheduled_time));
    // Every slot from the first to the last exactly once.
    expect(new Set(slots).size).toBe(slots.length);
    const first = Math.min(...slots);
    const last = Math.max(...slots);
    const expected: number[] = [];
    for (let s = first; s <= last; s += EVERY_MS) expected.push(s);
    expect(slots.sort((a, b) => a - b)).toEqual(expected);
    // Each ran, none was skipped (catchup: all), and those missed while every daemon was down ran late, after the restart.
    expect(live.filter((j) => j.status !== "success").map((j) => `${j.id} ${j.status} ${j.error}`)).toEqual([]);
    const missed = live.filter((j) => j.scheduled_time > downAt && j.scheduled_time < upAt - 1_000);
    expect(missed.length).toBeGreaterThanOrEqual(3);
    for (const j of missed) expect(Number(j.created_at)).toBeGreaterThanOrEqual(upAt - 1_000);
    // Each recorded as catch-up in its job (job:show says "missed, run late by catch-up"); the on-time ones not.
    expect(missed.map((j) => j.catchup)).toEqual(missed.map(() => 1));
    expect(live.filter((j) => j.scheduled_time < downAt - 2 * EVERY_MS).every((j) => j.catchup === 0)).toBe(true);
    const caughtUp = restarted.map((d) => d.log()).join("\n").match(/"catching up missed slots"/g) ?? [];
    expect(caughtUp.length).toBeGreaterThanOrEqual(1);

    // Every record of the windows [start, last slot) once.
    const ids = await withPg(warehouse, async (c) => (await c.query(`SELECT message_id FROM anchors.sends`)).rows.map((r: { message_id: string }) => r.message_id));
    expect(new Set(ids).size).toBe(ids.length);
    const want = [...exportRecords(generatorConfig(FAKE), "emailSend", { start: Date.parse(start), end: last })].map((r) => r["messageId"] as string);
    expect(ids.length).toBe(want.length);
    expect(new Set(ids)).toEqual(new Set(want));
  }, 240_000);
});

// A daemon whose PostgreSQL state store goes away (a few seconds: it goes on; past its lease: exit 1 naming why;
// mid-import with two daemons, restarted: every slot and record once): test/integration/pg-state-review.test.ts and
// pg-stall-review.test.ts.

describe("three daemons sharing one API key", () => {
  it("never send more than Iterable's export limit together: the rate budget is shared through the state store", async () => {
    // Iterable's 4 export requests a minute, squeezed into 3 s so the test sees many windows; itd told the same.
    const limited = await startFakeIterable({ apiKey: KEY, seed: 15, eventsPerDay: 200_000, rateLimits: true, rateLimitOverrides: { export: { limit: 4, windowMs: 3_000 } } });
    try {
      const state = await freshPgDatabase("itd_state_budget");
      const warehouse = await freshPgDatabase("itd_wh_budget");
      const root = tempDir("itd-budget-");
      const start = new Date(Date.now() - 30_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      writeFileSync(join(root, "load.yml"), incrementalSendsLoad(limited.url, start, ["  retry_limit: 0"]));
      const envs = [0, 1, 2].map((i) => {
        const dir = join(root, `host${i}`);
        mkdirSync(dir);
        writeFileSync(join(dir, "itd.yml"), "http_port: 0\nshutdown_grace: 5\n");
        return {
          dir,
          env: {
            ITD_HOME: join(dir, "home"), ITD_CONFIG: join(dir, "itd.yml"), ITD_STATE: state, ITD_WAREHOUSE: warehouse,
            // 3.5 s against the fake's 3: a 3-s window's own margin (2 %, 60 ms) is less than a loaded machine delays a granted
            // request by (one 429 seen once); Iterable's real windows are a minute, their margin 1.2 s.
            ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=4/3500ms",
          },
        };
      });
      for (const name of ["a", "b", "c", "d"]) {
        const made = await runItd(["connector:create", `s_${name}`, "*/2 * * * * *", "budget", `t_${name}`, join(root, "load.yml"), "--auto-create-table"], { cwd: root, env: envs[0]!.env });
        expect(made.code).toBe(0);
      }
      const daemons = envs.map((h) => spawnDaemon(h.dir, h.env, children));
      const exports = (): number => Object.entries(limited.stats().requests["export.json"] ?? {}).reduce((n, [, c]) => n + c, 0);
      await until("16 export requests", () => exports() >= 16, 90_000, () => daemons.map((d) => d.log().slice(-2000)).join("\n"));
      for (const d of daemons) d.child.kill("SIGTERM");
      await Promise.all(daemons.map((d) => exited(d.child)));
      const stats = limited.stats();
      expect(stats.rateLimited).toBe(0);
      expect(stats.requests["export.json"]?.["429"] ?? 0).toBe(0);
      expect(stats.requests["export.json"]?.["200"] ?? 0).toBeGreaterThanOrEqual(16);
      // All three sent some (the budget is shared, not one daemon's).
      const jobsBy = await withPg(state, async (c) => (await c.query(`SELECT count(*) AS n FROM itd_state.jobs WHERE status = 'success'`)).rows[0].n);
      expect(Number(jobsBy)).toBeGreaterThan(4);
    } finally {
      await limited.close();
    }
  }, 180_000);
});

describe("the first command on a fresh PostgreSQL state store", () => {
  it("is one that sends a request to Iterable (guess): the shared rate budget's table is made with the state", async () => {
    const state = await freshPgDatabase("itd_state_guess");
    const dir = tempDir("itd-guess-");
    writeFileSync(
      join(dir, "seed.yml"),
      ["in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data",
        "  export_data_type: emailSend", "  start_time: '2026-12-01T00:00:00Z'", ""].join("\n"),
    );
    const r = await runItd(["connector:guess", "seed.yml", "-o", "load.yml"], { cwd: dir, env: { ITD_HOME: join(dir, "home"), ITD_STATE: state, ITERABLE_API_KEY: KEY } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const grants = await withPg(state, async (c) => Number((await c.query("SELECT count(*) AS n FROM itd_state.rate_grants")).rows[0].n));
    expect(grants).toBeGreaterThan(0);
  }, 60_000);
});
