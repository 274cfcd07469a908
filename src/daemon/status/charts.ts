/**
 * The status page's inline SVG: the slot strip (a schedule's last runs, one
 * cell each, coloured by status), bar charts (records and duration per run)
 * and sparklines (rows per day). Built from numbers; every label goes through
 * `html`. Colours come from the page's CSS classes (`s-<status>`), so dark
 * mode recolours them. Pure.
 */
import type { JobSummary } from "../../store/status.js";
import { count, duration, utc } from "./format.js";
import { escapeHtml, html, raw, type Safe } from "./html.js";

export const STRIP_SLOTS = 30;
const CELL = 8;
const GAP = 2;

/** What one strip cell says on hover: `job 9: success, 47 records, slot 2026-12-05 06:55 UTC`. No user data in it. */
function cellTitle(j: JobSummary): string {
  const at = utc(j.scheduledTime ?? j.createdAt).slice(0, 16);
  const late = j.catchup ? ", missed: run late by catch-up" : "";
  const recs = j.status === "success" || j.records > 0 ? `, ${count(j.records)} records` : "";
  return `job ${j.id}: ${j.status}${late}${recs}, ${j.scheduledTime !== null ? "slot" : "run"} ${at} UTC`;
}

const STATUSES: ReadonlySet<string> = new Set(["queued", "running", "success", "error", "killed", "skipped"]);

/**
 * The last `STRIP_SLOTS` runs, oldest left, newest right, each a link to its
 * job; runs of missed slots (catch-up) carry a dot above, skipped slots are
 * grey. `jobs` newest first, as the store gives them.
 *
 * A page of 50 schedules draws 1,500 cells: they are written as plain text
 * (numbers, a status of the store's six, our own dates — nothing a user
 * wrote), not through `html`, and kept short.
 */
export function slotStrip(jobs: readonly JobSummary[]): Safe {
  const shown = jobs.slice(0, STRIP_SLOTS).reverse();
  const width = STRIP_SLOTS * (CELL + GAP) - GAP;
  const offset = STRIP_SLOTS - shown.length;
  let out = `<svg class="strip" role="img" aria-label="last ${shown.length} runs" viewBox="0 0 ${width} 22" width="${width}" height="22">`;
  // Slots not run yet (a young schedule): one empty band, not a cell each.
  if (offset > 0) out += `<rect class="s-none" x="0" y="5" width="${offset * (CELL + GAP) - GAP}" height="16"/>`;
  shown.forEach((j, i) => {
    const x = (offset + i) * (CELL + GAP);
    const status = STATUSES.has(j.status) ? j.status : "none";
    const id = Math.trunc(j.id);
    out += `<a href="/jobs/${id}"><rect class="s-${status}" x="${x}" y="5" width="${CELL}" height="16"><title>${escapeHtml(cellTitle(j))}</title></rect>`;
    if (j.catchup) out += `<circle class="catchup" cx="${x + CELL / 2}" cy="2" r="2"/>`;
    out += "</a>";
  });
  return raw(`${out}</svg>`);
}

/** A small bar chart of `values` (oldest left), each bar titled; `label` formats a value. */
export function bars(values: readonly { value: number; title: string; status?: string }[], label: (v: number) => string, name: string): Safe {
  const w = 320;
  const h = 64;
  if (values.length === 0) return html`<p class="muted">no runs yet</p>`;
  const max = Math.max(...values.map((v) => v.value), 0);
  const step = w / values.length;
  const bw = Math.max(1, step - 1);
  const items = values.map((v, i) => {
    const bh = max > 0 ? Math.max(v.value > 0 ? 1 : 0, (v.value / max) * (h - 12)) : 0;
    return html`<rect class="bar s-${v.status ?? "success"}" x="${(i * step).toFixed(1)}" y="${(h - bh).toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}"><title>${v.title}</title></rect>`;
  });
  return html`<figure class="chart"><svg role="img" aria-label="${name}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" preserveAspectRatio="none">${items}<text x="2" y="10" class="axis">max ${label(max)}</text></svg><figcaption>${name}</figcaption></figure>`;
}

/** Records per run and duration per run of finished jobs (oldest left). */
export function runCharts(jobs: readonly JobSummary[]): Safe {
  const done = jobs.filter((j) => j.endAt !== null && j.startAt !== null).slice().reverse();
  const records = done.map((j) => ({ value: j.records, title: `job ${j.id}: ${count(j.records)} records`, status: j.status }));
  const durations = done.map((j) => {
    const ms = (j.endAt ?? 0) - (j.startAt ?? 0);
    return { value: ms, title: `job ${j.id}: ${duration(ms)}`, status: j.status };
  });
  return html`<div class="charts">${bars(records, count, "records per run")}${bars(durations, duration, "duration per run")}</div>`;
}

/** A sparkline of `values` (oldest left); `title` says what they are. */
export function sparkline(values: readonly number[], title: string): Safe {
  const w = 120;
  const h = 24;
  if (values.length === 0) return html`<span class="muted">—</span>`;
  const max = Math.max(...values, 0);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - (max > 0 ? (v / max) * (h - 4) : 0)).toFixed(1)}`).join(" ");
  return html`<svg class="spark" role="img" aria-label="${title}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}"><title>${title}</title><polyline points="${points}"/></svg>`;
}
