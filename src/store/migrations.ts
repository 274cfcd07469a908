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
  // 6: owned state (design §6b). A schedule has a stable id (its name is a label); its stream, cursor and
  // fired-through mark belong to the id. Cursors carry the (epoch, seq) position they reflect; streams and the
  // daemon hold leases with fencing tokens; jobs know their schedule's id, their host and when they may start.
  `
  CREATE TABLE schedule_state (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    file          TEXT UNIQUE,
    name          TEXT,
    fired_through INTEGER,
    paused_at     INTEGER,
    legacy_stream TEXT,
    created_at    INTEGER NOT NULL,
    ended_at      INTEGER
  );
  -- Where each schedule stood: its last cron slot, else when a daemon first saw it, and never before what the
  -- last daemon's heartbeat proves it dealt with (history may have been pruned): slots due up to a minute
  -- before that heartbeat were claimed.
  CREATE TEMP TABLE legacy_marks AS
    SELECT n.name AS name,
           NULLIF(MAX(
             COALESCE((SELECT MAX(scheduled_time) FROM jobs j WHERE j.schedule = n.name AND j.kind = 'scheduled'), -1),
             COALESCE((SELECT first_seen FROM schedule_marks m WHERE m.name = n.name), -1),
             COALESCE((SELECT d.heartbeat_at - 60000 - COALESCE((SELECT delay FROM schedules s WHERE s.name = n.name), 0) * 1000
                         FROM daemon d, schedule_marks m WHERE m.name = n.name AND m.first_seen <= d.heartbeat_at), -1)
           ), -1) AS fired_through
      FROM (SELECT name FROM schedules UNION SELECT name FROM schedule_marks UNION SELECT schedule FROM jobs WHERE schedule IS NOT NULL) n;
  INSERT INTO schedule_state (file, fired_through, legacy_stream, created_at)
    SELECT NULL, (SELECT fired_through FROM legacy_marks l WHERE l.name = s.name), 'schedule:' || s.name, s.created_at
      FROM schedules s ORDER BY s.created_at, s.name;
  CREATE TABLE schedules_v6 (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
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
  INSERT INTO schedules_v6 (id, name, cron, timezone, delay, database_name, table_name, time_column, priority, catchup, config, paused, created_at, updated_at)
    SELECT st.id, s.name, s.cron, s.timezone, s.delay, s.database_name, s.table_name, s.time_column, s.priority, s.catchup, s.config, s.paused, s.created_at, s.updated_at
      FROM schedules s JOIN schedule_state st ON st.legacy_stream = 'schedule:' || s.name;
  DROP TABLE schedules;
  ALTER TABLE schedules_v6 RENAME TO schedules;
  CREATE TRIGGER schedules_insert AFTER INSERT ON schedules BEGIN UPDATE meta SET value = value + 1 WHERE key = 'schedules_version'; END;
  CREATE TRIGGER schedules_update AFTER UPDATE ON schedules BEGIN UPDATE meta SET value = value + 1 WHERE key = 'schedules_version'; END;
  CREATE TRIGGER schedules_delete AFTER DELETE ON schedules BEGIN UPDATE meta SET value = value + 1 WHERE key = 'schedules_version'; END;

  -- Names with history but no CLI schedule (file schedules, deleted ones): a schedule file of that name adopts
  -- the state once, when it is first given an id.
  CREATE TABLE legacy_schedules (name TEXT PRIMARY KEY, fired_through INTEGER);
  INSERT INTO legacy_schedules (name, fired_through)
    SELECT name, fired_through FROM legacy_marks WHERE name NOT IN (SELECT name FROM schedules);
  DROP TABLE legacy_marks;
  DROP TABLE schedule_marks;

  ALTER TABLE jobs ADD COLUMN schedule_id INTEGER;
  ALTER TABLE jobs ADD COLUMN host TEXT;
  ALTER TABLE jobs ADD COLUMN run_at INTEGER;
  UPDATE jobs SET schedule_id = (SELECT id FROM schedules s WHERE s.name = jobs.schedule) WHERE schedule IS NOT NULL;
  UPDATE jobs SET stream = 'schedule#' || schedule_id WHERE schedule_id IS NOT NULL;
  DROP INDEX jobs_slot;
  CREATE UNIQUE INDEX jobs_slot ON jobs (schedule_id, scheduled_time)
    WHERE schedule_id IS NOT NULL AND scheduled_time IS NOT NULL AND status <> 'error' AND status <> 'killed';
  CREATE INDEX jobs_schedule_id ON jobs (schedule_id, scheduled_time);

  ALTER TABLE cursors ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE cursors ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
  UPDATE cursors SET stream = 'schedule#' || (SELECT id FROM schedules s WHERE 'schedule:' || s.name = cursors.stream)
   WHERE stream IN (SELECT 'schedule:' || name FROM schedules);

  INSERT INTO meta (key, value) VALUES ('token', 0);
  CREATE TABLE leases (
    stream     TEXT PRIMARY KEY,
    token      INTEGER NOT NULL,
    job_id     INTEGER NOT NULL,
    pid        INTEGER NOT NULL,
    host       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  ALTER TABLE daemon ADD COLUMN token INTEGER NOT NULL DEFAULT 0;
  `,
  // 7: what each stream's data looked like in its last committed export window (records per hour of data, records
  // per second of response), so its next run sizes its windows at once (issue 18). A hint, not owned state: losing
  // it costs requests, never records.
  `
  CREATE TABLE stream_density (
    stream             TEXT PRIMARY KEY,
    records_per_hour   REAL NOT NULL,
    records_per_second REAL,
    updated_at         INTEGER NOT NULL
  );
  `,
  // 8: a schedule's newest jobs by one seek (connector:list's last statuses, connector:history): "ORDER BY id DESC
  // LIMIT n" reads n entries, not every job of the schedule, and the status comes from the index (issue 11).
  `
  CREATE INDEX jobs_schedule_newest ON jobs (schedule_id, id, status);
  `,
  // 9: the home's identity (issue 13), random, made once: streams are named by ids of this state.db (schedule#7),
  // so in a warehouse several homes share (PostgreSQL) a home's ledger rows and fences carry it.
  `
  INSERT INTO meta (key, value) VALUES ('home_id', abs(random()));
  `,
  // 10: a slot run late because it was missed (every daemon down, the machine asleep) says so in its job: 1 =
  // claimed by the catch-up policy (issue 14).
  `
  ALTER TABLE jobs ADD COLUMN catchup INTEGER NOT NULL DEFAULT 0;
  `,
  // 11: what a table's key did to a job's records (issue 15): already in the table (a lookback's re-read, a replay
  // of an upsert) and updated a row (upsert).
  `
  ALTER TABLE jobs ADD COLUMN present_records INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE jobs ADD COLUMN updated_records INTEGER NOT NULL DEFAULT 0;
  `,
];

