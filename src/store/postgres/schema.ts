/**
 * The PostgreSQL state store's schema (issue 14): numbered migrations in the
 * `itd_state` schema, recorded in its `migrations` table and run under a
 * session advisory lock, so several daemons starting at once migrate once
 * (the others wait for the lock, then find nothing left to do). Never edit a
 * released migration; add the next one.
 *
 * Migration 1 is state.db's schema as of its migration 9, in PostgreSQL's
 * types, with what sharing needs: a lease per daemon (`daemons`), fencing
 * tokens from a sequence, and the shared Iterable rate budget's grants.
 */
import { NotFoundError, StoreError } from "../../errors.js";
import { RATE_GRANTS_DDL } from "../../iterable/shared-budget.js";
import { describeTarget } from "../../warehouse/postgres/url.js";
import { sqlStateOf, STATE_SCHEMA, type PgSyncDb } from "./sync-db.js";

/** The advisory lock key of the state's migrations ("itd_stat" in ASCII). */
const MIGRATION_LOCK = 0x6974645f73746174n;

export const PG_MIGRATIONS: readonly string[] = [
  // 1: the state (see the SQLite migrations for what each table is for)
  `
  CREATE TABLE meta (key text PRIMARY KEY, value bigint NOT NULL);
  INSERT INTO meta (key, value) VALUES ('schedules_version', 0), ('home_id', floor(random() * 9007199254740991)::bigint);
  CREATE SEQUENCE tokens;

  CREATE TABLE schedule_state (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file          text UNIQUE,
    name          text COLLATE "C",
    fired_through bigint,
    paused_at     bigint,
    legacy_stream text,
    created_at    bigint NOT NULL,
    ended_at      bigint
  );
  CREATE TABLE legacy_schedules (name text PRIMARY KEY, fired_through bigint);

  CREATE TABLE schedules (
    id            bigint PRIMARY KEY,
    name          text COLLATE "C" NOT NULL UNIQUE,
    cron          text NOT NULL,
    timezone      text NOT NULL,
    delay         bigint NOT NULL DEFAULT 0,
    database_name text NOT NULL,
    table_name    text NOT NULL,
    time_column   text,
    priority      bigint NOT NULL DEFAULT 0,
    catchup       text NOT NULL DEFAULT 'all' CHECK (catchup IN ('all', 'latest', 'none')),
    config        text NOT NULL,
    paused        integer NOT NULL DEFAULT 0,
    created_at    bigint NOT NULL,
    updated_at    bigint NOT NULL
  );
  CREATE FUNCTION bump_schedules_version() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE meta SET value = value + 1 WHERE key = 'schedules_version';
    RETURN NULL;
  END $$;
  CREATE TRIGGER schedules_changed AFTER INSERT OR UPDATE OR DELETE ON schedules
    FOR EACH ROW EXECUTE FUNCTION bump_schedules_version();

  CREATE TABLE jobs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('issue', 'scheduled', 'run')),
    schedule        text COLLATE "C",
    scheduled_time  bigint,
    status          text NOT NULL CHECK (status IN ('queued', 'running', 'success', 'error', 'killed', 'skipped')),
    database_name   text NOT NULL,
    table_name      text NOT NULL,
    priority        bigint NOT NULL DEFAULT 0,
    config          text NOT NULL,
    stream          text NOT NULL,
    records         bigint NOT NULL DEFAULT 0,
    skipped_records bigint NOT NULL DEFAULT 0,
    bytes           bigint NOT NULL DEFAULT 0,
    created_at      bigint NOT NULL,
    start_at        bigint,
    end_at          bigint,
    error           text,
    config_diff     text,
    pid             bigint,
    schedule_id     bigint,
    host            text,
    run_at          bigint,
    catchup         integer NOT NULL DEFAULT 0
  );
  CREATE UNIQUE INDEX jobs_slot ON jobs (schedule_id, scheduled_time)
    WHERE schedule_id IS NOT NULL AND scheduled_time IS NOT NULL AND status <> 'error' AND status <> 'killed';
  CREATE INDEX jobs_status ON jobs (status);
  CREATE INDEX jobs_schedule ON jobs (schedule, scheduled_time);
  CREATE INDEX jobs_schedule_id ON jobs (schedule_id, scheduled_time);
  CREATE INDEX jobs_schedule_newest ON jobs (schedule_id, id, status);
  CREATE INDEX jobs_queued ON jobs (priority DESC, scheduled_time, id) WHERE status = 'queued';

  CREATE TABLE job_logs (
    job_id  bigint NOT NULL,
    seq     bigint NOT NULL,
    at      bigint NOT NULL,
    level   text NOT NULL,
    message text NOT NULL,
    PRIMARY KEY (job_id, seq)
  );
  CREATE TABLE cursors (
    stream      text PRIMARY KEY,
    config_diff text NOT NULL,
    job_id      bigint,
    updated_at  bigint NOT NULL,
    epoch       bigint NOT NULL DEFAULT 0,
    seq         bigint NOT NULL DEFAULT 0
  );
  CREATE TABLE stream_density (
    stream             text PRIMARY KEY,
    records_per_hour   double precision NOT NULL,
    records_per_second double precision,
    updated_at         bigint NOT NULL
  );
  CREATE TABLE leases (
    stream     text PRIMARY KEY,
    token      bigint NOT NULL,
    job_id     bigint NOT NULL,
    pid        bigint NOT NULL,
    host       text NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX leases_job ON leases (job_id);
  -- One row per running daemon: its lease (token), renewed by its heartbeat.
  CREATE TABLE daemons (
    token        bigint PRIMARY KEY,
    instance     text NOT NULL,
    pid          bigint NOT NULL,
    host         text NOT NULL,
    started_at   bigint NOT NULL,
    heartbeat_at bigint NOT NULL
  );
  -- The Iterable rate budget every process of this state shares (iterable/shared-budget.ts): one row per request granted.
  ${RATE_GRANTS_DDL}

  -- A daemon's due slots claimed in one round trip (the firing of 10,000 schedules is one call, not 10,000):
  -- each as JobLifecycle.queueSlot does it, under its schedule's row lock. A row another daemon holds (it is
  -- claiming the same slot) is passed by, SKIP LOCKED, and answered 'busy': the caller asks again shortly, and
  -- finds the slot claimed — or, if that daemon died before it committed, claims it.
  CREATE FUNCTION claim_slots(
    daemon_token bigint, lease_ms bigint, now_ms bigint, ids bigint[], names text[], slots bigint[], priorities bigint[],
    dbs text[], tbls text[], configs text[], streams text[], catchups integer[]
  ) RETURNS TABLE (outcome text, job_id bigint) LANGUAGE plpgsql AS $$
  DECLARE
    i integer;
    mark bigint;
    ended bigint;
    existing bigint;
    busy_ids bigint[] := '{}';
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM daemons d WHERE d.token = daemon_token AND d.heartbeat_at > now_ms - lease_ms) THEN
      RETURN QUERY SELECT 'fenced'::text, NULL::bigint FROM generate_series(1, coalesce(array_length(ids, 1), 0));
      RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
      IF ids[i] = ANY (busy_ids) THEN
        -- A later slot of a schedule found busy is busy too: never claimed past one not yet dealt with.
        outcome := 'busy';
        job_id := NULL;
        RETURN NEXT;
        CONTINUE;
      END IF;
      SELECT s.fired_through, s.ended_at INTO mark, ended FROM schedule_state s WHERE s.id = ids[i] FOR UPDATE SKIP LOCKED;
      IF NOT FOUND THEN
        outcome := CASE WHEN EXISTS (SELECT 1 FROM schedule_state s WHERE s.id = ids[i]) THEN 'busy' ELSE 'taken' END;
        IF outcome = 'busy' THEN busy_ids := busy_ids || ids[i]; END IF;
        job_id := NULL;
      ELSIF ended IS NOT NULL THEN
        outcome := 'taken';
        job_id := NULL;
      ELSE
        SELECT j.id INTO existing FROM jobs j
         WHERE j.schedule_id = ids[i] AND j.scheduled_time = slots[i] AND j.status <> 'error' AND j.status <> 'killed' LIMIT 1;
        UPDATE schedule_state s SET fired_through = slots[i] WHERE s.id = ids[i] AND (s.fired_through IS NULL OR s.fired_through < slots[i]);
        IF existing IS NOT NULL OR (mark IS NOT NULL AND slots[i] <= mark) THEN
          outcome := 'taken';
          job_id := existing;
        ELSE
          INSERT INTO jobs (kind, schedule, schedule_id, scheduled_time, status, database_name, table_name, priority, config, stream, created_at, catchup)
          VALUES ('scheduled', names[i], ids[i], slots[i], 'queued', dbs[i], tbls[i], priorities[i], configs[i], streams[i], now_ms, catchups[i])
          RETURNING jobs.id INTO job_id;
          outcome := 'queued';
        END IF;
      END IF;
      RETURN NEXT;
    END LOOP;
  END $$;
  `,
  // 2: the schedules' change counter found its table by the session's search_path (itd's sessions set it): a
  // schedule changed by any other session (psql, an operator's fix) failed with "relation meta does not exist".
  `
  ALTER FUNCTION bump_schedules_version() SET search_path = ${STATE_SCHEMA};
  `,
  // 3: what a table's key did to a job's records (issue 15), as state.db's migration 11.
  `
  ALTER TABLE jobs ADD COLUMN present_records bigint NOT NULL DEFAULT 0;
  ALTER TABLE jobs ADD COLUMN updated_records bigint NOT NULL DEFAULT 0;
  `,
];

/** The applied schema version, 0 before the first migration (no schema, or no migrations table yet). */
function appliedVersion(db: PgSyncDb): number {
  try {
    return (db.query(`SELECT coalesce(max(version), 0) AS v FROM ${STATE_SCHEMA}.migrations`, []).rows[0] as { v: number }).v;
  } catch (err) {
    // 42P01: no such table; 3F000: no such schema.
    const code = sqlStateOf(err);
    if (code === "42P01" || code === "3F000") return 0;
    throw err;
  }
}

/**
 * Creates the schema when missing and applies the migrations this itd knows, once, whoever else starts now.
 * A store already at this itd's version is only read (every command, daemon and job process opens it): no DDL,
 * no lock, so a role that may only read and write the state's tables opens it, and no process waits on another.
 */
export function migratePg(db: PgSyncDb): void {
  const where = describeTarget(db.target);
  const newer = (v: number): StoreError =>
    new StoreError(`the PostgreSQL state store at ${where} was written by a newer itd (schema ${v}; this itd knows ${PG_MIGRATIONS.length}); upgrade itd`);
  const applied = appliedVersion(db);
  if (applied > PG_MIGRATIONS.length) throw newer(applied);
  if (applied === PG_MIGRATIONS.length) return;
  db.query(`SELECT pg_advisory_lock($1)`, [MIGRATION_LOCK.toString()]);
  try {
    // CREATE SCHEMA needs CREATE on the database even when the schema exists (IF NOT EXISTS is checked after the
    // privilege): a schema a DBA made for itd's role is used as it is.
    if (db.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [STATE_SCHEMA]).rowCount === 0) db.exec(`CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA}`);
    db.exec(`CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const current = appliedVersion(db);
    if (current > PG_MIGRATIONS.length) throw newer(current);
    for (let v = current; v < PG_MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(PG_MIGRATIONS[v] as string);
        db.query(`INSERT INTO ${STATE_SCHEMA}.migrations (version) VALUES ($1)`, [v + 1]);
      })();
    }
  } finally {
    db.query(`SELECT pg_advisory_unlock($1)`, [MIGRATION_LOCK.toString()]);
  }
}

/** The schema version of a state store opened read-only: it must be this itd's. */
export function checkPgSchema(db: PgSyncDb): void {
  const where = describeTarget(db.target);
  let current: number;
  try {
    current = (db.query(`SELECT coalesce(max(version), 0) AS v FROM ${STATE_SCHEMA}.migrations`, []).rows[0] as { v: number }).v;
  } catch (err) {
    if (sqlStateOf(err) === "42P01") throw new NotFoundError(`the PostgreSQL state store at ${where} has no itd state yet: the first itd command or daemon that writes creates it`);
    throw err;
  }
  if (current !== PG_MIGRATIONS.length) {
    throw new StoreError(
      current > PG_MIGRATIONS.length
        ? `the PostgreSQL state store at ${where} was written by a newer itd (schema ${current}; this itd knows ${PG_MIGRATIONS.length}); upgrade itd`
        : `the PostgreSQL state store at ${where} has schema ${current} of ${PG_MIGRATIONS.length}: the next itd command or daemon that writes upgrades it`,
    );
  }
}
