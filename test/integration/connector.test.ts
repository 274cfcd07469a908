/**
 * connector:guess / preview / issue, job:*, table:*, query as subprocesses
 * against the fake Iterable, in temporary homes.
 */
import Database from "better-sqlite3";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  campaignsFor,
  countExportRecords,
  exportRecords,
  generatorConfig,
  listMembers,
  listsFor,
  startFakeIterable,
  type FakeIterable,
  type FakeIterableOptions,
} from "../../src/fake-iterable/index.js";
import { parseLoadConfig } from "../../src/connector/config.js";
import { runItd, tempDir } from "./helpers.js";

const KEY = "conn-test-key-0a1b2c3d";
const FAKE: FakeIterableOptions = { apiKey: KEY, now: Date.UTC(2026, 5, 10), seed: 11, eventsPerDay: 500, campaigns: 12, lists: 2, users: 300, rateLimits: false };
const cfg = generatorConfig(FAKE);
const D = (day: number): number => Date.UTC(2026, 5, day);

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());

interface Workspace {
  dir: string;
  env: NodeJS.ProcessEnv;
  itd(...args: string[]): ReturnType<typeof runItd>;
  write(name: string, text: string): string;
  sql<T = unknown>(db: string, query: string): T[];
}

function workspace(): Workspace {
  const dir = tempDir("itd-conn-");
  const env = { ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY };
  return {
    dir,
    env,
    itd: (...args) => runItd(args, { cwd: dir, env }),
    write(name, text) {
      writeFileSync(join(dir, name), text);
      return name;
    },
    sql<T>(db: string, query: string): T[] {
      const conn = new Database(join(dir, "home", "warehouse", `${db}.db`), { readonly: true });
      try {
        return conn.prepare(query).all() as T[];
      } finally {
        conn.close();
      }
    },
  };
}

function seed(extra: string, url = fake.url): string {
  return `in:\n  type: iterable\n  api_key: \${ITERABLE_API_KEY}\n  base_url: ${url}\n${extra}`;
}

const exportSeed = (type: string, start: string, end: string, more = "", url = fake.url): string =>
  seed(`  data_type: export_data\n  export_data_type: ${type}\n  start_time: '${start}'\n  end_time: '${end}'\n${more}`, url);

async function guessed(w: Workspace, seedText: string, out = "load.yml"): Promise<string> {
  w.write("seed.yml", seedText);
  const r = await w.itd("connector:guess", "seed.yml", "-o", out);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return out;
}

describe("connector:guess and preview", () => {
  it("writes load.yml with guessed columns, keeps an older file as .0 and never prints the key", async () => {
    const w = workspace();
    w.write("load.yml", "old");
    await guessed(w, exportSeed("user", "2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z"));
    const text = readFileSync(join(w.dir, "load.yml"), "utf8");
    expect(text).toContain("- {name: itbl_internal_email_domain, type: string}");
    expect(text).toMatch(/- \{name: profile_updated_at, type: timestamp/);
    expect(text).toContain("api_key: \"${ITERABLE_API_KEY}\"");
    expect(readFileSync(join(w.dir, "load.yml.0"), "utf8")).toBe("old");
    const again = await w.itd("connector:guess", "seed.yml", "-o", "load.yml");
    expect(again.stdout).toContain("Guessed configuration:");
    expect(again.stdout).toContain("Created load.yml file.");
    expect(again.stdout).not.toContain(KEY);
    expect(existsSync(join(w.dir, "load.yml.1"))).toBe(true);
  });

  it("previews typed rows without creating anything", async () => {
    const w = workspace();
    const load = await guessed(w, exportSeed("emailOpen", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"));
    const r = await w.itd("connector:preview", load, "--limit", "5");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| created_at:timestamp +\|/);
    expect(r.stdout).toContain("5 rows in set");
    expect(r.stdout).toMatch(/"2026-06-01 \d\d:\d\d:\d\d\.000"/);
    expect(existsSync(join(w.dir, "home", "warehouse", "x.db"))).toBe(false);
    const json = JSON.parse((await w.itd("connector:preview", load, "--limit", "2", "-f", "json")).stdout.split("\nUpdate")[0] as string) as unknown[];
    expect(json).toHaveLength(2);
  });
});

describe("connector:issue", () => {
  it("refuses a missing database with TD's hint unless --auto-create-table", async () => {
    const w = workspace();
    const load = await guessed(w, exportSeed("emailSend", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"));
    const r = await w.itd("connector:issue", load, "--database", "mydb", "--table", "sends");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error: Database 'mydb' does not exist");
    expect(r.stderr).toContain("itd db:list");
    const ok = await w.itd("connector:issue", load, "--database", "mydb", "--table", "sends", "--auto-create-table");
    expect(ok.stderr).toContain("Database 'mydb' is created.");
    expect(ok.stderr).toContain("Table 'mydb.sends' is created.");
    expect(ok.stdout).toContain("Status     : success");
  });

  it("imports each record of an incremental export exactly once across runs", async () => {
    const w = workspace();
    const load = await guessed(w, exportSeed("emailSend", "2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z", "  incremental: true\n"));
    const args = ["--database", "inc_db", "--table", "sends", "--auto-create-table"];
    const first = await w.itd("connector:issue", load, ...args);
    expect(first.code).toBe(0);
    const want1 = countExportRecords(cfg, "emailSend", { start: D(1), end: D(3) });
    expect(first.stdout).toContain(`Records    : ${want1}`);
    // Extend the window: only the new day comes in.
    writeFileSync(join(w.dir, load), readFileSync(join(w.dir, load), "utf8").replace("2026-06-03T00:00:00Z", "2026-06-05T00:00:00Z"));
    const second = await w.itd("connector:issue", load, ...args);
    expect(second.stdout).toContain("continuing from the committed cursor start_time 2026-06-03T00:00:00Z");
    const want = [...exportRecords(cfg, "emailSend", { start: D(1), end: D(5) })].map((r) => r["messageId"]);
    const rows = w.sql<{ n: number; d: number }>("inc_db", "SELECT count(*) n, count(DISTINCT message_id) d FROM sends")[0];
    expect(rows).toEqual({ n: want.length, d: want.length });
    // Nothing new: a third run imports nothing.
    const third = await w.itd("connector:issue", load, ...args);
    expect(third.stdout).toContain("Records    : 0");
    expect(third.code).toBe(0);
  });

  it("imports campaigns joined with their metrics as snake_case columns", async () => {
    const w = workspace();
    const load = await guessed(w, seed("  data_type: campaign\n  number_of_ids_for_each_request: 5\n"));
    const columns = parseLoadConfig(readFileSync(join(w.dir, load), "utf8"), load, w.env).in.columns ?? [];
    const typeOf = (name: string): string | undefined => columns.find((c) => c.name === name)?.type;
    // Iterable writes every metric as a decimal (16.0): all metric columns are double, names end without _.
    for (const name of ["total_email_sends", "revenue", "average_order_value", "purchases_m_email", "total_email_opens_filtered", "total_web_pushes_sent"]) {
      expect(typeOf(name), name).toBe("double");
    }
    expect(typeOf("id")).toBe("long");
    expect(columns.filter((c) => c.name.endsWith("_"))).toEqual([]);
    const r = await w.itd("connector:issue", load, "--database", "camp_db", "--table", "campaigns", "--auto-create-table");
    expect(r.code).toBe(0);
    // The campaigns pages and metrics CSVs are counted (it said 0 B).
    expect(r.stdout).toMatch(/Received {3}: \d+(\.\d+)? KiB/);
    const cols = w.sql<{ name: string }>("camp_db", "SELECT name FROM pragma_table_info('campaigns')").map((c) => c.name);
    expect(cols).toEqual(expect.arrayContaining(["id", "name", "created_at", "total_email_sends", "message_medium"]));
    const rows = w.sql<{ id: number; created_at: string }>("camp_db", "SELECT id, created_at FROM campaigns ORDER BY id");
    expect(rows.map((x) => x.id)).toEqual(campaignsFor(cfg).map((c) => c.id).sort((a, b) => a - b));
    expect(rows[0]?.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  });

  it("imports the members of one list", async () => {
    const w = workspace();
    const list = listsFor(cfg)[0]?.id as number;
    const load = await guessed(w, seed(`  data_type: list\n  list_id: ${list}\n`));
    const r = await w.itd("connector:issue", load, "--database", "list_db", "--table", "members", "--auto-create-table");
    expect(r.code).toBe(0);
    const emails = w.sql<{ email: string }>("list_db", "SELECT email FROM members").map((m) => m.email);
    expect(emails.sort()).toEqual([...listMembers(cfg, list, false)].sort());
  });

  it("uses --time-column for time and refuses a time column of the wrong type", async () => {
    const w = workspace();
    const load = await guessed(w, exportSeed("emailClick", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"));
    const base = ["--database", "tc_db", "--table", "clicks", "--auto-create-table"];
    const ok = await w.itd("connector:issue", load, ...base, "--time-column", "created_at");
    expect(ok.code).toBe(0);
    const bad = w.sql<{ n: number }>("tc_db", "SELECT count(*) n FROM clicks WHERE time <> CAST(strftime('%s', created_at) AS INTEGER)")[0];
    expect(bad?.n).toBe(0);
    const wrong = await w.itd("connector:issue", load, ...base, "--time-column", "email");
    expect(wrong.code).toBe(1);
    expect(wrong.stdout + wrong.stderr).toContain("Type of 'email' column must be long or timestamp");
  });

  it("replaces, truncates and replaces only on new data as out.mode says", async () => {
    const w = workspace();
    const load = await guessed(w, exportSeed("pushOpen", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"));
    const text = readFileSync(join(w.dir, load), "utf8");
    const withMode = (mode: string, start = "2026-06-01T00:00:00Z", end = "2026-06-02T00:00:00Z"): string =>
      w.write(`${mode}.yml`, text.replace("out: {mode: append}", `out: {mode: ${mode}}`).replace("2026-06-02T00:00:00Z", end).replace("2026-06-01T00:00:00Z", start));
    const args = ["--database", "mode_db", "--table", "opens", "--auto-create-table"];
    const count = (): number => (w.sql<{ n: number }>("mode_db", "SELECT count(*) n FROM opens")[0] as { n: number }).n;
    const day1 = countExportRecords(cfg, "pushOpen", { start: D(1), end: D(2) });
    const day2 = countExportRecords(cfg, "pushOpen", { start: D(2), end: D(3) });
    await w.itd("connector:issue", load, ...args);
    await w.itd("connector:issue", load, ...args);
    expect(count()).toBe(2 * day1);
    expect((await w.itd("connector:issue", withMode("replace", "2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"), ...args)).code).toBe(0);
    expect(count()).toBe(day2);
    await w.itd("connector:issue", withMode("truncate"), ...args);
    expect(count()).toBe(day1);
    // An empty window brings no rows: the table stays as it was.
    const empty = await w.itd("connector:issue", withMode("replace_on_new_data", "2026-06-20T00:00:00Z", "2026-06-21T00:00:00Z"), ...args);
    expect(empty.code).toBe(0);
    expect(count()).toBe(day1);
  });
});

describe("bad input", () => {
  it("names the file, key path, what is allowed and what was found", async () => {
    const w = workspace();
    w.write("bad.yml", seed("  data_type: export_data\n  export_data_type: emailSnd\n  region: asia\n  start_time: '2026-06-01T00:00:00Z'\n"));
    const r = await w.itd("connector:preview", "bad.yml");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('in.region: expected one of us, eu; got "asia"');
    expect(r.stderr).toMatch(/in\.export_data_type: .*did you mean emailSend/);
    w.write("syntax.yml", "in:\n  type: iterable\n   api_key: x\n");
    const s = await w.itd("connector:preview", "syntax.yml");
    expect(s.stderr).toMatch(/syntax\.yml:3:\d+/);
    const missing = await w.itd("connector:preview", "nope.yml");
    expect(missing.stderr).toContain("nope.yml not found");
  });

  it("rejects unknown flags and a missing --database", async () => {
    const w = workspace();
    const r = await w.itd("connector:issue", "load.yml", "--tabel", "x");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--tabel'/i);
    const n = await w.itd("connector:issue", "load.yml", "--table", "x");
    expect(n.stderr).toContain("--database option required");
  });

  it("fails a job on a malformed line from Iterable, keeps committed slices, and a re-run continues", async ({ onTestFinished }) => {
    const w = workspace();
    // A fake of its own: its faults meet this test's requests only (the file's tests run at once).
    const own = await startFakeIterable(FAKE);
    onTestFinished(() => own.close());
    const load = await guessed(w, exportSeed("smsSend", "2026-06-01T00:00:00Z", "2026-06-04T00:00:00Z", "  retry_limit: 0\n  slice_hours: 24\n", own.url));
    const args = ["--database", "mal_db", "--table", "sms", "--auto-create-table"];
    // One-day slices (slice_hours): the first slice's response is fine (slow=1 ms), the second one's is broken.
    own.addFaults(["export.json:slow=1@1", "export.json:malformed@1"]);
    const failed = await w.itd("connector:issue", load, ...args);
    own.clearFaults();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("Status     : error");
    expect(failed.stdout).toMatch(/line \d+/i);
    const day1 = countExportRecords(cfg, "smsSend", { start: D(1), end: D(2) });
    expect((w.sql<{ n: number }>("mal_db", "SELECT count(*) n FROM sms")[0] as { n: number }).n).toBe(day1);
    const again = await w.itd("connector:issue", load, ...args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("continuing from the committed cursor start_time 2026-06-02T00:00:00Z");
    const all = countExportRecords(cfg, "smsSend", { start: D(1), end: D(4) });
    const got = w.sql<{ n: number; d: number }>("mal_db", "SELECT count(*) n, count(DISTINCT message_id) d FROM sms")[0];
    expect(got).toEqual({ n: all, d: all });
  });

  it("fails on a value that does not fit its column, naming the record, unless skip_invalid_records", async () => {
    const w = workspace();
    const load = await guessed(w, exportSeed("emailSend", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"));
    const broken = readFileSync(join(w.dir, load), "utf8").replace("{name: email, type: string}", "{name: email, type: long}");
    w.write("broken.yml", broken);
    const args = ["--database", "inv_db", "--table", "sends", "--auto-create-table"];
    const r = await w.itd("connector:issue", "broken.yml", ...args);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/record \d+: column email \(long\): cannot convert/);
    w.write("skip.yml", broken.replace("  columns:", "  skip_invalid_records: true\n  columns:"));
    const s = await w.itd("connector:issue", "skip.yml", ...args);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/invalid skipped/);
  });

  it("counts fields that are not in in.columns by name in the job log", async () => {
    const w = workspace();
    const load = await guessed(w, exportSeed("emailSend", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z"));
    w.write("fewer.yml", readFileSync(join(w.dir, load), "utf8").replace(/ {2}- \{name: message_bus_id, type: string\}\n/, ""));
    const r = await w.itd("connector:issue", "fewer.yml", "--database", "new_db", "--table", "sends", "--auto-create-table");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fields not in in\.columns were not imported: messageBusId \(\d+\)/);
    const show = await w.itd("job:show", "1", "-v");
    expect(show.stdout).toMatch(/messageBusId \(\d+\)/);
  });
});
