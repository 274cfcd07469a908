/**
 * Adversarial cases of the warm job processes (review): real daemons, real
 * processes and real signals against the fake Iterable.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { exportRecords, generatorConfig, startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../src/fake-iterable/index.js";
import { sleep, until } from "./helpers.js";
import { DAY, finishes, iso, nowSecond, ok, poolWorkspace } from "./pool-workspace.js";
import { exited, killTree } from "./procs.js";

const KEY = "pool-review-key-9c3a";
const BASE: FakeIterableOptions = { apiKey: KEY, seed: 33, rateLimits: false, dataStart: Date.UTC(2026, 0, 1), eventsPerDay: 2_400 };

let slow: FakeIterable; // every export request answered after 3 s
beforeAll(async () => {
  slow = await startFakeIterable({ ...BASE, faults: ["export:slow=3000@100%"] });
});
const everything = new Set<ChildProcess>();
const workspace = (config: string) => poolWorkspace(config, everything, { prefix: "itd-pool-review-", env: { ITERABLE_API_KEY: KEY } });
afterAll(async () => {
  for (const c of everything) if (c.exitCode === null && c.signalCode === null) killTree(c.pid);
  await slow?.close();
});

/**
 * A module hook (for NODE_OPTIONS=--import) that holds the load of the `__jobs` command's chunk for 4 s, after
 * creating `$ITD_TEST_LOAD_MARKS/<pid>`: a warm process is then past main() (its signal handlers installed) and
 * not yet listening for jobs. Returns the path of its register module.
 */
function slowLoadHook(dir: string): string {
  writeFileSync(
    join(dir, "hooks.mjs"),
    [
      'import { writeFileSync } from "node:fs";',
      "export async function resolve(specifier, context, next) {",
      "  const marks = process.env.ITD_TEST_LOAD_MARKS;",
      "  if (marks && /job-worker-[A-Z0-9]+\\.js$/.test(specifier)) {",
      "    writeFileSync(`${marks}/${process.pid}`, '');",
      "    await new Promise((r) => setTimeout(r, 4000));",
      "  }",
      "  return next(specifier, context);",
      "}",
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "register.mjs"), 'import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n');
  return join(dir, "register.mjs");
}

describe.concurrent("warm job processes, adversarially", () => {
  it("a SIGTERM (job:kill) that reaches a warm process while it still loads, its job handed to it, ends that job killed and not retried", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\nmax_concurrent_jobs: 1\njob_processes: 1\nlog_level: debug\n");
    const t0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
    await ok(w.itd("connector:create", "early", "", "pool_db", "early", w.load("e.yml", slow.url, t0, ["  slice_hours: 6"]), "--auto-create-table"));
    await ok(w.itd("connector:run", "early", iso(nowSecond() - 60_000)));
    // The warm process loads __jobs slowly (a module hook holds it 4 s, after main() has installed its signal
    // handlers, and says when): the daemon has handed it the queued job meanwhile, and job:kill's SIGTERM lands now.
    const marks = join(w.dir, "marks");
    mkdirSync(marks);
    const d = w.daemon({ NODE_OPTIONS: `--import ${slowLoadHook(w.dir)}`, ITD_TEST_LOAD_MARKS: marks });
    const target = await until("a warm process loading __jobs", () => readdirSync(marks).map(Number)[0], 30_000, d.log);
    const start = await until("the job handed to it", () => d.lines().find((l) => l.msg === "start" && l.schedule === "early"), 30_000, d.log);
    expect(start.jobPid).toBe(target);
    const kill = await ok(w.itd("job:kill", String(start.jobId)));
    expect(readdirSync(join(w.dir, "marks")), "job:kill came while the process loaded").toEqual([String(target)]);
    expect(d.lines().some((l) => l.msg === "job process ready" && l.jobPid === target), "…before it was ready").toBe(false);
    expect(kill.stdout).toMatch(new RegExp(`Job ${start.jobId} killed`));
    const ended = await until("the job ended", () => finishes(d.lines(), "early")[0], 60_000, d.log);
    expect(ended, JSON.stringify(ended)).toMatchObject({ status: "killed" });
    d.child.kill("SIGTERM");
    expect(await exited(d.child)).toBe(0);
    expect((await w.history("early")).map((j) => j.Status), "killed, not retried").toEqual(["killed"]);
  }, 120_000);

  it("a daemon stalled (SIGSTOP) past its lease while its warm process runs a job: the next daemon leaves that slot alone until the stalled one wakes and exits, then runs it again; every record once", async ({ expect }) => {
    const w = workspace("http_port: 0\nshutdown_grace: 5\nmax_concurrent_jobs: 1\njob_processes: 1\n");
    const t0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
    await ok(w.itd("connector:create", "stall", "", "pool_db", "stall", w.load("s.yml", slow.url, t0, ["  slice_hours: 8"]), "--auto-create-table"));
    const slot = nowSecond() - 60_000;
    await ok(w.itd("connector:run", "stall", iso(slot)));
    const first = w.daemon();
    const started = await until("the job running", () => first.lines().find((l) => l.msg === "start" && l.schedule === "stall"), 60_000, first.log);
    await sleep(4_000); // a slice or so committed
    process.kill(first.child.pid as number, "SIGSTOP");
    await sleep(11_000); // past the daemon's lease (10 s)
    const second = w.daemon();
    await until("the second daemon started", () => second.lines().some((l) => l.msg === "daemon started") || undefined, 30_000, second.log);
    // The warm process lives (its job waits for the stalled daemon's rate budget) and holds the stream.
    await sleep(8_000);
    expect(second.lines().filter((l) => l.msg === "start" && l.schedule === "stall"), "nothing of it run beside the stalled one").toEqual([]);
    expect((await w.history("stall")).map((j) => j.Status)).toEqual(["running"]);
    process.kill(first.child.pid as number, "SIGCONT");
    await exited(first.child);
    await until("its warm process gone", () => {
      try {
        process.kill(started.jobPid as number, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 15_000);
    await until("the slot run again to success", () => second.lines().some((l) => l.msg === "finish" && l.schedule === "stall" && l.status === "success") || undefined, 120_000, second.log);
    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toBe(0);
    expect((await w.history("stall")).map((j) => j.Status).sort()).toEqual(["error", "success"]);
    const got = w.ids("pool_db", "stall");
    const want = new Set([...exportRecords(generatorConfig(BASE), "emailSend", { start: t0, end: slot })].map((r) => r["messageId"] as string));
    expect(new Set(got).size, "no record twice").toBe(got.length);
    expect(got.length).toBe(want.size);
  }, 180_000);
});
