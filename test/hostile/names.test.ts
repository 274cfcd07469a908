/**
 * Hostile names end to end through the built CLI: field names from Iterable,
 * database and table names from users, and SQL through `itd query`.
 */
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runItd, tempDir } from "../integration/helpers.js";
import { startServer, type TestServer } from "../unit/iterable/helpers.js";

const KEY = "hostile-names-key-0123";
const LONG = "k".repeat(10_000);

/** One record whose field names are hostile (and two more with the same keys). */
function hostileRecord(i: number): Record<string, unknown> {
  return {
    email: `u${i}@x.io`,
    createdAt: "2024-05-01 12:00:00 +00:00",
    '"; DROP TABLE x; --': `drop${i}`,
    "x); DROP TABLE _itd_loads; --": i,
    time: 1_700_000_000 + i,
    TIME: `upper${i}`,
    _itd_loads: "ledger",
    sqlite_master: "master",
    "": "empty",
    [LONG]: 1,
    [LONG.toUpperCase()]: 2,
    userId: 1,
    userID: 2,
    UserId: 3,
    caf\u00e9: "nfc",
    "cafe\u0301": "nfd",
    "a.b": "dot",
    a_b: "underscore",
    "nul\u0000key": "nul",
    rowid: "r",
    "[bracket]": "b",
    "`tick`": "t",
  };
}

let server: TestServer;
let dir: string;
const env = (): NodeJS.ProcessEnv => ({ ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY });
const itd = (...args: string[]) => runItd(args, { cwd: dir, env: env() });
const dbFile = (db: string): string => join(dir, "home", "warehouse", `${db}.db`);

function sql<T>(db: string, query: string): T[] {
  const conn = new Database(dbFile(db), { readonly: true });
  try {
    return conn.prepare(query).all() as T[];
  } finally {
    conn.close();
  }
}

const checksum = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.headers["api-key"] !== KEY) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"code":"BadApiKey","msg":"bad key"}');
      return;
    }
    res.writeHead(200, { "content-type": "application/x-json-stream" });
    res.end([0, 1, 2].map((i) => JSON.stringify(hostileRecord(i))).join("\n") + "\n");
  });
  dir = tempDir("itd-hostile-");
  writeFileSync(
    join(dir, "seed.yml"),
    `in:\n  type: iterable\n  api_key: \${ITERABLE_API_KEY}\n  base_url: ${server.url}\n  data_type: export_data\n` +
      `  export_data_type: customEvent\n  start_time: '2024-05-01T00:00:00Z'\n  end_time: '2024-05-02T00:00:00Z'\n`,
  );
}, 60_000);
afterAll(async () => server.close());

describe("hostile field names from Iterable", () => {
  it("are guessed and imported as safe, unique columns with no SQL injected and `time` kept as itd's time", async () => {
    const guess = await itd("connector:guess", "seed.yml", "-o", "load.yml");
    expect(guess.stderr).toBe("");
    expect(guess.code).toBe(0);
    const issue = await itd("connector:issue", "load.yml", "--database", "hostile_db", "--table", "events", "--auto-create-table");
    expect(issue.stderr).not.toMatch(/Error/);
    expect(issue.code).toBe(0);

    const tables = sql<{ name: string; type: string }>("hostile_db", "SELECT name, type FROM sqlite_master WHERE type IN ('table','view','trigger') ORDER BY name");
    const userTables = tables.filter((t) => !t.name.startsWith("_itd_") && !t.name.startsWith("sqlite_"));
    expect(userTables).toEqual([{ name: "events", type: "table" }]);
    expect(tables.map((t) => t.name)).toContain("_itd_loads");
    expect(sql<{ n: number }>("hostile_db", "SELECT count(*) AS n FROM _itd_loads")[0]?.n).toBeGreaterThan(0);

    const columns = sql<{ name: string; type: string }>("hostile_db", "SELECT name, type FROM pragma_table_info('events')").map((c) => c.name);
    for (const c of columns) {
      expect(c).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(c.length).toBeLessThanOrEqual(128);
    }
    expect(new Set(columns.map((c) => c.toLowerCase())).size).toBe(columns.length);
    console.info(`hostile field names became: ${columns.join(", ")}`);
    // one column per field (all 22), plus none: `time` is the record's own time
    expect(columns.length).toBe(Object.keys(hostileRecord(0)).length);

    const rows = sql<Record<string, unknown>>("hostile_db", "SELECT * FROM events ORDER BY time");
    expect(rows.length).toBe(3);
    expect(rows.map((r) => r["time"])).toEqual([1_700_000_000, 1_700_000_001, 1_700_000_002]);
    // every hostile value landed in some column
    const values = new Set(rows.flatMap((r) => Object.values(r)));
    for (const v of ["drop0", "upper0", "ledger", "master", "empty", "nfc", "nfd", "dot", "underscore", "nul", "r", "b", "t"]) expect(values).toContain(v);

    // replace goes through a staging table and a swap: the same columns, no table left behind
    const load = readFileSync(join(dir, "load.yml"), "utf8");
    expect(load).toMatch(/^out: \{mode: append\}$/m);
    writeFileSync(join(dir, "replace.yml"), load.replace(/^out: \{mode: append\}$/m, "out: {mode: replace}"));
    const replaced = await itd("connector:issue", "replace.yml", "--database", "hostile_db", "--table", "events");
    expect(replaced.stderr).not.toMatch(/Error/);
    expect(replaced.code).toBe(0);
    const after = sql<{ name: string }>("hostile_db", "SELECT name FROM sqlite_master WHERE type IN ('table','view','trigger') ORDER BY name");
    expect(after.map((t) => t.name)).toEqual(tables.map((t) => t.name));
    expect(sql<{ name: string }>("hostile_db", "SELECT name FROM pragma_table_info('events')").map((c) => c.name)).toEqual(columns);
    expect(sql<{ n: number }>("hostile_db", "SELECT count(*) AS n FROM events")[0]?.n).toBe(3);
  });
});

describe("hostile database and table names from users", () => {
  const cases: [string, string[], RegExp][] = [
    ["a database with SQL in it", ["--database", "x; DROP", "--table", "t_ok"], /Invalid database name 'x; DROP'.*lowercase letters, digits and '_'/],
    ["a sqlite_ table", ["--database", "db_ok", "--table", "sqlite_master"], /Invalid table name 'sqlite_master'.*reserved/],
    ["an _itd table", ["--database", "db_ok", "--table", "_itd_x"], /Invalid table name '_itd_x'.*reserved/],
    ["an _itd database", ["--database", "_itd_x", "--table", "t_ok"], /Invalid database name '_itd_x'.*reserved/],
    ["129 characters", ["--database", "d".repeat(129), "--table", "t_ok"], /Invalid database name.*3 to 128 characters/],
    ["two characters", ["--database", "db_ok", "--table", "ab"], /Invalid table name 'ab'.*3 to 128 characters/],
    ["uppercase", ["--database", "MyDb", "--table", "t_ok"], /Invalid database name 'MyDb'.*lowercase/],
    ["unicode", ["--database", "db_ok", "--table", "tablé"], /Invalid table name 'tablé'.*lowercase/],
    ["a path", ["--database", "../../etc", "--table", "t_ok"], /Invalid database name/],
    ["a NUL", ["--database", "db_ok", "--table", "t\u0001ok"], /Invalid table name/],
  ];
  for (const [what, args, rule] of cases) {
    it(`${what} is refused with the rule named, creating nothing`, async () => {
      const w = tempDir("itd-hostile-name-");
      writeFileSync(join(w, "load.yml"), readFileSync(join(dir, "seed.yml")));
      const r = await runItd(["connector:issue", "load.yml", ...args, "--auto-create-table"], { cwd: w, env: { ITD_HOME: join(w, "home"), ITERABLE_API_KEY: KEY } });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(rule);
      const warehouse = join(w, "home", "warehouse");
      expect(existsSync(warehouse) ? readdirSync(warehouse) : []).toEqual([]);
    });
  }
});

describe("itd query cannot write", () => {
  const writes = [
    "INSERT INTO events (email) VALUES ('x')",
    "UPDATE events SET email = 'x'",
    "DELETE FROM events",
    "DROP TABLE events",
    "DROP TABLE _itd_loads",
    "CREATE TABLE evil (a)",
    "ALTER TABLE events ADD COLUMN evil",
    "ATTACH DATABASE '/tmp/itd-evil.db' AS evil",
    "VACUUM INTO '/tmp/itd-evil-vacuum.db'",
    "PRAGMA writable_schema=1",
    "PRAGMA writable_schema = ON",
    "PRAGMA user_version = 7",
    "PRAGMA journal_mode = DELETE",
    "SELECT load_extension('/tmp/evil.so')",
    "WITH x AS (SELECT 1) DELETE FROM events",
    "WITH x AS (SELECT 1) INSERT INTO events (email) SELECT 'x' FROM x",
    "SELECT 1; DROP TABLE events",
    "SELECT 1; SELECT 2",
    "/* comment */ DELETE FROM events",
    "-- comment\nDROP TABLE events",
    "BEGIN IMMEDIATE",
    "REINDEX",
    "ANALYZE",
    "CREATE TEMP TABLE t AS SELECT 1",
    "REPLACE INTO events (email) VALUES ('x')",
    "SELECT writefile('/tmp/itd-evil.txt', 'x')",
  ];
  it(`refuses ${writes.length} writing statements, leaving the database file unchanged`, async () => {
    const file = dbFile("hostile_db");
    expect(existsSync(file)).toBe(true);
    const before = checksum(file);
    const tablesBefore = sql<{ name: string }>("hostile_db", "SELECT name FROM sqlite_master ORDER BY name");
    for (const statement of writes) {
      const r = await itd("query", "-d", "hostile_db", "--", statement);
      expect(r.code, statement).not.toBe(0);
      expect(r.stderr, statement).toMatch(/^Error: /m);
      expect(r.stderr, statement).not.toMatch(/\n\s+at /);
    }
    expect(checksum(file)).toBe(before);
    expect(sql<{ name: string }>("hostile_db", "SELECT name FROM sqlite_master ORDER BY name")).toEqual(tablesBefore);
    for (const f of ["/tmp/itd-evil.db", "/tmp/itd-evil-vacuum.db", "/tmp/itd-evil.txt"]) expect(existsSync(f), f).toBe(false);
    const ok = await itd("query", "-d", "hostile_db", "-f", "json", "SELECT count(*) AS n FROM events");
    expect(ok.code).toBe(0);
    expect(checksum(file)).toBe(before);
  }, 120_000);
});
