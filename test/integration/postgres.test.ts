/**
 * The PostgreSQL warehouse end to end (issue 13): the real CLI and daemon
 * importing from the fake Iterable into a real PostgreSQL, a job SIGKILLed
 * inside its COPY, PostgreSQL restarted under an import, the warehouse down
 * while the daemon fires — nothing lost, nothing doubled, errors naming the
 * server and never its password.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresServer } from "../../demo/postgres-server.js";
import { exportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { freshPgDatabase, withPg } from "../support/postgres.js";
import { ITD, runItd, sleep, spawnDaemon, stateJobs, tempDir, until } from "./helpers.js";

const KEY = "pg-test-key-51";
const FAKE: FakeIterableOptions = { apiKey: KEY, now: Date.UTC(2026, 5, 10), seed: 13, eventsPerDay: 30_000, rateLimits: false };
const WINDOW = { start: Date.UTC(2026, 5, 1), end: Date.UTC(2026, 5, 3) };
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  fake.clearFaults();
});

function home(warehouse: string, sliceHours = 4) {
  const dir = tempDir("itd-pg-");
  const env = {
    ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: "export=1000/1s", ITD_WAREHOUSE: warehouse,
    ITD_SCHEDULES: join(dir, "schedules"), ITD_CONFIG: join(dir, "itd.yml"),
  };
  writeFileSync(env.ITD_CONFIG, "http_port: 0\nshutdown_grace: 5\n");
  writeFileSync(
    join(dir, "load.yml"),
    [
      "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data",
      "  export_data_type: emailOpen", "  incremental: true", `  start_time: '${iso(WINDOW.start)}'`, `  end_time: '${iso(WINDOW.end)}'`,
      `  slice_hours: ${sliceHours}`,
      "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: email, type: string}", "  - {name: message_id, type: string}",
      "  - {name: campaign_id, type: long}", "  - {name: device_info, type: json}", "",
    ].join("\n"),
  );
  const itd = (...args: string[]) => runItd(args, { cwd: dir, env });
  return { dir, env, itd };
}

let expected: Set<string> | undefined;
/** The window's messageIds, from the fake's generator (made once). */
function expectedIds(): Set<string> {
  expected ??= new Set([...exportRecords(generatorConfig(FAKE), "emailOpen", WINDOW)].map((r) => r["messageId"] as string));
  return expected;
}

/** The table's message ids, and whether its rows are exactly its ledger's (nothing of an uncommitted slice). */
async function tableState(url: string, schema = "wh_it", table = "opens"): Promise<{ ids: string[]; ledgerRows: number }> {
  return withPg(url, async (c) => {
    const ids = (await c.query(`SELECT message_id FROM ${schema}.${table}`)).rows.map((r: { message_id: string }) => r.message_id);
    const ledger = Number((await c.query(`SELECT coalesce(sum(rows), 0) AS n FROM ${schema}._itd_loads WHERE table_name = $1`, [table])).rows[0].n);
    return { ids, ledgerRows: ledger };
  });
}

/** Slices committed so far into the schema's ledger (0 before it exists). */
async function committedSlices(url: string, schema = "wh_it"): Promise<number> {
  return withPg(url, async (c) => {
    const exists = await c.query("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = '_itd_loads'", [schema]);
    if ((exists.rowCount ?? 0) === 0) return 0;
    return Number((await c.query(`SELECT count(*) AS n FROM ${schema}._itd_loads`)).rows[0].n);
  });
}

/** Whether a load of itd is inside a COPY right now. */
async function copying(url: string): Promise<boolean> {
  return withPg(url, async (c) => inCopy(c));
}

async function inCopy(c: pg.Client): Promise<boolean> {
  // This test's database only: the suite's server is shared, and another file's load may be copying meanwhile.
  const r = await c.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'itd load%' AND query LIKE 'COPY%' AND state = 'active'");
  return (r.rowCount ?? 0) > 0;
}

/** Waits (polling every few milliseconds on one connection: a slice's COPY may last only tens of them) until a load is inside a COPY. */
async function untilCopying(url: string, timeoutMs = 30_000): Promise<void> {
  await withPg(url, async (c) => {
    const end = Date.now() + timeoutMs;
    while (!(await inCopy(c))) {
      if (Date.now() > end) throw new Error("timed out waiting for a COPY in progress");
      await sleep(2);
    }
  });
}

function expectExactly(ids: string[], want: Set<string>): void {
  expect(new Set(ids).size).toBe(ids.length); // no duplicate
  expect(ids.length).toBe(want.size); // none lost
  expect(ids.every((id) => want.has(id))).toBe(true); // none extra
}

describe("the PostgreSQL warehouse", () => {
  it("imports with connector:issue and answers db:list, table:list, table:show and query; the password is never shown", async () => {
    const url = await freshPgDatabase();
    const password = new URL(url).password;
    const h = home("sqlite");
    // First into the home's own SQLite files: the same load into PostgreSQL's table later is a stream of its own.
    expect((await h.itd("connector:issue", "load.yml", "--database", "wh_it", "--table", "opens", "--auto-create-table")).code).toBe(0);
    // The global flag wins over $ITD_WAREHOUSE (here: sqlite).
    const pg = (...args: string[]) => h.itd("--warehouse", url, ...args);
    const issue = await pg("connector:issue", "load.yml", "--database", "wh_it", "--table", "opens", "--auto-create-table");
    expect(issue.stderr).toContain("Database 'wh_it' is created.");
    expect(issue.stdout).toContain("Status     : success");
    const outputs = [issue.stdout + issue.stderr];
    const dbs = await pg("db:list", "-f", "json");
    expect(JSON.parse(dbs.stdout)).toEqual([{ Name: "wh_it", Count: 1, Size: expect.any(String) }]);
    const tables = await pg("table:list", "wh_it", "-f", "json");
    const t = (JSON.parse(tables.stdout) as Record<string, unknown>[])[0];
    expect(t).toMatchObject({ Database: "wh_it", Table: "opens", Count: expectedIds().size });
    expect(t?.["Schema"]).toBe("created_at:timestamp, email:string, message_id:string, campaign_id:long, device_info:json");
    const show = await pg("table:show", "wh_it", "opens");
    expect(show.stdout).toContain(`Count       : ${expectedIds().size}`);
    const q = await pg("query", "-d", "wh_it", "-f", "csv", "SELECT count(*) AS n, count(DISTINCT message_id) AS d, min(created_at) >= '2026-06-01' AS ok FROM opens");
    expect(q.stdout.trim().split("\n")[1]).toBe(`${expectedIds().size},${expectedIds().size},true`);
    const write = await pg("query", "-d", "wh_it", "UPDATE opens SET email = 'x'");
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/read-only/);
    outputs.push(dbs.stdout, tables.stdout, show.stdout, q.stdout, write.stderr);
    // Incremental: a second run finds the ledger's cursor and imports nothing again.
    const again = await pg("connector:issue", "load.yml", "--database", "wh_it", "--table", "opens");
    expect(again.stdout).toContain("Status     : success");
    expectExactly((await tableState(url)).ids, expectedIds());
    // And the embedded warehouse of the home holds its own import, once.
    const own = await h.itd("query", "-d", "wh_it", "-f", "csv", "SELECT count(*), count(DISTINCT message_id) FROM opens");
    expect(own.stdout.trim().split("\n")[1]).toBe(`${expectedIds().size},${expectedIds().size}`);
    outputs.push(again.stdout, again.stderr);
    if (password !== "") for (const o of outputs) expect(o).not.toContain(password);
  }, 120_000);

  it("takes the password from a ${ENV} in the URL or from PGPASSWORD, and names a wrong warehouse value plainly", async () => {
    const url = new URL(await freshPgDatabase());
    const password = decodeURIComponent(url.password);
    const bare = new URL(url.href);
    bare.password = "";
    const h = home("sqlite");
    const withEnv = `${bare.href.replace("postgres@", "postgres:${ITD_TEST_PG_PASSWORD}@")}`;
    expect(withEnv).toContain(":${ITD_TEST_PG_PASSWORD}@");
    const viaRef = await runItd(["db:list"], { cwd: h.dir, env: { ...h.env, ITD_WAREHOUSE: withEnv, ITD_TEST_PG_PASSWORD: password } });
    expect(viaRef.code, viaRef.stderr).toBe(0);
    const unset = await runItd(["db:list"], { cwd: h.dir, env: { ...h.env, ITD_WAREHOUSE: withEnv } });
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toContain("$ITD_WAREHOUSE: ${ITD_TEST_PG_PASSWORD} is not set");
    const viaPgpassword = await runItd(["db:list"], { cwd: h.dir, env: { ...h.env, ITD_WAREHOUSE: bare.href, PGPASSWORD: password } });
    expect(viaPgpassword.code, viaPgpassword.stderr).toBe(0);
    const wrong = await runItd(["db:list"], { cwd: h.dir, env: { ...h.env, ITD_WAREHOUSE: "mysql://u:secret@db/x" } });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("$ITD_WAREHOUSE: expected sqlite (the home's embedded files, the default) or postgresql://USER@HOST:PORT/DBNAME; got 'mysql://u:***@db/x'");
    expect(wrong.stderr).not.toContain("secret");
  }, 60_000);

  it("a daemon given a warehouse URL that is not one exits 1 at once, naming it without its password", async () => {
    const h = home("mysql://u:hunter2@db/x");
    const d = spawnDaemon(h.dir, h.env, children);
    const code = await new Promise<number | null>((r) => d.child.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(d.log()).toContain("$ITD_WAREHOUSE: expected sqlite (the home's embedded files, the default) or postgresql://USER@HOST:PORT/DBNAME; got 'mysql://u:***@db/x'");
    expect(d.log()).not.toContain("hunter2");
  }, 30_000);

  it.each(["sqlite", "postgres"])("a schedule file's first run creates its database (%s warehouse)", async (engine) => {
    const url = engine === "postgres" ? await freshPgDatabase() : "sqlite";
    const h = home(url);
    mkdirSync(join(h.dir, "schedules"), { recursive: true });
    writeFileSync(join(h.dir, "schedules", "from_file.yml"), "name: from_file\ncron: '0 0 * * *'\ndatabase: file_db\ntable: opens\nconfig: ../load.yml\n");
    const run = await h.itd("connector:run", "from_file", iso(WINDOW.end), "--foreground");
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const show = await h.itd("table:show", "file_db", "opens");
    expect(show.stdout).toContain(`Count       : ${expectedIds().size}`);
  }, 120_000);

  it("two homes sharing one PostgreSQL warehouse keep their own cursors: each home's first schedule (both schedule#1) imports its own window", async () => {
    const url = await freshPgDatabase();
    const a = home(url);
    const b = home(url);
    const slot = iso(WINDOW.end);
    for (const [h, name, table] of [[a, "sched_a", "a_opens"], [b, "sched_b", "b_opens"]] as const) {
      expect((await h.itd("connector:create", name, "0 0 * * *", "wh_it", table, "load.yml", "--auto-create-table")).code).toBe(0);
      const run = await h.itd("connector:run", name, slot, "--foreground");
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
    expectExactly((await tableState(url, "wh_it", "a_opens")).ids, expectedIds());
    expectExactly((await tableState(url, "wh_it", "b_opens")).ids, expectedIds());
    // Each home's ledger rows carry its identity.
    const streams = await withPg(url, async (c) => (await c.query("SELECT DISTINCT stream FROM wh_it._itd_loads ORDER BY 1")).rows.map((r: { stream: string }) => r.stream));
    expect(streams).toHaveLength(2);
    expect(streams.every((x) => /^[0-9a-f]{16}\/schedule#1$/.test(x))).toBe(true);
  }, 120_000);

  it("a job SIGKILLed inside its COPY commits nothing of that slice; the re-run loses and doubles nothing", async () => {
    const url = await freshPgDatabase();
    const h = home(url, 2);
    const args = [ITD, "connector:issue", "load.yml", "--database", "wh_it", "--table", "opens", "--auto-create-table"];
    fake.addFaults(["export.json:slow=100@100%"]);
    let kills = 0;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, args, { cwd: h.dir, env: { ...process.env, ...h.env }, stdio: "ignore" });
      children.push(child);
      const exited = new Promise<void>((res) => child.once("exit", () => res()));
      // Let a few more slices commit first (so the kills land part-way), then strike while a COPY is open.
      await until("slices committed", async () => (await committedSlices(url)) >= 2 * (round + 1), 60_000);
      await untilCopying(url);
      child.kill("SIGKILL");
      await exited;
      kills++;
      // PostgreSQL ended the killed client's transaction: the table holds exactly what the ledger says.
      const state = await until("the killed session to end", async () => {
        const s = await tableState(url).catch(() => undefined);
        return s !== undefined && !(await copying(url)) ? s : undefined;
      });
      expect(state.ids.length).toBe(state.ledgerRows);
    }
    fake.clearFaults();
    expect(kills).toBe(3);
    const final = await h.itd("connector:issue", "load.yml", "--database", "wh_it", "--table", "opens");
    expect(final.code).toBe(0);
    expect(final.stdout).toContain("continuing from the committed cursor");
    expectExactly((await tableState(url)).ids, expectedIds());
  }, 180_000);

  it("a replace SIGKILLed while it stages leaves the table's old rows and nothing staged behind; the re-run replaces it exactly", async () => {
    const url = await freshPgDatabase();
    const h = home(url, 2);
    writeFileSync(join(h.dir, "load.yml"), readFileSync(join(h.dir, "load.yml"), "utf8").replace("  incremental: true\n", "  incremental: false\n") + "out:\n  mode: replace\n");
    await withPg(url, async (c) => {
      await c.query("CREATE SCHEMA wh_it");
      await c.query("CREATE TABLE wh_it.opens (time bigint, message_id text)");
      await c.query("INSERT INTO wh_it.opens VALUES (1, 'old-1'), (2, 'old-2')");
    });
    fake.addFaults(["export.json:slow=100@100%"]);
    // (--auto-create-table adopts the schema: it gets itd's ledger.)
    const child = spawn(process.execPath, [ITD, "connector:issue", "load.yml", "--database", "wh_it", "--table", "opens", "--auto-create-table"], { cwd: h.dir, env: { ...process.env, ...h.env }, stdio: "ignore" });
    children.push(child);
    const exited = new Promise<void>((res) => child.once("exit", () => res()));
    await untilCopying(url);
    child.kill("SIGKILL");
    await exited;
    fake.clearFaults();
    await until("the killed session to end", async () => !(await copying(url)));
    const after = await withPg(url, async (c) => ({
      ids: (await c.query("SELECT message_id FROM wh_it.opens ORDER BY 1")).rows.map((r: { message_id: string }) => r.message_id),
      staged: Number((await c.query("SELECT count(*) AS n FROM pg_class WHERE relname = 'itd_stage'")).rows[0].n),
    }));
    expect(after).toEqual({ ids: ["old-1", "old-2"], staged: 0 });
    const final = await h.itd("connector:issue", "load.yml", "--database", "wh_it", "--table", "opens");
    expect(final.code, final.stdout + final.stderr).toBe(0);
    expectExactly((await tableState(url)).ids, expectedIds());
  }, 120_000);

  it("PostgreSQL restarted under an import: the job fails naming the server, the next run finishes it exactly", async () => {
    const server: PostgresServer = await startPostgres({ settings: { fsync: "off" } });
    try {
      const url = await server.createDatabase("restart_it");
      const h = home(url, 2);
      fake.addFaults(["export.json:slow=100@100%"]);
      const running = h.itd("connector:issue", "load.yml", "--database", "wh_it", "--table", "opens", "--auto-create-table");
      await sleep(500);
      await untilCopying(url);
      await server.stop();
      const failed = await running;
      await server.start();
      fake.clearFaults();
      expect(failed.code).not.toBe(0);
      const shown = failed.stdout + failed.stderr;
      expect(shown).toMatch(new RegExp(`127\\.0\\.0\\.1:${server.port}`));
      expect(shown).not.toContain("itd-local");
      const state = await tableState(url);
      expect(state.ids.length).toBe(state.ledgerRows);
      const final = await h.itd("connector:issue", "load.yml", "--database", "wh_it", "--table", "opens");
      expect(final.code).toBe(0);
      expectExactly((await tableState(url)).ids, expectedIds());
    } finally {
      await server.close();
    }
  }, 180_000);

  it("with the warehouse down the daemon keeps firing (each job fails naming host, port and user) and recovers when it is back", async () => {
    const server: PostgresServer = await startPostgres({ settings: { fsync: "off" } });
    try {
      const url = await server.createDatabase("daemon_it");
      const h = home(url);
      // An open-ended incremental schedule every 2 s (no end_time): each slot imports up to its time.
      const load = readFileSync(join(h.dir, "load.yml"), "utf8").replace(/ {2}end_time: .*\n/, "").replace(/start_time: .*/, `start_time: '${iso(FAKE.now as number - 3_600_000)}'`);
      writeFileSync(join(h.dir, "load.yml"), load);
      expect((await h.itd("connector:create", "pg_every2", "*/2 * * * * *", "wh_it", "opens", "load.yml", "--auto-create-table")).code).toBe(0);
      await server.stop();
      const d = spawnDaemon(h.dir, h.env, children);
      // Waits read state.db (no itd process per look); what the CLI says is checked once they are over.
      const failedJobs = await until("two failed runs", () => {
        const jobs = stateJobs(h.env.ITD_HOME, "pg_every2").filter((j) => j.status === "error");
        return jobs.length >= 2 ? jobs : undefined;
      }, 60_000, d.log);
      const history = JSON.parse((await h.itd("connector:history", "pg_every2", "-n", "100", "-f", "json")).stdout) as { JobID: number; Status: string }[];
      expect(history.filter((j) => j.Status === "error").length).toBeGreaterThanOrEqual(2);
      const shown = await h.itd("job:show", String(failedJobs[0]?.id));
      expect(shown.stdout).toMatch(new RegExp(`Cannot connect to the PostgreSQL warehouse at 127\\.0\\.0\\.1:${server.port} as user 'postgres'`));
      expect(shown.stdout + d.log()).not.toContain("itd-local");
      // The daemon says where its warehouse is, the password as ***.
      expect(d.log()).toMatch(/"warehouse":"postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/daemon_it"/);
      await server.start();
      await until("a successful run after the warehouse came back", () => stateJobs(h.env.ITD_HOME, "pg_every2").some((j) => j.status === "success") || undefined, 60_000, d.log);
      expect(d.child.exitCode).toBeNull();
    } finally {
      await server.close();
    }
  }, 180_000);
});
