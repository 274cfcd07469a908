/**
 * `GET /schedules/NAME`: one schedule's settings (its load config as its jobs
 * store it: the API key `***`), cursor, next runs, and its history a page at
 * a time (keyset: `?before=JOB_ID`), with records and duration per run.
 */
import type { ScheduleDefinition } from "../../schedule/definition.js";
import { describeCron } from "../../schedule/cron-words.js";
import { scheduleStream } from "../../store/schedules.js";
import type { JobSummary } from "../../store/status.js";
import { runCharts, slotStrip } from "./charts.js";
import type { StatusContext } from "./context.js";
import { count, duration, instant } from "./format.js";
import { html, query, type Safe } from "./html.js";
import { badge, legend, page } from "./layout.js";

export const HISTORY_PAGE = 50;
const NEXT_RUNS = 5;

/** A job's row of a history table (shared with nothing else: the listing draws strips). */
export function historyRow(j: JobSummary, zone: string, now: number): Safe {
  const ms = j.startAt === null ? undefined : (j.endAt ?? now) - j.startAt;
  return html`<tr>
<td><a href="/jobs/${j.id}">${j.id}</a></td>
<td>${badge(j.status)}${j.catchup ? html` <span class="muted" title="a missed slot, run late by catch-up">catch-up</span>` : ""}</td>
<td>${instant(j.scheduledTime, zone)}</td>
<td>${instant(j.startAt, zone)}</td>
<td class="num">${ms === undefined ? "" : duration(ms)}</td>
<td class="num">${count(j.records)}</td>
<td class="hide-narrow">${j.error ?? ""}</td>
</tr>`;
}

function settings(d: ScheduleDefinition): Safe {
  const item = (k: string, v: unknown): Safe => html`<dt>${k}</dt><dd>${v}</dd>`;
  return html`<dl class="settings">
${item("Cron", html`<code>${d.cron === "" ? "(none)" : d.cron}</code> — ${describeCron(d.cron, d.timezone)}`)}
${item("Time zone", d.timezone)}${item("Delay", `${d.delay} s`)}
${item("Database", d.database)}${item("Table", d.table)}${item("Time column", d.timeColumn ?? "(upload time)")}
${item("Priority", d.priority)}${item("Catch-up", d.catchup)}${item("Paused", d.paused ? "yes" : "no")}
${item("Source", d.source === "cli" ? "CLI (connector:create)" : d.source)}
</dl>`;
}

/** The page's HTML, or undefined when no schedule has that name. */
export function schedulePage(ctx: StatusContext, name: string, params: URLSearchParams): string | undefined {
  const d = ctx.schedules().find((x) => x.name === name);
  if (d === undefined) return undefined;
  const now = ctx.clock.now();
  const beforeText = params.get("before");
  const before = beforeText !== null && /^\d{1,15}$/.test(beforeText) ? Number(beforeText) : undefined;
  const jobs = ctx.queries.history(d.id, HISTORY_PAGE + 1, before);
  const more = jobs.length > HISTORY_PAGE;
  const shown = jobs.slice(0, HISTORY_PAGE);
  const cursor = ctx.store.cursors.get(scheduleStream(d.id));
  const cursorText = cursor === undefined ? "" : (ctx.cursorText ?? ((x: unknown) => JSON.stringify(x, null, 2)))(cursor.configDiff);
  let next: Safe;
  if (d.paused) next = html`<p class="muted">paused: no run until it is resumed</p>`;
  else if (d.cron === "") next = html`<p class="muted">no schedule: runs only with connector:run</p>`;
  else {
    try {
      const slots = ctx.slots.nextN(d.cron, d.timezone, now, NEXT_RUNS);
      next = html`<ol>${slots.map((s) => html`<li>${instant(s + d.delay * 1000, d.timezone)}${d.delay ? html` <span class="muted">(slot ${instant(s, d.timezone)} + ${d.delay} s)</span>` : ""}</li>`)}</ol>`;
    } catch (err) {
      next = html`<p class="muted">${(err as Error).message}</p>`;
    }
  }
  const self = `/schedules/${encodeURIComponent(d.name)}`;
  const last = shown.at(-1);
  const body = html`<h1>${d.name}</h1>
${settings(d)}
<h2>Next runs</h2>${next}
<h2>Recent runs</h2>${legend()}${slotStrip(shown)}
${runCharts(shown)}
<h2>History</h2>
<div class="scroll"><table><thead><tr><th>Job</th><th>Status</th><th>Slot</th><th>Started</th><th class="num">Duration</th><th class="num">Records</th><th class="hide-narrow">Error</th></tr></thead>
<tbody>${shown.map((j) => historyRow(j, d.timezone, now))}</tbody></table></div>
${shown.length === 0 ? html`<p class="muted">No runs${before === undefined ? " yet" : " before these"}.</p>` : ""}
<div class="pager">${before !== undefined ? html`<a href="${self}">← newest</a>` : ""}${more && last !== undefined ? html`<a href="${self}${query({ before: last.id })}" rel="next">older →</a>` : ""}</div>
<h2>Cursor</h2>${cursor === undefined ? html`<p class="muted">none yet (the first successful slice writes it)</p>` : html`<pre>${cursorText}</pre><p class="muted">updated ${instant(cursor.updatedAt, d.timezone)}${cursor.jobId === null ? "" : html` by <a href="/jobs/${cursor.jobId}">job ${cursor.jobId}</a>`}</p>`}
<h2>Load config</h2><pre>${ctx.configText(d)}</pre>`;
  return page({ title: d.name, section: "schedules", figures: ctx.recorder.figures(), body, refreshSeconds: before === undefined ? 10 : 0 });
}
