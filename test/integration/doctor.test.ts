/**
 * `itd doctor` as a subprocess against the bundled fake Iterable: an
 * installation where everything is in order, and each thing that stops a
 * daemon — a key Iterable rejects, the HTTP port taken, a `${VARIABLE}` a
 * schedule names left unset, a config the daemon's user cannot read. Every
 * line is `ok` or `FAIL` with the check's name; no key ever appears.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeIterable, type FakeIterable } from "../../src/fake-iterable/index.js";
import { runItd, tempDir } from "./helpers.js";
import { createTestUser, openToOthers, runItdAs, USERS_UNAVAILABLE, type TestUser } from "./users.js";

const KEY = "doctor-key-one-51c9e2";
const SECOND_KEY = "doctor-key-two-7a03f4";
const WRONG_KEY = "doctor-wrong-key-90b1d8";

let fake: FakeIterable; // accepts KEY
let second: FakeIterable; // accepts SECOND_KEY
beforeAll(async () => {
  const base = { seed: 5, eventsPerDay: 24, rateLimits: false } as const;
  [fake, second] = await Promise.all([startFakeIterable({ ...base, apiKey: KEY }), startFakeIterable({ ...base, apiKey: SECOND_KEY })]);
});
afterAll(async () => {
  await Promise.all([fake?.close(), second?.close()]);
});

/** A port nothing listens on (bound and let go). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function load(variable: string, url: string): string {
  return [
    "in:", "  type: iterable", `  api_key: \${${variable}}`, `  base_url: ${url}`, "  data_type: export_data",
    "  export_data_type: emailOpen", "  start_time: '2026-01-01T00:00:00Z'",
    "  columns:", "  - {name: created_at, type: timestamp}", "",
  ].join("\n");
}

/** `/api/lists` requests the fake has answered, by status. */
const listsServed = (f: FakeIterable): Record<string, number> => f.stats().requests["lists"] ?? {};

interface Install {
  dir: string;
  home: string;
  config: string;
  envFile: string;
  env: NodeJS.ProcessEnv;
  doctor(...extra: string[]): ReturnType<typeof runItd>;
}

/**
 * An installation: a config with a free port, a home with two CLI schedules
 * (one key, `${ITERABLE_API_KEY}`) and one file schedule (`${SECOND_KEY}` at
 * the second fake, a database its first run creates), and an env file with
 * both keys.
 */
async function install(port?: number): Promise<Install> {
  const dir = tempDir("itd-doctor-");
  const home = join(dir, "home");
  const config = join(dir, "itd.yml");
  const envFile = join(dir, "itd.env");
  writeFileSync(config, `http_port: ${port ?? (await freePort())}\nshutdown_grace: 5\n`);
  writeFileSync(envFile, `# the daemon's secrets\nITERABLE_API_KEY=${KEY}\nSECOND_KEY="${SECOND_KEY}"\n`, { mode: 0o600 });
  writeFileSync(join(dir, "load.yml"), load("ITERABLE_API_KEY", fake.url));
  // ITERABLE_API_KEY of the shell running the tests must not count
  const env = { ITD_HOME: home, ITERABLE_API_KEY: "" };
  for (const [name, table] of [["daily", "opens"], ["hourly", "opens_hourly"]] as const) {
    const r = await runItd(["connector:create", name, "10 0 * * *", "opsdb", table, "load.yml", "--auto-create-table"], { cwd: dir, env: { ...env, ITERABLE_API_KEY: KEY } });
    expect(r.stderr).not.toMatch(/Error/);
  }
  mkdirSync(join(home, "schedules"));
  writeFileSync(
    join(home, "schedules", "second.yml"),
    `name: second\ncron: "@hourly"\ndatabase: filedb\ntable: opens\nconfig:\n${load("SECOND_KEY", second.url).replace(/^/gm, "  ")}`,
  );
  return { dir, home, config, envFile, env, doctor: (...extra) => runItd(["doctor", "--config", config, ...extra], { cwd: dir, env }) };
}

/** The lines of a check: `[status, detail]`. */
function lines(stdout: string, check: string): [string, string][] {
  return stdout
    .split("\n")
    .map((l) => /^(ok|FAIL|skip)\s+(\S+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[2] === check)
    .map((m) => [m[1] as string, m[3] as string]);
}

function expectNoKeys(text: string): void {
  for (const key of [KEY, SECOND_KEY, WRONG_KEY]) expect(text).not.toContain(key);
}

describe("itd doctor", () => {
  it("says ok on every line of a sound installation, asks Iterable once per distinct key and exits 0", async () => {
    const it = await install();
    const before = [listsServed(fake)["200"] ?? 0, listsServed(second)["200"] ?? 0];
    const r = await it.doctor("--environment-file", it.envFile);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split("\n");
    expect(out.at(-1)).toBe("doctor: no problems found");
    for (const l of out.slice(0, -1)) expect(l).toMatch(/^ok {4}\S/);
    expect(lines(r.stdout, "env-file")).toEqual([["ok", `${it.envFile} (2 variables)`]]);
    expect(lines(r.stdout, "config")).toEqual([["ok", it.config]]);
    expect(lines(r.stdout, "home")[0]?.[1]).toMatch(new RegExp(`^${it.home} \\(owned by \\S+, mode 0700\\)$`));
    expect(lines(r.stdout, "schedules")).toEqual([["ok", `3: 2 made with the CLI, 1 in ${join(it.home, "schedules")}`]]);
    expect(lines(r.stdout, "env")).toEqual([
      ["ok", "ITERABLE_API_KEY is set (schedules daily, hourly)"],
      ["ok", "SECOND_KEY is set (schedule second)"],
    ]);
    expect(lines(r.stdout, "port")[0]?.[1]).toMatch(/^127\.0\.0\.1:\d+ is free$/);
    const iterable = lines(r.stdout, "iterable");
    expect(iterable).toHaveLength(2);
    expect(iterable[0]?.[1]).toMatch(new RegExp(`^\\$\\{ITERABLE_API_KEY\\} at ${fake.url} \\(schedules daily, hourly\\): accepted \\(\\d+ lists?\\)$`));
    expect(iterable[1]?.[1]).toMatch(new RegExp(`^\\$\\{SECOND_KEY\\} at ${second.url} \\(schedule second\\): accepted \\(\\d+ lists?\\)$`));
    expect(lines(r.stdout, "warehouse")).toEqual([
      ["ok", `opsdb: ${join(it.home, "warehouse", "opsdb.db")} (2 tables)`],
      ["ok", "filedb does not exist yet; the first run of schedule second creates it"],
    ]);
    expect([listsServed(fake)["200"] ?? 0, listsServed(second)["200"] ?? 0]).toEqual([before[0] as number + 1, before[1] as number + 1]);
    expectNoKeys(r.stdout + r.stderr);
  });

  it("fails on a key Iterable rejects (401), naming its variable and schedules but never the key", async () => {
    const it = await install();
    writeFileSync(it.envFile, `ITERABLE_API_KEY=${WRONG_KEY}\nSECOND_KEY=${SECOND_KEY}\n`);
    const rejected = listsServed(fake)["401"] ?? 0;
    const r = await it.doctor("--environment-file", it.envFile);
    expect(r.code).toBe(1);
    const iterable = lines(r.stdout, "iterable");
    expect(iterable.map(([status]) => status)).toEqual(["FAIL", "ok"]);
    expect(iterable[0]?.[1]).toContain(`\${ITERABLE_API_KEY} at ${fake.url} (schedules daily, hourly): Iterable rejected the API key (401 BadApiKey`);
    expect(iterable[1]?.[1]).toContain(`\${SECOND_KEY} at ${second.url} (schedule second): accepted`);
    expect(listsServed(fake)["401"]).toBe(rejected + 1); // one request, not retried
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("doctor: 1 problem found");
    expectNoKeys(r.stdout + r.stderr);
  });

  it("fails when another process holds the HTTP port", async () => {
    // Another process answering HTTP on it, as a web server that got there first would.
    const other = spawn(process.execPath, ["-e", `require("node:http").createServer((q, s) => s.end("hello")).listen(0, "127.0.0.1", function () { console.log(this.address().port) })`], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const port = Number((await once(createInterface({ input: other.stdout }), "line"))[0]);
      const it = await install(port);
      const r = await it.doctor("--environment-file", it.envFile);
      expect(r.code).toBe(1);
      expect(lines(r.stdout, "port")).toEqual([["FAIL", `127.0.0.1:${port} is in use by another process; set http_port in the config`]]);
      expect(lines(r.stdout, "iterable").map(([s]) => s)).toEqual(["ok", "ok"]);
      // The same port with that process gone: free.
      other.kill("SIGKILL");
      await once(other, "exit");
      expect(lines((await it.doctor("--environment-file", it.envFile)).stdout, "port")).toEqual([["ok", `127.0.0.1:${port} is free`]]);
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("fails on a ${VARIABLE} a schedule names that is not set, and asks Iterable nothing for it", async () => {
    const it = await install();
    writeFileSync(it.envFile, `ITERABLE_API_KEY=${KEY}\n`);
    const asked = listsServed(second)["200"] ?? 0;
    const r = await it.doctor("--environment-file", it.envFile);
    expect(r.code).toBe(1);
    expect(lines(r.stdout, "env")).toEqual([
      ["ok", "ITERABLE_API_KEY is set (schedules daily, hourly)"],
      ["FAIL", "SECOND_KEY is not set (named by schedule second); set it in the daemon's environment (EnvironmentFile=)"],
    ]);
    expect(lines(r.stdout, "iterable")).toHaveLength(1);
    expect(listsServed(second)["200"] ?? 0).toBe(asked);
    // Without the env file nothing is set: both fail.
    const bare = await it.doctor();
    expect(lines(bare.stdout, "env").map(([s]) => s)).toEqual(["FAIL", "FAIL"]);
    expect(lines(bare.stdout, "iterable")).toEqual([["skip", "no schedule has a key to check"]]);
    expect(bare.code).toBe(1);
  });

  it("fails when the env file cannot be read", async () => {
    const it = await install();
    const r = await it.doctor("--environment-file", join(it.dir, "missing.env"));
    expect(r.code).toBe(1);
    expect(lines(r.stdout, "env-file")).toEqual([["FAIL", `${join(it.dir, "missing.env")} cannot be read: ${join(it.dir, "missing.env")} does not exist`]]);
  });

  describe.skipIf(USERS_UNAVAILABLE !== undefined)(`as the daemon's user (skipped: ${USERS_UNAVAILABLE ?? ""})`, () => {
    let user: TestUser;
    beforeAll(() => {
      user = createTestUser();
    });
    afterAll(() => user?.remove());

    /** The README's old steps: /etc/itd 0750 and itd.yml 0640, both root:root — the itd user cannot read its config. */
    it("fails on a config the daemon's user cannot read, naming the directory at fault", async () => {
      const it = await install();
      openToOthers(it.dir);
      expect(spawnSync("chown", ["-R", `${user.uid}:${user.gid}`, it.home]).status).toBe(0);
      const etc = join(it.dir, "etc-itd");
      mkdirSync(etc);
      chmodSync(etc, 0o750);
      writeFileSync(join(etc, "itd.yml"), "http_port: 0\n", { mode: 0o640 });
      chownSync(it.envFile, user.uid, user.gid);
      const r = await runItdAs(user.name, ["doctor", "--config", join(etc, "itd.yml"), "--environment-file", it.envFile], { cwd: it.dir, env: it.env });
      expect(r.code).toBe(1);
      expect(lines(r.stdout, "config")).toEqual([
        ["FAIL", `configuration file: ${join(etc, "itd.yml")} is not readable: permission denied on the directory ${etc} (owned by root:root, mode 0750; this process runs as ${user.name})`],
      ]);
      expect(lines(r.stdout, "port")).toEqual([["skip", "not checked: the config could not be read"]]);
      expect(lines(r.stdout, "home")).toEqual([["ok", `${it.home} (owned by ${user.name}:${user.name}, mode 0700)`]]);
      // Given to its group, as the README's steps do now: readable.
      chownSync(etc, 0, user.gid);
      chownSync(join(etc, "itd.yml"), 0, user.gid);
      const fixed = await runItdAs(user.name, ["doctor", "--config", join(etc, "itd.yml"), "--environment-file", it.envFile], { cwd: it.dir, env: it.env });
      expect(lines(fixed.stdout, "config")).toEqual([["ok", join(etc, "itd.yml")]]);
      expect(fixed.stdout).toMatch(/doctor: no problems found\n$/);
      expect(fixed.code).toBe(0);
    });

    it("fails on a home another user owns, naming the user to run as", async () => {
      const it = await install();
      chownSync(it.home, user.uid, user.gid);
      const r = await it.doctor("--environment-file", it.envFile);
      expect(r.code).toBe(1);
      expect(lines(r.stdout, "home")).toEqual([["FAIL", `${it.home} belongs to user ${user.name}, not root; run as it: sudo -u ${user.name} ITD_HOME=${it.home} itd doctor …`]]);
    });
  });
});
