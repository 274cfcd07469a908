/**
 * iterable:lists and iterable:campaigns as subprocesses against the fake
 * Iterable: what they list and in which order, where the key comes from, and
 * that a bad key or a dead server ends in a clear error that never shows a key.
 */
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatTdTime } from "../../src/cli/format-time.js";
import { campaignsFor, generatorConfig, listsFor, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { runItd, tempDir, type CliResult } from "./helpers.js";

const KEY = "finders-key-7f3e9a1c5b";
const WRONG_KEY = "finders-wrong-key-2d8c4e6a";
// More campaigns than one page of 1000, so listing them takes two requests.
const FAKE: FakeIterableOptions = { apiKey: KEY, now: Date.UTC(2026, 5, 10), seed: 5, eventsPerDay: 10, campaigns: 1203, lists: 9, users: 50, rateLimits: false };
const cfg = generatorConfig(FAKE);

let fake: FakeIterable;
beforeAll(async () => {
  fake = await startFakeIterable(FAKE);
});
afterAll(async () => fake.close());

/** Every output of a run: stdout and stderr, to check no key is in either. */
const both = (r: CliResult): string => r.stdout + r.stderr;

function workspace(env: NodeJS.ProcessEnv = { ITERABLE_API_KEY: KEY }) {
  const dir = tempDir("itd-find-");
  const fullEnv = { ITD_HOME: join(dir, "home"), ...env };
  return {
    itd: (...args: string[]) => runItd(args, { cwd: dir, env: fullEnv }),
    write(name: string, inLines: string): string {
      writeFileSync(join(dir, name), `in:\n  type: iterable\n${inLines}`);
      return name;
    },
  };
}

/** A seed for data_type list without its list_id: what a user has before picking one. */
const LIST_SEED = (): string => `  api_key: \${ITERABLE_API_KEY}\n  base_url: ${fake.url}\n  data_type: list\n`;

function campaignRequests(): number {
  return Object.values(fake.stats().requests["campaigns"] ?? {}).reduce((a, b) => a + b, 0);
}

describe("iterable:lists", () => {
  it("shows every list of the project by id from a seed that has no list_id yet", async () => {
    const w = workspace();
    const seed = w.write("seed.yml", LIST_SEED());
    const r = await w.itd("iterable:lists", seed);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const expected = [...listsFor(cfg)].sort((a, b) => a.id - b.id);
    expect(r.stdout).toMatch(/^\+-+\+/);
    expect(r.stdout).toMatch(/\| ID +\| Name +\| Type +\| Created +\| Description +\|/);
    expect(r.stdout).toContain(`${expected.length} rows in set`);
    const shownIds = [...r.stdout.matchAll(/^\| (\d+) +\|/gm)].map((m) => Number(m[1]));
    expect(shownIds).toEqual(expected.map((l) => l.id));
    expect(r.stdout).toContain("in.list_id");
  });

  it("prints json that parses to the lists, with times as the other commands print them", async () => {
    const w = workspace();
    const r = await w.itd("iterable:lists", w.write("seed.yml", LIST_SEED()), "-f", "json");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    const expected = [...listsFor(cfg)].sort((a, b) => a.id - b.id);
    expect(rows).toEqual(
      expected.map((l) => ({ ID: l.id, Name: l.name, Type: l.listType, Created: formatTdTime(l.createdAt), Description: l.description ?? "" })),
    );
    expect(rows.map((l) => l["Type"])).toContain("Suppression");
  });

  it("reads the key from $ITERABLE_API_KEY when no load.yml is given, and refuses --region next to a file", async () => {
    const w = workspace();
    const r = await w.itd("iterable:lists", "--base-url", fake.url, "-f", "csv");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("ID,Name,Type,Created,Description");
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(cfg.lists + 1);
    const fileAndFlag = await w.itd("iterable:lists", w.write("seed.yml", LIST_SEED()), "--region", "eu");
    expect(fileAndFlag.code).toBe(2);
    expect(fileAndFlag.stderr).toContain("Error: --region: not with a load.yml");
    const unset = await workspace({ ITERABLE_API_KEY: "" }).itd("iterable:lists", "--base-url", fake.url);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain("Error: no load.yml given and ITERABLE_API_KEY is empty");
  });
});

describe("iterable:campaigns", () => {
  it("follows the pages and shows every campaign newest (highest id) first, as json", async () => {
    const w = workspace();
    const before = campaignRequests();
    const r = await w.itd("iterable:campaigns", w.write("seed.yml", LIST_SEED()), "-f", "json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(campaignRequests() - before).toBe(2);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    const expected = [...campaignsFor(cfg)].sort((a, b) => b.id - a.id);
    expect(rows).toHaveLength(1203);
    expect(rows.map((c) => c["ID"])).toEqual(expected.map((c) => c.id));
    const first = expected[0];
    expect(rows[0]).toEqual({
      ID: first?.id,
      Name: first?.name,
      Type: first?.type,
      Medium: first?.messageMedium ?? "",
      State: first?.campaignState,
      Created: formatTdTime(first?.createdAt),
    });
  });

  it("shows only the newest N with --limit and says on stderr how many there were", async () => {
    const w = workspace();
    const r = await w.itd("iterable:campaigns", "--base-url", fake.url, "--limit", "3");
    expect(r.code).toBe(0);
    const newest = [...campaignsFor(cfg)].sort((a, b) => b.id - a.id).slice(0, 3);
    expect([...r.stdout.matchAll(/^\| (\d+) +\|/gm)].map((m) => Number(m[1]))).toEqual(newest.map((c) => c.id));
    expect(r.stdout).toContain("3 rows in set");
    expect(r.stderr).toBe("1203 campaigns in all; --limit 3 showed the first 3.\n");
  });
});

describe("errors and the key", () => {
  it("a rejected key is a clear error naming in.api_key, and neither key is ever printed, even with --verbose", async () => {
    const w = workspace({ ITERABLE_API_KEY: KEY });
    // The wrong key written into the file itself, the way a key can leak most easily.
    const file = w.write("bad.yml", `  api_key: ${WRONG_KEY}\n  base_url: ${fake.url}\n`);
    for (const command of ["iterable:lists", "iterable:campaigns"]) {
      const r = await w.itd(command, file, "--verbose");
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`Error: Iterable rejected the API key (401 BadApiKey: Invalid API key) for ${fake.url}: check in.api_key`);
      expect(both(r)).not.toContain(WRONG_KEY);
      expect(both(r)).not.toContain(KEY);
    }
    const env = await workspace({ ITERABLE_API_KEY: WRONG_KEY }).itd("iterable:lists", "--base-url", fake.url, "--verbose");
    expect(env.code).toBe(1);
    expect(env.stderr).toContain("Error: Iterable rejected the API key in $ITERABLE_API_KEY (401 BadApiKey: Invalid API key)");
    expect(env.stderr).toContain("check ITERABLE_API_KEY and --base-url");
    expect(both(env)).not.toContain(WRONG_KEY);
    const ok = await w.itd("iterable:lists", w.write("seed.yml", LIST_SEED()), "--verbose");
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('"endpoint":"lists"'); // --verbose did log the requests
    expect(both(ok)).not.toContain(KEY);
  });

  it("a server that echoes the key in its 401 body has it redacted in the error of either key source", async () => {
    const echo = createHttpServer((req, res) => {
      const key = String(req.headers["api-key"] ?? "");
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ msg: `Invalid API key: ${key}`, code: "BadApiKey", params: null }));
    });
    const url = await new Promise<string>((res) => echo.listen(0, "127.0.0.1", () => res(`http://127.0.0.1:${(echo.address() as { port: number }).port}`)));
    try {
      const w = workspace({ ITERABLE_API_KEY: WRONG_KEY });
      const fromEnv = await w.itd("iterable:campaigns", "--base-url", url);
      const fromFile = await w.itd("iterable:lists", w.write("echo.yml", `  api_key: \${ITERABLE_API_KEY}\n  base_url: ${url}\n`));
      for (const r of [fromEnv, fromFile]) {
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("(401 BadApiKey: Invalid API key: ***)");
        expect(both(r)).not.toContain(WRONG_KEY);
      }
      expect(fromEnv.stderr).toContain("in $ITERABLE_API_KEY");
    } finally {
      await new Promise((res) => echo.close(res));
    }
  });

  it("a server that is down is a clear error after the load.yml's retries", async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((res) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const w = workspace();
    const file = w.write("down.yml", `  api_key: \${ITERABLE_API_KEY}\n  base_url: http://127.0.0.1:${port}\n  retry_limit: 1\n  initial_retry_wait: 10\n`);
    const r = await w.itd("iterable:campaigns", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Error: Iterable GET \/api\/campaigns failed after 2 attempts over [\d.]+ s \(retry_limit 1\): last error ConnectionError .*ECONNREFUSED/);
    expect(both(r)).not.toContain(KEY);
  });
});
