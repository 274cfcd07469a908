/**
 * Staging tables of replace, truncate and replace_on_new_data loads
 * (`_itd_stage_<jobid>_<table>`): registered with their owner in
 * `_itd_staging`, swapped in by `finish()`, dropped when their owner is gone.
 */
import { threadId } from "node:worker_threads";
import type { Connection } from "./connection.js";
import { quoteIdent } from "./names.js";

export interface StagingOwner {
  pid: number;
  threadId: number;
}

export interface StagingRecord extends StagingOwner {
  stageTable: string;
  table: string;
  jobId: string;
}

export const currentOwner = (): StagingOwner => ({ pid: process.pid, threadId });

export function registerStaging(conn: Connection, rec: StagingRecord, now: number): void {
  conn
    .prepare(
      `INSERT INTO _itd_staging (stage_table, table_name, job_id, pid, thread_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .run(rec.stageTable, rec.table, rec.jobId, rec.pid, rec.threadId, now);
}

export function dropStaging(conn: Connection, stageTable: string): void {
  conn.exec(`DROP TABLE IF EXISTS ${quoteIdent(stageTable)}`);
  conn.prepare("DELETE FROM _itd_staging WHERE stage_table = ?").run(stageTable);
}

/** Forgets the registration of a staging table that was renamed into place. */
export function unregisterStaging(conn: Connection, stageTable: string): void {
  conn.prepare("DELETE FROM _itd_staging WHERE stage_table = ?").run(stageTable);
}

export function stagingOf(conn: Connection, table: string): StagingRecord[] {
  const rows = conn
    .prepare("SELECT stage_table, table_name, job_id, pid, thread_id FROM _itd_staging WHERE table_name = ?")
    .all(table) as { stage_table: string; table_name: string; job_id: string; pid: number; thread_id: number }[];
  return rows.map((r) => ({
    stageTable: r.stage_table,
    table: r.table_name,
    jobId: r.job_id,
    pid: r.pid,
    threadId: r.thread_id,
  }));
}

/**
 * Whether a staging table's load is gone: its process is dead, or it belongs
 * to this very thread and is not one of `live` (the loads this warehouse has
 * open). Staging tables of other live processes or threads are left alone.
 */
export function isStale(
  rec: StagingRecord,
  live: ReadonlySet<string>,
  me: StagingOwner = currentOwner(),
  alive: (pid: number) => boolean = processAlive,
): boolean {
  if (rec.pid !== me.pid) return !alive(rec.pid);
  if (rec.threadId !== me.threadId) return false;
  return !live.has(rec.stageTable);
}

/** Drops the stale staging tables of `table`; returns their names. */
export function dropStaleStaging(conn: Connection, table: string, live: ReadonlySet<string>): string[] {
  const stale = stagingOf(conn, table).filter((r) => isStale(r, live));
  for (const r of stale) dropStaging(conn, r.stageTable);
  return stale.map((r) => r.stageTable);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
