/**
 * What td users type by habit (issue 17): global options before the command,
 * td's flags and aliases, quiet closed pipes, configs that can run, td's
 * layouts. Every case runs the built CLI as a subprocess.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startFakeIterable, type FakeIterable } from "../../src/fake-iterable/index.js";
import type { ChildProcess } from "node:child_process";
import { ITD, runItd, spawnDaemon, tempDir, until, type CliResult } from "./helpers.js";

const KEY = "td-habits-key-5b7c1e";
let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable({ apiKey: KEY, now: Date.UTC(2026, 5, 10), seed: 7, eventsPerDay: 200, rateLimits: false });
});
afterAll(async () => fake.close());

const COLUMNS = ["  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "  - {name: email, type: string}"];

function loadYml(opts: { columns?: boolean; start?: string } = {}): string {
  return [
    "in:",
    "  type: iterable",
    "  api_key: ${ITERABLE_API_KEY}",
    `  base_url: ${fake.url}`,
    "  data_type: export_data",
    "  export_data_type: emailSend",
    "  incremental: true",
    `  start_time: '${opts.start ?? "2026-06-08T00:00:00Z"}'`,
    ...(opts.columns === false ? [] : COLUMNS),
    "",
  ].join("\n");
}

function workspace() {
  const dir = tempDir("itd-td-");
  const home = join(dir, "home");
  // No HTTP endpoint: tests run side by side, and the default port is one.
  writeFileSync(join(dir, "itd-test.yml"), "http_port: 0\nshutdown_grace: 5\n");
  const env = { ITERABLE_API_KEY: KEY, ITD_SCHEDULES: join(dir, "schedules"), ITD_RATE_LIMITS: "export=100/1s", ITD_CONFIG: join(dir, "itd-test.yml") };
  // No ITD_HOME: the home comes from the flags, as a td user would give it.
  const itd = (...args: string[]): Promise<CliResult> => runItd(args, { cwd: dir, env });
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  write("load.yml", loadYml());
  return { dir, home, env, itd, write };
}

async function ok(r: Promise<CliResult>): Promise<CliResult> {
  const res = await r;
  expect(res.code, res.stdout + res.stderr).toBe(0);
  return res;
}

/** Runs itd with its stdout closed before it writes: every write is EPIPE. */
function closedPipe(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ITD, ...args], { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

// Each case runs a dozen CLI processes; on 2 busy cores that takes a while.
vi.setConfig({ testTimeout: 150_000 });

describe.concurrent("global options", () => {
  it("are taken before the command, as td's `td [global options] COMMAND`, and after it", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:create", "s1", "", "td_db", "td_table", "load.yml", "--auto-create-table"));
    const before = await ok(w.itd("--home", w.home, "connector:list", "-f", "tsv"));
    const after = await ok(w.itd("connector:list", "-f", "tsv", "--home", w.home));
    expect(before.stdout).toContain("s1\t");
    expect(after.stdout).toBe(before.stdout);
    expect((await ok(w.itd(`--home=${w.home}`, "-v", "dbs", "-f", "csv"))).stdout).toContain("td_db,");
    expect((await ok(w.itd("--version"))).stdout).toMatch(/^itd \d+\.\d+\.\d+/);
    // The config file before the command: its home: is the home.
    const cfg = w.write("itd.yml", `home: ${w.home}\n`);
    expect((await ok(w.itd("-c", cfg, "connector:list", "-f", "tsv"))).stdout).toBe(before.stdout);
    expect((await ok(w.itd("--config", cfg, "connector:list", "-f", "tsv"))).stdout).toBe(before.stdout);
    const bad = await w.itd("--hme", w.home, "connector:list");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown global option '--hme'");
  });

  it("leave a command its own -c: `connector:update NAME -c load.yml` changes the load config (td's example)", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:create", "s1", "", "td_db", "td_table", "load.yml", "--auto-create-table"));
    w.write("other.yml", loadYml({ start: "2026-06-01T00:00:00Z" }));
    const up = await ok(w.itd("--home", w.home, "connector:update", "s1", "-c", "other.yml", "-s", "@daily"));
    expect(up.stdout).toContain("start_time: '2026-06-01T00:00:00Z'");
    expect(up.stdout).toMatch(/Cron {5}: @daily/);
    // With the itd config given before the command too: each -c means its own file.
    const cfg = w.write("itd.yml", `home: ${w.home}\n`);
    const both = await ok(w.itd("-c", cfg, "connector:update", "s1", "-c", "load.yml"));
    expect(both.stdout).toContain("start_time: '2026-06-08T00:00:00Z'");
  });
});

describe.concurrent("td's aliases", () => {
  it("answer like the command they stand for, and `itd help` lists them", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:issue", "load.yml", "--database", "td_db", "--table", "td_table", "--auto-create-table"));
    const pairs: [string[], string[]][] = [
      [["dbs"], ["database:list"]],
      [["tables"], ["table:list"]],
      [["jobs"], ["job:list"]],
      [["table", "td_db", "td_table"], ["table:show", "td_db", "td_table"]],
    ];
    const outputs = await Promise.all(pairs.flat().map((args) => ok(w.itd(...args, "--home", w.home))));
    pairs.forEach(([alias], i) => expect(outputs[2 * i]?.stdout, alias.join(" ")).toBe(outputs[2 * i + 1]?.stdout));
    const help = (await ok(w.itd("help"))).stdout;
    expect(help).toMatch(/db:list .*\(also: database:list, dbs, databases/);
    expect(help).toMatch(/job:list .*\(also: jobs\)/);
    expect(help).toMatch(/usage: itd \[global options\] <command>/);
    const typo = await w.itd("connector:lsit");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'connector:lsit'; did you mean 'connector:list'?");
  });
});

describe.concurrent("query, job:show and job:list as td users type them", () => {
  it("query takes -w, -q FILE and - (stdin), and refuses two SQL sources", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:issue", "load.yml", "--database", "td_db", "--table", "td_table", "--auto-create-table"));
    const direct = await ok(w.itd("--home", w.home, "query", "-w", "-d", "td_db", "-f", "csv", "SELECT count(*) AS n FROM td_table"));
    expect(direct.stdout).toMatch(/^n\n[1-9]\d*\n$/);
    w.write("q.sql", "SELECT count(*) AS n FROM td_table\n");
    expect((await ok(w.itd("--home", w.home, "query", "-d", "td_db", "-f", "csv", "-q", "q.sql"))).stdout).toBe(direct.stdout);
    const piped = await new Promise<CliResult>((resolve) => {
      const child = spawn(process.execPath, [ITD, "--home", w.home, "query", "-d", "td_db", "-f", "csv", "-"], { cwd: w.dir, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end("SELECT count(*) AS n FROM td_table");
    });
    expect(piped.stdout, piped.stderr).toBe(direct.stdout);
    const twice = await w.itd("--home", w.home, "query", "-d", "td_db", "-q", "q.sql", "SELECT 1");
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("give the SQL once");
    const missing = await w.itd("--home", w.home, "query", "-d", "td_db", "-q", "nope.sql");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("-q nope.sql: no such file");
  });

  it("job:show --verbose is td's -v (the log), -f json parses, and a bad id says it must be a number", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:issue", "load.yml", "--database", "td_db", "--table", "td_table", "--auto-create-table"));
    const v = await ok(w.itd("--home", w.home, "job:show", "1", "--verbose"));
    expect(v.stdout).toContain("Output:\n");
    expect(v.stdout).toMatch(/INFO /);
    expect((await ok(w.itd("--home", w.home, "job:show", "1", "-v"))).stdout).toBe(v.stdout);
    const json = JSON.parse((await ok(w.itd("--home", w.home, "job:show", "1", "-f", "JSON", "-v"))).stdout) as { job_id: number; status: string; log: unknown[]; config_diff: unknown };
    expect(json.job_id).toBe(1);
    expect(json.status).toBe("success");
    expect(json.log.length).toBeGreaterThan(0);
    expect(json.config_diff).toMatchObject({ in: { start_time: expect.any(String) as string } });
    // The config diff as td prints it: YAML.
    expect(v.stdout).toMatch(/Config Diff :\n---\nin:\n {2}start_time: '?\d{4}-/);
    const bad = await w.itd("--home", w.home, "job:show", "abc");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the job id must be a whole number such as 12; got "abc"');
    expect(bad.stderr).not.toContain("--JOB_ID");
  });

  it("job:list takes MAX, -p/--page, -s/--skip and -R/-S/-E as td does", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:create", "s1", "0 */6 * * *", "td_db", "td_table", "load.yml", "--auto-create-table"));
    await ok(w.itd("--home", w.home, "connector:run", "s1", "2026-06-08T06:00:00Z", "-n", "4", "--foreground"));
    w.write("bad.yml", loadYml().replace("${ITERABLE_API_KEY}", "wrong-key"));
    expect((await w.itd("--home", w.home, "connector:issue", "bad.yml", "--database", "td_db", "--table", "td_table")).code).toBe(1);
    const ids = async (...args: string[]): Promise<number[]> =>
      (JSON.parse((await ok(w.itd("--home", w.home, "job:list", "-f", "json", ...args))).stdout) as { JobID: number }[]).map((j) => j.JobID);
    const cases: [string[], number[]][] = [
      [[], [5, 4, 3, 2, 1]],
      [["2"], [5, 4]],
      [["2", "-p", "1"], [3, 2]],
      [["2", "--page", "1", "-s", "1"], [2, 1]],
      [["--skip", "3"], [2, 1]],
      [["-E"], [5]],
      [["-S", "1"], [4]],
      [["-R"], []],
    ];
    const got = await Promise.all(cases.map(([args]) => ids(...args)));
    expect(got).toEqual(cases.map(([, want]) => want));
    const two = await w.itd("--home", w.home, "job:list", "-S", "-E");
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("give one status filter");
  });
});

describe.concurrent("connector:run -w", () => {
  it("with no daemon runs a due slot here and says so, and refuses a future slot without queueing it", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:create", "s1", "", "td_db", "td_table", "load.yml", "--auto-create-table"));
    const ran = await ok(w.itd("--home", w.home, "connector:run", "s1", "2026-06-09T00:00:00Z", "-w"));
    expect(ran.stderr).toContain("No itd daemon is running: running the job(s) here");
    expect(ran.stdout).toMatch(/Job 1: success, [1-9]\d* records/);
    const future = await w.itd("--home", w.home, "connector:run", "s1", "2099-01-01T00:00:00Z", "-w");
    expect(future.code).toBe(1);
    expect(future.stderr).toContain("no itd daemon is running to start the run of slot 2099-01-01 00:00:00 +0000");
    expect(future.stderr).toContain("nothing was queued");
    const jobs = JSON.parse((await ok(w.itd("--home", w.home, "job:list", "-f", "json"))).stdout) as { Status: string }[];
    expect(jobs.map((j) => j.Status)).toEqual(["success"]);
  });
});

describe.concurrent("job:show -w", () => {
  it("follows a job the daemon runs, printing its log, and exits by its final status", async ({ onTestFinished }) => {
    const w = workspace();
    const started: ChildProcess[] = [];
    onTestFinished(() => {
      for (const c of started) c.kill("SIGKILL");
    });
    await ok(w.itd("--home", w.home, "connector:create", "good", "", "td_db", "td_table", "load.yml", "--auto-create-table"));
    w.write("bad.yml", loadYml().replace("${ITERABLE_API_KEY}", "wrong-key"));
    await ok(w.itd("--home", w.home, "connector:create", "bad", "", "td_db", "td_table", "bad.yml"));
    const daemon = spawnDaemon(w.dir, { ...w.env, ITD_HOME: w.home }, started);
    await until("the daemon to start", () => /"msg":"daemon started"/.test(daemon.log()) || undefined, 30_000, daemon.log);
    const good = /Job (\d+) is queued/.exec((await ok(w.itd("--home", w.home, "connector:run", "good", "2026-06-09T00:00:00Z"))).stdout)?.[1] ?? "";
    const bad = /Job (\d+) is queued/.exec((await ok(w.itd("--home", w.home, "connector:run", "bad", "2026-06-09T00:00:00Z"))).stdout)?.[1] ?? "";
    const [g, b] = await Promise.all([w.itd("--home", w.home, "job:show", good, "-w"), w.itd("--home", w.home, "job", bad, "--wait")]);
    expect(g.code, g.stdout + g.stderr).toBe(0);
    expect(g.stdout).toMatch(/ INFO {2}/); // the log, as it was written
    expect(g.stdout).toMatch(/Status {6}: success/);
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/Status {6}: error/);
    expect(b.stdout).toMatch(/401|api key|API key/i);
    daemon.child.kill("SIGTERM");
  });
});

describe.concurrent("a closed pipe", () => {
  it("stops every printing command quietly with exit 0 (no EPIPE stack trace)", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:issue", "load.yml", "--database", "td_db", "--table", "td_table", "--auto-create-table"));
    for (const args of [
      ["job:show", "1", "-v"],
      ["table:show", "td_db", "td_table"],
      ["connector:preview", "load.yml"],
      ["query", "-d", "td_db", "SELECT * FROM td_table"],
      ["job:list"],
      ["help"],
    ]) {
      const r = await closedPipe(["--home", w.home, ...args], w.dir, w.env);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: "" });
    }
  });

  it("lets an import finish its work and record it", async () => {
    const w = workspace();
    const r = await closedPipe(["--home", w.home, "connector:issue", "load.yml", "--database", "td_db", "--table", "td_table", "--auto-create-table"], w.dir, w.env);
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js/);
    expect(r.code).toBe(0);
    const jobs = JSON.parse((await ok(w.itd("--home", w.home, "job:list", "-f", "json"))).stdout) as { Status: string; Records: number }[];
    expect(jobs[0]?.Status).toBe("success");
    expect(jobs[0]?.Records).toBeGreaterThan(0);
  });
});

describe.concurrent("configs that can run", () => {
  it("connector:create, connector:update and a schedule file refuse a load config without in.columns, naming connector:guess", async () => {
    const w = workspace();
    w.write("nocols.yml", loadYml({ columns: false }));
    const create = await w.itd("--home", w.home, "connector:create", "s1", "@daily", "td_db", "td_table", "nocols.yml", "--auto-create-table");
    expect(create.code).toBe(1);
    expect(create.stderr).toContain("in.columns: missing");
    expect(create.stderr).toContain("itd connector:guess nocols.yml -o nocols.yml");
    expect((await ok(w.itd("--home", w.home, "connector:list", "-f", "json"))).stdout.trim()).toBe("[]");
    expect((await ok(w.itd("--home", w.home, "dbs", "-f", "json"))).stdout.trim()).toBe("[]"); // nothing written
    await ok(w.itd("--home", w.home, "connector:create", "s1", "@daily", "td_db", "td_table", "load.yml", "--auto-create-table"));
    const update = await w.itd("--home", w.home, "connector:update", "s1", "-c", "nocols.yml");
    expect(update.code).toBe(1);
    expect(update.stderr).toContain("in.columns: missing");
    mkdirSync(join(w.dir, "schedules"));
    w.write("schedules/f1.yml", `name: f1\ncron: "@daily"\ndatabase: td_db\ntable: td_table\nconfig: ../nocols.yml\n`);
    const list = await ok(w.itd("--home", w.home, "connector:list", "-f", "tsv"));
    expect(list.stdout).not.toContain("f1\t");
    expect(list.stderr).toMatch(/Warning: .*f1\.yml: config .*nocols\.yml: in\.columns: missing/);
  });

  it("connector:update checks a new -d/-t as create does, and says -t is the table when it looks like a zone", async () => {
    const w = workspace();
    await ok(w.itd("--home", w.home, "connector:create", "s1", "@daily", "td_db", "td_table", "load.yml", "--auto-create-table"));
    const zone = await w.itd("--home", w.home, "connector:update", "s1", "-t", "Asia/Tokyo");
    expect(zone.code).not.toBe(0);
    expect(zone.stderr).toContain("-t is the table in connector:update (as in td); the time zone is -z");
    const missing = await w.itd("--home", w.home, "connector:update", "s1", "-d", "other_db");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Database 'other_db' does not exist");
    expect((await ok(w.itd("--home", w.home, "connector:show", "s1", "-f", "json"))).stdout).toContain('"database": "td_db"');
    await ok(w.itd("--home", w.home, "connector:update", "s1", "-d", "other_db", "--auto-create-table"));
    const shown = JSON.parse((await ok(w.itd("--home", w.home, "connector:show", "s1", "-f", "json"))).stdout) as { database: string; config: { in: { api_key: string } } };
    expect(shown.database).toBe("other_db");
    expect(shown.config.in.api_key).toBe("${ITERABLE_API_KEY}"); // a reference, not the key
  });
});

describe.concurrent("td's layouts", () => {
  it("table:show prints td's Schema block, table:list td's columns, counts with thousands separators only in tables", async () => {
    const w = workspace();
    w.write("wide.yml", loadYml({ start: "2026-01-01T00:00:00Z" }));
    await ok(w.itd("--home", w.home, "connector:issue", "wide.yml", "--database", "td_db", "--table", "td_table", "--auto-create-table"));
    const show = (await ok(w.itd("--home", w.home, "table:show", "td_db", "td_table"))).stdout;
    expect(show).toMatch(/^Name {8}: td_db\.td_table\nType {8}: log\nCount {7}: \d+\n/);
    expect(show).toContain("Schema      : (\n    created_at:timestamp\n    message_id:string\n    email:string\n)\n");
    const n = (JSON.parse((await ok(w.itd("--home", w.home, "table:show", "td_db", "td_table", "-f", "json"))).stdout) as { rows: number }).rows;
    expect(n).toBeGreaterThanOrEqual(1000);
    const list = (await ok(w.itd("--home", w.home, "table:list"))).stdout;
    expect(list).toMatch(/\| Database \| Table +\| Type \| Count +\| Last import +\| Last log timestamp +\| Schema/);
    expect(list).toContain(n.toLocaleString("en-US"));
    expect(list).toContain("created_at:timestamp, message_id:string, email:string");
    const tsv = (await ok(w.itd("--home", w.home, "table:list", "-f", "tsv"))).stdout;
    expect(tsv.split("\n")[1]?.split("\t")[3]).toBe(String(n));
    const empty = await ok(w.itd("--home", join(w.dir, "empty-home"), "db:list"));
    expect(empty.stderr).toContain("There are no databases.");
  });

  it("connector:preview -f json prints only JSON (its hints go to stderr)", async () => {
    const w = workspace();
    const r = await ok(w.itd("--home", w.home, "connector:preview", "load.yml", "-f", "json"));
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
    expect(r.stderr).toContain("Use 'itd connector:issue load.yml");
  });
});
