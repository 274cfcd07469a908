/**
 * The status pages (issue 16) rendered from a real state.db: escaping of user
 * data, the listing's filter, order and pages, the header's figures, the
 * redaction of secrets, the job log endpoint, and the HTTP server's read-only
 * answers.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { startHealthServer, type HealthServer } from "../../../src/daemon/http.js";
import { createDaemonMetrics, metricsSink } from "../../../src/daemon/metrics.js";
import { slotStrip } from "../../../src/daemon/status/charts.js";
import { escapeHtml, html } from "../../../src/daemon/status/html.js";
import { StatusPages } from "../../../src/daemon/status/index.js";
import { listingQuery, selectSchedules } from "../../../src/daemon/status/page-schedules.js";
import { quantile, StatusRecorder } from "../../../src/daemon/status/recorder.js";
import { apiKeysOf, secretsOf, urlSecrets } from "../../../src/daemon/status/secrets.js";
import type { ScheduleDefinition } from "../../../src/schedule/definition.js";
import { openStore, type JobStatus, type Store } from "../../../src/store/index.js";
import type { LastJob } from "../../../src/store/status.js";

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const KEY = "sk-live-4f9a2b7c1d";

const opened: Store[] = [];
const servers: HealthServer[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) s.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function def(id: number, name: string, over: Partial<ScheduleDefinition> = {}): ScheduleDefinition {
  return {
    id, name, cron: "10 0 * * *", timezone: "Asia/Tokyo", delay: 0, database: "db1", table: "t1", timeColumn: null, priority: 0,
    catchup: "all", config: { in: { type: "iterable", api_key: "${ITERABLE_API_KEY}" } }, paused: false, source: "cli", ...over,
  };
}

/** A state.db with schedules `names` (ids from the store) and a clock at T0. */
function world(names: readonly string[]) {
  const clock = new FakeClock(T0);
  const store = openStore(mkdtempSync(join(tmpdir(), "itd-status-")), clock, { isAlive: () => true });
  opened.push(store);
  const defs = names.map((name) => {
    const r = store.schedules.create({ name, cron: "10 0 * * *", timezone: "Asia/Tokyo", delay: 0, database: "db1", table: "t1", timeColumn: null, priority: 0, catchup: "all", config: {}, paused: false });
    return def(r.id, name);
  });
  const job = (d: ScheduleDefinition, status: JobStatus, opts: { records?: number; slot?: number; catchup?: boolean; error?: string } = {}) => {
    const j = store.jobs.createJob({
      kind: "scheduled", schedule: d.name, scheduleId: d.id, scheduledTime: opts.slot ?? null, database: d.database, table: d.table, config: "in: {}",
      stream: `schedule#${d.id}`, status: status === "skipped" ? "skipped" : status === "queued" ? "queued" : "running", catchup: opts.catchup === true,
    });
    if (status === "success" || status === "error" || status === "killed") {
      store.jobs.finishJob(j.id, { status, records: opts.records ?? 0, skippedRecords: 0, bytes: 0, error: opts.error ?? null });
    }
    return j.id;
  };
  const recorder = new StatusRecorder(clock);
  const pages = (more: Partial<ConstructorParameters<typeof StatusPages>[0]> = {}) =>
    new StatusPages({ schedules: () => defs, store, clock, recorder, configText: () => "in:\n  api_key: '***'\n", orderMaxAgeMs: 0, ...more });
  return { clock, store, defs, job, recorder, pages };
}

const get = async (pages: StatusPages, url: string) => {
  const u = new URL(url, "http://x");
  const r = await pages.handle(u.pathname, u.searchParams);
  if (r === undefined) throw new Error(`no page at ${url}`);
  return r;
};

describe("html", () => {
  it("escapes every value put into a fragment, and keeps fragments as they are", () => {
    const name = `<script>alert("x")</script>&'`;
    expect(html`<td title="${name}">${name}</td>`.text).toBe(
      "<td title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>",
    );
    expect(html`<p>${html`<b>${"a<b"}</b>`}${[1, "<", html`<i></i>`]}${undefined}${null}${false}</p>`.text).toBe("<p><b>a&lt;b</b>1&lt;<i></i></p>");
    expect(escapeHtml("a & b")).toBe("a &amp; b");
  });
});

describe("the listing's selection", () => {
  const defs = ["alpha", "beta", "gamma", "delta", "epsilon"].sort().map((n, i) => def(i + 1, n));
  const last = new Map<number, LastJob>([
    [2, { scheduleId: 2, jobId: 10, status: "success" }],
    [3, { scheduleId: 3, jobId: 11, status: "error" }],
    [4, { scheduleId: 4, jobId: 12, status: "skipped" }],
    [5, { scheduleId: 5, jobId: 13, status: "running" }],
  ]);
  const ids = (lq: string) => selectSchedules(defs, last, listingQuery(new URLSearchParams(lq))).rows.map((d) => d.name);

  it("puts problems first (failed, then missed), then running, queued and the rest, by name within each", () => {
    // alpha 1: never run, beta 2: success, delta 3: error, epsilon 4: skipped, gamma 5: running
    expect(ids("")).toEqual(["delta", "epsilon", "gamma", "alpha", "beta"]);
  });

  it("filters by a part of the name, any case, and by status", () => {
    expect(ids("q=EL")).toEqual(["delta"]);
    expect(ids("status=problems")).toEqual(["delta", "epsilon"]);
    expect(ids("status=never")).toEqual(["alpha"]);
    expect(ids("status=success")).toEqual(["beta"]);
    expect(ids("status=bogus")).toHaveLength(5);
  });

  it("pages: the page asked for, the number of pages, and the last page for a page past the end", () => {
    const sel = selectSchedules(defs, last, listingQuery(new URLSearchParams("n=2&page=2")));
    expect(sel.rows.map((d) => d.name)).toEqual(["gamma", "alpha"]);
    expect(sel).toMatchObject({ total: 5, pages: 3, page: 2 });
    expect(selectSchedules(defs, last, listingQuery(new URLSearchParams("n=2&page=99"))).rows.map((d) => d.name)).toEqual(["beta"]);
    expect(listingQuery(new URLSearchParams("n=100000&page=-3"))).toMatchObject({ size: 500, page: 1 });
  });

  it("selects a page of 10,000 schedules quickly and without reading anything else", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => def(i + 1, `s${String(i).padStart(5, "0")}`));
    const lastMany = new Map<number, LastJob>(many.filter((_, i) => i % 97 === 0).map((d) => [d.id, { scheduleId: d.id, jobId: d.id, status: "error" as const }]));
    const sel = selectSchedules(many, lastMany, listingQuery(new URLSearchParams("")));
    expect(sel.rows).toHaveLength(50);
    expect(sel.pages).toBe(200);
    expect(sel.rows[0]?.name).toBe("s00000");
    expect(sel.rows[1]?.name).toBe("s00097");
  });
});

describe("the slot strip", () => {
  it("draws the newest run rightmost, failures in the error class, and marks catch-up runs", () => {
    const j = (id: number, status: JobStatus, catchup = false) => ({
      id, scheduleId: 1, kind: "scheduled", status, scheduledTime: T0 - id * 60_000, catchup, records: 5, skippedRecords: 0, bytes: 0,
      createdAt: T0, startAt: T0, endAt: T0, error: null, schedule: "a", database: "d", table: "t", configDiff: null,
    });
    const svg = slotStrip([j(3, "error"), j(2, "success", true), j(1, "skipped")]).text;
    const order = [...svg.matchAll(/<rect class="s-(\w+)" x="\d+"/g)].map((m) => m[1]).filter((st) => st !== "none");
    expect(order).toEqual(["skipped", "success", "error"]);
    expect(svg).toMatch(/<rect class="s-none" x="0" y="5" width="268"/);
    expect(svg.match(/class="catchup"/g)).toHaveLength(1);
    expect(svg).toContain('href="/jobs/3"');
  });
});

describe("the header's figures", () => {
  it("are the recent firings' lateness quantiles and the Iterable requests and 429s of the last hour", () => {
    const clock = new FakeClock(T0);
    const r = new StatusRecorder(clock);
    const sink = r.record(metricsSink(createDaemonMetrics()));
    for (let i = 1; i <= 100; i++) sink.fired(i);
    sink.running(2);
    sink.queued(7);
    sink.request({ endpoint: "export/data.json", status: 200, attempt: 1 } as never);
    sink.request({ endpoint: "export/data.json", status: 429, attempt: 1 } as never);
    clock.advance(61 * 60_000);
    sink.request({ endpoint: "export/data.json", status: 429, attempt: 2 } as never);
    expect(r.figures()).toMatchObject({ running: 2, queued: 7, latenessP50: 50, latenessP99: 99, requestsLastHour: 1, tooManyLastHour: 1, uptimeMs: 61 * 60_000 });
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe("secrets", () => {
  it("are the schedules' API keys (references resolved) and the URLs' passwords", () => {
    const defs = [def(1, "a"), def(2, "b", { config: { in: { api_key: "literal-key-9" } } }), def(3, "c", { config: {} })];
    expect(apiKeysOf(defs, { ITERABLE_API_KEY: KEY })).toEqual([KEY, "literal-key-9"]);
    expect(urlSecrets("postgresql://itd:p%40ss@db:5432/x")).toEqual(["p%40ss", "p@ss"]);
    expect(urlSecrets("postgres://db/x?password=hunter2")).toEqual(["hunter2"]);
    expect(urlSecrets(undefined)).toEqual([]);
    let list = defs;
    const secrets = secretsOf(() => list, { ITERABLE_API_KEY: KEY }, ["pw"]);
    expect(secrets()).toEqual(["pw", KEY, "literal-key-9"]);
    list = [def(1, "a")];
    expect(secrets()).toEqual(["pw", KEY]);
  });
});

describe("the pages", () => {
  it("escape log lines and errors, which are user data", async () => {
    const w = world(["s1"]);
    const d = w.defs[0] as ScheduleDefinition;
    const id = w.job(d, "error", { error: `<img src=x onerror=alert(1)>`, slot: T0 });
    w.store.jobs.appendLog(id, "error", `<script>alert("log")</script>`);
    const job = await get(w.pages(), `/jobs/${id}`);
    expect(job.status).toBe(200);
    expect(job.body).not.toContain("<script>alert");
    expect(job.body).not.toContain("<img src=x");
    expect(job.body).toContain("&lt;script&gt;alert(&quot;log&quot;)&lt;/script&gt;");
    const schedule = await get(w.pages(), "/schedules/s1");
    expect(schedule.body).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("show each schedule's cron in words, its last status, its strip and the records of its last run, problems first", async () => {
    const w = world(["aa_ok", "bb_failing", "cc_new"]);
    const [ok, failing] = w.defs as [ScheduleDefinition, ScheduleDefinition];
    w.job(ok, "success", { records: 1234, slot: T0 - 120_000 });
    w.job(failing, "success", { records: 5, slot: T0 - 120_000 });
    w.job(failing, "error", { slot: T0 - 60_000, catchup: true });
    const page = (await get(w.pages(), "/")).body;
    const order = [...page.matchAll(/<tr data-schedule="(\w+)"/g)].map((m) => m[1]);
    expect(order).toEqual(["bb_failing", "aa_ok", "cc_new"]);
    expect(page).toContain("every day at 00:10 Asia/Tokyo");
    expect(page).toContain("1,234");
    expect(page).toMatch(/<rect class="s-error"/);
    expect(page).toContain('class="catchup"');
    // The next run in the schedule's zone (2026-01-06 00:10 JST is 2026-01-05 15:10 UTC), and as UTC for the viewer's script.
    expect(page).toContain('datetime="2026-01-05T15:10:00.000Z" data-zone="Asia/Tokyo" data-local>2026-01-06 00:10:00 (+09:00)');
    expect(page).not.toContain("s delay");
    // A delay moves the next run after its slot: the listing says so beside the cron in words.
    w.defs[0] = { ...ok, delay: 600 };
    const delayed = (await get(w.pages(), "/")).body;
    expect(delayed).toContain('every day at 00:10 Asia/Tokyo<div class="muted">+ 600 s delay</div>');
    expect(delayed).toContain("2026-01-06 00:20:00 (+09:00)");
    const filtered = (await get(w.pages(), "/?status=error")).body;
    expect([...filtered.matchAll(/<tr data-schedule="(\w+)"/g)].map((m) => m[1])).toEqual(["bb_failing"]);
  });

  it("page the history of a schedule by job id, newest first", async () => {
    const w = world(["s1"]);
    const d = w.defs[0] as ScheduleDefinition;
    const ids = Array.from({ length: 60 }, (_, i) => w.job(d, "success", { slot: T0 - (60 - i) * 60_000, records: i }));
    const first = (await get(w.pages(), "/schedules/s1")).body;
    const shown = (body: string) => [...body.matchAll(/<td><a href="\/jobs\/(\d+)">/g)].map((m) => Number(m[1]));
    expect(shown(first)).toEqual(ids.slice(10).reverse());
    const older = /href="(\/schedules\/s1\?before=\d+)" rel="next"/.exec(first)?.[1];
    expect(older).toBe(`/schedules/s1?before=${ids[10]}`);
    expect(shown((await get(w.pages(), older as string)).body)).toEqual(ids.slice(0, 10).reverse());
  });

  it("answer 404 for a schedule or job that does not exist", async () => {
    const w = world([]);
    expect((await get(w.pages(), "/schedules/nope")).status).toBe(404);
    expect((await get(w.pages(), "/jobs/999")).status).toBe(404);
    expect((await get(w.pages(), "/jobs/999/log")).status).toBe(404);
    expect(await w.pages().handle("/nothing", new URLSearchParams())).toBeUndefined();
  });

  it("follow a job's log after a sequence number and say when the job is done", async () => {
    const w = world(["s1"]);
    const d = w.defs[0] as ScheduleDefinition;
    const id = w.job(d, "running", { slot: T0 });
    for (let i = 1; i <= 3; i++) w.store.jobs.appendLog(id, "info", `line ${i}`);
    const page = (await get(w.pages(), `/jobs/${id}`)).body;
    expect(page).toContain('data-after="3" data-live="1"');
    w.store.jobs.appendLog(id, "warn", "line 4");
    const log = JSON.parse((await get(w.pages(), `/jobs/${id}/log?after=3`)).body) as { lines: { seq: number; text: string }[]; done: boolean; status: string };
    expect(log.lines.map((l) => l.seq)).toEqual([4]);
    expect(log.lines[0]?.text).toMatch(/WARN {2}line 4$/);
    expect(log).toMatchObject({ done: false, status: "running" });
    w.store.jobs.finishJob(id, { status: "success", records: 1, skippedRecords: 0, bytes: 0 });
    expect(JSON.parse((await get(w.pages(), `/jobs/${id}/log?after=4`)).body)).toMatchObject({ lines: [], done: true, status: "success" });
  });

  it("never show a secret: whatever reaches a page leaves as ***", async () => {
    const w = world(["s1"]);
    const d = w.defs[0] as ScheduleDefinition;
    const id = w.job(d, "error", { error: `401 for key ${KEY}` });
    const pages = w.pages({ secrets: () => [KEY], configText: () => `in:\n  api_key: ${KEY}\n` });
    for (const path of ["/", "/schedules/s1", `/jobs/${id}`, `/jobs/${id}/log`]) {
      const body = (await get(pages, path)).body;
      expect(body, path).not.toContain(KEY);
    }
    expect((await get(pages, `/jobs/${id}`)).body).toContain("401 for key ***");
  });
});

describe("the HTTP server with the status pages", () => {
  it("serves them as HTML with a strict content policy, answers 405 to anything but GET and HEAD, and keeps /healthz", async () => {
    const w = world(["s1"]);
    const server = await startHealthServer({ port: 0, metrics: createDaemonMetrics(), health: () => ({ ok: true, lastTick: T0 }), status: w.pages() });
    servers.push(server);
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await res.text()).toContain('<meta name="viewport"');
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await fetch(`${server.url}/schedules/s1`, { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.get("allow")).toBe("GET, HEAD");
      await r.body?.cancel();
    }
    const head = await fetch(`${server.url}/schedules/s1`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { endpoints: string[] }).endpoints).toContain("/tables");
  });
});
