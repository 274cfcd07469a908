/**
 * `itd doctor`: what would stop the daemon, checked before systemd loops on it.
 * One line per finding (`ok  config  /etc/itd/itd.yml`, `FAIL  port  …`), exit
 * 1 when anything failed. It changes nothing: state.db and the databases are
 * opened read-only, the port is bound and let go, Iterable gets one
 * `GET /api/lists` per distinct key. No secret is printed: keys are named by
 * their `${VARIABLE}` or their schedule, and any value that slipped into a
 * message is masked.
 */
import { existsSync, readFileSync, statSync, accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { validateLoadConfig, type LoadConfig } from "../../connector/index.js";
import { readDaemonConfig, type DaemonConfig } from "../../config/file.js";
import { locateDaemonConfig } from "../../config/locate.js";
import { errorMessage, NotFoundError } from "../../errors.js";
import { currentUid, explainAccess, ownership, resolveHome, userName } from "../../home.js";
import { loadScheduleFiles } from "../../schedule/files.js";
import { openStore, type Store } from "../../store/index.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { schedulesDir } from "../schedule-catalog.js";
import { checkConfigShape, checkRunnableConfig } from "../schedule-config.js";
import type { StateSetting } from "../../config/state.js";
import { Services } from "../services.js";

type Status = "ok" | "FAIL" | "skip";

interface Finding {
  status: Status;
  check: string;
  detail: string;
}

/** A schedule as doctor needs it, from the store or a file. */
interface Scheduled {
  name: string;
  database: string;
  config: unknown;
  /** "cli", or the schedule file. */
  source: string;
}

/** systemd's EnvironmentFile= lines: `KEY=VALUE`, `#`/`;` comments, optional quotes around the value. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
}

/** The nearest directory above `path` that exists, if any (a file in the way: undefined). */
function existingParent(path: string): string | undefined {
  for (let d = dirname(path); ; d = dirname(d)) {
    try {
      return statSync(d).isDirectory() ? d : undefined;
    } catch {
      if (d === dirname(d)) return undefined;
    }
  }
}

function homeFinding(home: string): Finding {
  const uid = currentUid();
  const me = uid === undefined ? "this user" : userName(uid);
  const fail = (detail: string): Finding => ({ status: "FAIL", check: "home", detail });
  let st;
  try {
    st = statSync(home);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return fail(`${home}: ${explainAccess(home, err, "write")}`);
    // Missing: whoever runs itd first creates it, with its parents; the nearest existing one must let us.
    const parent = existingParent(home);
    if (parent === undefined) return fail(`${home} cannot be created: ${explainAccess(home, err, "write")}`);
    try {
      accessSync(parent, constants.W_OK | constants.X_OK);
    } catch (denied) {
      return fail(`${home} cannot be created by ${me}: ${explainAccess(parent, denied, "write")}`);
    }
    return { status: "ok", check: "home", detail: `${home} does not exist yet; itd creates it (0700) for ${me} on first use` };
  }
  if (!st.isDirectory()) return fail(`${home} is not a directory (a file is there)`);
  if (uid !== undefined && st.uid !== uid) {
    const owner = userName(st.uid);
    return fail(`${home} belongs to user ${owner}, not ${me}; run as it: sudo -u ${owner} ITD_HOME=${home} itd doctor …`);
  }
  try {
    accessSync(home, constants.W_OK | constants.X_OK);
  } catch (err) {
    return fail(`${home} is not writable: ${explainAccess(home, err, "write")}`);
  }
  const state = join(home, "state.db");
  if (existsSync(state)) {
    const sst = statSync(state);
    if (sst.uid !== st.uid) return fail(`${state} is not ${me}'s (${ownership(sst)}); give it back: sudo chown ${me} ${state}`);
    try {
      accessSync(state, constants.R_OK | constants.W_OK);
    } catch (err) {
      return fail(`${state}: ${explainAccess(state, err)}`);
    }
  }
  return { status: "ok", check: "home", detail: `${home} (${ownership(st)})` };
}

/** Binds host:port as the daemon would and lets it go; the error when it cannot. */
function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => done(err));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(undefined)));
  });
}

/** `/healthz` of whatever listens there, when it answers as an itd daemon does. */
async function itdHealth(where: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${where}/healthz`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { status?: unknown };
    return typeof body.status === "string" ? body.status : undefined;
  } catch {
    return undefined;
  }
}

async function portFinding(config: DaemonConfig, store: Store | undefined): Promise<Finding> {
  const { http_host: host, http_port: port } = config;
  if (port === 0) return { status: "ok", check: "port", detail: "http_port is 0: no HTTP server" };
  const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const err = await tryListen(host, port);
  if (err === undefined) return { status: "ok", check: "port", detail: `${where} is free` };
  if (err.code === "EADDRINUSE") {
    const daemon = store?.daemon.alive();
    const health = await itdHealth(where);
    if (daemon !== undefined && health === "ok") return { status: "ok", check: "port", detail: `${where} is served by this home's daemon (pid ${daemon.pid})` };
    if (daemon !== undefined && health !== undefined) return { status: "FAIL", check: "port", detail: `${where} is served by this home's daemon (pid ${daemon.pid}), but its /healthz says ${health}` };
    return { status: "FAIL", check: "port", detail: `${where} is in use by another process${health !== undefined ? " (an itd daemon of another home)" : ""}; set http_port in the config` };
  }
  if (err.code === "EACCES") return { status: "FAIL", check: "port", detail: `${where}: permission denied (a port below 1024 needs privileges the daemon does not have)` };
  if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") return { status: "FAIL", check: "port", detail: `${where}: ${host} is not an address of this machine (http_host)` };
  return { status: "FAIL", check: "port", detail: `${where}: ${err.message}` };
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;
const names = (list: readonly Scheduled[]): string => `${list.length === 1 ? "schedule" : "schedules"} ${list.map((s) => s.name).join(", ")}`;
const labelOf = (s: Scheduled): string => (s.source === "cli" ? `schedule ${s.name}` : s.source);

export const doctorCommand: CommandImpl = {
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, { "environment-file": { type: "string", multiple: true } }, { min: 0, max: 0, names: "none" });
    const secrets = new Set<string>();
    const mask = (text: string): string => [...secrets].filter((s) => s.length >= 4).reduce((t, s) => t.split(s).join("***"), text);
    let failed = 0;
    const say = (f: Finding): void => {
      if (f.status === "FAIL") failed++;
      for (const line of mask(f.detail).split("\n")) ctx.stdout.write(`${f.status.padEnd(4)}  ${f.check.padEnd(9)}  ${line}\n`);
    };

    // The daemon's environment: this one, with the unit's EnvironmentFile= over it.
    const env: NodeJS.ProcessEnv = { ...ctx.env };
    for (const file of values["environment-file"] ?? []) {
      const path = resolve(ctx.cwd, file);
      try {
        const vars = parseEnvFile(readFileSync(path, "utf8"));
        Object.assign(env, vars);
        say({ status: "ok", check: "env-file", detail: `${path} (${count(Object.keys(vars).length, "variable")})` });
      } catch (err) {
        say({ status: "FAIL", check: "env-file", detail: `${path} cannot be read: ${explainAccess(path, err, "read")}` });
      }
    }

    let config: DaemonConfig | undefined;
    try {
      const read = readDaemonConfig(values["itd-config"], env, ctx.cwd);
      config = read.config;
      say({ status: "ok", check: "config", detail: read.file ?? "no config file: the defaults (--config FILE, $ITD_CONFIG or ./config/itd.yml)" });
    } catch (err) {
      say({ status: "FAIL", check: "config", detail: errorMessage(err) });
    }

    const home = resolveHome({ flag: values.home, env, cwd: ctx.cwd, configHome: config?.home });
    say(homeFinding(home));

    const located = locateDaemonConfig(values["itd-config"], env, ctx.cwd);
    const services = new Services({ ...ctx, env }, values.home, {
      configHome: config?.home,
      schedulesDir: config?.schedules_dir,
      access: "read",
      warehouse: { flag: values.warehouse, file: located === undefined ? undefined : { value: config?.warehouse, name: located.shown } },
      state: { flag: values.state, file: located === undefined ? undefined : { value: config?.state, name: located.shown } },
    });
    let store: Store | undefined;
    try {
      // Schedules: the store's (read-only; none before its first use) and the files'.
      const schedules: Scheduled[] = [];
      let fromStore = 0;
      let state: StateSetting | undefined;
      try {
        state = services.stateSetting.setting;
      } catch (err) {
        say({ status: "FAIL", check: "state", detail: errorMessage(err) });
      }
      if (state !== undefined && (state.engine === "postgres" || existsSync(join(home, "state.db")))) {
        try {
          store = openStore(home, services.clock, { readonly: true, state });
          if (state.engine === "postgres") {
            const daemons = store.daemon.list();
            say({ status: "ok", check: "state", detail: `${state.target.shown} (shared): ${count(daemons.length, "daemon")} running${daemons.length > 0 ? ` (${daemons.map((d) => d.instance).join(", ")})` : ""}` });
          }
          for (const r of store.schedules.list()) schedules.push({ name: r.name, database: r.database, config: r.config, source: "cli" });
          fromStore = schedules.length;
        } catch (err) {
          if (state.engine === "postgres" && err instanceof NotFoundError) {
            // As a home without state.db: nothing ran yet, which is no problem.
            say({ status: "ok", check: "state", detail: `${state.target.shown} (shared): no itd state yet; the first itd command or daemon that writes creates it` });
          } else {
            say({ status: "FAIL", check: state.engine === "postgres" ? "state" : "schedules", detail: `cannot read the store's schedules: ${errorMessage(err)}` });
          }
        }
      }
      const dir = schedulesDir(services, env);
      const files = loadScheduleFiles(dir, (doc, label) => void checkRunnableConfig(doc, label));
      for (const f of files.schedules) schedules.push({ name: f.name, database: f.database, config: f.config, source: f.source });
      for (const p of files.problems) say({ status: "FAIL", check: "schedules", detail: p });
      say({ status: "ok", check: "schedules", detail: `${schedules.length}: ${fromStore} made with the CLI, ${files.schedules.length} in ${dir}` });

      // ${VARIABLE}s: the key of every schedule that names one must be set.
      const byVariable = new Map<string, Scheduled[]>();
      const usable: { s: Scheduled; config: LoadConfig }[] = [];
      for (const s of schedules) {
        let variable: string | undefined;
        try {
          variable = checkConfigShape(s.config, labelOf(s)).apiKeyEnv;
        } catch (err) {
          say({ status: "FAIL", check: "schedules", detail: errorMessage(err) });
          continue;
        }
        if (variable !== undefined) byVariable.set(variable, [...(byVariable.get(variable) ?? []), s]);
        try {
          usable.push({ s, config: validateLoadConfig(s.config, labelOf(s), env, { connectionOnly: true }) });
        } catch {
          // an unset variable: reported below
        }
      }
      for (const { config: c } of usable) secrets.add(c.in.api_key);
      if (byVariable.size === 0) say({ status: "ok", check: "env", detail: "no schedule names a ${VARIABLE}" });
      for (const [variable, users] of [...byVariable].sort(([a], [b]) => a.localeCompare(b))) {
        const value = env[variable]?.trim();
        say(
          value === undefined || value === ""
            ? { status: "FAIL", check: "env", detail: `${variable} is ${value === undefined ? "not set" : "empty"} (named by ${names(users)}); set it in the daemon's environment (EnvironmentFile=)` }
            : { status: "ok", check: "env", detail: `${variable} is set (${names(users)})` },
        );
      }

      if (config !== undefined) say(await portFinding(config, store));
      else say({ status: "skip", check: "port", detail: "not checked: the config could not be read" });

      // One request per distinct key and place (region or base_url).
      const groups = new Map<string, { config: LoadConfig; baseUrl: string; users: Scheduled[] }>();
      for (const { s, config: c } of usable) {
        // One request, not retried; a cheap one answers in well under these.
        const probe: LoadConfig = { ...c, in: { ...c.in, retry_limit: 0, connect_timeout: 10, response_timeout: 20, idle_timeout: 20 } };
        const client = await services.iterableClient(probe);
        const id = `${c.in.api_key}\u0000${client.baseUrl}`;
        const g = groups.get(id);
        if (g === undefined) groups.set(id, { config: probe, baseUrl: client.baseUrl, users: [s] });
        else g.users.push(s);
      }
      if (groups.size === 0) say({ status: "skip", check: "iterable", detail: "no schedule has a key to check" });
      for (const g of groups.values()) {
        const variables = [...new Set(g.users.map((s) => usable.find((u) => u.s === s)?.config.apiKeyEnv).filter((v) => v !== undefined))];
        const key = variables.length > 0 ? variables.map((v) => `\${${v}}`).join(", ") : "the key written in the config";
        const what = `${key} at ${g.baseUrl} (${names(g.users)})`;
        try {
          const lists = await (await services.iterableClient(g.config)).lists({ signal: ctx.signal });
          say({ status: "ok", check: "iterable", detail: `${what}: accepted (${count(lists.length, "list")})` });
        } catch (err) {
          say({ status: "FAIL", check: "iterable", detail: `${what}: ${errorMessage(err)}` });
        }
      }

      // The warehouse: every database (file or schema), and the databases schedules name.
      let probes;
      try {
        const sqlite = services.warehouseSetting.setting.engine === "sqlite";
        probes = !sqlite || (existsSync(home) && statSync(home).isDirectory()) ? await services.warehouse.check() : [];
        if (!sqlite) say({ status: "ok", check: "warehouse", detail: `PostgreSQL at ${services.warehouse.location}: reachable (${count(probes.length, "database")})` });
      } catch (err) {
        say({ status: "FAIL", check: "warehouse", detail: errorMessage(err) });
        probes = undefined;
      }
      if (probes !== undefined) {
        for (const p of probes) {
          say(p.problem === undefined ? { status: "ok", check: "warehouse", detail: `${p.name}: ${p.where} (${count(p.tables ?? 0, "table")})` } : { status: "FAIL", check: "warehouse", detail: `${p.name}: ${p.problem}` });
        }
        const present = new Set(probes.map((p) => p.name));
        const missing = new Map<string, Scheduled[]>();
        for (const s of schedules) if (!present.has(s.database)) missing.set(s.database, [...(missing.get(s.database) ?? []), s]);
        for (const [db, users] of missing) {
          const cli = users.filter((s) => s.source === "cli");
          say(
            cli.length > 0
              ? { status: "FAIL", check: "warehouse", detail: `${db} does not exist (named by ${names(cli)}): its runs fail until it does` }
              : { status: "ok", check: "warehouse", detail: `${db} does not exist yet; the first run of ${names(users)} creates it` },
          );
        }
        if (probes.length === 0 && missing.size === 0) say({ status: "ok", check: "warehouse", detail: `no databases yet (${services.warehouse.location})` });
      }
    } finally {
      store?.close();
      await services.close();
    }
    ctx.stdout.write(failed === 0 ? "doctor: no problems found\n" : `doctor: ${failed} ${failed === 1 ? "problem" : "problems"} found\n`);
    return failed === 0 ? 0 : 1;
  },
};
