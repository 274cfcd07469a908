import { ItdError, NotFoundError } from "../errors.js";
import type { Db } from "./open.js";

export type Catchup = "all" | "latest" | "none";

/** A schedule (TD's connector session) as the store keeps it. */
export interface ScheduleRecord {
  name: string;
  /** "" = no schedule (TD's `connector:update -s` without a value): runs only when asked. */
  cron: string;
  timezone: string;
  delay: number;
  database: string;
  table: string;
  timeColumn: string | null;
  priority: number;
  catchup: Catchup;
  /** The load config document as written (`${ENV}` references kept). */
  config: unknown;
  paused: boolean;
  createdAt: number;
  updatedAt: number;
}

export type NewSchedule = Omit<ScheduleRecord, "createdAt" | "updatedAt">;

interface Row {
  name: string; cron: string; timezone: string; delay: number; database_name: string; table_name: string;
  time_column: string | null; priority: number; catchup: Catchup; config: string; paused: number;
  created_at: number; updated_at: number;
}

function toRecord(r: Row): ScheduleRecord {
  return {
    name: r.name, cron: r.cron, timezone: r.timezone, delay: r.delay, database: r.database_name, table: r.table_name,
    timeColumn: r.time_column, priority: r.priority, catchup: r.catchup, config: JSON.parse(r.config) as unknown,
    paused: r.paused !== 0, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/** The cursor owner of a schedule's runs. */
export function scheduleStream(name: string): string {
  return `schedule:${name}`;
}

/** Schedules made with the CLI (file-defined ones live in schedules/*.yml). */
export class ScheduleStore {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  list(): ScheduleRecord[] {
    return (this.db.prepare(`SELECT * FROM schedules ORDER BY name`).all() as Row[]).map(toRecord);
  }

  find(name: string): ScheduleRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM schedules WHERE name = ?`).get(name) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  get(name: string): ScheduleRecord {
    const s = this.find(name);
    if (!s) throw new NotFoundError(`BulkLoadSession: ${name} retrieve failed: schedule '${name}' does not exist`, { hints: ["Use 'itd connector:list' to show the list of schedules."] });
    return s;
  }

  create(s: NewSchedule): ScheduleRecord {
    const now = this.now();
    try {
      this.db
        .prepare(
          `INSERT INTO schedules (name, cron, timezone, delay, database_name, table_name, time_column, priority, catchup, config, paused, created_at, updated_at)
           VALUES (@name, @cron, @timezone, @delay, @database, @table, @timeColumn, @priority, @catchup, @config, @paused, @now, @now)`,
        )
        .run({ ...s, config: JSON.stringify(s.config), paused: s.paused ? 1 : 0, now });
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        throw new ItdError("conflict", `BulkLoadSession: ${s.name} create failed: Name has already been taken`);
      }
      throw err;
    }
    return this.get(s.name);
  }

  /** Replaces the stored fields of `name` (a rename moves its cursor too). */
  update(name: string, next: NewSchedule): ScheduleRecord {
    const now = this.now();
    return this.db.transaction(() => {
      this.get(name);
      if (next.name !== name && this.find(next.name)) {
        throw new ItdError("conflict", `BulkLoadSession: ${name} update failed: Name ${next.name} has already been taken`);
      }
      this.db
        .prepare(
          `UPDATE schedules SET name = @name, cron = @cron, timezone = @timezone, delay = @delay, database_name = @database,
             table_name = @table, time_column = @timeColumn, priority = @priority, catchup = @catchup, config = @config,
             paused = @paused, updated_at = @now WHERE name = @old`,
        )
        .run({ ...next, config: JSON.stringify(next.config), paused: next.paused ? 1 : 0, now, old: name });
      if (next.name !== name) {
        this.db.prepare(`UPDATE cursors SET stream = ? WHERE stream = ?`).run(scheduleStream(next.name), scheduleStream(name));
        this.db.prepare(`UPDATE jobs SET schedule = ? WHERE schedule = ?`).run(next.name, name);
      }
      return this.get(next.name);
    })();
  }

  /** Deletes the schedule; its jobs stay in history. Returns what was deleted. */
  delete(name: string): ScheduleRecord {
    return this.db.transaction(() => {
      const s = this.get(name);
      this.db.prepare(`DELETE FROM schedules WHERE name = ?`).run(name);
      return s;
    })();
  }

  /** PRAGMA data_version: changes when another connection commits anything (cheap to poll). */
  dataVersion(): number {
    return this.db.pragma("data_version", { simple: true }) as number;
  }

  /** Bumped by every insert, update or delete of a schedule (triggers of migration 3). */
  version(): number {
    return (this.db.prepare(`SELECT value FROM meta WHERE key = 'schedules_version'`).get() as { value: number }).value;
  }
}

/** The daemon's heartbeat: the CLI tells whether a daemon is running from it. */
export class DaemonRegistry {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  beat(pid: number, host: string): void {
    const now = this.now();
    this.db
      .prepare(
        `INSERT INTO daemon (id, pid, host, started_at, heartbeat_at) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at,
           started_at = CASE WHEN daemon.pid = excluded.pid THEN daemon.started_at ELSE excluded.started_at END,
           pid = excluded.pid, host = excluded.host`,
      )
      .run(pid, host, now, now);
  }

  /**
   * Takes the home's daemon lock in one write transaction (two daemons starting
   * together cannot both get it): refused while another live daemon's
   * heartbeat is younger than `staleMs`. Returns the holder when refused.
   */
  acquire(pid: number, host: string, staleMs: number, isAlive: (pid: number) => boolean): { pid: number; host: string } | undefined {
    return this.db.transaction(() => {
      const other = this.alive(staleMs);
      if (other && other.pid !== pid && isAlive(other.pid)) return { pid: other.pid, host: other.host };
      this.db.prepare(`DELETE FROM daemon WHERE id = 1`).run();
      this.beat(pid, host);
      return undefined;
    }).immediate();
  }

  /** The running daemon, if its heartbeat is younger than `staleMs`. */
  alive(staleMs = 10_000): { pid: number; host: string; startedAt: number; heartbeatAt: number } | undefined {
    const row = this.db.prepare(`SELECT pid, host, started_at, heartbeat_at FROM daemon WHERE id = 1`).get() as
      | { pid: number; host: string; started_at: number; heartbeat_at: number }
      | undefined;
    if (!row || this.now() - row.heartbeat_at > staleMs) return undefined;
    return { pid: row.pid, host: row.host, startedAt: row.started_at, heartbeatAt: row.heartbeat_at };
  }

  clear(pid: number): void {
    this.db.prepare(`DELETE FROM daemon WHERE id = 1 AND pid = ?`).run(pid);
  }
}
