/**
 * The status pages (issue 16) in a real browser: Debian's chromium driven by
 * playwright-core, against a real `itd daemon` and the fake Iterable. The
 * pages render without a script error, a failure injected into the fake turns
 * the schedule's slot strip red, a running job's log grows on its page
 * without a reload, and no page, log or JSON answer holds the API key.
 * Skipped, saying why, without chromium (`apt-get install chromium`: the
 * pretest script installs it on a root Debian machine) or playwright-core.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeIterable, type FakeIterable } from "../../src/fake-iterable/index.js";
import { runItd, spawnDaemon, tempDir, until } from "./helpers.js";

const CHROMIUM = process.env["ITD_CHROMIUM"] ?? "/usr/bin/chromium";
const KEY = "status-page-key-5d3c9e1a";
const SLOW_KEY = "literal-slow-key-77b2f04c";

type Playwright = typeof import("playwright-core");
let playwright: Playwright | undefined;
let why = "";
try {
  playwright = await import("playwright-core");
} catch {
  why = "playwright-core is not installed (npm ci installs it)";
}
if (playwright !== undefined && !existsSync(CHROMIUM)) why = `${CHROMIUM} is missing (Debian package chromium; npm test's pretest installs it as root)`;
if (why !== "") console.warn(`status page browser test skipped: ${why}`);

let fake: FakeIterable;
let slowFake: FakeIterable;
const daemons: ChildProcess[] = [];
beforeAll(async () => {
  fake = await startFakeIterable({ apiKey: KEY, seed: 16, eventsPerDay: 20_000, rateLimits: false });
  slowFake = await startFakeIterable({ apiKey: SLOW_KEY, seed: 17, eventsPerDay: 20_000, rateLimits: false });
});
afterAll(async () => {
  for (const d of daemons) if (d.exitCode === null) d.kill("SIGKILL");
  await fake.close();
  await slowFake.close();
});

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function loadYml(baseUrl: string, key: string, extra: string[]): string {
  return [
    "in:", "  type: iterable", `  api_key: ${key}`, `  base_url: ${baseUrl}`, "  data_type: export_data", "  export_data_type: emailOpen",
    "  incremental: true", `  start_time: '${iso(Math.floor(Date.now() / 60_000) * 60_000 - 120_000)}'`, ...extra,
    "  columns:", "  - {name: created_at, type: timestamp}", "  - {name: message_id, type: string}", "",
  ].join("\n");
}

describe.skipIf(why !== "")("the status pages in a browser", () => {
  it("render, show an injected failure in red, follow a running job's log, and never show the API key", async () => {
    const dir = tempDir("itd-status-page-");
    const port = 21000 + Math.floor(Math.random() * 2000);
    const env = { ITD_HOME: join(dir, "home"), ITERABLE_API_KEY: KEY, ITD_SCHEDULES: join(dir, "schedules"), ITD_RATE_LIMITS: "export=1000/1s", ITD_CONFIG: join(dir, "itd.yml") };
    writeFileSync(env.ITD_CONFIG, `http_port: ${port}\nshutdown_grace: 5\n`);
    // A schedule every 2 s against the first fake (its key from the environment), and a never-firing one against a
    // second fake (its key written in the file: shown as *** all the same) whose run the test asks for.
    writeFileSync(join(dir, "flaky.yml"), loadYml(fake.url, "${ITERABLE_API_KEY}", ["  retry_limit: 0"]));
    writeFileSync(join(dir, "slow.yml"), loadYml(slowFake.url, SLOW_KEY, ["  retry_limit: 6", "  initial_retry_wait: 1500", "  max_retry_wait: 1500"]));
    const itd = async (...args: string[]): Promise<string> => {
      const r = await runItd(args, { cwd: dir, env });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    await itd("connector:create", "flaky", "*/2 * * * * *", "status_db", "opens", "flaky.yml", "--auto-create-table");
    await itd("connector:create", "slow", "0 0 1 1 *", "status_db", "slow_opens", "slow.yml", "--auto-create-table");
    const d = spawnDaemon(dir, env, daemons);
    const base = `http://127.0.0.1:${port}`;
    const text = async (path: string): Promise<string> => fetch(`${base}${path}`).then((r) => r.text(), () => "");
    const flakyRow = async (): Promise<string> => /<tr data-schedule="flaky">[\s\S]*?<\/tr>/.exec(await text("/"))?.[0] ?? "";
    await until("two successful runs of flaky", async () => ((await flakyRow()).match(/class="s-success"/g)?.length ?? 0) >= 2 || undefined, 30_000, d.log);

    let jobId = 0;
    const browser = await (playwright as Playwright).chromium.launch({ executablePath: CHROMIUM });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));

      // A failure injected into the fake: the next run of flaky fails, and its cell in the strip is red.
      fake.addFaults(["export:500@1"]);
      await until("a failed run of flaky", async () => /<rect class="s-error"/.test(await flakyRow()) || undefined, 30_000, d.log);
      await page.goto(`${base}/`);
      // (Browser-side code as text: this project's TypeScript has no DOM types.)
      const fill = String(await page.evaluate(`getComputedStyle(document.querySelector('tr[data-schedule="flaky"] svg.strip rect.s-error')).fill`));
      const [r = 0, g = 0, b = 0] = (fill.match(/\d+/g) ?? []).map(Number);
      expect(r, fill).toBeGreaterThan(150);
      expect(g, fill).toBeLessThan(100);
      expect(b, fill).toBeLessThan(100);
      expect(await page.locator('tr[data-schedule="flaky"] td').nth(1).textContent()).toBe("every 2 seconds UTC");
      // The filter by name, through the form.
      await page.fill('input[name="q"]', "FLA");
      await Promise.all([page.waitForURL(/q=FLA/), page.click('form.filter button[type="submit"]')]);
      expect(await page.locator("tr[data-schedule]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-schedule")))).toEqual(["flaky"]);

      // A slow job (three 503s, retried 1.5 s apart): its page's log grows while it runs, without a reload.
      slowFake.addFaults(["export:503@3"]);
      const queued = await itd("connector:run", "slow", iso(Date.now()));
      jobId = Number(/Job (\d+) is queued/.exec(queued)?.[1]);
      expect(jobId).toBeGreaterThan(0);
      await until("the slow job running", async () => /"status":"running"/.test(await text(`/jobs/${jobId}/log`)) || undefined, 30_000, d.log);
      await page.goto(`${base}/jobs/${jobId}`);
      await page.evaluate("window.marker = 1");
      const before = await page.locator("#log span").count();
      // (Locator waits: the pages' content policy allows no eval, which waitForFunction needs.)
      await page.locator("#log span").nth(before).waitFor({ timeout: 20_000 });
      await page.locator("#job-status", { hasText: "success" }).waitFor({ timeout: 30_000 });
      // The same document all along: the lines came by the script, not by a reload.
      expect(await page.evaluate("window.marker")).toBe(1);
      const log = (await page.locator("#log").textContent()) ?? "";
      expect(log).toMatch(/WARN .*503/);
      expect(log).toMatch(/done: \d+ records/);

      // The other pages render, on a phone's width.
      for (const path of ["/schedules/flaky", "/schedules/slow", "/tables"]) {
        const res = await page.goto(`${base}${path}`);
        expect(res?.status(), path).toBe(200);
        expect(await page.locator("h1").textContent(), path).toMatch(/flaky|slow|Tables/);
      }
      expect(await page.locator("td", { hasText: "opens" }).count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }

    // Every answer, pages, logs and JSON alike: no key, in any form.
    const history = await text("/schedules/flaky");
    const jobIds = new Set([...(await text("/")).matchAll(/\/jobs\/(\d+)/g), ...history.matchAll(/\/jobs\/(\d+)/g)].map((m) => Number(m[1])));
    jobIds.add(jobId);
    const paths = ["/", "/?status=error", "/tables", "/schedules/flaky", "/schedules/slow", "/metrics", "/healthz", ...[...jobIds].flatMap((id) => [`/jobs/${id}`, `/jobs/${id}/log`])];
    for (const path of paths) {
      const body = await text(path);
      for (const secret of [KEY, SLOW_KEY, encodeURIComponent(KEY)]) expect(body.includes(secret), `${path} holds a key`).toBe(false);
    }
    expect(await text("/schedules/slow")).toMatch(/api_key: (&quot;|&#39;)?\*\*\*/);
    d.child.kill("SIGTERM");
  }, 90_000);
});
