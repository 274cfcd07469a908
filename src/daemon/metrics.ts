/**
 * The daemon's Prometheus metrics (design §6), on a registry of its own: no
 * prom-client global default registry, so two daemons in one test process, or
 * a test and the daemon, never share counters. The composition root creates
 * one with `createDaemonMetrics()` and hands the typed handles to the parts
 * that count (`metricsSink` is what the Daemon reports to); `GET /metrics`
 * (http.ts) serves `metricsText()`. Names follow Prometheus's conventions
 * (`promtool check metrics` passes): `_total` only on counters, base units,
 * and prom-client's standard `process_*`/`nodejs_*` names, unprefixed, for
 * the Node process.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Job } from "../store/index.js";
import { itdVersion } from "../version.js";
import type { DaemonMetricsSink } from "./daemon.js";
import type { WorkerState } from "./pool.js";

/** Where a schedule was defined. */
export type ScheduleSource = "cli" | "file";
/** How a job ended, as counted by `itd_jobs_total`. */
export type JobOutcome = "success" | "error" | "killed" | "skipped";

export const SCHEDULE_SOURCES: readonly ScheduleSource[] = ["cli", "file"];
export const JOB_OUTCOMES: readonly JobOutcome[] = ["success", "error", "killed", "skipped"];
/** States of a warm job process, as labelled by `itd_job_processes`. */
export const JOB_PROCESS_STATES: readonly WorkerState[] = ["starting", "idle", "busy", "retiring"];

/** Buckets of `itd_firing_lateness_seconds`: from a timer's jitter (1 ms) to a minute late. */
export const FIRING_LATENESS_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 60];

/** The prefix of the daemon's own metrics (not of prom-client's standard process and Node metrics). */
export const METRIC_PREFIX = "itd_";

/**
 * prom-client's default metrics include three gauges named `_total` (sums of
 * `nodejs_active_handles` and the like over their `type` label), which
 * Prometheus's conventions keep for counters: left out, the by-type gauges stay.
 */
const NON_COUNTERS_NAMED_TOTAL = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/**
 * The handles the daemon counts with. Label values: `source` cli|file,
 * `status` a JobOutcome, `schedule` a schedule's name, `endpoint` an Iterable
 * endpoint such as `export/data.json`, and the request `status` an HTTP status
 * code (or `network` when no response came).
 */
export interface DaemonMetrics {
  readonly registry: Registry;
  /** `itd_build_info{version}`: always 1; the version in its label. */
  readonly buildInfo: Gauge<"version">;
  /** Always 1: this daemon's instance id (host:pid:start) and where its state lives (sqlite or postgres). */
  readonly daemonInfo: Gauge<"instance" | "state">;
  /** `itd_schedules{source}`: schedules known, per source. */
  readonly schedules: Gauge<"source">;
  /** `itd_jobs_total{status}`: jobs finished (skipped slots count as skipped jobs). */
  readonly jobs: Counter<"status">;
  /** `itd_jobs_running`: jobs running now. */
  readonly jobsRunning: Gauge;
  /** `itd_jobs_queued`: jobs in the queue (due or deferred). */
  readonly jobsQueued: Gauge;
  readonly scheduleQueued: Gauge<"schedule">;
  /** `itd_records_imported_total{schedule}`: records committed to the warehouse, counted as they commit. */
  readonly recordsImported: Counter<"schedule">;
  /** `itd_schedule_last_success_timestamp_seconds{schedule}`: when the schedule's last successful job ended. */
  readonly lastSuccess: Gauge<"schedule">;
  /** `itd_schedule_file_errors_total`: broken schedule files found (each newly broken file once). */
  readonly scheduleFileErrors: Counter;
  /** `itd_schedule_files_broken`: schedule files broken now (the daemon keeps their previous version). */
  readonly scheduleFilesBroken: Gauge;
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
  /** `itd_job_processes{state}`: warm job processes, by state (starting, idle, busy, retiring). */
  readonly jobProcesses: Gauge<"state">;
  /** The Prometheus content type of `metricsText()`. */
  readonly contentType: string;
  /** Every metric in Prometheus text exposition format. */
  metricsText(): Promise<string>;
}

/** A fresh registry with the daemon's metrics and the standard process and Node metrics; `version` defaults to itd's. */
export function createDaemonMetrics(options: { version?: string; instance?: string; state?: string } = {}): DaemonMetrics {
  const registry = new Registry();
  const registers = [registry];

  const buildInfo = new Gauge({
    name: `${METRIC_PREFIX}build_info`,
    help: "Always 1; the version of itd in the version label.",
    labelNames: ["version"] as const,
    registers,
  });

  const daemonInfo = new Gauge({
    name: `${METRIC_PREFIX}daemon_info`,
    help: "Always 1; this daemon's instance id (host:pid:start) and its state store's engine in the labels.",
    labelNames: ["instance", "state"] as const,
    registers,
  });

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
  const jobsQueued = new Gauge({
    name: `${METRIC_PREFIX}jobs_queued`,
    help: "Jobs in the queue, due or deferred.",
    registers,
  });
  const scheduleQueued = new Gauge({
    name: `${METRIC_PREFIX}schedule_queued_jobs`,
    help: "Runs of a schedule in the queue; one that keeps growing comes faster than it runs (a backlog).",
    labelNames: ["schedule"] as const,
    registers,
  });
  const recordsImported = new Counter({
    name: `${METRIC_PREFIX}records_imported_total`,
    help: "Records imported into the warehouse, by schedule, counted as they commit (an append slice at its commit, a replacing load at its end).",
    labelNames: ["schedule"] as const,
    registers,
  });
  const lastSuccess = new Gauge({
    name: `${METRIC_PREFIX}schedule_last_success_timestamp_seconds`,
    help: "Unix time (seconds) at which the schedule's last successful job ended.",
    labelNames: ["schedule"] as const,
    registers,
  });
  const scheduleFileErrors = new Counter({
    name: `${METRIC_PREFIX}schedule_file_errors_total`,
    help: "Broken schedule files found (invalid YAML, config or cron, or a name taken), each newly broken file once.",
    registers,
  });
  const scheduleFilesBroken = new Gauge({
    name: `${METRIC_PREFIX}schedule_files_broken`,
    help: "Schedule files broken now; the daemon keeps the previous version of each.",
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

  const jobProcesses = new Gauge({
    name: `${METRIC_PREFIX}job_processes`,
    help: "Warm job processes (job_processes), by state: starting, idle (ready for a job), busy, retiring.",
    labelNames: ["state"] as const,
    registers,
  });

  // Known label values start at 0, so that rate() and absent() see them before the first event.
  for (const source of SCHEDULE_SOURCES) schedules.set({ source }, 0);
  for (const status of JOB_OUTCOMES) jobs.inc({ status }, 0);
  for (const state of JOB_PROCESS_STATES) jobProcesses.set({ state }, 0);
  buildInfo.set({ version: options.version ?? itdVersion() }, 1);
  if (options.instance !== undefined) daemonInfo.set({ instance: options.instance, state: options.state ?? "sqlite" }, 1);

  collectDefaultMetrics({ register: registry });
  for (const name of NON_COUNTERS_NAMED_TOTAL) registry.removeSingleMetric(name);

  return {
    registry,
    buildInfo,
    daemonInfo,
    schedules,
    jobs,
    jobsRunning,
    jobsQueued,
    scheduleQueued,
    recordsImported,
    lastSuccess,
    scheduleFileErrors,
    scheduleFilesBroken,
    firingLateness,
    iterableRequests,
    iterable429,
    iterableRetries,
    lastTick,
    jobProcesses,
    contentType: registry.contentType,
    metricsText: () => registry.metrics(),
  };
}

/** What the Daemon reports, counted on the daemon's metrics. */
export function metricsSink(m: DaemonMetrics): DaemonMetricsSink {
  return {
    fired: (ms) => m.firingLateness.observe(ms / 1000),
    jobEnded: (job: Job) => {
      if (job.status === "success" || job.status === "error" || job.status === "killed" || job.status === "skipped") m.jobs.inc({ status: job.status });
      if (job.status === "success" && job.schedule !== null && job.endAt !== null) m.lastSuccess.set({ schedule: job.schedule }, job.endAt / 1000);
    },
    committed: (schedule, records) => m.recordsImported.inc({ schedule }, records),
    running: (n) => m.jobsRunning.set(n),
    queued: (n) => m.jobsQueued.set(n),
    backlog: (bySchedule) => {
      m.scheduleQueued.reset();
      for (const [schedule, n] of bySchedule) m.scheduleQueued.set({ schedule }, n);
    },
    schedules: (n) => {
      m.schedules.set({ source: "cli" }, n.cli);
      m.schedules.set({ source: "file" }, n.file);
    },
    scheduleFiles: (broken, found) => {
      m.scheduleFilesBroken.set(broken);
      m.scheduleFileErrors.inc(found);
    },
    lastSuccesses: (bySchedule) => {
      // Schedules deleted or renamed since drop out.
      m.lastSuccess.reset();
      for (const [schedule, at] of bySchedule) m.lastSuccess.set({ schedule }, at / 1000);
    },
    request: (e) => {
      m.iterableRequests.inc({ endpoint: e.endpoint, status: e.status === undefined ? "network" : String(e.status) });
      if (e.status === 429) m.iterable429.inc({ endpoint: e.endpoint });
      if (e.attempt > 1) m.iterableRetries.inc({ endpoint: e.endpoint });
    },
    tick: (ms) => m.lastTick.set(Math.floor(ms / 1000)),
    jobProcesses: (counts) => {
      for (const state of JOB_PROCESS_STATES) m.jobProcesses.set({ state }, counts[state]);
    },
  };
}
