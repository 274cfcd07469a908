import type { LoadProgress } from "../connector/index.js";
import { formatWait } from "../iterable/index.js";
import { formatBytes } from "./format-time.js";

/** `45 s`, `12 min`, `2 h 5 min`: whole seconds, then minutes, then hours. */
export function formatEta(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}

/**
 * The progress line's text at `now`: records, size, rate, the slice being read
 * (of how many, `~` when export windows are still being sized), the time left,
 * and what the job waits for with a countdown.
 */
export function progressText(p: LoadProgress, now: number): string {
  const secs = Math.max(p.elapsedMs / 1000, 0.001);
  const rate = Math.round(p.records / secs);
  const total = `${p.slicesExact ? "" : "~"}${Math.max(p.slicesTotal, p.slicesDone + 1)}`;
  const parts = [
    `${p.records.toLocaleString("en-US")} records`,
    formatBytes(p.bytes),
    `${rate.toLocaleString("en-US")} rec/s`,
    `slice ${p.slicesDone + 1}/${total} ${p.slice}`,
  ];
  if (p.etaMs > 0) parts.push(`ETA ${p.slicesExact ? "" : "~"}${formatEta(p.etaMs)}`);
  let text = `  ${parts.join(" · ")}`;
  if (p.wait !== undefined && p.wait.until > now) text += ` · ${p.wait.reason}: next request in ${formatWait(p.wait.until - now)}`;
  return text;
}

/** A one-line progress display on a TTY, redrawn at most every `intervalMs` (and by `tick()` while it waits). */
export class ProgressLine {
  private last = 0;
  private shown = false;
  private latest: LoadProgress | undefined;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly now: () => number,
    private readonly intervalMs = 250,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(p: LoadProgress): void {
    if (!this.enabled) return;
    this.latest = p;
    const t = this.now();
    // A new wait is shown at once; records are redrawn at most every interval.
    if (t - this.last < this.intervalMs && p.wait === undefined) return;
    this.draw(p, t);
  }

  /** Redraws the last progress with the time now (a wait's countdown); nothing when nothing is shown. */
  tick(): void {
    if (!this.enabled || this.latest === undefined || !this.shown) return;
    this.draw(this.latest, this.now());
  }

  private draw(p: LoadProgress, t: number): void {
    this.last = t;
    const width = this.stream.columns ?? 120;
    this.stream.write(`\r\x1b[2K${progressText(p, t).slice(0, width - 1)}`);
    this.shown = true;
  }

  /** Clears the line before other output. */
  clear(): void {
    if (this.shown) this.stream.write("\r\x1b[2K");
    this.shown = false;
    this.last = 0;
  }
}
