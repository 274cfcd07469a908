/**
 * A temporary itd home for benchmarks that run whole `bin/itd` processes
 * (the lookback and upsert benchmarks): its environment, a timed runner that
 * fails with the command's output, the warehouse's SQLite file, and the
 * columns `connector:guess` proposes for a seed.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const ITD = fileURLToPath(new URL("../../bin/itd", import.meta.url));

export interface ItdRun {
  stdout: string;
  /** Wall time from spawn to exit, ms. */
  ms: number;
}

export interface ItdHome {
  dir: string;
  home: string;
  /** Runs `itd ARGS` in `dir` with the home's environment; rejects with its output when it exits non-zero. */
  itd(args: string[]): Promise<ItdRun>;
  /** The SQLite file of a warehouse database. */
  databaseFile(database: string): string;
}

export function itdHome(dir: string, env: Record<string, string> = {}): ItdHome {
  mkdirSync(dir, { recursive: true });
  const home = join(dir, "home");
  const config = join(dir, "itd.yml");
  writeFileSync(config, "http_port: 0\n");
  const fullEnv = { ...process.env, NO_COLOR: "1", ITD_HOME: home, ITD_CONFIG: config, ...env };
  return {
    dir,
    home,
    async itd(args) {
      const t0 = performance.now();
      try {
        const { stdout } = await run(process.execPath, [ITD, ...args], { cwd: dir, env: fullEnv, maxBuffer: 64 << 20 });
        return { stdout, ms: performance.now() - t0 };
      } catch (err) {
        const e = err as { code?: unknown; stdout?: string; stderr?: string };
        throw new Error(`itd ${args.join(" ")} exited ${String(e.code)}:\n${e.stdout ?? ""}${e.stderr ?? ""}`, { cause: err });
      }
    },
    databaseFile: (database) => join(home, "warehouse", `${database}.db`),
  };
}

/** The `columns:` block (as load.yml lines, indented two spaces) that `connector:guess` proposes for `seedYml`. */
export async function guessColumns(dir: string, seedYml: string): Promise<string> {
  const h = itdHome(dir);
  writeFileSync(join(dir, "seed.yml"), seedYml);
  await h.itd(["connector:guess", "seed.yml", "-o", "guessed.yml"]);
  const guessed = readFileSync(join(dir, "guessed.yml"), "utf8");
  const columns = /\n( {2}columns:\n(?: {2}- .*\n)+)/.exec(guessed)?.[1];
  if (columns === undefined) throw new Error(`guess wrote no columns:\n${guessed}`);
  return columns;
}
