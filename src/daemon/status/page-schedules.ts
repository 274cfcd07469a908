/**
 * `GET /`: every schedule, problems first, filtered by name and status on the
 * server, a page at a time. The order and filter come from the newest job of
 * each schedule (LastJobs, kept in memory); the rows shown are read fresh, 30
 * runs each, for the page's schedules only: a page of 10,000 schedules reads
 * 50 × 30 jobs.
 */
import type { ScheduleDefinition } from "../../schedule/definition.js";
import { describeCron } from "../../schedule/cron-words.js";
import type { JobStatus } from "../../store/jobs.js";
import type { JobSummary, LastJob } from "../../store/status.js";
import { slotStrip, STRIP_SLOTS } from "./charts.js";
import type { StatusContext } from "./context.js";
import { count, instant } from "./format.js";
import { html, query, type Safe } from "./html.js";
import { badge, legend, page } from "./layout.js";

/** What the status filter offers: all, problems (error, killed, skipped), one status, never run, paused. */
export const STATUS_FILTERS = ["", "problems", "error", "killed", "skipped", "running", "queued", "success", "never", "paused"] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface ListingQuery {
  q: string;
  status: StatusFilter;
  /** 1-based. */
  page: number;
  size: number;
}

/** The listing's query from a URL's parameters; anything unknown falls back to the default. */
export function listingQuery(params: URLSearchParams): ListingQuery {
  const wanted = params.get("status") ?? "";
  const status = STATUS_FILTERS.find((s) => s === wanted) ?? "";
  const int = (v: string | null, dflt: number, max: number): number => {
    const n = v !== null && /^\d{1,9}$/.test(v) ? Number(v) : dflt;
    return Math.min(max, Math.max(1, n));
  };
  return { q: (params.get("q") ?? "").trim().slice(0, 200), status, page: int(params.get("page"), 1, 1_000_000), size: int(params.get("n"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) };
}

/** Problems first: a failed or killed last run, then a skipped (missed) one, then running, queued, the rest. */
export function problemRank(status: JobStatus | undefined): number {
  switch (status) {
    case "error":
    case "killed":
      return 0;
    case "skipped":
      return 1;
    case "running":
      return 2;
    case "queued":
      return 3;
    case "success":
    case undefined:
      return 4;
    default: {
      const never: never = status;
      return never;
    }
  }
}

function matches(d: ScheduleDefinition, last: LastJob | undefined, f: StatusFilter): boolean {
  switch (f) {
    case "":
      return true;
    case "problems":
      return last !== undefined && problemRank(last.status) <= 1;
    case "never":
      return last === undefined;
    case "paused":
      return d.paused;
    default:
      return last?.status === f;
  }
}

export interface Selection {
  rows: ScheduleDefinition[];
  /** Schedules that pass the filter. */
  total: number;
  pages: number;
  page: number;
}

/**
 * The schedules of one page: filtered by name (case-insensitive substring)
 * and status, problems first, by name within a rank (`defs` come sorted by
 * name; the sort is stable). Pure.
 */
export function selectSchedules(defs: readonly ScheduleDefinition[], last: ReadonlyMap<number, LastJob>, lq: ListingQuery): Selection {
  const needle = lq.q.toLowerCase();
  const kept = defs.filter((d) => (needle === "" || d.name.toLowerCase().includes(needle)) && matches(d, last.get(d.id), lq.status));
  const ranked = kept.map((d) => ({ d, r: problemRank(last.get(d.id)?.status) })).sort((a, b) => a.r - b.r);
  const pages = Math.max(1, Math.ceil(ranked.length / lq.size));
  const pageNo = Math.min(lq.page, pages);
  const rows = ranked.slice((pageNo - 1) * lq.size, pageNo * lq.size).map((x) => x.d);
  return { rows, total: kept.length, pages, page: pageNo };
}

/** Where a schedule came from, short: `CLI`, or its file's name (the full path on hover). */
function source(d: ScheduleDefinition): Safe {
  if (d.source === "cli") return html`CLI`;
  const base = d.source.split("/").pop() ?? d.source;
  return html`<span title="${d.source}">file ${base}</span>`;
}

function row(ctx: StatusContext, d: ScheduleDefinition, jobs: readonly JobSummary[], now: number): Safe {
  const newest = jobs[0];
  const lastDone = jobs.find((j) => j.status !== "queued" && j.status !== "running" && j.status !== "skipped");
  let next: Safe | string = "";
  if (d.paused) next = html`<span class="muted">paused</span>`;
  else if (d.cron !== "") {
    try {
      const at = ctx.slots.next(d.cron, d.timezone, now);
      next = at === undefined ? "" : instant(at + d.delay * 1000, d.timezone);
    } catch {
      next = html`<span class="muted">invalid</span>`;
    }
  }
  const href = `/schedules/${encodeURIComponent(d.name)}`;
  return html`<tr data-schedule="${d.name}">
<td><a href="${href}">${d.name}</a><div class="muted">${d.database}.${d.table}</div></td>
<td>${describeCron(d.cron, d.timezone)}${d.delay ? html`<div class="muted">+ ${d.delay} s delay</div>` : ""}</td>
<td>${next}</td>
<td>${newest === undefined ? badge("never") : html`<a href="/jobs/${newest.id}">${badge(newest.status)}</a>`}</td>
<td>${slotStrip(jobs)}</td>
<td class="num">${lastDone === undefined ? "" : count(lastDone.records)}</td>
<td class="hide-narrow">${source(d)}</td>
</tr>`;
}

/** The page's HTML. */
export async function schedulesPage(ctx: StatusContext, params: URLSearchParams): Promise<string> {
  const lq = listingQuery(params);
  const defs = ctx.schedules();
  const sel = selectSchedules(defs, await ctx.lastJobs.get(), lq);
  const recent = ctx.queries.recentJobs(sel.rows.map((d) => d.id), STRIP_SLOTS);
  const now = ctx.clock.now();
  const link = (p: number): string => `/${query({ q: lq.q, status: lq.status, page: p === 1 ? undefined : p, n: lq.size === DEFAULT_PAGE_SIZE ? undefined : lq.size })}`;
  const options = STATUS_FILTERS.map((s) => html`<option value="${s}"${lq.status === s ? html` selected` : ""}>${s === "" ? "any status" : s}</option>`);
  const pager = html`<div class="pager">
${sel.page > 1 ? html`<a href="${link(sel.page - 1)}" rel="prev">← previous</a>` : ""}
<span>page ${sel.page} of ${sel.pages} · ${count(sel.total)} of ${count(defs.length)} schedules</span>
${sel.page < sel.pages ? html`<a href="${link(sel.page + 1)}" rel="next">next →</a>` : ""}</div>`;
  const body = html`<h1>Schedules</h1>
<form class="filter" method="get" action="/">
<input type="search" name="q" value="${lq.q}" placeholder="name contains…" aria-label="name contains">
<select name="status" aria-label="last status">${options}</select>
${lq.size === DEFAULT_PAGE_SIZE ? "" : html`<input type="hidden" name="n" value="${lq.size}">`}
<button type="submit">Filter</button>${lq.q !== "" || lq.status !== "" ? html` <a href="/">clear</a>` : ""}
</form>
${legend()}
${pager}
<div class="scroll"><table class="schedules">
<thead><tr><th>Schedule</th><th>When</th><th>Next run</th><th>Last</th><th>Last ${STRIP_SLOTS} runs</th><th class="num">Records</th><th class="hide-narrow">Source</th></tr></thead>
<tbody>${sel.rows.map((d) => row(ctx, d, recent.get(d.id) ?? [], now))}</tbody>
</table></div>
${sel.rows.length === 0 ? html`<p class="muted">${defs.length === 0 ? "No schedules yet: itd connector:create, or a file in schedules/." : "No schedule matches."}</p>` : ""}
${sel.pages > 1 ? pager : ""}`;
  return page({ title: "Schedules", section: "schedules", figures: ctx.recorder.figures(), body, refreshSeconds: 10 });
}
