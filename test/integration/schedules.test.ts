/**
 * connector:create / list / show / update / delete / history / run,
 * schedule:next, job:prune and schedules/*.yml, as subprocesses in temporary homes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countExportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { runItd, tempDir } from "./helpers.js";

const KEY = "sched-test-key-9f8e7d";
const FAKE: FakeIterableOptions = { apiKey: KEY, now: Date.UTC(2026, 5, 10), seed: 21, eventsPerDay: 300, rateLimits: false };

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());

function workspace() {
  const dir = tempDir("itd-sched-");
  const env = { ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_SCHEDULES: join(dir, "schedules"), ITD_RATE_LIMITS: "export=100/1s" };
  const itd = (...args: string[]) => runItd(args, { cwd: dir, env });
  const load = [
    "in:",
    "  type: iterable",
    "  api_key: ${ITERABLE_API_KEY}",
    `  base_url: ${fake.url}`,
    "  data_type: export_data",
    "  export_data_type: emailSend",
    "  incremental: true",
    "  start_time: '2026-06-01T00:00:00Z'",
    "  columns:",
    "  - {name: created_at, type: timestamp}",
    "  - {name: message_id, type: string}",
    "  - {name: email, type: string}",
    "",
  ].join("\n");
  writeFileSync(join(dir, "load.yml"), load);
  return { dir, env, itd, write: (name: string, text: string) => writeFileSync(join(dir, name), text) };
}

async function created(w: ReturnType<typeof workspace>, name = "daily_import", extra: string[] = []) {
  const r = await w.itd("connector:create", name, "10 0 * * *", "td_db", "td_table", "load.yml", "-t", "Asia/Tokyo", "-D", "600", "--auto-create-table", ...extra);
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.code).toBe(0);
  return r;
}

describe("connector:create", () => {
  it("prints TD's session dump with the key hidden", async () => {
    const w = workspace();
    const r = await created(w);
    expect(r.stdout).toMatch(/^Name {5}: daily_import\nCron {5}: 10 0 \* \* \*\nTimezone : Asia\/Tokyo\nDelay {4}: 600\nDatabase : td_db\nTable {4}: td_table\n/);
    expect(r.stdout).toContain("Config\n---\nin:");
    expect(r.stdout).toContain("Config Diff");
    expect(r.stdout).not.toContain(KEY);
  });

  it("refuses, before writing anything: a taken name, a bad cron field, an abbreviation, a bad delay or priority, a missing table", async () => {
    const w = workspace();
    await created(w);
    const cases: [string[], RegExp][] = [
      [["daily_import", "10 0 * * *", "td_db", "td_table", "load.yml"], /BulkLoadSession: daily_import create failed: Name has already been taken/],
      [["b", "10 25 * * *", "td_db", "td_table", "load.yml"], /hour: 25 is out of range 0-23/],
      [["c", "* * *", "td_db", "td_table", "load.yml"], /expected 5 fields/],
      [["d", "@daily", "td_db", "td_table", "load.yml", "-t", "PST"], /use an IANA name such as America\/Los_Angeles/],
      [["e", "@daily", "td_db", "td_table", "load.yml", "-t", "Mars/Base"], /unknown IANA time zone/],
      [["f", "@daily", "td_db", "td_table", "load.yml", "-D", "-5"], /delay: expected whole seconds/],
      [["g", "@daily", "td_db", "td_table", "load.yml", "--priority", "3"], /priority: expected a whole number from -2 to 2/],
      [["h", "@daily", "td_db", "nope", "load.yml"], /Table 'td_db.nope' does not exist/],
      [["i", "@daily", "td_db", "td_table", "missing.yml"], /missing\.yml not found/],
      [["j", "@daily", "td_db", "td_table", "load.yml", "--catchup", "some"], /catchup: expected one of all, latest, none/],
    ];
    for (const [args, message] of cases) {
      const r = await w.itd("connector:create", ...args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    const list = JSON.parse((await w.itd("connector:list", "-f", "json")).stdout) as unknown[];
    expect(list).toHaveLength(1);
  });
});

describe("connector:list and show", () => {
  it("lists TD's columns then Next run, Last status and Source, in table and json", async () => {
    const w = workspace();
    await created(w, "b_sched");
    await created(w, "a_sched", ["--priority", "2"]);
    const table = (await w.itd("connector:list")).stdout;
    expect(table).toMatch(/\| Name +\| Cron +\| Timezone +\| Delay \| Database \| Table +\| Next run +\| Last status \| Queued \| Source \|/);
    expect(table).toMatch(/2 rows in set\n$/);
    const json = JSON.parse((await w.itd("connector:list", "-f", "json")).stdout) as Record<string, unknown>[];
    expect(json.map((r) => r["Name"])).toEqual(["a_sched", "b_sched"]);
    expect(json[0]).toMatchObject({ Cron: "10 0 * * *", Timezone: "Asia/Tokyo", Delay: 600, Source: "cli", "Last status": "", Queued: 0 });
    expect(String(json[0]?.["Next run"])).toMatch(/^\d{4}-\d\d-\d\d 00:10:00 \(\+09:00\)$/);
  });

  it("shows the next three runs in the schedule's zone and in UTC", async () => {
    const w = workspace();
    await created(w);
    const r = await w.itd("connector:show", "daily_import");
    const runs = r.stdout.split("Next runs\n")[1]?.trim().split("\n") ?? [];
    expect(runs).toHaveLength(3);
    for (const line of runs) expect(line).toMatch(/00:10:00 \(\+09:00\) +\d{4}-\d\d-\d\d 15:10:00 UTC +\(starts \d{4}-\d\d-\d\d 00:20:00/);
    const missing = await w.itd("connector:show", "nope");
    expect(missing.stderr).toContain("Error: BulkLoadSession: nope retrieve failed");
  });
});

describe("connector:update", () => {
  it("changes each field, renames with the cursor, and refuses an empty update", async () => {
    const w = workspace();
    await created(w);
    const up = (...args: string[]) => w.itd("connector:update", "daily_import", ...args);
    expect((await up("-s", "0 */2 * * *")).stdout).toContain("Cron     : 0 */2 * * *");
    expect((await up("-z", "Europe/London")).stdout).toContain("Timezone : Europe/London");
    expect((await up("-D", "30")).stdout).toContain("Delay    : 30");
    const missingDb = await up("-d", "other_db");
    expect(missingDb.code).toBe(1); // as create: the database must exist
    expect(missingDb.stderr).toContain("Database 'other_db' does not exist");
    expect((await up("-d", "other_db", "--auto-create-table")).stdout).toContain("Database : other_db");
    expect((await up("-t", "other_table", "--auto-create-table")).stdout).toContain("Table    : other_table");
    expect((await up("-T", "created_at")).stdout).toContain("TimeCol  : created_at");
    expect((await up("--priority", "-2")).stdout).toContain("Priority : -2");
    expect((await up("--catchup", "none")).stdout).toContain("Catchup  : none");
    expect((await up("--pause")).stdout).toContain("Paused   : yes");
    expect((await up("--resume")).stdout).toContain("Paused   : no");
    w.write("diff.yml", "in: {start_time: '2026-06-05T00:00:00Z'}\n");
    expect((await up("--config-diff", "diff.yml")).stdout).toContain("Config Diff\n---\nin:\n  start_time: '2026-06-05T00:00:00Z'\n");
    w.write("load2.yml", "in:\n  type: iterable\n  api_key: ${ITERABLE_API_KEY}\n  data_type: campaign\n");
    expect((await up("load2.yml")).stderr).toContain("in.columns: missing"); // a config that could never run
    w.write("load2.yml", "in:\n  type: iterable\n  api_key: ${ITERABLE_API_KEY}\n  data_type: campaign\n  columns:\n  - {name: id, type: long}\n");
    expect((await up("load2.yml")).stdout).toContain("data_type: campaign");
    expect((await up("-s")).stdout).toContain("Cron     : \n");
    const renamed = await up("-n", "renamed");
    expect(renamed.stdout).toContain("Name     : renamed");
    expect(renamed.stdout).toContain("in:\n  start_time: '2026-06-05T00:00:00Z'");
    const nothing = await w.itd("connector:update", "renamed");
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("Error: nothing to update");
    const bad = await w.itd("connector:update", "renamed", "-z", "EST");
    expect(bad.stderr).toMatch(/abbreviations are ambiguous/);
  });
});

describe("connector:delete and history", () => {
  it("prints Deleted session and the dump; the history stays readable", async () => {
    const w = workspace();
    await created(w);
    const run = await w.itd("connector:run", "daily_import", "2026-06-02T00:00:00Z", "--foreground");
    expect(run.code, run.stdout + run.stderr + (await w.itd("job:show", "1", "-v")).stdout).toBe(0);
    expect((await w.itd("connector:run", "daily_import", "2026-06-03T00:00:00Z")).code).toBe(0); // queued; no daemon runs it
    const del = await w.itd("connector:delete", "daily_import");
    expect(del.stdout).toMatch(/^Deleted session\n--\nName {5}: daily_import\n/);
    expect(del.stderr).toContain("1 queued run(s) of 'daily_import' skipped");
    expect((await w.itd("connector:list", "-f", "json")).stdout.trim()).toBe("[]");
    const all = JSON.parse((await w.itd("connector:history", "daily_import", "-f", "json")).stdout) as Record<string, unknown>[];
    // The queued run ended with the delete: skipped, not left queued or failing later.
    expect(all.map((j) => j["Status"]).sort()).toEqual(["skipped", "success"]);
    const history = all.filter((j) => j["Status"] === "success");
    expect(history).toHaveLength(1);
    expect(Object.keys(history[0] ?? {})).toEqual(["JobID", "Status", "Records", "Database", "Table", "Priority", "Started", "Duration", "Scheduled"]);
    expect(history[0]).toMatchObject({ Status: "success", Scheduled: "2026-06-02 00:00:00 +0000" });
    expect((await w.itd("job:list", "-f", "json")).stdout).toContain("daily_import");
  });
});

describe("connector:run", () => {
  it("queues a slot for the daemon and says when none is running", async () => {
    const w = workspace();
    await created(w);
    const r = await w.itd("connector:run", "daily_import", "2026-06-03T00:00:00Z");
    expect(r.stdout).toMatch(/^Job \d+ is queued\.$/m);
    expect(r.stderr).toContain("No itd daemon is running");
    const again = await w.itd("connector:run", "daily_import", "2026-06-03T00:00:00Z");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has job \d+ \(queued\); a slot runs once/);
  });

  it("backfills consecutive slots in the foreground, each window ending at its slot, each record once", async () => {
    const w = workspace();
    await w.itd("connector:create", "hourly", "0 */6 * * *", "bf_db", "sends", "load.yml", "--auto-create-table");
    const r = await w.itd("connector:run", "hourly", "2026-06-02T00:00:00Z", "-n", "4", "--foreground");
    expect(r.code).toBe(0);
    const history = JSON.parse((await w.itd("connector:history", "hourly", "-f", "json")).stdout) as { Scheduled: string; Records: number }[];
    expect(history.map((h) => h.Scheduled).reverse()).toEqual([
      "2026-06-02 00:00:00 +0000",
      "2026-06-02 06:00:00 +0000",
      "2026-06-02 12:00:00 +0000",
      "2026-06-02 18:00:00 +0000",
    ]);
    const cfg = generatorConfig(FAKE);
    const all = countExportRecords(cfg, "emailSend", { start: Date.UTC(2026, 5, 1), end: Date.UTC(2026, 5, 2, 18) });
    expect(history.reduce((n, h) => n + h.Records, 0)).toBe(all);
    const show = await w.itd("connector:show", "hourly");
    expect(show.stdout).toContain("in:\n  start_time: '2026-06-02T18:00:00Z'");
  });
});

describe("schedule:next", () => {
  it("runs a skipped fixed time once right after the jump (New York, spring forward)", async () => {
    const w = workspace();
    const r = await w.itd("schedule:next", "30 2 * * *", "-t", "America/New_York", "--from", "2026-03-07T12:00:00Z", "-n", "2", "-f", "csv");
    expect(r.stdout).toBe(
      "#,Time (America/New_York),UTC,Unix\n1,2026-03-08 03:00:00 EDT (-04:00),2026-03-08 07:00:00 UTC,1772953200\n2,2026-03-09 02:30:00 EDT (-04:00),2026-03-09 06:30:00 UTC,1773037800\n",
    );
    const bad = await w.itd("schedule:next", "*/0 * * * *");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/minute/);
  });
});

describe("schedules/*.yml", () => {
  it("lists file schedules with their source, refuses to change them, and reports invalid files by file and key", async () => {
    const w = workspace();
    mkdirSync(join(w.dir, "schedules"));
    w.write(
      "schedules/nightly.yml",
      "name: nightly\ncron: '0 3 * * *'\ntimezone: Europe/London\ndatabase: td_db\ntable: td_table\nconfig: ../load.yml\n",
    );
    w.write("schedules/broken.yml", "name: broken\ncron: '0 3 * * *'\ndatabase: td_db\ntable: td_table\ndelay: soon\nconfig: ../load.yml\n");
    w.write("schedules/badcron.yml", "name: badcron\ncron: '0 3 * * 9'\ndatabase: td_db\ntable: td_table\nconfig: ../load.yml\n");
    const list = await w.itd("connector:list", "-f", "json");
    const rows = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r["Name"])).toEqual(["nightly"]);
    expect(String(rows[0]?.["Source"])).toMatch(/schedules\/nightly\.yml$/);
    expect(list.stderr).toMatch(/broken\.yml: delay: /);
    expect(list.stderr).toMatch(/badcron\.yml: .*day-of-week/);
    const up = await w.itd("connector:update", "nightly", "-D", "5");
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/defined in .*nightly\.yml: edit/);
    expect((await w.itd("connector:delete", "nightly")).code).toBe(1);
    expect((await w.itd("connector:show", "nightly")).stdout).toMatch(/Source {3}: .*nightly\.yml/);
  });
});

describe("job:prune", () => {
  it("deletes old history but never a cursor", async () => {
    const w = workspace();
    await created(w);
    expect((await w.itd("connector:run", "daily_import", "2026-06-02T00:00:00Z", "--foreground")).code).toBe(0);
    const before = (await w.itd("connector:show", "daily_import")).stdout;
    expect(before).toContain("in:\n  start_time: '2026-06-02T00:00:00Z'");
    expect((await w.itd("job:prune", "--older-than", "90d")).stdout).toContain("Pruned 0 job(s)");
    // 0m: every finished job. It says what it would delete, and deletes only with --yes (not on a terminal).
    expect((await w.itd("job:prune", "--older-than", "0m", "--dry-run")).stdout).toMatch(/^Would prune 1 finished job\(s\) ended more than 0m ago \(from 20\d\d-/);
    const unconfirmed = await w.itd("job:prune", "--older-than", "0m");
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("job:prune would delete 1 finished job(s)");
    expect(unconfirmed.stderr).toContain("add --yes");
    expect(JSON.parse((await w.itd("job:list", "-f", "json")).stdout)).toHaveLength(1);
    expect((await w.itd("job:prune", "--older-than", "0m", "--yes")).stdout).toContain("Pruned 1 job(s)");
    expect((await w.itd("job:list", "-f", "json")).stdout.trim()).toBe("[]");
    expect((await w.itd("connector:show", "daily_import")).stdout).toContain("in:\n  start_time: '2026-06-02T00:00:00Z'");
    expect((await w.itd("job:prune", "--older-than", "soon")).stderr).toContain('expected an age like 90d');
  });
});
