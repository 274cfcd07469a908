/**
 * The daemon's config file (`itd daemon --config FILE`; design §6): where the
 * home and the schedule files are, the health/metrics endpoint, concurrency,
 * shutdown grace, the job timeout, history retention, catch-up cap, log level
 * and the Iterable rate budgets. Every key is optional; a missing file means all defaults.
 *
 * Which file: `--config FILE`, else `$ITD_CONFIG`, else `./config/itd.yml`
 * when it exists, else none. Problems are reported all at once, one line each,
 * as for load.yml: `<file>: <key>: <what is allowed>; got <what was found>`.
 *
 * `parseDaemonConfig` is pure (text in, config out); `readDaemonConfig` does the
 * file lookup and resolves relative paths in the file against its directory.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { closest, describeValue, joinPath, problemLine, type ConfigProblem } from "../connector/config-errors.js";
import { ConfigError } from "../errors.js";
import { explainAccess } from "../home.js";
import { parseDuration, parseRate } from "./duration.js";
import { readYaml, YamlError } from "./yaml.js";
import { maskPasswords } from "../warehouse/postgres/url.js";
import { locateDaemonConfig } from "./locate.js";
import type { RateGroup, RateLimits } from "../iterable/index.js";

// ---------------------------------------------------------------------------
// Durations and rate limits

/** `"90d"` → ms; `"0"` or `0` → 0 (keep forever); anything else → undefined. */
export function parseRetention(value: string | number): number | undefined {
  if (value === 0 || value === "0") return 0;
  if (typeof value !== "string") return undefined;
  return parseDuration(value);
}

/**
 * `job_timeout`: a number of seconds (`3`, `1.5`) or a duration (`6h`, `90m`);
 * `0` or `"0"` = no limit. → ms; undefined when neither.
 */
export function parseJobTimeout(value: string | number): number | undefined {
  if (typeof value === "number") {
    const ms = value * 1000;
    if (!Number.isFinite(ms) || ms < 0) return undefined;
    return ms === 0 ? 0 : Math.max(1, Math.round(ms)); // a tiny positive limit is still a limit
  }
  return parseRetention(value);
}

const RATE_GROUPS = ["export", "getUsers", "metrics", "campaigns", "lists"] as const satisfies readonly RateGroup[];

export { parseRate };

// ---------------------------------------------------------------------------
// The schema

/** What each key accepts, in words: the first half of every problem line. */
const ALLOWED = {
  home: "expected a directory path",
  warehouse: "expected sqlite or postgresql://USER@HOST:PORT/DBNAME",
  state: "expected sqlite or postgresql://USER@HOST:PORT/DBNAME",
  schedules_dir: "expected a directory path",
  http_port: "expected an integer from 0 to 65535 (0 = no HTTP server)",
  http_host: "expected a host name or IP address such as 127.0.0.1",
  max_concurrent_jobs: "expected an integer ≥ 1",
  job_processes: "expected an integer ≥ 0 (0 = a fresh process for every job)",
  job_process_max_jobs: "expected an integer ≥ 1",
  job_process_max_rss_mb: "expected an integer ≥ 64 (megabytes)",
  shutdown_grace: "expected a number of seconds ≥ 0 or a duration such as 30s or 2m",
  job_timeout: 'expected a number of seconds ≥ 0 or a duration such as 12h, 90m or 2d; 0 or "0" = no limit',
  history_retention: 'expected a duration such as 90d, 12h, 2w or 30m, or "0" to keep history forever',
  catchup_cap: "expected an integer ≥ 1",
  log_level: "expected one of trace, debug, info, warn, error, fatal",
  rate_limits: `expected a mapping of group to N/WINDOW (groups: ${RATE_GROUPS.join(", ")})`,
} as const;

const RATE_ALLOWED = "expected N/WINDOW with WINDOW in ms, s, m, min or h, such as 4/60s or 100/1s";

function customIssue(ctx: z.core.$RefinementCtx, input: unknown): typeof z.NEVER {
  ctx.issues.push({ code: "custom", message: "", input });
  return z.NEVER;
}

const rateSchema = z
  .string()
  .transform((v, ctx) => parseRate(v) ?? customIssue(ctx, v))
  .describe("N requests per WINDOW, such as 4/60s (WINDOW in ms, s, m, min or h).");

const rateLimitsSchema = z
  .strictObject({
    export: rateSchema.optional().describe("Budget for /api/export/data.json and /api/export/data.csv (documented: 4/60s)."),
    getUsers: rateSchema.optional().describe("Budget for /api/lists/getUsers (documented: 5/60s)."),
    metrics: rateSchema.optional().describe("Budget for /api/campaigns/metrics (documented: 10/60s)."),
    campaigns: rateSchema.optional().describe("Budget for /api/campaigns (documented: 100/1s)."),
    lists: rateSchema.optional().describe("Budget for /api/lists (documented: 100/1s)."),
  })
  .transform((m): Partial<RateLimits> => {
    const out: Partial<RateLimits> = {};
    for (const g of RATE_GROUPS) {
      const r = m[g];
      if (r !== undefined) out[g] = r;
    }
    return out;
  });

/** The daemon config file's schema; `.describe()` texts are the reference documentation. */
export const daemonConfigSchema = z
  .strictObject({
    home: z
      .string()
      .min(1)
      .optional()
      .describe("itd's home (state.db, warehouse, logs). Overridden by --home and $ITD_HOME; default $XDG_DATA_HOME/itd."),
    warehouse: z
      .string()
      .regex(/^\s*(sqlite|postgres(ql)?:\/\/.*)\s*$/i)
      .optional()
      .describe(
        "Where imported data goes: sqlite (the home's embedded files, the default) or a PostgreSQL database, " +
          "postgresql://USER@HOST:PORT/DBNAME (a password as ${ENV}, or PGPASSWORD / ~/.pgpass; sslmode=... honoured). " +
          "Overridden by $ITD_WAREHOUSE and --warehouse.",
      ),
    state: z
      .string()
      .regex(/^\s*(sqlite|postgres(ql)?:\/\/.*)\s*$/i)
      .optional()
      .describe(
        "Where schedules, jobs, cursors and leases live: sqlite (the home's state.db, the default) or a PostgreSQL database, " +
          "postgresql://USER@HOST:PORT/DBNAME, which several daemons on several hosts share (schema itd_state). " +
          "Overridden by $ITD_STATE and --state.",
      ),
    schedules_dir: z
      .string()
      .min(1)
      .optional()
      .describe("Directory of schedule files (*.yml), watched for changes. Default: <home>/schedules."),
    http_port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(9464)
      .describe("Port of GET /healthz and GET /metrics (Prometheus); 0 = no HTTP server."),
    http_host: z
      .string()
      .min(1)
      .default("127.0.0.1")
      .describe("Address the HTTP server binds; keep it on loopback unless a firewall guards it."),
    max_concurrent_jobs: z.number().int().min(1).default(4).describe("Jobs run at once across all schedules; the rest queue by priority."),
    job_processes: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        "The most warm job processes the daemon keeps, each running one job at a time, so a job starts in milliseconds " +
          "instead of after a Node start-up (about half a second of CPU); spawned one ahead of need and kept after their jobs. " +
          "0 = a fresh process for every job. " +
          "Default: max_concurrent_jobs.",
      ),
    job_process_max_jobs: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe("A warm job process leaves after this many jobs (a new one is spawned as jobs need it)."),
    job_process_max_rss_mb: z
      .number()
      .int()
      .min(64)
      .default(512)
      .describe("A warm job process whose resident memory (RSS) is above this many megabytes after a job leaves (a new one is spawned as jobs need it)."),
    shutdown_grace: z
      .union([z.number(), z.string()])
      .transform((v, ctx) => {
        const ms = parseJobTimeout(v);
        return ms === undefined ? customIssue(ctx, v) : ms / 1000;
      })
      .prefault(30)
      .describe("How long running jobs get to finish after SIGTERM before they are stopped (status killed): seconds, or 30s, 2m. Parsed to seconds."),
    job_timeout: z
      .union([z.number(), z.string()])
      .transform((v, ctx) => parseJobTimeout(v) ?? customIssue(ctx, v))
      .prefault("12h")
      .describe(
        'Longest a job may run (seconds, or 12h, 90m, 2d); a job still running then is stopped (status killed) and the ' +
          'daemon goes on; its slot is not retried. 0 = no limit. Parsed to milliseconds.',
      ),
    history_retention: z
      .union([z.literal(0), z.string()])
      .transform((v, ctx) => parseRetention(v) ?? customIssue(ctx, v))
      .prefault("90d")
      .describe('How long finished jobs and their logs are kept (90d, 12h, 2w, 30m; "0" = forever). Parsed to milliseconds.'),
    catchup_cap: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe("Most missed slots one schedule runs after downtime with catchup: all; older ones are recorded as skipped."),
    log_level: z
      .enum(["trace", "debug", "info", "warn", "error", "fatal"])
      .default("info")
      .describe("Lowest level written to the daemon's JSON log (stdout, i.e. journald)."),
    rate_limits: rateLimitsSchema
      .default({})
      .describe("Per-group request budgets when Iterable granted the project other limits than its documented ones."),
  })
  .describe("itd daemon configuration (config/itd.yml).");

/**
 * A validated daemon config. `history_retention` and `job_timeout` are in
 * milliseconds (0 = keep forever, no limit); `shutdown_grace` in seconds.
 */
export type DaemonConfig = z.infer<typeof daemonConfigSchema>;

/** Every key of the file, in documentation order. */
export const DAEMON_CONFIG_KEYS = Object.keys(daemonConfigSchema.shape) as (keyof DaemonConfig)[];

/** The config used when there is no file. */
export function defaultDaemonConfig(): DaemonConfig {
  return daemonConfigSchema.parse({});
}

/**
 * The schedule files' directory: `$ITD_SCHEDULES` (as the CLI reads it), else
 * `schedules_dir`, else `<home>/schedules`.
 */
export function schedulesDirOf(config: DaemonConfig, home: string, env: NodeJS.ProcessEnv = {}): string {
  const fromEnv = env["ITD_SCHEDULES"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return config.schedules_dir ?? join(home, "schedules");
}

// ---------------------------------------------------------------------------
// Parsing

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (!isMapping(cur)) return undefined;
    cur = cur[String(seg)];
  }
  return cur;
}

function problemsOf(issues: readonly z.core.$ZodIssue[], doc: Record<string, unknown>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const inRates = issue.path[0] === "rate_limits";
      const allowed: readonly string[] = inRates ? RATE_GROUPS : DAEMON_CONFIG_KEYS;
      for (const key of issue.keys) {
        const hint = closest(key, allowed);
        out.push({
          path: joinPath("", [...issue.path, key]),
          message: `unknown ${inRates ? "group" : "key"}${hint === undefined ? "" : ` (did you mean ${hint}?)`}; allowed ${inRates ? "groups" : "keys"}: ${allowed.join(", ")}`,
        });
      }
      continue;
    }
    const key = issue.path[0] as keyof typeof ALLOWED;
    const allowed = issue.path[0] === "rate_limits" && issue.path.length > 1 ? RATE_ALLOWED : (ALLOWED[key] ?? "invalid value");
    // (A warehouse URL's password is never shown.)
    const got = describeValue(valueAt(doc, issue.path));
    out.push({ path: joinPath("", issue.path), message: `${allowed}; got ${key === "warehouse" || key === "state" ? maskPasswords(got) : got}` });
  }
  return out;
}

/** A key written with no value (`home:`) is not set, as in load.yml. */
function dropNulls(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (v !== null && v !== undefined) out[k] = isMapping(v) && k === "rate_limits" ? dropNulls(v) : v;
  return out;
}

/**
 * Validates a parsed YAML document; `fileName` names the file in messages.
 * Keys with no value count as unset. Throws ConfigError listing every problem.
 */
export function validateDaemonConfig(doc: unknown, fileName: string): DaemonConfig {
  if (doc !== null && doc !== undefined && !isMapping(doc)) {
    throw new ConfigError(`${fileName}: expected a mapping of daemon settings (${DAEMON_CONFIG_KEYS.join(", ")}); got ${describeValue(doc)}`);
  }
  const input = doc === null || doc === undefined ? {} : dropNulls(doc);
  const r = daemonConfigSchema.safeParse(input);
  if (r.success) return r.data;
  // in the order the keys appear in the file; a repeated line (a union's branches) once
  const order = Object.keys(input);
  const rank = (p: ConfigProblem): number => order.indexOf(p.path.split(/[.[]/)[0] ?? "");
  const problems = problemsOf(r.error.issues, input).sort((a, b) => rank(a) - rank(b));
  const lines = [...new Set(problems.map((p) => problemLine(fileName, p)))];
  throw new ConfigError(lines.join("\n"));
}

/**
 * Parses the daemon config file's text (YAML or JSON). An empty file, or one of
 * comments only, is all defaults. Paths are returned as written.
 */
export function parseDaemonConfig(text: string, fileName: string): DaemonConfig {
  let doc: unknown;
  try {
    doc = readYaml(text, fileName);
  } catch (err) {
    if (err instanceof YamlError) throw new ConfigError(err.message, { cause: err });
    throw err;
  }
  return validateDaemonConfig(doc, fileName);
}

/**
 * Reads the daemon config: `path` (`--config`), else `$ITD_CONFIG`, else
 * `<cwd>/config/itd.yml` if present, else the defaults (`file` undefined).
 * Relative `home` and `schedules_dir` are resolved against the file's
 * directory. `file` is the absolute path read (kept for SIGHUP reloads).
 */
export function readDaemonConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { config: DaemonConfig; file: string | undefined } {
  const source = locateDaemonConfig(path, env, cwd);
  if (source === undefined) return { config: defaultDaemonConfig(), file: undefined };
  let text: string;
  try {
    text = readFileSync(source.path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hints = source.origin === "$ITD_CONFIG" ? ["the file is named by $ITD_CONFIG"] : [];
    if (code === "ENOENT") throw new ConfigError(`configuration file: ${source.shown} not found`, { cause: err, hints });
    const reason =
      code === "EISDIR"
        ? "is a directory"
        : code === "EACCES" || code === "EPERM"
          ? `is not readable: ${explainAccess(source.path, err, "read")}`
          : `cannot be read (${code ?? "error"})`;
    throw new ConfigError(`configuration file: ${source.shown} ${reason}`, { cause: err, hints });
  }
  const config = parseDaemonConfig(text, source.shown);
  const base = dirname(source.path);
  if (config.home !== undefined && !isAbsolute(config.home)) config.home = resolve(base, config.home);
  if (config.schedules_dir !== undefined && !isAbsolute(config.schedules_dir)) config.schedules_dir = resolve(base, config.schedules_dir);
  return { config, file: source.path };
}
