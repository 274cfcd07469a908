import { NotFoundError } from "../errors.js";
import type { Statement } from "better-sqlite3";
import type { Db } from "./open.js";

export type JobStatus = "queued" | "running" | "success" | "error" | "killed" | "skipped";
export type JobKind = "issue" | "scheduled" | "run";

export interface Job {
  id: number;
  kind: JobKind;
  schedule: string | null;
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
  bytes: number;
  createdAt: number;
  startAt: number | null;
  endAt: number | null;
  error: string | null;
  configDiff: string | null;
  pid: number | null;
}

interface JobRow {
  id: number; kind: JobKind; schedule: string | null; scheduled_time: number | null; status: JobStatus;
  database_name: string; table_name: string; priority: number; config: string; stream: string; records: number;
  skipped_records: number; bytes: number; created_at: number; start_at: number | null; end_at: number | null;
  error: string | null; config_diff: string | null; pid: number | null;
}

function toJob(r: JobRow): Job {
  return {
    id: r.id, kind: r.kind, schedule: r.schedule, scheduledTime: r.scheduled_time, status: r.status,
    database: r.database_name, table: r.table_name, priority: r.priority, config: r.config, stream: r.stream,
    records: r.records, skippedRecords: r.skipped_records, bytes: r.bytes, createdAt: r.created_at,
    startAt: r.start_at, endAt: r.end_at, error: r.error, configDiff: r.config_diff, pid: r.pid,
  };
}

export interface NewJob {
  kind: JobKind;
  schedule?: string | null;
  scheduledTime?: number | null;
  database: string;
  table: string;
  priority?: number;
  config: string;
  stream: string;
  status?: "queued" | "running" | "skipped";
  error?: string | null;
  pid?: number | null;
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
    const info = this.db
      .prepare(
        `INSERT INTO jobs (kind, schedule, scheduled_time, status, database_name, table_name, priority, config, stream,
                           created_at, start_at, end_at, error, pid)
         VALUES (@kind, @schedule, @scheduledTime, @status, @database, @table, @priority, @config, @stream,
                 @now, @startAt, @endAt, @error, @pid)`,
      )
      .run({
        kind: job.kind, schedule: job.schedule ?? null, scheduledTime: job.scheduledTime ?? null, status,
        database: job.database, table: job.table, priority: job.priority ?? 0, config: job.config, stream: job.stream,
        now, startAt: status === "running" ? now : null, endAt: status === "skipped" ? now : null,
        error: job.error ?? null, pid: job.pid ?? null,
      });
    return this.getJob(Number(info.lastInsertRowid));
  }

  markRunning(id: number, pid: number): void {
    this.db.prepare(`UPDATE jobs SET status = 'running', start_at = ?, pid = ? WHERE id = ?`).run(this.now(), pid, id);
  }

  /** Queued jobs in the order the daemon starts them: priority (high first), slot, id. */
  listQueued(): Job[] {
    return (
      this.db.prepare(`SELECT * FROM jobs WHERE status = 'queued' ORDER BY priority DESC, scheduled_time ASC, id ASC`).all() as JobRow[]
    ).map(toJob);
  }

  /** queued → running, only if still queued (so two runners never take one job). */
  claimQueued(id: number, pid: number): boolean {
    return this.db.prepare(`UPDATE jobs SET status = 'running', start_at = ?, pid = ? WHERE id = ? AND status = 'queued'`).run(this.now(), pid, id).changes === 1;
  }

  setPid(id: number, pid: number): void {
    this.db.prepare(`UPDATE jobs SET pid = ? WHERE id = ?`).run(pid, id);
  }

  /** Queued jobs of `schedule` become `skipped` with `reason` (its schedule was deleted); returns how many. */
  skipQueued(schedule: string, reason: string): number {
    return this.db
      .prepare(`UPDATE jobs SET status = 'skipped', error = ?, end_at = ? WHERE schedule = ? AND status = 'queued'`)
      .run(reason, this.now(), schedule).changes;
  }

  /** The latest cron slot (a `scheduled` job of any status) of a schedule; manual runs (`connector:run`) do not move it. */
  lastSlot(schedule: string): number | undefined {
    // Called once per schedule at daemon start-up: prepared once.
    this.lastSlotStmt ??= this.db.prepare(`SELECT MAX(scheduled_time) AS t FROM jobs WHERE schedule = ? AND kind = 'scheduled'`);
    const row = this.lastSlotStmt.get(schedule) as { t: number | null };
    return row.t ?? undefined;
  }
  private lastSlotStmt: Statement | undefined;

  /**
   * When a daemon first saw `schedule` (recorded as `now` the first time):
   * where its slots start until one has a job. A CLI delete clears it.
   */
  firstSeen(schedule: string, now: number): number {
    this.db.prepare(`INSERT OR IGNORE INTO schedule_marks (name, first_seen) VALUES (?, ?)`).run(schedule, now);
    return (this.db.prepare(`SELECT first_seen FROM schedule_marks WHERE name = ?`).get(schedule) as { first_seen: number }).first_seen;
  }

  /** Progress counters, written as slices commit. */
  recordProgress(id: number, p: { records: number; skippedRecords: number; bytes: number }): void {
    this.db
      .prepare(`UPDATE jobs SET records = ?, skipped_records = ?, bytes = ? WHERE id = ?`)
      .run(p.records, p.skippedRecords, p.bytes, id);
  }

  finishJob(
    id: number,
    result: { status: "success" | "error" | "killed"; records: number; skippedRecords: number; bytes: number; error?: string | null; configDiff?: string | null },
  ): Job {
    this.db
      .prepare(
        `UPDATE jobs SET status = @status, records = @records, skipped_records = @skipped, bytes = @bytes, end_at = @now,
                 error = @error, config_diff = @configDiff WHERE id = @id`,
      )
      .run({
        id, status: result.status, records: result.records, skipped: result.skippedRecords, bytes: result.bytes,
        now: this.now(), error: result.error ?? null, configDiff: result.configDiff ?? null,
      });
    return this.getJob(id);
  }

  getJob(id: number): Job {
    const row = this.db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
    if (!row) throw new NotFoundError(`Job ${id} does not exist`, { hints: ["Use 'itd job:list' to show the list of jobs."] });
    return toJob(row);
  }

  /** Newest first. */
  listJobs(filter: { schedule?: string; limit?: number; status?: JobStatus } = {}): Job[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit ?? -1 };
    if (filter.schedule !== undefined) {
      where.push("schedule = @schedule");
      params["schedule"] = filter.schedule;
    }
    if (filter.status !== undefined) {
      where.push("status = @status");
      params["status"] = filter.status;
    }
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as JobRow[]).map(toJob);
  }

  /**
   * Deletes finished jobs (and their logs) that ended before `before`; queued
   * and running jobs stay, and cursors live elsewhere. Returns how many went.
   */
  prune(before: number): number {
    return this.db.transaction(() => {
      const where = `end_at IS NOT NULL AND end_at < ? AND status IN ('success', 'error', 'killed', 'skipped')`;
      this.db.prepare(`DELETE FROM job_logs WHERE job_id IN (SELECT id FROM jobs WHERE ${where})`).run(before);
      return this.db.prepare(`DELETE FROM jobs WHERE ${where}`).run(before).changes;
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

  logs(jobId: number): JobLogLine[] {
    return this.db.prepare(`SELECT seq, at, level, message FROM job_logs WHERE job_id = ? ORDER BY seq`).all(jobId) as JobLogLine[];
  }

  /**
   * Jobs left `running` by a process that is gone: marked `error` (interrupted).
   * `isAlive(pid)` decides; returns the jobs it marked.
   */
  recoverInterrupted(isAlive: (pid: number) => boolean): Job[] {
    const running = (this.db.prepare(`SELECT * FROM jobs WHERE status = 'running'`).all() as JobRow[]).map(toJob);
    const dead = running.filter((j) => j.pid === null || !isAlive(j.pid));
    const mark = this.db.prepare(
      `UPDATE jobs SET status = 'error', end_at = ?, error = 'interrupted: the process running this job died' WHERE id = ? AND status = 'running'`,
    );
    for (const j of dead) mark.run(this.now(), j.id);
    return dead.map((j) => this.getJob(j.id));
  }
}
