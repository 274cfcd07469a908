import type { Db } from "./open.js";

export interface StoredCursor {
  stream: string;
  /** The config diff (YAML/JSON text of `{in: {start_time: …}}`). */
  configDiff: unknown;
  jobId: number | null;
  updatedAt: number;
}

/** Cursors (config diffs) by stream; separate from job history so pruning history never loses one. */
export class CursorStore {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  get(stream: string): StoredCursor | undefined {
    const row = this.db.prepare(`SELECT * FROM cursors WHERE stream = ?`).get(stream) as
      | { stream: string; config_diff: string; job_id: number | null; updated_at: number }
      | undefined;
    if (!row) return undefined;
    return { stream: row.stream, configDiff: JSON.parse(row.config_diff), jobId: row.job_id, updatedAt: row.updated_at };
  }

  save(stream: string, configDiff: unknown, jobId: number | null): void {
    this.db
      .prepare(
        `INSERT INTO cursors (stream, config_diff, job_id, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (stream) DO UPDATE SET config_diff = excluded.config_diff, job_id = excluded.job_id, updated_at = excluded.updated_at`,
      )
      .run(stream, JSON.stringify(configDiff), jobId, this.now());
  }

  delete(stream: string): void {
    this.db.prepare(`DELETE FROM cursors WHERE stream = ?`).run(stream);
  }
}
