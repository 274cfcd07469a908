import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { configDiffYaml } from "../config-diff.js";
import { formatBytes, formatTdTime } from "../format-time.js";
import { parseFormat } from "../output.js";
import { withServices } from "../services.js";
import { waitForJob } from "../wait-job.js";
import { UsageError } from "../../errors.js";
import type { Job, JobLogLine } from "../../store/index.js";
import { durationSeconds, jobIdArg, recordsText } from "./job.js";

function logLine(l: JobLogLine): string {
  return `  ${formatTdTime(l.at)} ${l.level.toUpperCase().padEnd(5)} ${l.message}\n`;
}

function jobFields(job: Job, now: number): Record<string, unknown> {
  return {
    job_id: job.id, status: job.status, type: "bulkload", kind: job.kind, schedule: job.schedule, database: job.database, table: job.table,
    records: job.records, skipped_records: job.skippedRecords,
    present_records: job.presentRecords, updated_records: job.updatedRecords, bytes: job.bytes, priority: job.priority,
    scheduled: job.scheduledTime === null ? null : new Date(job.scheduledTime).toISOString(), catchup: job.catchup,
    start_at: job.startAt === null ? null : new Date(job.startAt).toISOString(),
    end_at: job.endAt === null ? null : new Date(job.endAt).toISOString(),
    duration: durationSeconds(job, now), error: job.error, config: job.config,
    config_diff: job.configDiff ? (JSON.parse(job.configDiff) as unknown) : null,
  };
}

function dumpJob(job: Job, now: number): string {
  return [
    `JobID       : ${job.id}`,
    `Status      : ${job.status}`,
    `Type        : bulkload`,
    `Kind        : ${job.kind}${job.schedule ? ` (schedule ${job.schedule})` : ""}`,
    `Database    : ${job.database}`,
    `Table       : ${job.table}`,
    `Records     : ${recordsText(job)}`,
    `Received    : ${formatBytes(job.bytes)}`,
    `Priority    : ${job.priority}`,
    ...(job.scheduledTime !== null ? [`Scheduled   : ${formatTdTime(job.scheduledTime)}${job.catchup ? " (missed, run late by catch-up)" : ""}`] : []),
    `Start At    : ${formatTdTime(job.startAt)}`,
    `End At      : ${formatTdTime(job.endAt)}`,
    `Duration    : ${durationSeconds(job, now) ?? ""}`,
    ...(job.error ? [`Error       : ${job.error}`] : []),
    `Config      :`,
    `---`,
    job.config.trimEnd(),
    `Config Diff :`,
    ...(job.configDiff ? ["---", configDiffYaml(JSON.parse(job.configDiff))] : []),
    "",
  ].join("\n");
}

export const jobShowCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { verbose: { type: "boolean", short: "v" }, wait: { type: "boolean", short: "w" }, format: { type: "string", short: "f" } },
      { min: 1, max: 1, names: "JOB_ID" },
    );
    const id = jobIdArg(positionals[0]);
    const format = parseFormat(values.format);
    if (format === "tsv" || format === "csv") throw new UsageError(`--format: job:show prints table (the default) or json; got "${format}"`);
    return withServices(ctx, values, async (s) => {
      let job = s.store.jobs.getJob(id);
      if (values.wait) {
        // The log as it comes (table format; json prints the whole job once it ends).
        const follow = format === "table";
        if (follow && !["success", "error", "killed", "skipped"].includes(job.status)) ctx.stdout.write(`Job ${id} is ${job.status}; waiting for it to end.\n`);
        job = await waitForJob(s, id, { signal: ctx.signal, ...(follow ? { onLog: (l: JobLogLine) => ctx.stdout.write(logLine(l)) } : {}) });
      }
      const now = s.clock.now();
      if (format === "json") {
        const logs = values.verbose ? { log: s.store.jobs.logs(id).map((l) => ({ at: new Date(l.at).toISOString(), level: l.level, message: l.message })) } : {};
        ctx.stdout.write(JSON.stringify({ ...jobFields(job, now), ...logs }, null, 2) + "\n");
      } else {
        ctx.stdout.write(dumpJob(job, now));
        if (values.verbose) {
          ctx.stdout.write("Output:\n");
          for (const l of s.store.jobs.logs(job.id)) ctx.stdout.write(logLine(l));
        } else if (!values.wait) {
          ctx.stdout.write("Use '-v' option to show detailed messages.\n");
        }
      }
      return values.wait && job.status !== "success" ? 1 : 0;
    }, { access: "read" });
  },
};


