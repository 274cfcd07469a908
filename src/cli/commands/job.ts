import { intFlag, parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { formatTdTime } from "../format-time.js";
import { parseFormat, renderRows } from "../output.js";
import { withServices } from "../services.js";
import { UsageError } from "../../errors.js";
import type { Job } from "../../store/index.js";

export function durationSeconds(job: Job, now: number): number | null {
  if (job.startAt === null) return null;
  return Math.round(((job.endAt ?? now) - job.startAt) / 1000);
}

export const jobShowCommand: Command = {
  name: "job:show",
  summary: "Show a job's status, counts and config (-v: its log)",
  usage: "itd job:show JOB_ID [-v]\n\nExample:\n  itd job:show 12 -v",
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, { v: { type: "boolean", short: "v" } }, { min: 1, max: 1, names: "JOB_ID" });
    const id = intFlag("JOB_ID", positionals[0], 1);
    if (id === undefined) throw new UsageError("JOB_ID required");
    return withServices(ctx, values, (s) => {
      const job = s.store.jobs.getJob(id);
      const lines = [
        `JobID       : ${job.id}`,
        `Status      : ${job.status}`,
        `Type        : bulkload`,
        `Kind        : ${job.kind}${job.schedule ? ` (schedule ${job.schedule})` : ""}`,
        `Database    : ${job.database}`,
        `Table       : ${job.table}`,
        `Records     : ${job.records}${job.skippedRecords ? ` (${job.skippedRecords} invalid skipped)` : ""}`,
        `Priority    : ${job.priority}`,
        ...(job.scheduledTime !== null ? [`Scheduled   : ${formatTdTime(job.scheduledTime)}`] : []),
        `Start At    : ${formatTdTime(job.startAt)}`,
        `End At      : ${formatTdTime(job.endAt)}`,
        `Duration    : ${durationSeconds(job, s.clock.now()) ?? ""}`,
        ...(job.error ? [`Error       : ${job.error}`] : []),
        `Config      :`,
        `---`,
        job.config.trimEnd(),
        `Config Diff :`,
        job.configDiff ? JSON.stringify(JSON.parse(job.configDiff)) : "",
      ];
      ctx.stdout.write(lines.join("\n") + "\n");
      if (values.v) {
        ctx.stdout.write("Output:\n");
        for (const l of s.store.jobs.logs(job.id)) ctx.stdout.write(`  ${formatTdTime(l.at)} ${l.level.toUpperCase().padEnd(5)} ${l.message}\n`);
      } else {
        ctx.stdout.write("Use '-v' option to show detailed messages.\n");
      }
      return 0;
    });
  },
};

export const jobListCommand: Command = {
  name: "job:list",
  summary: "List jobs, newest first",
  usage: "itd job:list [-l LIMIT] [--status STATUS] [-f table|tsv|csv|json]\n\nExample:\n  itd job:list -l 20",
  async run(ctx) {
    const { values } = parseCommandArgs(
      ctx.argv,
      { limit: { type: "string", short: "l" }, status: { type: "string" }, format: { type: "string", short: "f" } },
      { min: 0, max: 0, names: "none" },
    );
    const format = parseFormat(values.format);
    const limit = intFlag("limit", values.limit, 1) ?? 50;
    const statuses = ["queued", "running", "success", "error", "killed", "skipped"] as const;
    const status = values.status;
    if (status !== undefined && !(statuses as readonly string[]).includes(status)) {
      throw new UsageError(`--status: expected one of ${statuses.join(", ")}; got "${status}"`);
    }
    return withServices(ctx, values, (s) => {
      const now = s.clock.now();
      const filter = status === undefined ? { limit } : { limit, status: status as (typeof statuses)[number] };
      const rows = s.store.jobs.listJobs(filter).map((j) => [
        j.id, j.status, j.kind, j.schedule ?? "", j.database, j.table, j.records, formatTdTime(j.startAt), durationSeconds(j, now),
      ]);
      ctx.stdout.write(renderRows(format, ["JobID", "Status", "Kind", "Schedule", "Database", "Table", "Records", "Started", "Duration"], rows));
      return 0;
    });
  },
};
