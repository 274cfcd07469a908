import type { LoadProgress } from "../connector/index.js";
import { formatBytes } from "./format-time.js";

/** A one-line progress display on a TTY, redrawn at most every `intervalMs`. */
export class ProgressLine {
  private last = 0;
  private shown = false;

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
    const t = this.now();
    if (t - this.last < this.intervalMs) return;
    this.last = t;
    const secs = Math.max(p.elapsedMs / 1000, 0.001);
    const rate = Math.round(p.records / secs);
    const text = `  ${p.records.toLocaleString("en-US")} records · ${formatBytes(p.bytes)} · ${rate.toLocaleString("en-US")} rec/s · slice ${Math.min(p.slicesDone + 1, p.slicesTotal)}/${p.slicesTotal} ${p.slice}`;
    const width = this.stream.columns ?? 120;
    this.stream.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
    this.shown = true;
  }

  /** Clears the line before other output. */
  clear(): void {
    if (this.shown) this.stream.write("\r\x1b[2K");
    this.shown = false;
    this.last = 0;
  }
}
