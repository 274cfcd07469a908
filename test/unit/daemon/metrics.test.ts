import { spawnSync } from "node:child_process";
import { register as globalRegistry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createDaemonMetrics, FIRING_LATENESS_BUCKETS, metricsSink } from "../../../src/daemon/metrics.js";
import type { Job } from "../../../src/store/index.js";

/** The sample lines of one metric family: `name{labels} value`. */
function samples(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function typeOf(text: string, name: string): string | undefined {
  return new RegExp(`^# TYPE ${name} (\\w+)$`, "m").exec(text)?.[1];
}

const PROMTOOL = spawnSync("promtool", ["--version"]).error === undefined ? "promtool" : undefined;

/** `promtool check metrics` problems: parse errors and lint remarks, every one. */
function promtoolProblems(text: string): string[] {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  const lines = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim() !== "");
  if (r.status !== 0 && r.status !== 3) return [`promtool exited with ${String(r.status)}`, ...lines];
  return lines;
}

describe("the daemon's metrics", () => {
  it("exposes each metric under its documented name and type", async () => {
    const text = await createDaemonMetrics().metricsText();
    expect({
      itd_build_info: typeOf(text, "itd_build_info"),
      itd_schedules: typeOf(text, "itd_schedules"),
      itd_jobs_total: typeOf(text, "itd_jobs_total"),
      itd_jobs_running: typeOf(text, "itd_jobs_running"),
      itd_jobs_queued: typeOf(text, "itd_jobs_queued"),
      itd_records_imported_total: typeOf(text, "itd_records_imported_total"),
      itd_schedule_last_success_timestamp_seconds: typeOf(text, "itd_schedule_last_success_timestamp_seconds"),
      itd_schedule_file_errors_total: typeOf(text, "itd_schedule_file_errors_total"),
      itd_schedule_files_broken: typeOf(text, "itd_schedule_files_broken"),
      itd_firing_lateness_seconds: typeOf(text, "itd_firing_lateness_seconds"),
      itd_iterable_requests_total: typeOf(text, "itd_iterable_requests_total"),
      itd_iterable_429_total: typeOf(text, "itd_iterable_429_total"),
      itd_iterable_retries_total: typeOf(text, "itd_iterable_retries_total"),
      itd_last_tick_timestamp_seconds: typeOf(text, "itd_last_tick_timestamp_seconds"),
      itd_job_processes: typeOf(text, "itd_job_processes"),
    }).toEqual({
      itd_build_info: "gauge",
      itd_schedules: "gauge",
      itd_jobs_total: "counter",
      itd_jobs_running: "gauge",
      itd_jobs_queued: "gauge",
      itd_records_imported_total: "counter",
      itd_schedule_last_success_timestamp_seconds: "gauge",
      itd_schedule_file_errors_total: "counter",
      itd_schedule_files_broken: "gauge",
      itd_firing_lateness_seconds: "histogram",
      itd_iterable_requests_total: "counter",
      itd_iterable_429_total: "counter",
      itd_iterable_retries_total: "counter",
      itd_last_tick_timestamp_seconds: "gauge",
      itd_job_processes: "gauge",
    });
  });

  it("shows every job status and schedule source at 0 before anything happened", async () => {
    const text = await createDaemonMetrics().metricsText();
    expect(samples(text, "itd_jobs_total").sort()).toEqual([
      'itd_jobs_total{status="error"} 0',
      'itd_jobs_total{status="killed"} 0',
      'itd_jobs_total{status="skipped"} 0',
      'itd_jobs_total{status="success"} 0',
    ]);
    expect(samples(text, "itd_schedules").sort()).toEqual(['itd_schedules{source="cli"} 0', 'itd_schedules{source="file"} 0']);
  });

  it("counts what the handles are told, by label", async () => {
    const m = createDaemonMetrics();
    m.schedules.set({ source: "file" }, 3);
    m.jobs.inc({ status: "success" });
    m.jobs.inc({ status: "success" });
    m.jobs.inc({ status: "killed" });
    m.jobsRunning.set(2);
    m.recordsImported.inc({ schedule: "daily_sends" }, 1500);
    m.iterableRequests.inc({ endpoint: "export/data.json", status: "200" });
    m.iterableRequests.inc({ endpoint: "export/data.json", status: "429" });
    m.iterable429.inc({ endpoint: "export/data.json" });
    m.iterableRetries.inc({ endpoint: "export/data.json" });
    m.lastTick.set(1_767_225_600);
    const text = await m.metricsText();
    expect(samples(text, "itd_schedules")).toContain('itd_schedules{source="file"} 3');
    expect(samples(text, "itd_jobs_total")).toEqual(expect.arrayContaining(['itd_jobs_total{status="success"} 2', 'itd_jobs_total{status="killed"} 1']));
    expect(samples(text, "itd_jobs_running")).toEqual(["itd_jobs_running 2"]);
    expect(samples(text, "itd_records_imported_total")).toEqual(['itd_records_imported_total{schedule="daily_sends"} 1500']);
    expect(samples(text, "itd_iterable_requests_total").sort()).toEqual([
      'itd_iterable_requests_total{endpoint="export/data.json",status="200"} 1',
      'itd_iterable_requests_total{endpoint="export/data.json",status="429"} 1',
    ]);
    expect(samples(text, "itd_iterable_429_total")).toEqual(['itd_iterable_429_total{endpoint="export/data.json"} 1']);
    expect(samples(text, "itd_iterable_retries_total")).toEqual(['itd_iterable_retries_total{endpoint="export/data.json"} 1']);
    expect(samples(text, "itd_last_tick_timestamp_seconds")).toEqual(["itd_last_tick_timestamp_seconds 1767225600"]);
  });

  it("buckets firing lateness from a millisecond to a minute", async () => {
    const m = createDaemonMetrics();
    m.firingLateness.observe(0.0004);
    m.firingLateness.observe(0.02);
    m.firingLateness.observe(90);
    const text = await m.metricsText();
    const buckets = samples(text, "itd_firing_lateness_seconds_bucket");
    expect(buckets.map((l) => /le="([^"]+)"/.exec(l)?.[1])).toEqual([...FIRING_LATENESS_BUCKETS.map(String), "+Inf"]);
    expect(FIRING_LATENESS_BUCKETS[0]).toBe(0.001);
    expect(FIRING_LATENESS_BUCKETS.at(-1)).toBe(60);
    expect(buckets).toContain('itd_firing_lateness_seconds_bucket{le="0.001"} 1');
    expect(buckets).toContain('itd_firing_lateness_seconds_bucket{le="0.025"} 2');
    expect(buckets).toContain('itd_firing_lateness_seconds_bucket{le="60"} 2');
    expect(buckets).toContain('itd_firing_lateness_seconds_bucket{le="+Inf"} 3');
    expect(samples(text, "itd_firing_lateness_seconds_count")).toEqual(["itd_firing_lateness_seconds_count 3"]);
  });

  it("says its version in itd_build_info, always 1", async () => {
    expect(samples(await createDaemonMetrics({ version: "9.8.7" }).metricsText(), "itd_build_info")).toEqual(['itd_build_info{version="9.8.7"} 1']);
    const own = samples(await createDaemonMetrics().metricsText(), "itd_build_info");
    expect(own).toHaveLength(1);
    expect(own[0]).toMatch(/^itd_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/);
  });

  it("includes Node's process metrics under their standard names, without gauges named _total", async () => {
    const text = await createDaemonMetrics().metricsText();
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_active_handles",
    ]) {
      expect(typeOf(text, name), name).toBeDefined();
    }
    expect(text).not.toMatch(/^# TYPE itd_(process|nodejs)_/m);
    const gaugesNamedTotal = [...text.matchAll(/^# TYPE (\w+_total) gauge$/gm)].map((m) => m[1]);
    expect(gaugesNamedTotal).toEqual([]);
  });

  it("counts what the daemon reports: records as they commit, a success's end, broken schedule files newly found", async () => {
    const m = createDaemonMetrics();
    const sink = metricsSink(m);
    sink.committed("daily_sends", 1000);
    sink.committed("daily_sends", 250);
    sink.queued(4);
    const job = { status: "success", schedule: "daily_sends", endAt: 1_767_225_600_500, records: 99_999 } as Job;
    sink.jobEnded(job);
    sink.jobEnded({ ...job, status: "error", endAt: 1_767_229_200_000 });
    sink.scheduleFiles(2, 2);
    sink.scheduleFiles(1, 0);
    let text = await m.metricsText();
    // The job's end adds no records: they were counted as they committed.
    expect(samples(text, "itd_records_imported_total")).toEqual(['itd_records_imported_total{schedule="daily_sends"} 1250']);
    expect(samples(text, "itd_jobs_queued")).toEqual(["itd_jobs_queued 4"]);
    expect(samples(text, "itd_jobs_total")).toEqual(expect.arrayContaining(['itd_jobs_total{status="success"} 1', 'itd_jobs_total{status="error"} 1']));
    expect(samples(text, "itd_schedule_last_success_timestamp_seconds")).toEqual(['itd_schedule_last_success_timestamp_seconds{schedule="daily_sends"} 1767225600.5']);
    expect(samples(text, "itd_schedule_file_errors_total")).toEqual(["itd_schedule_file_errors_total 2"]);
    expect(samples(text, "itd_schedule_files_broken")).toEqual(["itd_schedule_files_broken 1"]);
    // Each load says when every schedule last succeeded: a deleted schedule drops out.
    sink.lastSuccesses(new Map([["hourly", 1_767_300_000_000]]));
    text = await m.metricsText();
    expect(samples(text, "itd_schedule_last_success_timestamp_seconds")).toEqual(['itd_schedule_last_success_timestamp_seconds{schedule="hourly"} 1767300000']);
  });

  it("shows the warm job processes by state, every state from the start", async () => {
    const m = createDaemonMetrics();
    expect(samples(await m.metricsText(), "itd_job_processes").sort()).toEqual([
      'itd_job_processes{state="busy"} 0',
      'itd_job_processes{state="idle"} 0',
      'itd_job_processes{state="retiring"} 0',
      'itd_job_processes{state="starting"} 0',
    ]);
    metricsSink(m).jobProcesses?.({ starting: 1, idle: 2, busy: 3, retiring: 0 });
    expect(samples(await m.metricsText(), "itd_job_processes").sort()).toEqual([
      'itd_job_processes{state="busy"} 3',
      'itd_job_processes{state="idle"} 2',
      'itd_job_processes{state="retiring"} 0',
      'itd_job_processes{state="starting"} 1',
    ]);
  });

  it("keeps its own registry: instances count apart and prom-client's global registry stays empty", async () => {
    const a = createDaemonMetrics();
    const b = createDaemonMetrics();
    a.jobs.inc({ status: "error" }, 5);
    expect(samples(await a.metricsText(), "itd_jobs_total")).toContain('itd_jobs_total{status="error"} 5');
    expect(samples(await b.metricsText(), "itd_jobs_total")).toContain('itd_jobs_total{status="error"} 0');
    expect(a.registry).not.toBe(b.registry);
    expect(globalRegistry.getMetricsAsArray().filter((m) => m.name.startsWith("itd_"))).toEqual([]);
  });

  it("is served as Prometheus text format 0.0.4", () => {
    expect(createDaemonMetrics().contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  describe.skipIf(PROMTOOL === undefined)("checked by promtool (skipped: promtool is not installed)", () => {
    it("passes promtool check metrics", async () => {
      const m = createDaemonMetrics();
      const sink = metricsSink(m);
      m.jobs.inc({ status: "success" });
      m.recordsImported.inc({ schedule: 'we"ird\\name' }, 2);
      sink.lastSuccesses(new Map([["daily", 1_767_225_600_000]]));
      sink.scheduleFiles(1, 1);
      sink.queued(3);
      sink.jobProcesses?.({ starting: 0, idle: 3, busy: 1, retiring: 1 });
      m.iterableRequests.inc({ endpoint: "lists/getUsers", status: "network" });
      m.firingLateness.observe(0.3);
      expect(promtoolProblems(await m.metricsText())).toEqual([]);
    });

    it("would catch a malformed exposition (the check can fail)", () => {
      expect(promtoolProblems("# TYPE itd_x counter\nitd_x{a=\"1\" 1\n")).not.toEqual([]);
      expect(promtoolProblems("# HELP itd_y y\n# TYPE itd_y counter\nitd_y 1\n")).toEqual(['itd_y counter metrics should have "_total" suffix']);
    });
  });
});
