import { once } from "node:events";
import { Daemon, forkJob } from "../../daemon/daemon.js";
import { readDaemonConfig } from "../../daemon/config.js";
import { startHealthServer, type HealthServer } from "../../daemon/http.js";
import { createDaemonMetrics } from "../../daemon/metrics.js";
import { ItdError, UsageError } from "../../errors.js";
import { RateBudgets, parseRateLimitsSpec } from "../../iterable/index.js";
import { createLogger } from "../../log.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { checkConfigShape, loadCatalog, schedulesDir } from "../schedule-catalog.js";
import { Services } from "../services.js";
import { redactedConfigText } from "../../daemon/slot-store.js";

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

export const daemonCommand: Command = {
  name: "daemon",
  finishesOnClosedPipe: true,
  summary: "Run the scheduler: fire every schedule at its slots, run queued jobs (leave it running; systemd unit in config/)",
  usage: `itd daemon [--home DIR] [--config FILE] [--log-level LEVEL]

Loads the schedules from the store and from schedules/*.yml, fires each slot at its time + delay, runs jobs in
child processes (max_concurrent_jobs at once, one per schedule), and records everything in state.db. Logs are
JSON lines on stdout. A job running longer than job_timeout is stopped (status killed). SIGHUP reloads;
SIGTERM/SIGINT stop firing, give running jobs shutdown_grace seconds, then stop them (status killed).
Health and metrics: GET /healthz and /metrics on 127.0.0.1:http_port.

Examples:
  itd daemon --config /etc/itd/itd.yml
  ITD_HOME=/var/lib/itd itd daemon --log-level debug`,
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, { "log-level": { type: "string" } }, { min: 0, max: 0, names: "none" });
    const level = values["log-level"];
    if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) {
      throw new UsageError(`--log-level: expected one of ${LEVELS.join(", ")}; got "${level}"`);
    }
    const { config, file } = readDaemonConfig(values["itd-config"], ctx.env, ctx.cwd);
    const services = new Services(ctx, values.home, { configHome: config.home, schedulesDir: config.schedules_dir });
    services.checkHome(); // another user's home (root without -u itd) is refused before anything starts
    const logger = createLogger({ level: level ?? config.log_level, destination: process.stdout as never });
    const dir = schedulesDir(services, ctx.env);
    const env = { ...ctx.env, ITD_HOME: services.home, ITD_SCHEDULES: dir };
    const budgets = new RateBudgets(services.clock, { ...config.rate_limits, ...parseRateLimitsSpec(ctx.env["ITD_RATE_LIMITS"]) });
    const metrics = createDaemonMetrics();
    const daemon = new Daemon({
      store: services.store,
      clock: services.clock,
      logger,
      budgets,
      settings: {
        maxConcurrentJobs: config.max_concurrent_jobs,
        shutdownGraceMs: config.shutdown_grace * 1000,
        jobTimeoutMs: config.job_timeout === 0 ? undefined : config.job_timeout,
        catchupCap: config.catchup_cap,
        historyRetentionMs: config.history_retention === 0 ? undefined : config.history_retention,
        schedulesDir: dir,
      },
      loadDefinitions: () => loadCatalog(services, env),
      configText: redactedConfigText(checkConfigShape),
      spawnJob: forkJob(process.argv[1] as string, env),
      metrics: {
        fired: (ms) => metrics.firingLateness.observe(ms / 1000),
        jobEnded: (job) => {
          if (job.status === "success" || job.status === "error" || job.status === "killed" || job.status === "skipped") metrics.jobs.inc({ status: job.status });
          if (job.schedule) metrics.recordsImported.inc({ schedule: job.schedule }, job.records);
        },
        running: (n) => metrics.jobsRunning.set(n),
        schedules: (n) => {
          metrics.schedules.set({ source: "cli" }, n.cli);
          metrics.schedules.set({ source: "file" }, n.file);
        },
        request: (e) => {
          metrics.iterableRequests.inc({ endpoint: e.endpoint, status: e.status === undefined ? "network" : String(e.status) });
          if (e.status === 429) metrics.iterable429.inc({ endpoint: e.endpoint });
          if (e.attempt > 1) metrics.iterableRetries.inc({ endpoint: e.endpoint });
        },
        tick: (ms) => metrics.lastTick.set(Math.floor(ms / 1000)),
      },
    });
    logger.info(
      { home: services.home, config: file ?? null, schedulesDir: dir, jobTimeoutMs: config.job_timeout || null, iterableTimeouts: services.timeouts },
      "itd daemon starting",
    );
    await daemon.start();
    let http: HealthServer | undefined;
    if (config.http_port !== 0) {
      http = await startHealthServer({
        host: config.http_host,
        port: config.http_port,
        metrics,
        health: () => ({ ok: daemon.healthy, lastTick: daemon.lastTick }),
        onError: (err) => logger.error({ err: err.message }, "health server error"),
      });
      logger.info({ url: http.url }, "health and metrics listening");
    }
    const onHup = (): void => {
      logger.info("SIGHUP: reloading");
      try {
        const again = readDaemonConfig(values["itd-config"], ctx.env, ctx.cwd).config;
        logger.level = level ?? again.log_level;
        // What can change at run time; home, schedules_dir, http_* and shutdown_grace need a restart.
        daemon.applySettings({
          maxConcurrentJobs: again.max_concurrent_jobs,
          jobTimeoutMs: again.job_timeout === 0 ? undefined : again.job_timeout,
          catchupCap: again.catchup_cap,
          historyRetentionMs: again.history_retention === 0 ? undefined : again.history_retention,
        });
        budgets.setLimits({ ...again.rate_limits, ...parseRateLimitsSpec(ctx.env["ITD_RATE_LIMITS"]) });
        logger.info({ maxConcurrentJobs: again.max_concurrent_jobs, jobTimeoutMs: again.job_timeout || null, catchupCap: again.catchup_cap }, "SIGHUP: settings applied");
      } catch (err) {
        logger.error({ err: (err as Error).message }, "config reload failed; the previous config stays");
      }
      daemon.reload("SIGHUP");
    };
    process.on("SIGHUP", onHup);
    const lost = await Promise.race([
      ctx.signal.aborted ? Promise.resolve(undefined) : once(ctx.signal, "abort").then(() => undefined),
      daemon.lost,
    ]);
    process.off("SIGHUP", onHup);
    if (lost !== undefined) {
      // Another daemon holds the home: launch nothing, wait for nothing. Our job processes stop when we go
      // (they hold no lease the new daemon cannot recover), and their slots are queued again there.
      daemon.abandon();
      // Whatever handle might linger, this process is done.
      setTimeout(() => process.exit(1), 5000).unref();
      await http?.close();
      await services.close();
      throw new ItdError("conflict", `daemon lease lost: ${lost}`);
    }
    logger.info({ reason: String(ctx.signal.reason) }, "stopping");
    await daemon.stop();
    await http?.close();
    await services.close();
    return 0;
  },
};
