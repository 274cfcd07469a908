/**
 * What the status page's header says of the daemon, recorded as it happens:
 * uptime, jobs running and queued, the firing lateness of recent slots (p50,
 * p99 of the last LATENESS_KEPT firings: the metrics' histogram counts since
 * start, in buckets) and the Iterable requests and 429s of the last hour (in
 * minute buckets). It listens to what the Daemon already reports to its
 * metrics (`record(sink)` passes every event on), so the daemon has nothing
 * more to call. Times come from the injected clock.
 */
import type { Clock } from "../../clock.js";
import type { DaemonMetricsSink } from "../daemon.js";

const LATENESS_KEPT = 1_000;
const MINUTES = 60;

export interface HeaderFigures {
  startedAt: number;
  uptimeMs: number;
  running: number;
  queued: number;
  /** Firing lateness of the recent firings, ms; undefined before any. */
  latenessP50: number | undefined;
  latenessP99: number | undefined;
  latenessSamples: number;
  /** Iterable requests and 429 answers in the last hour (or since start, when younger). */
  requestsLastHour: number;
  tooManyLastHour: number;
}

/** The `q` quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export class StatusRecorder {
  readonly startedAt: number;
  private running = 0;
  private queued = 0;
  private readonly lateness: number[] = [];
  private latenessNext = 0;
  /** Per minute (epoch minute), requests and 429s; at most MINUTES + 1 kept. */
  private readonly minutes = new Map<number, { requests: number; tooMany: number }>();

  constructor(private readonly clock: Clock) {
    this.startedAt = clock.now();
  }

  /** `sink` with every event also recorded here. */
  record(sink: DaemonMetricsSink): DaemonMetricsSink {
    return {
      ...sink,
      fired: (ms) => {
        this.fired(ms);
        sink.fired(ms);
      },
      running: (n) => {
        this.running = n;
        sink.running(n);
      },
      queued: (n) => {
        this.queued = n;
        sink.queued(n);
      },
      request: (e) => {
        this.request(e.status);
        sink.request(e);
      },
    };
  }

  fired(lateMs: number): void {
    if (this.lateness.length < LATENESS_KEPT) this.lateness.push(lateMs);
    else this.lateness[this.latenessNext] = lateMs;
    this.latenessNext = (this.latenessNext + 1) % LATENESS_KEPT;
  }

  request(status: number | undefined): void {
    const minute = Math.floor(this.clock.now() / 60_000);
    let m = this.minutes.get(minute);
    if (m === undefined) {
      m = { requests: 0, tooMany: 0 };
      this.minutes.set(minute, m);
      for (const k of this.minutes.keys()) if (k <= minute - MINUTES) this.minutes.delete(k);
    }
    m.requests++;
    if (status === 429) m.tooMany++;
  }

  figures(): HeaderFigures {
    const now = this.clock.now();
    const sorted = [...this.lateness].sort((a, b) => a - b);
    const since = Math.floor(now / 60_000) - MINUTES;
    let requests = 0;
    let tooMany = 0;
    for (const [k, m] of this.minutes) {
      if (k <= since) continue;
      requests += m.requests;
      tooMany += m.tooMany;
    }
    return {
      startedAt: this.startedAt, uptimeMs: now - this.startedAt, running: this.running, queued: this.queued,
      latenessP50: quantile(sorted, 0.5), latenessP99: quantile(sorted, 0.99), latenessSamples: sorted.length,
      requestsLastHour: requests, tooManyLastHour: tooMany,
    };
  }
}
