/**
 * The README's systemd install steps (issue 18, point 3), performed as written
 * into a temporary root, then the daemon started as the installed unit says
 * (User=, Group=, Environment=, EnvironmentFile=, UMask=, ExecStart=) on the
 * installed files: it must read its config and serve /healthz, and the
 * steps' own last line (`itd doctor` as the daemon's user) must pass.
 *
 * The steps are read from README.md's code block, so the test breaks when the
 * README drifts; config/itd.service's comment must repeat them. What this
 * machine cannot do is replaced, and only that:
 *  - paths: /etc/itd, /etc/systemd/system and /var/lib/itd live under the
 *    temporary root (which has the directories every system has);
 *  - the user: `itd` is a throwaway system user (created by the README's
 *    useradd line itself), deleted afterwards;
 *  - `sudo` is dropped (this test is root), `sudo -u itd …` is `runuser -u …`
 *    with sudo's reset environment;
 *  - `npm install -g .` links `itd` to this checkout's bin/itd in the root's
 *    usr/bin (what npm does for a bin), instead of installing it machine-wide;
 *  - `systemctl … enable --now itd` (no systemd here) starts the unit's
 *    ExecStart= as its User=/Group= with its environment, via setpriv;
 *  - the installed config's http_port is moved to a free port (9464 may be
 *    taken on a shared machine), as an operator would edit it.
 * Not reproduced: systemd's sandboxing (ProtectSystem=, PrivateTmp=, …; the
 * unit is checked by systemd-analyze in test/unit/daemon/systemd.test.ts).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnvFile } from "../../src/cli/commands/doctor.js";
import { ITD, ROOT, sleep, spawnFake, tempDir, type FakeProcess } from "./helpers.js";
import { openToOthers, USERS_UNAVAILABLE } from "./users.js";

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const UNIT_SOURCE = readFileSync(join(ROOT, "config", "itd.service"), "utf8");
const KEY = "install-test-key-4e2a91";

/** The lines of the first ```sh block after `heading`. */
function codeBlock(text: string, heading: string, nth = 0): string[] {
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "${heading}" section`);
  const blocks = text.slice(at).split("```sh\n").slice(1).map((b) => b.slice(0, b.indexOf("```")));
  return (blocks[nth] ?? "").split("\n").filter((l) => l.trim() !== "");
}

/** A step without its trailing `# comment`. */
const command = (line: string): string => line.replace(/\s+#\s.*$/, "").trim();

const STEPS = codeBlock(README, "### As a systemd service").map(command);
const NPM_INSTALL = "sudo npm install -g .";
const START = "sudo systemctl daemon-reload && sudo systemctl enable --now itd";

const MISSING = USERS_UNAVAILABLE ?? (["install", "setpriv"].find((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0) !== undefined ? "needs install(1) and setpriv(1)" : undefined);

/** The unit's [Service] directives (value lists by key). */
function serviceDirectives(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let inService = false;
  for (const raw of unit.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) inService = line === "[Service]";
    if (!inService || line === "" || line.startsWith("#") || !line.includes("=")) continue;
    const eq = line.indexOf("=");
    out.set(line.slice(0, eq), [...(out.get(line.slice(0, eq)) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("the README's install steps", () => {
  it("are the ones config/itd.service's comment lists", () => {
    const fromUnit = UNIT_SOURCE.split("\n").filter((l) => l.startsWith("#   ")).map((l) => command(l.slice(4)));
    expect(fromUnit).toEqual(STEPS);
    expect(STEPS).toContain(NPM_INSTALL);
    expect(STEPS).toContain(START);
    expect(STEPS.at(-1)).toMatch(/^sudo -u itd .*\bitd doctor\b/);
  });

  describe.skipIf(MISSING !== undefined)(`performed into a temporary root (skipped: ${MISSING ?? ""})`, () => {
    const user = `itdt${Math.floor(Math.random() * 0xffffffff).toString(16)}`;
    let root: string;
    let fake: FakeProcess; // its own process: the steps run with spawnSync, which blocks this one
    let daemon: ChildProcess | undefined;
    let daemonLog = "";
    let port: number;
    const ran: { step: string; code: number | null; out: string }[] = [];

    const inRoot = (path: string): string => join(root, path);
    /** README paths into the temporary root, the user `itd` into the throwaway one. */
    const localise = (text: string): string =>
      text
        .replace(/(?<![\w/.])(\/etc\/itd|\/etc\/systemd\/system|\/var\/lib\/itd)(?=[/\s'"]|$)/gm, (p) => inRoot(p))
        .replace(/(\s-[ogu] )itd\b/g, `$1${user}`)
        .replace(/^(.*\buseradd\b.*\s)itd$/, `$1${user}`)
        .replace(/^(User|Group)=itd$/gm, `$1=${user}`);
    const usrBin = (): string => inRoot("usr/bin");
    /** sudo's reset environment (Debian's secure_path, with the root's usr/bin where npm -g puts itd). */
    const sudoPath = (): string => `${usrBin()}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

    function shell(step: string): { code: number | null; out: string } {
      let line = localise(step).replace("ITERABLE_API_KEY=…", `ITERABLE_API_KEY=${KEY}`);
      line = line.replace(/^sudo -u (\S+) /, `runuser -u $1 -- env -i PATH=${sudoPath()} HOME=${inRoot("var/lib/itd")} `).replace(/(^|[|&;]\s*)sudo /g, "$1");
      const r = spawnSync("sh", ["-c", line], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: sudoPath() } });
      return { code: r.status, out: `$ ${line}\n${r.stdout}${r.stderr}` };
    }

    /** What `systemctl enable --now itd` does with the installed unit: its ExecStart= as its user, with its environment. */
    async function startUnit(): Promise<void> {
      const unit = serviceDirectives(localise(readFileSync(inRoot("etc/systemd/system/itd.service"), "utf8")));
      const one = (key: string): string => {
        const v = unit.get(key);
        if (v?.length !== 1) throw new Error(`the installed unit has ${v?.length ?? 0} ${key}=`);
        return v[0] as string;
      };
      const env: Record<string, string> = { PATH: `${usrBin()}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin`, HOME: inRoot("var/lib/itd"), USER: user, LOGNAME: user, SHELL: "/usr/sbin/nologin" };
      for (const e of unit.get("Environment") ?? []) Object.assign(env, parseEnvFile(e));
      for (const f of unit.get("EnvironmentFile") ?? []) {
        const path = f.replace(/^-/, "");
        Object.assign(env, parseEnvFile(readFileSync(path, "utf8"))); // systemd reads it as root
      }
      // StateDirectory=itd with StateDirectoryMode=: systemd makes /var/lib/itd the user's, that mode.
      expect(one("StateDirectory")).toBe("itd");
      const state = statSync(inRoot("var/lib/itd"));
      expect((state.mode & 0o777).toString(8)).toBe(one("StateDirectoryMode").replace(/^0/, ""));
      expect(one("User")).toBe(user);
      expect(one("Group")).toBe(user);
      const script = `umask ${one("UMask")} && exec ${one("ExecStart")}`;
      daemon = spawn("setpriv", [`--reuid=${one("User")}`, `--regid=${one("Group")}`, "--init-groups", "--", "sh", "-c", script], {
        cwd: "/",
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      daemon.stdout?.on("data", (d: Buffer) => (daemonLog += d.toString()));
      daemon.stderr?.on("data", (d: Buffer) => (daemonLog += d.toString()));
      // Up as systemd would see it: /healthz answers 200 (whatever the order of the daemon's start-up lines).
      const port = Number(/^http_port: (\d+)$/m.exec(readFileSync(inRoot("etc/itd/itd.yml"), "utf8"))?.[1]);
      const healthy = (): Promise<boolean> => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
      for (const deadline = Date.now() + 30_000; daemon.exitCode === null && !(await healthy()); await sleep(200)) {
        if (Date.now() > deadline) throw new Error(`the daemon did not serve /healthz within 30 s\n${daemonLog}`);
      }
    }

    beforeAll(async () => {
      root = tempDir("itd-root-");
      openToOthers(root);
      // The directories every system has.
      for (const d of ["etc/systemd/system", "var/lib", "usr/bin"]) mkdirSync(inRoot(d), { recursive: true, mode: 0o755 });
      port = await freePort();
      fake = await spawnFake(["--api-key", KEY, "--seed", "7", "--events-per-day", "24", "--no-rate-limits"]);
      for (const step of STEPS) {
        if (step === NPM_INSTALL) {
          symlinkSync(ITD, join(usrBin(), "itd"));
          ran.push({ step, code: 0, out: "(linked usr/bin/itd to this checkout's bin/itd)" });
        } else if (step === START) {
          await startUnit();
          ran.push({ step, code: daemon?.exitCode ?? 0, out: "(started the unit's ExecStart=)" });
        } else {
          ran.push({ step, ...shell(step) });
        }
        if (/\binstall\b.*config\/itd\.yml/.test(step)) {
          const file = inRoot("etc/itd/itd.yml");
          const text = readFileSync(file, "utf8");
          expect(text).toMatch(/^http_port: 9464$/m);
          writeFileSync(file, text.replace(/^http_port: 9464$/m, `http_port: ${port}`)); // same file: owner and mode stay
        }
        if ((ran.at(-1)?.code ?? 1) !== 0) break;
      }
    }, 120_000);

    afterAll(async () => {
      if (daemon?.pid !== undefined && daemon.exitCode === null) {
        const gone = new Promise((r) => daemon?.once("exit", r));
        process.kill(-daemon.pid, "SIGTERM");
        await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
        if (daemon.exitCode === null) process.kill(-daemon.pid, "SIGKILL");
      }
      if (spawnSync("id", [user]).status === 0) spawnSync("userdel", [user]);
      await fake?.stop();
    });

    const transcript = (): string => ran.map((r) => `${r.out}\n(exit ${String(r.code)})`).join("\n") + `\n--- daemon ---\n${daemonLog}`;

    it("all succeed, the README's doctor line included", () => {
      expect(ran.map((r) => r.step), transcript()).toEqual(STEPS);
      expect(ran.filter((r) => r.code !== 0).map((r) => r.step), transcript()).toEqual([]);
      const doctor = ran.at(-1)?.out ?? "";
      expect(doctor).toMatch(/^ok {4}config {5}\S+\/etc\/itd\/itd\.yml$/m);
      expect(doctor).toMatch(/^ok {4}env-file {3}\S+\/etc\/itd\/itd\.env \(1 variable\)$/m);
      expect(doctor).toMatch(new RegExp(`^ok {4}home {7}\\S+/var/lib/itd \\(owned by ${user}:${user}, mode 0700\\)$`, "m"));
      expect(doctor).toMatch(new RegExp(`^ok {4}port {7}127\\.0\\.0\\.1:${port} is served by this home's daemon \\(pid ${daemon?.pid}\\)$`, "m"));
      expect(doctor).toMatch(/doctor: no problems found\n/);
      expect(doctor).not.toContain(KEY);
    });

    it("leave the config and the secrets root's, readable by the group itd only, and the home the user's", () => {
      const owner = (p: string): string => {
        const st = statSync(inRoot(p));
        const name = (id: number, db: string): string => spawnSync("getent", [db, String(id)], { encoding: "utf8" }).stdout.split(":")[0] ?? "";
        return `${name(st.uid, "passwd")}:${name(st.gid, "group")} ${(st.mode & 0o777).toString(8)}`;
      };
      expect(owner("etc/itd")).toBe(`root:${user} 750`);
      expect(owner("etc/itd/itd.yml")).toBe(`root:${user} 640`);
      expect(owner("etc/itd/itd.env")).toBe(`root:${user} 640`);
      expect(owner("var/lib/itd")).toBe(`${user}:${user} 700`);
      expect(owner("var/lib/itd/state.db")).toBe(`${user}:${user} 600`);
    });

    it("give a daemon that runs as the user, reads the installed config and serves /healthz", async () => {
      expect(daemon?.exitCode, daemonLog).toBe(null);
      const starting = daemonLog.split("\n").find((l) => l.includes('"msg":"itd daemon starting"'));
      expect(starting, daemonLog).toBeDefined();
      const fields = JSON.parse(starting as string) as { home: string; config: string };
      expect(fields.config).toBe(inRoot("etc/itd/itd.yml"));
      expect(fields.home).toBe(inRoot("var/lib/itd"));
      const status = readFileSync(`/proc/${daemon?.pid}/status`, "utf8");
      const uid = spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim();
      expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s`, "m"));
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe("ok");
    });

    it("let the user add a schedule whose key doctor then checks against Iterable with the installed env file", async () => {
      const load = [
        "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${fake.url}`, "  data_type: export_data",
        "  export_data_type: emailOpen", "  start_time: '2026-01-01T00:00:00Z'", "  columns:", "  - {name: created_at, type: timestamp}", "",
      ].join("\n");
      writeFileSync(inRoot("load.yml"), load, { mode: 0o644 });
      const create = shell(`sudo -u itd ITD_HOME=/var/lib/itd itd connector:create daily "10 0 * * *" opsdb opens ${inRoot("load.yml")} --auto-create-table`);
      expect(create.code, create.out).toBe(0);
      const doctor = shell(STEPS.at(-1) as string);
      expect(doctor.out).toMatch(/^ok {4}env {8}ITERABLE_API_KEY is set \(schedule daily\)$/m);
      expect(doctor.out).toMatch(/^ok {4}iterable {3}\$\{ITERABLE_API_KEY\} at \S+ \(schedule daily\): accepted/m);
      expect(doctor.code, doctor.out).toBe(0);
      // root's `sudo itd …` (no -u itd) is refused, not obeyed with root-owned files
      const asRoot = shell(`sudo ITD_HOME=/var/lib/itd itd connector:create other "10 0 * * *" opsdb opens2 ${inRoot("load.yml")}`);
      expect(asRoot.code).toBe(1);
      expect(asRoot.out).toContain(`the home ${inRoot("var/lib/itd")} belongs to user ${user}; run as it: sudo -u ${user}`);
    });
  });
});
