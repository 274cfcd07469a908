import { once } from "node:events";
import { hostname } from "node:os";
import { isProcessAlive, thisHost } from "../../pid.js";
import { DAEMON_LEASE_MS } from "../../store/index.js";
import { Daemon } from "../../daemon/daemon.js";
import { forkJob, forkJobWorker } from "../../daemon/launcher.js";
import { readDaemonConfig, type DaemonConfig } from "../../config/file.js";
import { startHealthServer, type HealthServer } from "../../daemon/http.js";
import { createDaemonMetrics, metricsSink } from "../../daemon/metrics.js";
import { errorMessage, ItdError, UsageError } from "../../errors.js";
import { resolveIterableSettings } from "../../config/settings.js";
import { createLogger } from "../../log.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { catalogWith, schedulesDir } from "../schedule-catalog.js";
import { checkConfigShape, readScheduleFilesChecked } from "../schedule-config.js";
import { makeBudgets, Services } from "../services.js";
import { describeState } from "../../config/state.js";
import { redactedConfigText } from "../../daemon/slot-store.js";
import { StatusPages, StatusRecorder } from "../../daemon/status/index.js";
import { secretsOf, urlSecrets } from "../../daemon/status/secrets.js";
import { configDiffYaml } from "../config-diff.js";

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/** The warm job processes' settings of a config: `job_processes` defaults to `max_concurrent_jobs`. */
function jobProcessSettings(config: DaemonConfig): { jobProcesses: number; jobProcessMaxJobs: number; jobProcessMaxRssBytes: number } {
  return {
    jobProcesses: config.job_processes ?? config.max_concurrent_jobs,
    jobProcessMaxJobs: config.job_process_max_jobs,
    jobProcessMaxRssBytes: config.job_process_max_rss_mb * 2 ** 20,
  };
}

export const daemonCommand: CommandImpl = {
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, { "log-level": { type: "string" } }, { min: 0, max: 0, names: "none" });
    const level = values["log-level"];
    if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) {
      throw new UsageError(`--log-level: expected one of ${LEVELS.join(", ")}; got "${level}"`);
    }
    const { config, file } = readDaemonConfig(values["itd-config"], ctx.env, ctx.cwd);
    const services = new Services(ctx, values.home, {
      configHome: config.home,
      schedulesDir: config.schedules_dir,
      rateLimits: config.rate_limits,
      warehouse: { flag: values.warehouse, file: file === undefined ? undefined : { value: config.warehouse, name: file } },
      state: { flag: values.state, file: file === undefined ? undefined : { value: config.state, name: file } },
    });
    services.checkHome(); // another user's home (root without -u itd) is refused before anything starts
    void services.warehouseSetting; // and so is a warehouse URL that is not one (the job processes get it as written)
    const state = services.stateSetting; // and a state URL
    // Which daemon said what, on a host several share or in a shared state store's history.
    const instance = `${hostname()}:${process.pid}:${new Date().toISOString()}`;
    const logger = createLogger({ level: level ?? config.log_level, destination: process.stdout as never, base: { pid: process.pid, instance } });
    const dir = schedulesDir(services, ctx.env);
    // Job processes read the same home, schedules, warehouse and state (URLs as written: their ${ENV} references are in env too).
    const env = { ...ctx.env, ITD_HOME: services.home, ITD_SCHEDULES: dir, ITD_WAREHOUSE: services.warehouseSetting.written, ITD_STATE: state.written };
    // One budget per API key for all the daemon's jobs — and, on a shared state, for every daemon's.
    const budgets = makeBudgets(services.baseClock, services.rateLimits, state.setting);
    services.budgets = budgets; // closed with the services
    const metrics = createDaemonMetrics({ instance, state: state.setting.engine });
    // Everything the daemon needs that can fail is checked before it takes the home and fires anything: another
    // daemon on the home (its port is likely ours too: say the real reason), then the port (a taken port used to
    // leave a half-working daemon without /healthz).
    const holder = services.store.daemon.liveHolder({ pid: process.pid, host: thisHost() }, DAEMON_LEASE_MS, isProcessAlive);
    if (holder !== undefined) {
      await services.close();
      throw new ItdError("conflict", `another itd daemon (pid ${holder.pid} on ${holder.host}) is running on this home; stop it first`);
    }
    const started: { daemon?: Daemon } = {};
    const store = services.store;
    // The store's time: the database's clock on PostgreSQL, so daemons on hosts with skewed clocks agree on slots.
    const clock = { now: () => store.now(), sleep: (ms: number, signal?: AbortSignal) => services.clock.sleep(ms, signal) };
    const configText = redactedConfigText(checkConfigShape);
    // What the status pages show of the daemon (uptime, lateness, requests of the last hour), heard from its metrics' events.
    const recorder = new StatusRecorder(clock);
    const schedules = () => started.daemon?.schedules ?? [];
    const pgUrl = (s: { engine: string; target?: { url: string } }): string | undefined => (s.engine === "postgres" ? s.target?.url : undefined);
    const status = new StatusPages({
      schedules, store, clock, recorder, configText, cursorText: configDiffYaml, warehouse: services.warehouse,
      secrets: secretsOf(schedules, env, [...urlSecrets(pgUrl(state.setting)), ...urlSecrets(pgUrl(services.warehouseSetting.setting))]),
    });
    let http: HealthServer | undefined;
    if (config.http_port !== 0) {
      try {
        http = await startHealthServer({
          status,
          host: config.http_host,
          port: config.http_port,
          metrics,
          health: () => ({ ...(started.daemon ? { ok: started.daemon.healthy, lastTick: started.daemon.lastTick } : { ok: false, lastTick: 0 }), detail: { instance } }),
          onError: (err) => logger.error({ err: err.message }, "health server error"),
        });
      } catch (err) {
        logger.fatal({ err: errorMessage(err), host: config.http_host, port: config.http_port }, `cannot start: ${errorMessage(err)}; nothing was started (set http_port in the config, or 0 for no HTTP endpoint)`);
        await services.close();
        return 1;
      }
      logger.info({ url: http.url }, "status pages, health and metrics listening");
    }
    if (state.setting.engine === "postgres" && services.warehouseSetting.setting.engine === "sqlite") {
      logger.warn("the state is shared (PostgreSQL) but the warehouse is this host's SQLite files: with daemons on several hosts, each host's imports land in its own files; set warehouse: postgresql://… too");
    }
    const daemon = new Daemon({
      store,
      clock,
      instance,
      logger,
      budgets,
      settings: {
        maxConcurrentJobs: config.max_concurrent_jobs,
        shutdownGraceMs: config.shutdown_grace * 1000,
        jobTimeoutMs: config.job_timeout === 0 ? undefined : config.job_timeout,
        catchupCap: config.catchup_cap,
        historyRetentionMs: config.history_retention === 0 ? undefined : config.history_retention,
        schedulesDir: dir,
        ...jobProcessSettings(config),
      },
      loadDefinitions: () => catalogWith(services, env, readScheduleFilesChecked),
      configText,
      spawnJob: forkJob(process.argv[1] as string, env),
      spawnWorker: forkJobWorker(process.argv[1] as string, env),
      metrics: recorder.record(metricsSink(metrics)),
    });
    logger.info(
      {
        home: services.home, config: file ?? null, schedulesDir: dir, warehouse: services.warehouse.location,
        state: describeState(state.setting, services.home),
        jobTimeoutMs: config.job_timeout || null, iterableTimeouts: services.timeouts,
        jobProcesses: jobProcessSettings(config).jobProcesses,
      },
      "itd daemon starting",
    );
    try {
      await daemon.start();
    } catch (err) {
      await http?.close();
      throw err;
    }
    started.daemon = daemon;
    if (http !== undefined) status.warm();
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
          ...jobProcessSettings(again),
        });
        budgets.setLimits(resolveIterableSettings({ fileRateLimits: again.rate_limits, env: ctx.env }).rateLimits);
        logger.info(
          {
            maxConcurrentJobs: again.max_concurrent_jobs, jobTimeoutMs: again.job_timeout || null, catchupCap: again.catchup_cap,
            jobProcesses: jobProcessSettings(again).jobProcesses,
          },
          "SIGHUP: settings applied",
        );
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
    try {
      await daemon.stop();
    } finally {
      // Also when the stop failed (a state store away cannot be told the lease is given up): an HTTP server left
      // open would keep this process alive for ever.
      await http?.close();
      await services.close();
    }
    return 0;
  },
};
