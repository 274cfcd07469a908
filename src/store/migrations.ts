/**
 * Numbered migrations of state.db, tracked by PRAGMA user_version.
 * Never edit a released migration; add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: jobs, their logs, and cursors (kept apart so pruning history never loses a cursor)
  `
  CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL CHECK (kind IN ('issue', 'scheduled', 'run')),
    schedule       TEXT,
    scheduled_time INTEGER,
    status         TEXT NOT NULL CHECK (status IN ('queued', 'running', 'success', 'error', 'killed', 'skipped')),
    database_name  TEXT NOT NULL,
    table_name     TEXT NOT NULL,
    priority       INTEGER NOT NULL DEFAULT 0,
    config         TEXT NOT NULL,
    stream         TEXT NOT NULL,
    records        INTEGER NOT NULL DEFAULT 0,
    skipped_records INTEGER NOT NULL DEFAULT 0,
    bytes          INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    start_at       INTEGER,
    end_at         INTEGER,
    error          TEXT,
    config_diff    TEXT,
    pid            INTEGER
  );
  CREATE UNIQUE INDEX jobs_slot ON jobs (schedule, scheduled_time) WHERE schedule IS NOT NULL AND scheduled_time IS NOT NULL AND status <> 'error' AND status <> 'killed';
  CREATE INDEX jobs_status ON jobs (status);
  CREATE TABLE job_logs (
    job_id  INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    level   TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
  );
  CREATE TABLE cursors (
    stream      TEXT PRIMARY KEY,
    config_diff TEXT NOT NULL,
    job_id      INTEGER,
    updated_at  INTEGER NOT NULL
  );
  `,
  // 2: schedules (connector sessions made by the CLI) and the daemon's heartbeat
  `
  CREATE TABLE schedules (
    name          TEXT PRIMARY KEY,
    cron          TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    delay         INTEGER NOT NULL DEFAULT 0,
    database_name TEXT NOT NULL,
    table_name    TEXT NOT NULL,
    time_column   TEXT,
    priority      INTEGER NOT NULL DEFAULT 0,
    catchup       TEXT NOT NULL DEFAULT 'all' CHECK (catchup IN ('all', 'latest', 'none')),
    config        TEXT NOT NULL,
    paused        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  );
  CREATE TABLE daemon (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );
  `,
  // 3: a change counter for schedules, so the daemon reloads on schedule changes only (job progress
  // from job processes also changes PRAGMA data_version)
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO meta (key, value) VALUES ('schedules_version', 0);
  CREATE TRIGGER schedules_insert AFTER INSERT ON schedules BEGIN UPDATE meta SET value = value + 1 WHERE key = 'schedules_version'; END;
  CREATE TRIGGER schedules_update AFTER UPDATE ON schedules BEGIN UPDATE meta SET value = value + 1 WHERE key = 'schedules_version'; END;
  CREATE TRIGGER schedules_delete AFTER DELETE ON schedules BEGIN UPDATE meta SET value = value + 1 WHERE key = 'schedules_version'; END;
  `,
  // 4: the daemon asks each schedule's last slot at start-up, and history is read per schedule
  `
  CREATE INDEX jobs_schedule ON jobs (schedule, scheduled_time);
  `,
  // 5: when a daemon first saw each schedule, so slots missed before its first run are caught up after a restart
  `
  CREATE TABLE schedule_marks (
    name       TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL
  );
  CREATE TRIGGER schedules_delete_marks AFTER DELETE ON schedules BEGIN DELETE FROM schedule_marks WHERE name = old.name; END;
  `,
];
