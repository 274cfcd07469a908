import { describe, expect, it } from "vitest";
import { formatEta, ProgressLine, progressText } from "../../../src/cli/progress.js";
import type { LoadProgress } from "../../../src/connector/index.js";

const base: LoadProgress = {
  records: 12_345,
  skipped: 0,
  present: 0,
  updated: 0,
  bytes: 2 * 1024 * 1024,
  slice: "2026-01-01T00:00:00Z → 2026-03-01T00:00:00Z",
  slicesDone: 1,
  slicesTotal: 4,
  slicesExact: false,
  etaMs: 45_500,
  wait: undefined,
  elapsedMs: 10_000,
};

/** A TTY-like sink that keeps what was written. */
function tty(): NodeJS.WritableStream & { isTTY: boolean; columns: number; text: string } {
  const sink = {
    isTTY: true,
    columns: 400,
    text: "",
    write(chunk: string): boolean {
      sink.text += chunk;
      return true;
    },
  };
  return sink as unknown as NodeJS.WritableStream & { isTTY: boolean; columns: number; text: string };
}

describe("the progress line", () => {
  it("shows the slice being read of an estimated total, and the time left", () => {
    expect(progressText(base, 0)).toBe(
      "  12,345 records · 2.0 MiB · 1,235 rec/s · slice 2/~4 2026-01-01T00:00:00Z → 2026-03-01T00:00:00Z · ETA ~46 s",
    );
    expect(progressText({ ...base, slicesExact: true, etaMs: 0 }, 0)).toBe(
      "  12,345 records · 2.0 MiB · 1,235 rec/s · slice 2/4 2026-01-01T00:00:00Z → 2026-03-01T00:00:00Z",
    );
  });

  it("shows what the job waits for, counting down, and nothing once the wait is over", () => {
    const waiting = { ...base, wait: { reason: "waiting for Iterable's export limit (4/min)", until: 20_000 } };
    expect(progressText(waiting, 8_000)).toMatch(/ · waiting for Iterable's export limit \(4\/min\): next request in 12 s$/);
    expect(progressText(waiting, 19_500)).toMatch(/next request in under 1 s$/);
    expect(progressText(waiting, 20_000)).not.toContain("waiting");
  });

  it("formats times left in seconds, minutes and hours", () => {
    expect(formatEta(400)).toBe("1 s");
    expect(formatEta(59_000)).toBe("59 s");
    expect(formatEta(85 * 60_000)).toBe("1 h 25 min");
    expect(formatEta(120 * 60_000)).toBe("2 h");
    expect(formatEta(5 * 60_000 + 20_000)).toBe("5 min");
  });

  it("draws a wait at once and ticks its countdown; writes nothing when not a terminal", () => {
    let now = 1_000;
    const out = tty();
    const line = new ProgressLine(out, () => now);
    line.update(base);
    now = 1_100; // within the redraw interval: a wait is still drawn at once
    line.update({ ...base, wait: { reason: "rate-limited by Iterable (429 RateLimitExceeded), retry 1 of 5", until: 16_100 } });
    expect(out.text).toMatch(/retry 1 of 5: next request in 15 s$/);
    now = 6_100;
    line.tick();
    expect(out.text).toMatch(/next request in 10 s$/);
    line.clear();
    const before = out.text;
    line.tick(); // cleared (a log line follows): no redraw until the next update
    expect(out.text).toBe(before);

    const pipe = tty();
    pipe.isTTY = false;
    const quiet = new ProgressLine(pipe, () => now);
    quiet.update(base);
    quiet.tick();
    expect(pipe.text).toBe("");
  });
});
