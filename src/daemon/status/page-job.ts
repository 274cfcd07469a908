/**
 * `GET /jobs/ID`: a job's status, counts, slot and window, and its log —
 * followed while the job runs: the page's script asks `GET /jobs/ID/log?after=SEQ`
 * (JSON: the lines after SEQ, at most LOG_PAGE, and the job's status) until
 * the job ends. Log lines are user data: the server escapes them, the script
 * sets them as text.
 */
import type { JobStatus } from "../../store/jobs.js";
import type { JobSummary } from "../../store/status.js";
import type { StatusContext } from "./context.js";
import { bytes, count, duration, instant } from "./format.js";
import { html, type Safe } from "./html.js";
import { badge, page } from "./layout.js";

/** Log lines the page shows at first, and a poll returns at most. */
export const LOG_PAGE = 2_000;

const OPEN: readonly JobStatus[] = ["queued", "running"];

/** `2026-01-01 09:30:00.123 INFO  message`, as job:show -v prints it. */
export function logText(l: { at: number; level: string; message: string }): string {
  return `${new Date(l.at).toISOString().replace("T", " ").replace("Z", "")} ${l.level.toUpperCase().padEnd(5)} ${l.message}`;
}

/** How far the job's cursor got: the `in.start_time` of the config diff it left, if any. */
function reachedOf(j: JobSummary): string | undefined {
  let reached: string | undefined;
  if (j.configDiff !== null) {
    try {
      const start = (JSON.parse(j.configDiff) as { in?: { start_time?: unknown } } | null)?.in?.start_time;
      if (typeof start === "string") reached = start;
    } catch {
      reached = undefined;
    }
  }
  return reached;
}

/** The page's HTML, or undefined when there is no such job. */
export function jobPage(ctx: StatusContext, id: number): string | undefined {
  const j = ctx.queries.job(id);
  if (j === undefined) return undefined;
  const now = ctx.clock.now();
  const lines = ctx.queries.logPage(id, 0, LOG_PAGE);
  const live = OPEN.includes(j.status) || lines.length === LOG_PAGE;
  const item = (k: string, v: unknown): Safe => html`<dt>${k}</dt><dd>${v}</dd>`;
  const ms = j.startAt === null ? undefined : (j.endAt ?? now) - j.startAt;
  const schedule = j.schedule === null ? html`<span class="muted">none (connector:issue)</span>` : html`<a href="/schedules/${encodeURIComponent(j.schedule)}">${j.schedule}</a>`;
  const body = html`<h1>Job ${j.id}</h1>
<dl class="settings">
${item("Status", badge(j.status, "job-status"))}
${item("Kind", j.kind)}${item("Schedule", schedule)}${item("Into", `${j.database}.${j.table}`)}
${item("Records", html`<span id="job-records">${count(j.records)}</span>${j.skippedRecords > 0 ? ` (${count(j.skippedRecords)} invalid skipped)` : ""}`)}
${item("Received", bytes(j.bytes))}
${item("Window ends", j.scheduledTime === null ? html`<span class="muted">no slot (a one-off run)</span>` : html`at its slot ${instant(j.scheduledTime)}`)}
${reachedOf(j) === undefined ? "" : item("Cursor left", html`<code>start_time: ${reachedOf(j)}</code>`)}
${j.catchup ? item("Catch-up", "a missed slot, run late") : ""}
${item("Queued", instant(j.createdAt))}${item("Started", instant(j.startAt))}${item("Ended", instant(j.endAt))}
${item("Duration", ms === undefined ? "" : duration(ms))}
${j.error === null ? "" : item("Error", j.error)}
</dl>
<h2>Log</h2>
<pre class="log" id="log" data-job="${j.id}" data-after="${lines.at(-1)?.seq ?? 0}" data-live="${live ? "1" : "0"}">${lines.map((l) => html`<span class="${l.level}">${logText(l)}\n</span>`)}</pre>
${lines.length === 0 && !live ? html`<p class="muted">No log lines.</p>` : ""}`;
  return page({ title: `Job ${j.id}`, section: "none", figures: ctx.recorder.figures(), body });
}

/** `GET /jobs/ID/log?after=SEQ`: the lines after SEQ and where the job stands; undefined when there is no such job. */
export function jobLog(ctx: StatusContext, id: number, params: URLSearchParams): object | undefined {
  const j = ctx.queries.job(id);
  if (j === undefined) return undefined;
  const afterText = params.get("after") ?? "0";
  const after = /^\d{1,15}$/.test(afterText) ? Number(afterText) : 0;
  const lines = ctx.queries.logPage(id, after, LOG_PAGE);
  return {
    job: j.id, status: j.status, records: count(j.records),
    lines: lines.map((l) => ({ seq: l.seq, level: l.level, text: logText(l) })),
    more: lines.length === LOG_PAGE,
    done: !OPEN.includes(j.status),
  };
}
