/**
 * What the daemon's status page reads of the store (issue 16): bounded,
 * intention-named reads, each an index seek — a page of 50 schedules out of
 * 10,000, with a million jobs, reads 50 × 30 jobs, never every job. Read-only.
 *
 * - `lastJobs`: the newest job of every schedule, a chunk of schedule ids at a
 *   time (keyset on the id), for the listing's sort and filter: a seek per
 *   schedule on jobs_schedule_newest, the caller yielding between chunks.
 * - `recentJobs`: the newest N jobs of a few schedules (the slot strip).
 * - `history`: a schedule's jobs, newest first, a page at a time (keyset on the job id).
 * - `logPage`: a job's log lines after a sequence number, at most N.
 */
import type { Db, Statement } from "./db.js";
import type { JobLogLine, JobStatus } from "./jobs.js";

/** A job as the status page draws it: no config text. */
export interface JobSummary {
  id: number;
  scheduleId: number | null;
  kind: string;
  status: JobStatus;
  scheduledTime: number | null;
  catchup: boolean;
  records: number;
  skippedRecords: number;
  bytes: number;
  createdAt: number;
  startAt: number | null;
  endAt: number | null;
  error: string | null;
  /** The schedule's name when the job ran (a label). */
  schedule: string | null;
  database: string;
  table: string;
  /** The cursor the job left (JSON text), if any. */
  configDiff: string | null;
}

const COLUMNS = "id, schedule_id, kind, status, scheduled_time, catchup, records, skipped_records, bytes, created_at, start_at, end_at, error, schedule, database_name, table_name, config_diff";

type SummaryRow = [
  number, number | null, string, JobStatus, number | null, number, number, number, number, number, number | null, number | null, string | null,
  string | null, string, string, string | null,
];

function toSummary(r: SummaryRow): JobSummary {
  const [id, scheduleId, kind, status, scheduledTime, catchup, records, skippedRecords, bytes, createdAt, startAt, endAt, error, schedule, database, table, configDiff] = r;
  // PostgreSQL's bigints come back as strings or numbers depending on the column: numbers here, always.
  const n = (v: number | null): number | null => (v === null ? null : Number(v));
  return {
    id: Number(id), scheduleId: n(scheduleId), kind, status, scheduledTime: n(scheduledTime), catchup: Number(catchup) === 1,
    records: Number(records), skippedRecords: Number(skippedRecords), bytes: Number(bytes), createdAt: Number(createdAt),
    startAt: n(startAt), endAt: n(endAt), error, schedule, database, table, configDiff,
  };
}

/** The newest job of one schedule: what the listing sorts and filters by. */
export interface LastJob {
  scheduleId: number;
  jobId: number;
  status: JobStatus;
}

export class StatusQueries {
  private lastStmt: Statement | undefined;
  private recentStmt: Statement | undefined;

  constructor(private readonly db: Db) {}

  /**
   * The newest job of each schedule with an id above `afterId`, the first `limit` schedules by id (schedules
   * without jobs are counted in the chunk but not returned). Returns the last id looked at, for the next chunk.
   */
  lastJobs(afterId: number, limit: number): { jobs: LastJob[]; lastId: number | undefined } {
    this.lastStmt ??= this.db
      .prepare(
        `SELECT s.id,
                (SELECT j.id FROM jobs j WHERE j.schedule_id = s.id ORDER BY j.id DESC LIMIT 1),
                (SELECT j.status FROM jobs j WHERE j.schedule_id = s.id ORDER BY j.id DESC LIMIT 1)
           FROM schedule_state s WHERE s.id > ? ORDER BY s.id LIMIT ?`,
      )
      .raw();
    const rows = this.lastStmt.all(afterId, limit) as [number, number | null, JobStatus | null][];
    const jobs: LastJob[] = [];
    for (const [id, jobId, status] of rows) if (jobId !== null && status !== null) jobs.push({ scheduleId: Number(id), jobId: Number(jobId), status });
    const last = rows.at(-1);
    return { jobs, lastId: last === undefined ? undefined : Number(last[0]) };
  }

  /** The newest `n` jobs of each schedule in `ids`, newest first, by schedule id. */
  recentJobs(ids: readonly number[], n: number): Map<number, JobSummary[]> {
    const out = new Map<number, JobSummary[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return out;
    const limit = Math.max(1, Math.floor(n));
    if (this.db.engine === "postgres") {
      // One round trip for the page (each statement is one through the store's thread): a seek per schedule.
      const list = ids.map((id) => String(Math.trunc(id))).join(",");
      const rows = this.db
        .prepare(
          `SELECT j.${COLUMNS.split(", ").join(", j.")} FROM unnest(ARRAY[${list}]::bigint[]) AS s(id)
             CROSS JOIN LATERAL (SELECT ${COLUMNS} FROM jobs WHERE schedule_id = s.id ORDER BY id DESC LIMIT ${limit}) j`,
        )
        .raw()
        .all() as SummaryRow[];
      for (const r of rows) out.get(Number(r[1]))?.push(toSummary(r));
      for (const list of out.values()) list.sort((a, b) => b.id - a.id);
      return out;
    }
    this.recentStmt ??= this.db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE schedule_id = ? ORDER BY id DESC LIMIT ?`).raw();
    for (const id of ids) out.set(id, (this.recentStmt.all(id, limit) as SummaryRow[]).map(toSummary));
    return out;
  }

  /** A schedule's jobs, newest first: `limit` of them with ids below `beforeId` (the next page's key). */
  history(scheduleId: number, limit: number, beforeId?: number): JobSummary[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM jobs WHERE schedule_id = ? AND id < ? ORDER BY id DESC LIMIT ?`)
      .raw()
      .all(scheduleId, beforeId ?? Number.MAX_SAFE_INTEGER, Math.max(1, Math.floor(limit))) as SummaryRow[];
    return rows.map(toSummary);
  }

  /** One job as the status page shows it (no config), or undefined. */
  job(id: number): JobSummary | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`).raw().get(id) as SummaryRow | undefined;
    return row === undefined ? undefined : toSummary(row);
  }

  /** A job's log lines after `afterSeq`, at most `limit`, in order. */
  logPage(jobId: number, afterSeq: number, limit: number): JobLogLine[] {
    const rows = this.db
      .prepare(`SELECT seq, at, level, message FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
      .all(jobId, afterSeq, Math.max(1, Math.floor(limit))) as JobLogLine[];
    return rows.map((l) => ({ seq: Number(l.seq), at: Number(l.at), level: l.level, message: l.message }));
  }
}
