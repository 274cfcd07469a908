/**
 * The machine's load while a benchmark runs: /proc/loadavg's 1-minute figure
 * sampled every few seconds, so a report can say how busy the (shared) machine
 * was during the measurement, not only before it.
 */
import { readFileSync } from "node:fs";
import { median } from "./stats.js";

export interface LoadSummary {
  /** 1-minute load average at the start and the end. */
  start: number;
  end: number;
  min: number;
  median: number;
  max: number;
  samples: number;
}

function load1(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** Starts sampling; `stop()` ends it and summarises. */
export function watchLoad(everyMs = 5_000): { stop: () => LoadSummary } {
  const samples = [load1()];
  const timer = setInterval(() => samples.push(load1()), everyMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      samples.push(load1());
      return { start: samples[0] as number, end: samples[samples.length - 1] as number, min: Math.min(...samples), median: median(samples), max: Math.max(...samples), samples: samples.length };
    },
  };
}

export function loadText(l: LoadSummary): string {
  return `load average (1 min) ${l.start.toFixed(1)} at the start, ${l.end.toFixed(1)} at the end, median ${l.median.toFixed(1)}, ${l.min.toFixed(1)}–${l.max.toFixed(1)} over ${l.samples} samples`;
}
