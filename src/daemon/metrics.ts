/**
 * The daemon's Prometheus metrics (design §6), on a registry of its own: no
 * prom-client global default registry, so two daemons in one test process, or
 * a test and the daemon, never share counters. The composition root creates
 * one with `createDaemonMetrics()` and hands the typed handles to the parts
 * that count; `GET /metrics` (http.ts) serves `metricsText()`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Where a schedule was defined. */
export type ScheduleSource = "cli" | "file";
/** How a job ended, as counted by `itd_jobs_total`. */
export type JobOutcome = "success" | "error" | "killed" | "skipped";

export const SCHEDULE_SOURCES: readonly ScheduleSource[] = ["cli", "file"];
export const JOB_OUTCOMES: readonly JobOutcome[] = ["success", "error", "killed", "skipped"];

/** Buckets of `itd_firing_lateness_seconds`: from a timer's jitter (1 ms) to a minute late. */
export const FIRING_LATENESS_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 60];

/** The prefix of every metric, the Node process metrics included. */
export const METRIC_PREFIX = "itd_";

/**
 * The handles the daemon counts with. Label values: `source` cli|file,
 * `status` a JobOutcome, `schedule` a schedule's name, `endpoint` an Iterable
 * endpoint such as `export/data.json`, and the request `status` an HTTP status
 * code (or `network` when no response came).
 */
export interface DaemonMetrics {
  readonly registry: Registry;
  /** `itd_schedules{source}`: schedules known, per source. */
  readonly schedules: Gauge<"source">;
  /** `itd_jobs_total{status}`: jobs finished (skipped slots count as skipped jobs). */
  readonly jobs: Counter<"status">;
  /** `itd_jobs_running`: jobs running now. */
  readonly jobsRunning: Gauge;
  /** `itd_records_imported_total{schedule}`: records committed to the warehouse. */
  readonly recordsImported: Counter<"schedule">;
  /** `itd_firing_lateness_seconds`: how late a slot's job was queued after its due time (slot + delay). */
  readonly firingLateness: Histogram;
  /** `itd_iterable_requests_total{endpoint,status}`: requests sent to Iterable, by outcome. */
  readonly iterableRequests: Counter<"endpoint" | "status">;
  /** `itd_iterable_429_total{endpoint}`: responses 429 Too Many Requests. */
  readonly iterable429: Counter<"endpoint">;
  /** `itd_iterable_retries_total{endpoint}`: requests sent again after a retryable failure. */
  readonly iterableRetries: Counter<"endpoint">;
  /** `itd_last_tick_timestamp_seconds`: when the scheduler loop last woke (unix seconds). */
  readonly lastTick: Gauge;
  /** The Prometheus content type of `metricsText()`. */
  readonly contentType: string;
  /** Every metric in Prometheus text exposition format. */
  metricsText(): Promise<string>;
}

/** A fresh registry with the daemon's metrics and Node's process metrics (prefixed `itd_`). */
export function createDaemonMetrics(): DaemonMetrics {
  const registry = new Registry();
  const registers = [registry];

  const schedules = new Gauge({
    name: `${METRIC_PREFIX}schedules`,
    help: "Schedules known to the daemon, by where they were defined (cli or file).",
    labelNames: ["source"] as const,
    registers,
  });
  const jobs = new Counter({
    name: `${METRIC_PREFIX}jobs_total`,
    help: "Jobs finished, by status (success, error, killed, skipped).",
    labelNames: ["status"] as const,
    registers,
  });
  const jobsRunning = new Gauge({
    name: `${METRIC_PREFIX}jobs_running`,
    help: "Jobs running now.",
    registers,
  });
  const recordsImported = new Counter({
    name: `${METRIC_PREFIX}records_imported_total`,
    help: "Records imported into the warehouse, by schedule.",
    labelNames: ["schedule"] as const,
    registers,
  });
  const firingLateness = new Histogram({
    name: `${METRIC_PREFIX}firing_lateness_seconds`,
    help: "Seconds between a slot's due time (slot + delay) and the moment its job was queued.",
    buckets: [...FIRING_LATENESS_BUCKETS],
    registers,
  });
  const iterableRequests = new Counter({
    name: `${METRIC_PREFIX}iterable_requests_total`,
    help: "Requests sent to Iterable, by endpoint and HTTP status (network = no response).",
    labelNames: ["endpoint", "status"] as const,
    registers,
  });
  const iterable429 = new Counter({
    name: `${METRIC_PREFIX}iterable_429_total`,
    help: "Responses 429 Too Many Requests from Iterable, by endpoint.",
    labelNames: ["endpoint"] as const,
    registers,
  });
  const iterableRetries = new Counter({
    name: `${METRIC_PREFIX}iterable_retries_total`,
    help: "Requests to Iterable sent again after a retryable failure, by endpoint.",
    labelNames: ["endpoint"] as const,
    registers,
  });
  const lastTick = new Gauge({
    name: `${METRIC_PREFIX}last_tick_timestamp_seconds`,
    help: "Unix time (seconds) at which the scheduler loop last woke.",
    registers,
  });

  // Known label values start at 0, so that rate() and absent() see them before the first event.
  for (const source of SCHEDULE_SOURCES) schedules.set({ source }, 0);
  for (const status of JOB_OUTCOMES) jobs.inc({ status }, 0);

  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  return {
    registry,
    schedules,
    jobs,
    jobsRunning,
    recordsImported,
    firingLateness,
    iterableRequests,
    iterable429,
    iterableRetries,
    lastTick,
    contentType: registry.contentType,
    metricsText: () => registry.metrics(),
  };
}
