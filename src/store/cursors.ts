import type { Db } from "./db.js";

/**
 * Where a stream stands (design §6b): each committed slice has the next
 * `seq` of its epoch; an explicit rewind starts a new epoch, which wins over
 * everything committed before it. Compared lexicographically.
 */
export interface Position {
  epoch: number;
  seq: number;
}

export const ORIGIN: Position = { epoch: 0, seq: 0 };

/** <0, 0, >0 as `a` is older than, level with, or newer than `b`. */
export function comparePositions(a: Position, b: Position): number {
  return a.epoch - b.epoch || a.seq - b.seq;
}

export interface StoredCursor {
  stream: string;
  /** The config diff (TD's `{in: {start_time: …}}` document). */
  configDiff: unknown;
  jobId: number | null;
  updatedAt: number;
  position: Position;
}

/** What a stream's data looked like in its last committed export window (see connector/slicing.ts). */
export interface StoredDensity {
  recordsPerHour: number;
  recordsPerSecond: number | null;
}

interface CursorRow {
  stream: string; config_diff: string; job_id: number | null; updated_at: number; epoch: number; seq: number;
}

/**
 * The state store's side of each stream's cursor (the warehouse ledger holds
 * the other, written with the rows). Separate from job history, so pruning
 * history never loses one. Writes only move a cursor forward, and a job's
 * writes only while it holds the stream's lease.
 */
export class CursorStore {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  get(stream: string): StoredCursor | undefined {
    const row = this.db.prepare(`SELECT * FROM cursors WHERE stream = ?`).get(stream) as CursorRow | undefined;
    if (!row) return undefined;
    return {
      stream: row.stream, configDiff: JSON.parse(row.config_diff), jobId: row.job_id, updatedAt: row.updated_at,
      position: { epoch: row.epoch, seq: row.seq },
    };
  }

  /**
   * A job's committed slice (or a reconciled ledger position): stored when it
   * is not older than the stored one and `token` is still the stream's lease.
   * At the same position, the job that writes it becomes the cursor's job: a
   * run that resumed a failed one and found nothing left to import completed
   * that position, so the next run starts over instead of resuming it again.
   * Returns whether it was stored.
   */
  advance(stream: string, configDiff: unknown, position: Position, jobId: number | null, token: number): boolean {
    return (
      this.db
        .prepare(
          `INSERT INTO cursors (stream, config_diff, job_id, updated_at, epoch, seq)
             SELECT CAST(@stream AS TEXT), CAST(@diff AS TEXT), CAST(@jobId AS BIGINT), CAST(@now AS BIGINT), CAST(@epoch AS BIGINT), CAST(@seq AS BIGINT)
              WHERE EXISTS (SELECT 1 FROM leases WHERE stream = @stream AND token = @token)
           ON CONFLICT (stream) DO UPDATE SET config_diff = excluded.config_diff, job_id = excluded.job_id,
             updated_at = excluded.updated_at, epoch = excluded.epoch, seq = excluded.seq
            WHERE (excluded.epoch, excluded.seq) >= (cursors.epoch, cursors.seq)`,
        )
        .run({ stream, diff: JSON.stringify(configDiff), jobId, now: this.now(), epoch: position.epoch, seq: position.seq, token })
        .changes === 1
    );
  }

  /**
   * An explicit rewind (`connector:update --config-diff`): a new epoch, so it
   * wins over every position committed before it, in the state store or in
   * any database's ledger. Returns the new position.
   */
  rewind(stream: string, configDiff: unknown): Position {
    const current = this.get(stream)?.position ?? ORIGIN;
    const position = { epoch: current.epoch + 1, seq: 0 };
    this.db
      .prepare(
        `INSERT INTO cursors (stream, config_diff, job_id, updated_at, epoch, seq) VALUES (@stream, @diff, NULL, @now, @epoch, 0)
         ON CONFLICT (stream) DO UPDATE SET config_diff = excluded.config_diff, job_id = NULL, updated_at = excluded.updated_at,
           epoch = excluded.epoch, seq = 0`,
      )
      .run({ stream, diff: JSON.stringify(configDiff), now: this.now(), epoch: position.epoch });
    return position;
  }

  /** The stream's remembered density, if a run committed an export window. */
  densityOf(stream: string): StoredDensity | undefined {
    const row = this.db.prepare(`SELECT records_per_hour, records_per_second FROM stream_density WHERE stream = ?`).get(stream) as
      | { records_per_hour: number; records_per_second: number | null }
      | undefined;
    return row === undefined ? undefined : { recordsPerHour: row.records_per_hour, recordsPerSecond: row.records_per_second };
  }

  /** Remembers a stream's density for its next run (a hint: any run may write it). */
  rememberDensity(stream: string, density: StoredDensity): void {
    if (!(Number.isFinite(density.recordsPerHour) && density.recordsPerHour >= 0)) return;
    const perSecond = density.recordsPerSecond !== null && Number.isFinite(density.recordsPerSecond) && density.recordsPerSecond > 0 ? density.recordsPerSecond : null;
    this.db
      .prepare(
        `INSERT INTO stream_density (stream, records_per_hour, records_per_second, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (stream) DO UPDATE SET records_per_hour = excluded.records_per_hour,
           records_per_second = excluded.records_per_second, updated_at = excluded.updated_at`,
      )
      .run(stream, density.recordsPerHour, perSecond, this.now());
  }

  delete(stream: string): void {
    this.db.prepare(`DELETE FROM cursors WHERE stream = ?`).run(stream);
  }
}
