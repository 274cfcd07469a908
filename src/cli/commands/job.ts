import { ArgumentError, intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { formatTdTime } from "../format-time.js";
import { countCell, parseFormat, writeRows } from "../output.js";
import { withServices, type Services } from "../services.js";
import { JOB_STATUSES } from "../defaults.js";
import { UsageError } from "../../errors.js";
import type { Job, JobStatus } from "../../store/index.js";

/** `1234 (5 invalid skipped, 100 already in the table, 7 updated a row)`: a job's records and what became of them. */
export function recordsText(job: Pick<Job, "records" | "skippedRecords" | "presentRecords" | "updatedRecords">): string {
  const notes = [
    job.skippedRecords ? `${job.skippedRecords} invalid skipped` : "",
    job.presentRecords ? `${job.presentRecords} already in the table` : "",
    job.updatedRecords ? `${job.updatedRecords} updated a row` : "",
  ].filter((n) => n !== "");
  return `${job.records}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`;
}

/** A job's duration in whole seconds (td's), running ones up to now; blank before it starts. */
export function durationSeconds(job: Job, now: number): number | null {
  if (job.startAt === null) return null;
  return Math.round(((job.endAt ?? now) - job.startAt) / 1000);
}

/** A job id argument: a whole number, named as the user sees it. */
export function jobIdArg(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new ArgumentError(`the job id must be a whole number such as 12; got "${value ?? ""}"`);
  }
  return Number(value);
}

export const jobListCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      {
        limit: { type: "string", short: "l" },
        page: { type: "string", short: "p" },
        skip: { type: "string", short: "s" },
        running: { type: "boolean", short: "R" },
        success: { type: "boolean", short: "S" },
        error: { type: "boolean", short: "E" },
        status: { type: "string" },
        format: { type: "string", short: "f" },
      },
      { min: 0, max: 1, names: "[MAX]" },
    );
    const format = parseFormat(values.format);
    if (positionals[0] !== undefined && values.limit !== undefined) throw new ArgumentError("give MAX once: as an argument or with -l");
    const max = intFlag(positionals[0] !== undefined ? "MAX" : "limit", positionals[0] ?? values.limit, 1) ?? 20;
    const page = intFlag("page", values.page, 0) ?? 0;
    const skip = intFlag("skip", values.skip, 0) ?? 0;
    const picked = [values.running && "running", values.success && "success", values.error && "error", values.status].filter((x): x is string => typeof x === "string");
    if (picked.length > 1) throw new ArgumentError(`give one status filter; got ${picked.join(" and ")}`);
    const status = picked[0];
    if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status: expected one of ${JOB_STATUSES.join(", ")}; got "${status}"`);
    }
    return withServices(ctx, values, async (s: Services) => {
      const now = s.clock.now();
      const filter = { limit: max, offset: skip + page * max, ...(status !== undefined ? { status: status as JobStatus } : {}) };
      const rows = s.store.jobs.listJobs(filter).map((j) => [
        j.id, j.status, j.kind, j.schedule ?? "", j.database, j.table, countCell(j.records, format), formatTdTime(j.startAt), durationSeconds(j, now),
      ]);
      await writeRows(ctx, format, ["JobID", "Status", "Kind", "Schedule", "Database", "Table", "Records", "Started", "Duration"], rows);
      return 0;
    }, { access: "read" });
  },
};
