/**
 * CLI benchmark (issue 11): whole `itd` processes (`node bin/itd …`, as a user
 * runs them) against a home of 10,000 schedules and 1,000,000 jobs, next to
 * bare `node -e ''` measured in the same rounds. Commands interleaved, the
 * order rotated each round, after one warm-up round; medians. Wall time from
 * direct spawns; peak RSS from `/usr/bin/time -f %M` runs of the same command.
 * Every run must exit 0, write nothing on stderr and print what it should:
 * a benchmark of a failing command fails the run.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cliHome, type CliHome } from "./cli-home.js";
import { fmt, median } from "./stats.js";

const ITD = fileURLToPath(new URL("../../bin/itd", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TIME = "/usr/bin/time";
const TIMEOUT_MS = 300_000;
/** Targets of issue 11. */
const MAX_RATIO = 3;
const MAX_RSS_MB = 150;

interface Case {
  /** `node -e ''` (the baseline) or `itd …`, as printed. */
  label: string;
  /** Arguments of `node`. */
  argv: string[];
  home: "built" | "empty";
  /** A temporary folder without config/itd.yml, or the repository (with one). */
  cwd: "temp" | "repo";
  /** What is wrong with the output, if anything. */
  check: (stdout: string) => string | undefined;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliBenchRow {
  label: string;
  cwd: Case["cwd"];
  ms: number[];
  /** Peak RSS of each /usr/bin/time run, MB; empty without /usr/bin/time. */
  rssMb: number[];
  /** Wall time of the /usr/bin/time runs (its overhead, for the baseline). */
  timedMs: number[];
}

export interface CliBenchResult {
  home: CliHome;
  rounds: number;
  baseline: CliBenchRow;
  rows: CliBenchRow[];
  hasTime: boolean;
  cores: number;
  loadBefore: number[];
  loadAfter: number[];
}

function run(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms });
    });
  });
}

/** Throws, naming the command, unless the run exited 0 with nothing on stderr and the output its check wants. */
function assertOk(c: Case, r: Run): void {
  const problem = r.code !== 0 ? `exit ${r.code ?? r.signal}` : r.stderr !== "" ? "it wrote on stderr" : c.check(r.stdout);
  if (problem === undefined) return;
  throw new Error(
    `cli bench: \`${c.label}\` (cwd ${c.cwd}) failed: ${problem}\n--- stderr (tail) ---\n${r.stderr.slice(-2000)}\n--- stdout (head) ---\n${r.stdout.slice(0, 2000)}`,
  );
}

const endsWithRows = (n: number) => (out: string): string | undefined =>
  out.endsWith(`${n} ${n === 1 ? "row" : "rows"} in set\n`) ? undefined : `expected a table of ${n} rows`;

function cases(h: CliHome): Case[] {
  const itd = (label: string, args: string[], check: Case["check"], more: Partial<Pick<Case, "home" | "cwd">> = {}): Case => ({
    label: `itd ${label}`, argv: [ITD, ...args], home: more.home ?? "built", cwd: more.cwd ?? "temp", check,
  });
  const name = h.busiest.name;
  const tsv = (out: string): string | undefined => {
    const lines = out.split("\n").filter((l) => l !== "");
    if (!lines[0]?.startsWith("Name\tCron\t")) return "no tsv header";
    if (lines.length - 1 !== h.schedules) return `${lines.length - 1} rows, expected ${h.schedules}`;
    return lines.some((l) => l.startsWith(`${name}\t`)) ? undefined : `no row of ${name}`;
  };
  const table = (out: string): string | undefined => endsWithRows(h.schedules)(out) ?? (out.includes(`| ${name} `) ? undefined : `no row of ${name}`);
  return [
    { label: "node -e ''", argv: ["-e", ""], home: "empty", cwd: "temp", check: (out) => (out === "" ? undefined : "output from an empty script") },
    itd("help", ["help"], (out) => (out.startsWith("usage: itd") && out.includes("connector:list") ? undefined : "no command list")),
    itd("connector:list -f tsv", ["connector:list", "-f", "tsv"], tsv),
    itd("connector:list", ["connector:list"], table),
    itd("connector:list", ["connector:list"], table, { cwd: "repo" }),
    itd(`connector:show ${name}`, ["connector:show", name], (out) =>
      out.startsWith(`Name     : ${name}\n`) && /Config Diff\n---\nin:\n {2}start_time: /.test(out) && out.includes("Next runs\n") ? undefined : "not the schedule's dump with its config diff"),
    itd(`connector:history ${name}`, ["connector:history", name], (out) => endsWithRows(20)(out)),
    itd("job:list", ["job:list"], (out) => endsWithRows(20)(out)),
    itd(`job:show ${h.jobId}`, ["job:show", String(h.jobId)], (out) =>
      out.startsWith(`JobID       : ${h.jobId}\nStatus      : success\n`) ? undefined : "not the job's dump"),
    itd(`schedule:next "30 2 * * *" -t America/New_York`, ["schedule:next", "30 2 * * *", "-t", "America/New_York"], (out) =>
      endsWithRows(5)(out) ?? (/ E[SD]T /.test(out) ? undefined : "no New York times"), { home: "empty" }),
    itd("database:list", ["database:list"], (out) => endsWithRows(h.databases)(out)),
  ];
}

/** The markdown table's `cwd` column. */
const cwdLabel = (c: Case["cwd"]): string => (c === "repo" ? "repo root (./config/itd.yml)" : "temp dir");

export async function cliBench(options: { rounds: number; schedules: number; jobs: number; log?: (line: string) => void }): Promise<CliBenchResult> {
  const log = options.log ?? (() => undefined);
  const loadBefore = loadavg();
  const cacheDir = join(ROOT, "bench-results", "cli-home");
  log(`cli bench: the home (${fmt(options.schedules)} schedules, ${fmt(options.jobs)} jobs)…`);
  const home = cliHome({ cacheDir, schedules: options.schedules, jobs: options.jobs }, (l) => log(`cli bench: built ${l}`));
  log(home.cached ? `cli bench: home cached (built ${home.builtAt} in ${fmt(home.buildSeconds, 1)} s)` : `cli bench: home built in ${fmt(home.buildSeconds, 1)} s`);
  const dir = mkdtempSync(join(tmpdir(), "itd-bench-cli-"));
  const emptyHome = join(dir, "empty-home");
  const temp = join(dir, "cwd");
  mkdirSync(emptyHome);
  mkdirSync(temp);
  const hasTime = existsSync(TIME);
  const env = (c: Case): NodeJS.ProcessEnv => ({
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ITD_"))),
    NO_COLOR: "1",
    ITD_HOME: c.home === "built" ? home.home : emptyHome,
  });
  const all = cases(home);
  const rows = new Map<Case, CliBenchRow>(all.map((c) => [c, { label: c.label, cwd: c.cwd, ms: [], rssMb: [], timedMs: [] }]));
  try {
    for (let round = -1; round < options.rounds; round++) {
      const shift = Math.max(0, round) % all.length;
      for (const c of [...all.slice(shift), ...all.slice(0, shift)]) {
        const cwd = c.cwd === "repo" ? ROOT : temp;
        const direct = await run(process.execPath, c.argv, cwd, env(c));
        assertOk(c, direct);
        const row = rows.get(c) as CliBenchRow;
        if (round >= 0) row.ms.push(direct.ms);
        if (!hasTime) continue;
        const rssFile = join(dir, "rss");
        const timed = await run(TIME, ["-f", "%M", "-o", rssFile, process.execPath, ...c.argv], cwd, env(c));
        assertOk(c, timed);
        if (round < 0) continue;
        row.timedMs.push(timed.ms);
        row.rssMb.push(Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) / 1024);
      }
      log(round < 0 ? "cli bench: warm-up round done" : `cli bench: round ${round + 1}/${options.rounds} done`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const [baseline, ...rest] = [...rows.values()] as [CliBenchRow, ...CliBenchRow[]];
  return { home, rounds: options.rounds, baseline, rows: rest, hasTime, cores: cpus().length, loadBefore, loadAfter: loadavg() };
}

export function cliBenchMarkdown(r: CliBenchResult): string {
  const h = r.home;
  const base = median(r.baseline.ms);
  const peak = (row: CliBenchRow): number | undefined => (row.rssMb.length > 0 ? Math.max(...row.rssMb) : undefined);
  const mb = (x: number | undefined): string => (x === undefined ? "—" : fmt(x));
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(" / ");
  const line = (row: CliBenchRow, baseline: boolean): string => {
    const m = median(row.ms);
    const rss = peak(row);
    return [
      "", baseline ? `\`${row.label}\` (baseline)` : `\`${row.label}\``, cwdLabel(row.cwd), fmt(m), `${fmt(Math.min(...row.ms))}–${fmt(Math.max(...row.ms))}`,
      `${fmt(m / base, 2)}×`, baseline ? "—" : m < MAX_RATIO * base ? "pass" : "**fail**",
      mb(rss), baseline || rss === undefined ? "—" : rss < MAX_RSS_MB ? "pass" : "**fail**", "",
    ].join(" | ").trim();
  };
  const timeNote = r.hasTime
    ? `Peak RSS: the largest of the rounds' \`/usr/bin/time -f %M\` runs of the same command; \`/usr/bin/time\` itself adds ` +
      `${fmt(median(r.baseline.timedMs) - base)} ms to a \`node -e ''\` spawn (${fmt(median(r.baseline.timedMs))} vs ${fmt(base)} ms), ` +
      "so wall times come from direct spawns only."
    : "Peak RSS: — (no /usr/bin/time on this machine).";
  return [
    `Whole processes (\`node bin/itd …\`, stdout and stderr piped to the bench), ${r.rounds} rounds after a warm-up round, commands interleaved ` +
      "(the order rotated each round), medians; bare `node -e ''` measured in the same rounds. Every run exited 0, wrote nothing on stderr " +
      "and printed what it should (connector:list: every schedule; the others: their table or dump). ITD_HOME is the built home (schedule:next " +
      "and node: an empty one), no ITD_CONFIG; cwd a temporary folder without a config file, or the repository root where ./config/itd.yml is read.",
    "",
    `Home: ${fmt(h.schedules)} schedules (14 cron kinds, from every minute to monthly, with seconds, DST-prone 02:30, and no cron; UTC, ` +
      `America/New_York, Asia/Tokyo, Europe/Berlin; export, list and campaign loads), ${fmt(h.jobs)} jobs (${fmt(h.queued)} queued, the rest ` +
      `success/error/killed, 1 % one-off connector:issue), ${h.databases} warehouse databases with ${h.tables} empty tables; state.db ${fmt(h.stateDbMb)} MB. ` +
      `Built through the store's API (schedules.create, jobs.createJob/finishJob, lifecycle.start/finish with a cursor per export schedule) in ` +
      `${fmt(h.buildSeconds, 1)} s${h.cached ? ` (cached, built ${h.builtAt})` : " (this run)"}; busiest export schedule \`${h.busiest.name}\` ` +
      `(${fmt(h.busiest.jobs)} jobs).`,
    "",
    `${timeNote} Machine: ${r.cores} cores, load average (1/5/15 min) ${load(r.loadBefore)} before and ${load(r.loadAfter)} after the run ` +
      `(other work was running). Targets (issue 11): every command < ${MAX_RATIO}× bare node, peak RSS < ${MAX_RSS_MB} MB.`,
    "",
    `| command | cwd | median ms | min–max ms | × node | < ${MAX_RATIO}× node | peak RSS MB | < ${MAX_RSS_MB} MB |`,
    "|---|---|---:|---:|---:|:---:|---:|:---:|",
    line(r.baseline, true),
    ...r.rows.map((row) => line(row, false)),
  ].join("\n");
}
