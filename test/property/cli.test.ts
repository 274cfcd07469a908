/**
 * Random argument vectors against the built CLI (`node bin/itd`, as a user runs
 * it) for commands that need no network: exit 0, 1 or 2, and on failure stderr
 * begins `Error: ` or `usage: ` with no stack trace.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArgumentError, parseCommandArgs } from "../../src/cli/args.js";
import { UsageError } from "../../src/errors.js";

const BIN = resolve("bin/itd");
const SEED = 20261129;
const CASES = 24;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: readonly string[], home: string, cwd: string): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd,
      env: { PATH: process.env["PATH"] ?? "", ITD_HOME: home, NO_COLOR: "1", ITERABLE_API_KEY: "k-123" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "itd-prop-cli-"));
  writeFileSync(
    join(work, "load.yml"),
    "in:\n  type: iterable\n  api_key: ${ITERABLE_API_KEY}\n  base_url: http://127.0.0.1:9\n  data_type: campaign\nout:\n  mode: append\n",
  );
  writeFileSync(join(work, "bad.yml"), "in: {type: iterable, api_key: k, data_type: campaign}\nfilters: &f [*f]\n");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const COMMANDS = ["connector:create", "connector:update", "schedule:next", "job:show", "job:list", "query", "table:show", "table:list", "database:list", "connector:preview", "connector:show", "connector:delete", "connector:history", "help", "nosuch"];
const FLAGS = ["-t", "--timezone", "-D", "--delay", "--priority", "--catchup", "--time-column", "-f", "--format", "-d", "--database", "-c", "--config", "--config-diff", "--newname", "--schedule", "--pause", "--resume", "-v", "--limit", "-n", "--count", "--from", "--status", "--", "-", "--help", "-h", "--verbose=no", "--home"];

const word = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("daily", "0 3 * * *", "61 * * * *", "@daily", "Asia/Tokyo", "PST", "+09:00", "iterable", "sends", "load.yml", "bad.yml", "missing.yml", "/", ".", "..", "-1", "-2", "3", "99999999999999999999", "1e400", "NaN", "json", "csv", "xml", "all", "none", "SELECT 1", "DROP TABLE x", "select * from sqlite_master", "2026-01-01T00:00:00Z", "") },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constant("x".repeat(100_000)) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);
// argv entries cannot hold NUL bytes
const arg = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...FLAGS) }, { weight: 3, arbitrary: word }).map((s) => s.replaceAll("\u0000", ""));
const argv = fc.tuple(fc.constantFrom(...COMMANDS), fc.array(arg, { maxLength: 8 })).map(([c, rest]) => [c, ...rest]);

describe("the CLI against random arguments", () => {
  it("parseCommandArgs returns the values or throws an ArgumentError naming the problem", () => {
    const options = { timezone: { type: "string", short: "t" }, delay: { type: "string", short: "D" }, priority: { type: "string" }, pause: { type: "boolean" }, tag: { type: "string", multiple: true } } as const;
    const wordOrFlag = fc.oneof(arg, fc.constantFrom("--timezone", "-t", "--priority", "--pause", "--pause=1", "--tag", "-tD", "--priority=-2", "-D", "-2", "--=", "---x"));
    fc.assert(
      fc.property(fc.array(wordOrFlag, { maxLength: 10 }), fc.nat(3), fc.nat(3), (av, min, extra) => {
        try {
          const r = parseCommandArgs(av, options, { min, max: min + extra, names: "A B" });
          expect(r.positionals.length).toBeLessThanOrEqual(r.values.help === true ? Infinity : min + extra);
        } catch (err) {
          expect(err).toBeInstanceOf(ArgumentError);
          expect(err).toBeInstanceOf(UsageError);
          expect((err as Error).message.length).toBeGreaterThan(0);
          expect((err as Error).message).not.toMatch(/To specify a positional argument/);
        }
      }),
      { numRuns: 2000, seed: SEED },
    );
  });

  it(`${CASES} random argument vectors exit 0, 1 or 2 with a clean Error:/usage: message and no stack trace`, async () => {
    const samples = fc.sample(argv, { numRuns: CASES, seed: SEED });
    const results: { argv: string[]; r: Result }[] = [];
    for (let i = 0; i < samples.length; i += 8) {
      const batch = samples.slice(i, i + 8);
      const homes = batch.map(() => mkdtempSync(join(work, "home-")));
      const rs = await Promise.all(batch.map((a, j) => run(a, homes[j] as string, work)));
      rs.forEach((r, j) => results.push({ argv: batch[j] as string[], r }));
    }
    expect(results).toHaveLength(CASES);
    for (const { argv: a, r } of results) {
      const show = `itd ${JSON.stringify(a.map((s) => (s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s)))}\n${r.stderr.slice(0, 2000)}`;
      expect([0, 1, 2], show).toContain(r.code);
      if (r.code !== 0) expect(r.stderr, show).toMatch(/^(Error: |usage: )/);
      if (!a.includes("--verbose")) expect(r.stderr, show).not.toContain("    at ");
    }
  });

  it("an alias cycle in a load.yml is a clean error, not a crash (regression)", async () => {
    const home = mkdtempSync(join(work, "home-"));
    const r = await run(["connector:create", "daily", "0 3 * * *", "iterable", "sends", "bad.yml"], home, work);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: ${join(work, "bad.yml")}: an alias refers to a collection that contains it (a cycle)\n`);
  });
});
