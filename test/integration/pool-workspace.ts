/** What the warm-job-process tests (pool.test.ts, pool-review.test.ts) share: a workspace and the daemon's log lines. */
import Database from "better-sqlite3";
import type { ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runItd, spawnDaemon, tempDir, type CliResult } from "./helpers.js";

export const DAY = 86_400_000;
export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const nowSecond = (): number => Math.floor(Date.now() / 1000) * 1000;

export interface LogLine {
  msg?: string;
  time?: string;
  jobId?: number;
  schedule?: string;
  status?: string;
  jobPid?: number;
  pooled?: boolean;
  warm?: boolean;
  pickToRunMs?: number | null;
  err?: string;
}

export function lines(log: string): LogLine[] {
  return log.split("\n").flatMap((l) => {
    if (!l.startsWith("{")) return [];
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });
}

/**
 * A temporary home for a daemon test: `itd` runs the CLI there, `load` writes an incremental emailSend load.yml,
 * `daemon` starts one (added to `tracked`, for the file's afterAll to kill), `ids` reads a table's message ids and
 * `history` a schedule's runs.
 */
export function poolWorkspace(config: string, tracked: Set<ChildProcess>, options: { prefix?: string; env?: NodeJS.ProcessEnv } = {}) {
  const env = options.env ?? {};
  const dir = tempDir(options.prefix ?? "itd-pool-");
  const home = join(dir, "home");
  const allEnv = {
    ITD_HOME: home, ITD_SCHEDULES: join(dir, "schedules"), ITD_RATE_LIMITS: "export=1000/1s", ITD_CONFIG: join(dir, "itd.yml"), ...env,
  };
  writeFileSync(allEnv.ITD_CONFIG, config);
  const itd = (...args: string[]): Promise<CliResult> => runItd(args, { cwd: dir, env: allEnv, timeoutMs: 120_000 });
  const load = (name: string, url: string, start: number, more: string[] = []): string => {
    writeFileSync(
      join(dir, name),
      [
        "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", `  base_url: ${url}`, "  data_type: export_data", "  export_data_type: emailSend",
        "  incremental: true", `  start_time: '${iso(start)}'`, ...more,
        "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "",
      ].join("\n"),
    );
    return name;
  };
  const daemon = (more: NodeJS.ProcessEnv = {}) => {
    const d = spawnDaemon(dir, { ...allEnv, ...more }, []);
    tracked.add(d.child);
    return { ...d, lines: () => lines(d.log()) };
  };
  const ids = (db: string, table: string): string[] => {
    const file = join(home, "warehouse", `${db}.db`);
    if (!existsSync(file)) return [];
    const conn = new Database(file, { readonly: true });
    try {
      return (conn.prepare(`SELECT message_id FROM "${table}"`).all() as { message_id: string }[]).map((r) => r.message_id);
    } catch {
      return [];
    } finally {
      conn.close();
    }
  };
  const history = async (name: string): Promise<{ JobID: number; Status: string; Scheduled: string }[]> =>
    JSON.parse((await itd("connector:history", name, "-n", "100", "-f", "json")).stdout) as { JobID: number; Status: string; Scheduled: string }[];
  return { dir, home, env: allEnv, itd, load, daemon, ids, history };
}

export async function ok(r: Promise<CliResult>): Promise<CliResult> {
  const res = await r;
  if (res.code !== 0) throw new Error(`exit ${res.code}: ${res.stdout}${res.stderr}`);
  return res;
}

export const starts = (ls: LogLine[], schedule?: string): LogLine[] => ls.filter((l) => l.msg === "start" && (schedule === undefined || l.schedule === schedule));
export const finishes = (ls: LogLine[], schedule?: string): LogLine[] => ls.filter((l) => l.msg === "finish" && (schedule === undefined || l.schedule === schedule));

