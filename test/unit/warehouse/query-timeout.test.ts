import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ItdError, StoreError, UsageError } from "../../../src/errors.js";
import { openReadonly } from "../../../src/warehouse/connection.js";
import { queryInSubprocess, runLimitedQuery, type QueryRequest } from "../../../src/warehouse/query.js";
import { ITD, ROOT, runItd } from "../../integration/helpers.js";
import { freshWarehouse, loadOnce } from "./helpers.js";

/** The compiled child entry: these tests run real processes (`npm run build` first). */
const WORKER = path.join(ROOT, "dist", "src", "warehouse", "query-worker.js");

/** Counts forever and yields one row at the end: never returns to JavaScript. */
const ENDLESS_COUNT = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
/** Yields rows forever. */
const ENDLESS_ROWS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c";

beforeAll(() => {
  if (!fs.existsSync(WORKER) || !fs.existsSync(ITD)) throw new Error(`${WORKER} is missing: run \`npm run build\` first`);
});

function database(): { file: string; home: string } {
  const { wh, home } = freshWarehouse();
  loadOnce(wh, {}, [[1, "a@x", 10], [2, "b@x", 20]]);
  return { file: wh.databasePath("db1"), home };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("the query was not refused");
}

describe("queries in a child process", () => {
  it("returns the rows of an ordinary query, Buffers and all", async () => {
    const { file } = database();
    const r = await queryInSubprocess(file, "SELECT id, email, x'41' AS b FROM events ORDER BY id", { timeoutMs: 30_000, maxRows: 100, workerFile: WORKER });
    expect(r).toEqual({ columns: ["id", "email", "b"], rows: [[1, "a@x", Buffer.from("A")], [2, "b@x", Buffer.from("A")]], truncated: false });
  });

  it("kills a recursive CTE that never yields a row at the deadline", async () => {
    const { file } = database();
    const started = Date.now();
    const err = await rejection(queryInSubprocess(file, ENDLESS_COUNT, { timeoutMs: 500, maxRows: 100, workerFile: WORKER }));
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toBe("query: timed out after 0.5 s");
    expect((err as ItdError).hints[0]).toMatch(/--timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("stops an endless statement at the row limit, without a deadline, and says it cut rows", async () => {
    const { file } = database();
    const r = await queryInSubprocess(file, ENDLESS_ROWS, { timeoutMs: 0, maxRows: 3, workerFile: WORKER });
    expect(r).toEqual({ columns: ["x"], rows: [[1], [2], [3]], truncated: true });
  });

  it("keeps the query's own errors: read-only refusals and SQL mistakes are usage errors", async () => {
    const { file } = database();
    const options = { timeoutMs: 30_000, maxRows: 100, workerFile: WORKER };
    const write = await rejection(queryInSubprocess(file, "DELETE FROM events", options));
    expect(write).toBeInstanceOf(UsageError);
    expect(write.message).toBe("itd query is read-only: the statement would modify the database");
    const typo = await rejection(queryInSubprocess(file, "SELEC 1", options));
    expect(typo).toBeInstanceOf(UsageError);
    expect(typo.message).toMatch(/^Query failed: .*syntax error/);
  });

  it("rejects with the abort reason and kills the statement when aborted", async () => {
    const { file } = database();
    const controller = new AbortController();
    const reason = new ItdError("interrupted", "interrupted by SIGINT");
    const p = queryInSubprocess(file, ENDLESS_COUNT, { timeoutMs: 0, maxRows: 100, workerFile: WORKER, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 200);
    expect(await rejection(p)).toBe(reason);
  });

  it("the query process kills itself after its backstop even when its parent never does", async () => {
    const { file } = database();
    const child = fork(WORKER, [], { execArgv: [], serialization: "advanced", stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const request: QueryRequest = { file, sql: ENDLESS_COUNT, maxRows: 100, parentPid: process.pid, killAfterMs: 300 };
    child.send(request);
    const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
    expect(signal).toBe("SIGKILL");
  });

  it("the query process kills itself when the pid it was given is not its parent (an orphan)", async () => {
    const { file } = database();
    const child = fork(WORKER, [], { execArgv: [], serialization: "advanced", stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const request: QueryRequest = { file, sql: ENDLESS_COUNT, maxRows: 100, parentPid: process.pid + 1_000_000, killAfterMs: 0 };
    child.send(request);
    const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
    expect(signal).toBe("SIGKILL");
  });
});

describe("runLimitedQuery", () => {
  it("is not truncated when the rows fit the limit exactly, and 0 means every row", () => {
    const { file } = database();
    const conn = openReadonly(file);
    try {
      expect(runLimitedQuery(conn, "SELECT id FROM events ORDER BY id", undefined, 2)).toEqual({ columns: ["id"], rows: [[1], [2]], truncated: false });
      expect(runLimitedQuery(conn, "SELECT id FROM events ORDER BY id", undefined, 1)).toEqual({ columns: ["id"], rows: [[1]], truncated: true });
      expect(runLimitedQuery(conn, "SELECT id FROM events ORDER BY id", undefined, 0).rows).toEqual([[1], [2]]);
    } finally {
      conn.close();
    }
  });
});

describe("itd query --timeout and --limit (the built CLI)", () => {
  it("stops an endless recursive CTE at --timeout and exits 1 with `query: timed out after N s`", async () => {
    const { home } = database();
    const r = await runItd(["query", "--home", home, "-d", "db1", "--timeout", "1", ENDLESS_COUNT], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: query: timed out after 1 s\n/);
    expect(r.stdout).toBe("");
  });

  it("cuts the rows at --limit with a note on stderr, and prints everything with --limit 0", async () => {
    const { home } = database();
    const cut = await runItd(["query", "--home", home, "-d", "db1", "-f", "csv", "-l", "2", ENDLESS_ROWS], { timeoutMs: 30_000 });
    expect(cut.code).toBe(0);
    expect(cut.stdout).toBe("x\n1\n2\n");
    expect(cut.stderr).toBe("itd query: showing the first 2 rows; the query has more (--limit ROWS to change, 0 for all)\n");
    const all = await runItd(["query", "--home", home, "-d", "db1", "-f", "csv", "--limit", "0", "SELECT id FROM events ORDER BY id"]);
    expect(all).toEqual({ code: 0, stdout: "id\n1\n2\n", stderr: "" });
  });

  it("refuses a --timeout that is not a whole number of seconds", async () => {
    const { home } = database();
    const r = await runItd(["query", "--home", home, "-d", "db1", "--timeout", "1.5", "SELECT 1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('Error: --timeout: expected a whole number; got "1.5"\n');
  });
});
