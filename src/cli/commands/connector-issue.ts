import { resolve } from "node:path";
import type { Clock } from "../../clock.js";
import { issueStreamFor, readLoadConfigFile, runStartedJob, serializeLoadConfig, setConfigKeys } from "../../connector/index.js";
import { ItdError, NotFoundError, UsageError } from "../../errors.js";
import { checkDatabaseName, checkTableName } from "../../warehouse/index.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { formatBytes } from "../format-time.js";
import { durationSeconds, recordsText } from "./job.js";
import { parseFormat } from "../output.js";
import { ProgressLine } from "../progress.js";
import { withServices, type Services } from "../services.js";

/** Calls `fn` every second of `clock` until `signal` aborts. */
async function tick(clock: Clock, signal: AbortSignal, fn: () => void): Promise<void> {
  for (;;) {
    try {
      await clock.sleep(1_000, signal);
    } catch {
      return;
    }
    fn();
  }
}

/** TD's get_table: the database and table must exist, unless --auto-create-table creates them. */
export async function ensureTarget(s: Services, database: string, table: string, autoCreate: boolean, stderr: NodeJS.WritableStream, hints: readonly string[] = []): Promise<void> {
  const w = s.warehouse;
  // Both names first: nothing is created when either is invalid.
  try {
    checkDatabaseName(database);
    checkTableName(table);
  } catch (err) {
    if (err instanceof ItdError && hints.length > 0) throw new ItdError(err.code, err.message, { hints: [...err.hints, ...hints], cause: err });
    throw err;
  }
  if (!(await w.databaseExists(database))) {
    if (!autoCreate) {
      throw new NotFoundError(`Database '${database}' does not exist`, {
        hints: ["Use 'itd db:list' to show the list of databases, or add --auto-create-table."],
      });
    }
    await w.createDatabase(database, { ifNotExists: true });
    stderr.write(`Database '${database}' is created.\n`);
  }
  if (!(await w.tableExists(database, table))) {
    if (!autoCreate) {
      throw new NotFoundError(`Table '${database}.${table}' does not exist`, {
        hints: [...hints, `Use 'itd table:list ${database}' to show the list of tables, or add --auto-create-table.`],
      });
    }
    await w.createTable(database, table, { ifNotExists: true });
    stderr.write(`Table '${database}.${table}' is created.\n`);
  }
}

export const connectorIssueCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      {
        database: { type: "string" },
        table: { type: "string" },
        "time-column": { type: "string" },
        "auto-create-table": { type: "boolean" },
        wait: { type: "boolean", short: "w" },
        format: { type: "string", short: "f" },
      },
      { min: 1, max: 1, names: "load.yml" },
    );
    const format = parseFormat(values.format);
    if (values.database === undefined) throw new UsageError("--database option required");
    if (values.table === undefined) throw new UsageError("--table option required");
    const database = values.database;
    const table = values.table;
    const file = positionals[0] as string;

    return withServices(ctx, values, async (s) => {
      let config = await readLoadConfigFile(resolve(ctx.cwd, file), ctx.env);
      if (values["time-column"] !== undefined) config = setConfigKeys(config, { out: { time_column: values["time-column"] } }, ctx.env);
      await ensureTarget(s, database, table, values["auto-create-table"] === true, ctx.stderr);
      const { jobs, cursors, lifecycle } = s.store;
      lifecycle.recover();
      const wh = s.warehouseSetting.setting;
      const stream = issueStreamFor(config, database, table, wh.engine === "postgres" ? `${wh.target.host}:${wh.target.port}/${wh.target.database}` : undefined);
      const started = lifecycle.startNew({
        kind: "issue",
        database,
        table,
        config: serializeLoadConfig(config, { redact: true }),
        stream,
      });
      if (started.status !== "started") {
        const other = started.status === "busy" ? started.lease.jobId : started.status === "taken" || started.status === "gone" ? started.job.id : "?";
        throw new ItdError("conflict", `this load into ${database}.${table} is already running (job ${other}); one run of a load at a time`, {
          hints: [`Use 'itd job:show ${other}' to follow it.`],
        });
      }
      const job = started.job;
      const quiet = format === "json";
      if (!quiet) ctx.stdout.write(`Job ${job.id} is running.\n`);
      const progress = new ProgressLine(ctx.stderr, () => s.clock.now());
      // Once a second, so a wait's countdown moves while no records arrive.
      const ticking = new AbortController();
      const ticker = progress.enabled ? tick(s.clock, ticking.signal, () => progress.tick()) : Promise.resolve();
      const { job: done, outcome } = await runStartedJob(
        { client: await s.iterableClient(config), warehouse: s.warehouse, jobs, cursors, clock: s.clock, logger: s.logger, lifecycle },
        job,
        started.token,
        {
          config,
          database,
          table,
          timeColumn: config.out.time_column,
          signal: ctx.signal,
          onProgress: (p) => progress.update(p),
          onLog: (_level, message) => {
            progress.clear();
            if (!quiet) ctx.stdout.write(`  ${message}\n`);
          },
        },
      ).finally(() => ticking.abort());
      await ticker;
      progress.clear();
      const seconds = durationSeconds(done, s.clock.now());
      if (quiet) {
        ctx.stdout.write(
          JSON.stringify({ job_id: done.id, status: done.status, records: done.records, skipped_records: done.skippedRecords, present_records: done.presentRecords, updated_records: done.updatedRecords, bytes: done.bytes, duration: seconds, error: done.error, config_diff: outcome.configDiff }, null, 2) + "\n",
        );
      } else {
        ctx.stdout.write(
          [
            `Status     : ${done.status}`,
            `Records    : ${recordsText(done)}`,
            `Received   : ${formatBytes(done.bytes)}`,
            `Duration   : ${seconds ?? ""}`,
            ...(done.error ? [`Error      : ${done.error}`] : []),
            `Use 'itd job:show ${done.id}' to show the status.`,
            "",
          ].join("\n"),
        );
      }
      return done.status === "success" ? 0 : done.status === "killed" ? 130 : 1;
    });
  },
};
