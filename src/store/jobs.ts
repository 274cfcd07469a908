import { NotFoundError } from "../errors.js";
import type { Db } from "./db.js";

export type JobStatus = "queued" | "running" | "success" | "error" | "killed" | "skipped";
export type JobKind = "issue" | "scheduled" | "run";

export interface Job {
  id: number;
  kind: JobKind;
  /** The schedule's name when the job was made (a label; renames update it). */
  schedule: string | null;
  /** The schedule's id: what the job belongs to. */
  scheduleId: number | null;
  scheduledTime: number | null;
  status: JobStatus;
  database: string;
  table: string;
  priority: number;
  /** The load config as stored (YAML, API key as its `${ENV}` reference or `***`). */
  config: string;
  /** The cursor owner (a schedule's name, or the load's identity for one-off jobs). */
  stream: string;
  records: number;
  skippedRecords: number;
  /** Of the records, those the table already held by its key (issue 15: a lookback's re-read, an upsert's replay). */
  presentRecords: number;
  /** Of the records, those that updated a row (upsert). */
  updatedRecords: number;
  bytes: number;
  createdAt: number;
  startAt: number | null;
  endAt: number | null;
  error: string | null;
  configDiff: string | null;
  pid: number | null;
  host: string | null;
  /** Not started before this instant (a `connector:run` of a future slot). */
  runAt: number | null;
  /** A missed slot, run late by the schedule's catch-up policy. */
  catchup: boolean;
}

/** A job's counters (present and updated: issue 15; left as they are when not given). */
export interface JobCounts {
  records: number;
  skippedRecords: number;
  bytes: number;
  presentRecords?: number | undefined;
  updatedRecords?: number | undefined;
}

/** A queued job as the dispatcher picks it. */
export type QueuedJob = Pick<Job, "id" | "scheduleId" | "scheduledTime" | "priority" | "createdAt" | "stream">;

interface JobRow {
  id: number; kind: JobKind; schedule: string | null; scheduled_time: number | null; status: JobStatus;
  database_name: string; table_name: string; priority: number; config: string; stream: string; records: number;
  skipped_records: number; bytes: number; created_at: number; start_at: number | null; end_at: number | null;
  error: string | null; config_diff: string | null; pid: number | null; schedule_id: number | null; host: string | null;
  run_at: number | null; catchup: number; present_records: number; updated_records: number;
}

function toJob(r: JobRow): Job {
  return {
    id: r.id, kind: r.kind, schedule: r.schedule, scheduledTime: r.scheduled_time, status: r.status,
    database: r.database_name, table: r.table_name, priority: r.priority, config: r.config, stream: r.stream,
    records: r.records, skippedRecords: r.skipped_records, presentRecords: Number(r.present_records), updatedRecords: Number(r.updated_records),
    bytes: r.bytes, createdAt: r.created_at,
    startAt: r.start_at, endAt: r.end_at, error: r.error, configDiff: r.config_diff, pid: r.pid,
    scheduleId: r.schedule_id, host: r.host, runAt: r.run_at, catchup: r.catchup === 1,
  };
}

export interface NewJob {
  kind: JobKind;
  schedule?: string | null;
  scheduleId?: number | null;
  scheduledTime?: number | null;
  database: string;
  table: string;
  priority?: number;
  config: string;
  stream: string;
  status?: "queued" | "running" | "skipped";
  error?: string | null;
  pid?: number | null;
  host?: string | null;
  runAt?: number | null;
  catchup?: boolean;
}

export interface JobLogLine {
  seq: number;
  at: number;
  level: string;
  message: string;
}

/** Jobs and their logs. Times are epoch milliseconds. */
export class JobStore {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  createJob(job: NewJob): Job {
    const now = this.now();
    const status = job.status ?? "queued";
    const row = this.db
      .prepare(
        `INSERT INTO jobs (kind, schedule, schedule_id, scheduled_time, status, database_name, table_name, priority, config, stream,
                           created_at, start_at, end_at, error, pid, host, run_at, catchup)
         VALUES (@kind, @schedule, @scheduleId, @scheduledTime, @status, @database, @table, @priority, @config, @stream,
                 @now, @startAt, @endAt, @error, @pid, @host, @runAt, @catchup)
         RETURNING *`,
      )
      .get({
        kind: job.kind, schedule: job.schedule ?? null, scheduleId: job.scheduleId ?? null, scheduledTime: job.scheduledTime ?? null, status,
        host: job.host ?? null, runAt: job.runAt ?? null, catchup: job.catchup === true ? 1 : 0,
        database: job.database, table: job.table, priority: job.priority ?? 0, config: job.config, stream: job.stream,
        now, startAt: status === "running" ? now : null, endAt: status === "skipped" ? now : null,
        error: job.error ?? null, pid: job.pid ?? null,
      }) as JobRow;
    return toJob(row);
  }

  /** Queued jobs that may start at `now` (all of them without it), in the order the daemon starts them: priority (high first), slot, id. */
  listQueued(now?: number): Job[] {
    const due = now === undefined ? "" : `AND (run_at IS NULL OR run_at <= ${Math.floor(now)})`;
    return (
      this.db.prepare(`SELECT * FROM jobs WHERE status = 'queued' ${due} ORDER BY priority DESC, scheduled_time ASC, id ASC`).all() as JobRow[]
    ).map(toJob);
  }

  /**
   * The queued jobs that may start at `now`, in listQueued's order, with only what the daemon needs to pick
   * among them (no config text): the dispatcher lists them at every job's end, backlog and all.
   */
  listQueuedToPick(now: number): QueuedJob[] {
    return this.db
      .prepare(
        `SELECT id, schedule_id AS scheduleId, scheduled_time AS scheduledTime, priority, created_at AS createdAt, stream FROM jobs
          WHERE status = 'queued' AND (run_at IS NULL OR run_at <= ?) ORDER BY priority DESC, scheduled_time ASC, id ASC`,
      )
      .all(Math.floor(now)) as QueuedJob[];
  }

  /** How many jobs each schedule (by id) has queued, due or not: its backlog. */
  queuedBySchedule(): Map<number, number> {
    const rows = this.db.prepare(`SELECT schedule_id AS id, count(*) AS n FROM jobs WHERE status = 'queued' AND schedule_id IS NOT NULL GROUP BY schedule_id`).all() as {
      id: number;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /**
   * Each schedule's newest job's status, by schedule id (`connector:list`):
   * one query, a seek per schedule on jobs_schedule_newest, however many jobs
   * there are.
   */
  lastStatuses(): Map<number, JobStatus> {
    const rows = this.db
      .prepare(
        `SELECT s.id AS id, (SELECT j.status FROM jobs j WHERE j.schedule_id = s.id ORDER BY j.id DESC LIMIT 1) AS status
         FROM schedule_state s`,
      )
      .all() as { id: number; status: JobStatus | null }[];
    const out = new Map<number, JobStatus>();
    for (const r of rows) if (r.status !== null) out.set(r.id, r.status);
    return out;
  }

  /** How many jobs are queued (due or deferred). */
  countQueued(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM jobs WHERE status = 'queued'`).get() as { n: number }).n;
  }

  /** When each schedule's last successful job ended (epoch ms), by schedule id. */
  lastSuccesses(): Map<number, number> {
    const rows = this.db
      .prepare(`SELECT schedule_id AS id, max(end_at) AS at FROM jobs WHERE status = 'success' AND schedule_id IS NOT NULL AND end_at IS NOT NULL GROUP BY schedule_id`)
      .all() as { id: number; at: number }[];
    return new Map(rows.map((r) => [r.id, r.at]));
  }

  /** The live job (neither error nor killed) of a schedule's slot, if any. */
  slotJob(scheduleId: number, slot: number): Job | undefined {
    const row = this.db
      .prepare(`SELECT * FROM jobs WHERE schedule_id = ? AND scheduled_time = ? AND status <> 'error' AND status <> 'killed'`)
      .get(scheduleId, slot) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  /**
   * Inside a write transaction: nobody else changes the job until it ends (state.db's write lock holds
   * everything already; on PostgreSQL the job's row is locked).
   */
  lock(id: number): void {
    if (this.db.engine === "postgres") this.db.prepare(`SELECT 1 FROM jobs WHERE id = ? FOR UPDATE`).get(id);
  }

  /** Jobs left `running`. */
  listRunning(): Job[] {
    return (this.db.prepare(`SELECT * FROM jobs WHERE status = 'running'`).all() as JobRow[]).map(toJob);
  }

  /** queued → running, only if still queued (so two runners never take one job). */
  setPid(id: number, pid: number): void {
    this.db.prepare(`UPDATE jobs SET pid = ? WHERE id = ?`).run(pid, id);
  }

  /** Queued jobs of a schedule become `skipped` with `reason` (its schedule was deleted); returns how many. */
  skipQueued(scheduleId: number, reason: string): number {
    return this.db
      .prepare(`UPDATE jobs SET status = 'skipped', error = ?, end_at = ? WHERE schedule_id = ? AND status = 'queued'`)
      .run(reason, this.now(), scheduleId).changes;
  }

  /** Progress counters, written as slices commit. */
  recordProgress(id: number, p: JobCounts): void {
    this.db
      .prepare(
        `UPDATE jobs SET records = ?, skipped_records = ?, bytes = ?, present_records = coalesce(?, present_records),
                 updated_records = coalesce(?, updated_records) WHERE id = ?`,
      )
      .run(p.records, p.skippedRecords, p.bytes, p.presentRecords ?? null, p.updatedRecords ?? null, id);
  }

  /** Ends a job; counts not given (present, updated) keep what progress recorded. */
  finishJob(id: number, result: JobCounts & { status: "success" | "error" | "killed"; error?: string | null; configDiff?: string | null }): Job {
    this.db
      .prepare(
        `UPDATE jobs SET status = @status, records = @records, skipped_records = @skipped, bytes = @bytes, end_at = @now,
                 error = @error, config_diff = @configDiff, present_records = coalesce(@present, present_records),
                 updated_records = coalesce(@updated, updated_records) WHERE id = @id`,
      )
      .run({
        id, status: result.status, records: result.records, skipped: result.skippedRecords, bytes: result.bytes,
        now: this.now(), error: result.error ?? null, configDiff: result.configDiff ?? null,
        present: result.presentRecords ?? null, updated: result.updatedRecords ?? null,
      });
    return this.getJob(id);
  }

  getJob(id: number): Job {
    const row = this.db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
    if (!row) throw new NotFoundError(`Job ${id} does not exist`, { hints: ["Use 'itd job:list' to show the list of jobs."] });
    return toJob(row);
  }

  /** Newest first. */
  listJobs(filter: { id?: number; scheduleId?: number; schedule?: string; limit?: number; offset?: number; status?: JobStatus } = {}): Job[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { offset: filter.offset ?? 0 };
    if (filter.id !== undefined) {
      where.push("id = @id");
      params["id"] = filter.id;
    }
    if (filter.schedule !== undefined) {
      where.push("schedule = @schedule");
      params["schedule"] = filter.schedule;
    }
    if (filter.scheduleId !== undefined) {
      where.push("schedule_id = @scheduleId");
      params["scheduleId"] = filter.scheduleId;
    }
    if (filter.status !== undefined) {
      where.push("status = @status");
      params["status"] = filter.status;
    }
    // No limit: SQLite's "LIMIT -1" (its OFFSET needs a LIMIT), PostgreSQL's none (it refuses a negative one).
    if (filter.limit !== undefined) params["limit"] = filter.limit;
    const limit = filter.limit !== undefined ? "LIMIT @limit" : this.db.engine === "sqlite" ? "LIMIT -1" : "";
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC ${limit} OFFSET @offset`;
    return (this.db.prepare(sql).all(params) as JobRow[]).map(toJob);
  }

  /** What `prune(before)` would delete: how many finished jobs, and when the oldest and newest of them ended. */
  prunable(before: number): { count: number; oldest: number | null; newest: number | null } {
    const r = this.db
      .prepare(
        `SELECT count(*) AS count, min(end_at) AS oldest, max(end_at) AS newest FROM jobs
          WHERE end_at IS NOT NULL AND end_at < ? AND status IN ('success', 'error', 'killed', 'skipped')`,
      )
      .get(before) as { count: number; oldest: number | null; newest: number | null };
    return r;
  }

  /**
   * Deletes finished jobs (and their logs) that ended before `before`; queued
   * and running jobs stay, and cursors live elsewhere. Returns how many went.
   * `limit`: at most that many (the oldest first), so a long history goes in
   * short transactions — the daemon's thread waits for each.
   */
  prune(before: number, limit?: number): number {
    return this.db.transaction(() => {
      const where = `end_at IS NOT NULL AND end_at < ? AND status IN ('success', 'error', 'killed', 'skipped')`;
      if (limit === undefined) {
        this.db.prepare(`DELETE FROM job_logs WHERE job_id IN (SELECT id FROM jobs WHERE ${where})`).run(before);
        return this.db.prepare(`DELETE FROM jobs WHERE ${where}`).run(before).changes;
      }
      // The oldest `limit` of them are those in the id range they span: deleted by that range, an index seek in
      // job_logs (a million jobs' logs are not scanned for each batch).
      const span = this.db
        .prepare(`SELECT min(id) AS lo, max(id) AS hi FROM (SELECT id FROM jobs WHERE ${where} ORDER BY id LIMIT ?) AS b`)
        .get(before, limit) as { lo: number | null; hi: number | null };
      if (span.lo === null || span.hi === null) return 0;
      const inSpan = `id >= ? AND id <= ? AND ${where}`;
      this.db.prepare(`DELETE FROM job_logs WHERE job_id >= ? AND job_id <= ? AND job_id IN (SELECT id FROM jobs WHERE ${inSpan})`).run(span.lo, span.hi, span.lo, span.hi, before);
      return this.db.prepare(`DELETE FROM jobs WHERE ${inSpan}`).run(span.lo, span.hi, before).changes;
    })();
  }

  appendLog(jobId: number, level: string, message: string): void {
    this.db
      .prepare(
        `INSERT INTO job_logs (job_id, seq, at, level, message)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_logs WHERE job_id = ?), ?, ?, ?)`,
      )
      .run(jobId, jobId, this.now(), level, message);
  }

  /** A job's log lines, in order; `afterSeq` for those after one already read (following a running job). */
  logs(jobId: number, afterSeq = 0): JobLogLine[] {
    return this.db.prepare(`SELECT seq, at, level, message FROM job_logs WHERE job_id = ? AND seq > ? ORDER BY seq`).all(jobId, afterSeq) as JobLogLine[];
  }
}
