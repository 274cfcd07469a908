/**
 * itd's own tables inside every database file (design §5):
 * `_itd_columns` (itd column types), `_itd_loads` (the exactly-once ledger),
 * `_itd_staging` (staging tables of running replace loads, for stale cleanup),
 * `_itd_fences` (each stream's highest lease token seen: a stale holder's commit is refused).
 * Versioned by `PRAGMA user_version`.
 */
import type { Database } from "better-sqlite3";

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS _itd_columns (
     table_name TEXT NOT NULL,
     position INTEGER NOT NULL,
     name TEXT NOT NULL,
     type TEXT NOT NULL,
     PRIMARY KEY (table_name, name)
   );
   CREATE TABLE IF NOT EXISTS _itd_loads (
     id INTEGER PRIMARY KEY,
     stream TEXT NOT NULL,
     job_id TEXT NOT NULL,
     slice TEXT NOT NULL,
     table_name TEXT NOT NULL,
     cursor TEXT NOT NULL,
     rows INTEGER NOT NULL,
     committed_at INTEGER NOT NULL,
     UNIQUE (stream, job_id, slice)
   );
   CREATE INDEX IF NOT EXISTS _itd_loads_table ON _itd_loads (table_name, committed_at);
   CREATE TABLE IF NOT EXISTS _itd_staging (
     stage_table TEXT PRIMARY KEY,
     table_name TEXT NOT NULL,
     job_id TEXT NOT NULL,
     pid INTEGER NOT NULL,
     thread_id INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  // 2: owned state (design §6b): each ledger row carries its stream's (epoch, seq) position; fences.
  `ALTER TABLE _itd_loads ADD COLUMN epoch INTEGER;
   ALTER TABLE _itd_loads ADD COLUMN seq INTEGER;
   CREATE TABLE IF NOT EXISTS _itd_fences (
     stream TEXT PRIMARY KEY,
     token INTEGER NOT NULL
   );`,
];

/** Brings itd's tables up to date; a no-op (one pragma read) when they are. */
export function migrateMetadata(conn: Database): void {
  const current = conn.pragma("user_version", { simple: true }) as number;
  if (current >= MIGRATIONS.length) return;
  conn
    .transaction(() => {
      // Re-read under the write lock: another connection may have migrated meanwhile.
      const version = conn.pragma("user_version", { simple: true }) as number;
      for (let v = version; v < MIGRATIONS.length; v++) {
        conn.exec(MIGRATIONS[v] ?? "");
        conn.pragma(`user_version = ${v + 1}`);
      }
    })
    .immediate();
}
