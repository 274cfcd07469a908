/**
 * Numbers and times as the status page writes them. Pure. Instants go out
 * twice: in a zone (the schedule's, or UTC) on the server, and as a
 * `<time datetime>` the page's script rewrites into the viewer's zone.
 */
import { formatBytes } from "../../cli/format-time.js";
import { describeSlot } from "../../schedule/describe.js";
import { html, type Safe } from "./html.js";

const COUNT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** `1,234,567` (one formatter for all: toLocaleString makes one a call). */
export function count(n: number): string {
  return COUNT.format(Math.round(n));
}

/** `0.4 s`, `12 s`, `3 min 05 s`, `2 h 01 min`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** `1 day 2 h`, as uptime reads. */
export function uptime(ms: number): string {
  return duration(ms);
}

/** `2026-03-08 07:00:00 UTC`. */
export function utc(ms: number): string {
  return describeSlot(ms, "UTC").utc;
}

/**
 * An instant in `zone` (`2026-03-08 03:00:00 EDT (-04:00)`), as a `<time>` the
 * page's script completes with the viewer's own zone. A bad zone falls back to UTC.
 */
export function instant(ms: number | null, zone = "UTC"): Safe {
  if (ms === null || !Number.isFinite(ms)) return html`<span class="muted">—</span>`;
  let text: string;
  try {
    text = zone === "UTC" ? utc(ms) : describeSlot(ms, zone).local;
  } catch {
    text = utc(ms);
  }
  return html`<time datetime="${new Date(ms).toISOString()}" data-zone="${zone}" data-local>${text}</time>`;
}

/** How long ago (or from now) `ms` is from `now`: `5 min ago`, `in 2 h 03 min`. */
export function relative(ms: number, now: number): string {
  const d = ms - now;
  return d >= 0 ? `in ${duration(d)}` : `${duration(-d)} ago`;
}

/** Bytes as `job:show` writes them (`12.3 MiB`). */
export const bytes = formatBytes;
