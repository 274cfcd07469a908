import { existsSync } from "node:fs";
import { ItdError, NotFoundError } from "../errors.js";
import { leaseLive, nextToken, type Holder } from "./leases.js";
import type { Db, Statement } from "./db.js";

export type Catchup = "all" | "latest" | "none";

/** A schedule (TD's connector session) as the store keeps it. */
export interface ScheduleRecord {
  /** Stable for the schedule's life: a rename keeps it, a delete ends it, a re-create gets a new one. */
  id: number;
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

export type NewSchedule = Omit<ScheduleRecord, "id" | "createdAt" | "updatedAt">;

/** A schedule as a listing shows it. */
export type ScheduleSummary = Pick<ScheduleRecord, "id" | "name" | "cron" | "timezone" | "delay" | "database" | "table" | "paused">;

interface Row {
  id: number; name: string; cron: string; timezone: string; delay: number; database_name: string; table_name: string;
  time_column: string | null; priority: number; catchup: Catchup; config: string; paused: number;
  created_at: number; updated_at: number;
}

function toRecord(r: Row): ScheduleRecord {
  return {
    id: r.id, name: r.name, cron: r.cron, timezone: r.timezone, delay: r.delay, database: r.database_name, table: r.table_name,
    timeColumn: r.time_column, priority: r.priority, catchup: r.catchup, config: JSON.parse(r.config) as unknown,
    paused: r.paused !== 0, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/** The stream (cursor owner) of a schedule: its id, never its name. */
export function scheduleStream(id: number): string {
  return `schedule#${id}`;
}

/** Schedules made with the CLI (file-defined ones live in schedules/*.yml), and every schedule's identity and mark. */
export class ScheduleStore {
  private markStmt: Statement | undefined;
  private firstSeenStmt: Statement | undefined;

  constructor(private readonly db: Db, private readonly now: () => number) {}

  list(): ScheduleRecord[] {
    return (this.db.prepare(`SELECT * FROM schedules ORDER BY name`).all() as Row[]).map(toRecord);
  }

  /** What a listing shows of every schedule, without the configs (connector:list of 10,000 schedules). */
  summaries(): ScheduleSummary[] {
    const rows = this.db
      .prepare(`SELECT id, name, cron, timezone, delay, database_name, table_name, paused FROM schedules ORDER BY name`)
      .raw()
      .all() as [number, string, string, string, number, string, string, number][];
    return rows.map(([id, name, cron, timezone, delay, database, table, paused]) => ({ id, name, cron, timezone, delay, database, table, paused: paused !== 0 }));
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
    return this.db.transaction(() => {
      if (this.find(s.name)) throw new ItdError("conflict", `BulkLoadSession: ${s.name} create failed: Name has already been taken`);
      const { id } = this.db.prepare(`INSERT INTO schedule_state (created_at, paused_at) VALUES (?, ?) RETURNING id`).get(now, s.paused ? now : null) as { id: number };
      this.db
        .prepare(
          `INSERT INTO schedules (id, name, cron, timezone, delay, database_name, table_name, time_column, priority, catchup, config, paused, created_at, updated_at)
           VALUES (@id, @name, @cron, @timezone, @delay, @database, @table, @timeColumn, @priority, @catchup, @config, @paused, @now, @now)`,
        )
        .run({ ...s, id, config: JSON.stringify(s.config), paused: s.paused ? 1 : 0, now });
      return this.get(s.name);
    }).immediate();
  }

  /**
   * Replaces the stored fields of `name`. The id, and with it the stream
   * (cursor) and the fired-through mark, stay: a rename changes a label. A
   * resume moves the mark to now: the paused stretch is passed, not caught up.
   */
  update(name: string, next: NewSchedule): ScheduleRecord {
    const now = this.now();
    return this.db.transaction(() => {
      const current = this.get(name);
      if (next.name !== name && this.find(next.name)) {
        throw new ItdError("conflict", `BulkLoadSession: ${name} update failed: Name ${next.name} has already been taken`);
      }
      this.db
        .prepare(
          `UPDATE schedules SET name = @name, cron = @cron, timezone = @timezone, delay = @delay, database_name = @database,
             table_name = @table, time_column = @timeColumn, priority = @priority, catchup = @catchup, config = @config,
             paused = @paused, updated_at = @now WHERE id = @id`,
        )
        .run({ ...next, config: JSON.stringify(next.config), paused: next.paused ? 1 : 0, now, id: current.id });
      if (next.name !== name) this.db.prepare(`UPDATE jobs SET schedule = ? WHERE schedule_id = ?`).run(next.name, current.id);
      if (!current.paused && next.paused) this.db.prepare(`UPDATE schedule_state SET paused_at = ? WHERE id = ?`).run(now, current.id);
      if (current.paused && !next.paused) this.pass(current.id, now);
      return this.get(next.name);
    }).immediate();
  }

  /** Deletes the schedule and ends its identity (a re-create of the name is a new schedule); its jobs stay in history. */
  delete(name: string): ScheduleRecord {
    return this.db.transaction(() => {
      const s = this.get(name);
      this.db.prepare(`DELETE FROM schedules WHERE id = ?`).run(s.id);
      this.db.prepare(`UPDATE schedule_state SET ended_at = ? WHERE id = ?`).run(this.now(), s.id);
      return s;
    }).immediate();
  }

  /**
   * The id of the schedule declared by `file` (its real path): the same file
   * is the same schedule whatever it says, its name included; a file moved or
   * renamed (its old path gone) that still declares the same name is the same
   * schedule too. Given the first time a file is seen; a file schedule of a
   * home written before ids adopts the history, cursor and mark its name had.
   */
  fileScheduleId(file: string, name: string, exists: (file: string) => boolean = existsSync): number {
    const found = this.db.prepare(`SELECT id, name FROM schedule_state WHERE file = ?`).get(file) as { id: number; name: string | null } | undefined;
    if (found && found.name === name) return found.id;
    return this.db.transaction(() => {
      const again = this.db.prepare(`SELECT id FROM schedule_state WHERE file = ?`).get(file) as { id: number } | undefined;
      if (again) {
        this.db.prepare(`UPDATE schedule_state SET name = ? WHERE id = ?`).run(name, again.id);
        return again.id;
      }
      // A file moved or renamed (its old path is gone) under the same schedule name: the same schedule.
      const moved = (this.db.prepare(`SELECT id, file FROM schedule_state WHERE file IS NOT NULL AND name = ? AND ended_at IS NULL`).all(name) as { id: number; file: string }[])
        .find((r) => !exists(r.file));
      if (moved) {
        this.db.prepare(`UPDATE schedule_state SET file = ? WHERE id = ?`).run(file, moved.id);
        return moved.id;
      }
      const legacy = this.db.prepare(`SELECT fired_through FROM legacy_schedules WHERE name = ?`).get(name) as { fired_through: number | null } | undefined;
      const { id } = this.db
        .prepare(`INSERT INTO schedule_state (file, name, fired_through, legacy_stream, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`)
        .get(file, name, legacy?.fired_through ?? null, legacy ? `schedule:${name}` : null, this.now()) as { id: number };
      if (legacy) {
        this.db.prepare(`UPDATE jobs SET schedule_id = ?, stream = ? WHERE schedule = ? AND schedule_id IS NULL`).run(id, scheduleStream(id), name);
        this.db.prepare(`UPDATE cursors SET stream = ? WHERE stream = ?`).run(scheduleStream(id), `schedule:${name}`);
        this.db.prepare(`DELETE FROM legacy_schedules WHERE name = ?`).run(name);
      }
      return id;
    }).immediate();
  }

  /** When a CLI schedule was last paused (a schedule paused before ids: undefined). */
  pausedAt(id: number): number | undefined {
    const r = this.db.prepare(`SELECT paused_at FROM schedule_state WHERE id = ?`).get(id) as { paused_at: number | null } | undefined;
    return r?.paused_at ?? undefined;
  }

  /** The stream name a schedule's cursor had before ids (its ledger rows in old databases), if any. */
  legacyStream(id: number): string | undefined {
    const r = this.db.prepare(`SELECT legacy_stream FROM schedule_state WHERE id = ?`).get(id) as { legacy_stream: string | null } | undefined;
    return r?.legacy_stream ?? undefined;
  }

  /** The last slot the schedule has dealt with (claimed, skipped, passed), or undefined before a daemon first saw it. */
  firedThrough(id: number): number | undefined {
    this.markStmt ??= this.db.prepare(`SELECT fired_through FROM schedule_state WHERE id = ?`);
    const r = this.markStmt.get(id) as { fired_through: number | null } | undefined;
    return r?.fired_through ?? undefined;
  }

  /** Where a schedule's slots start: its mark, set to `now` the first time a daemon sees it. */
  firstSeen(id: number, now: number): number {
    this.firstSeenStmt ??= this.db.prepare(`UPDATE schedule_state SET fired_through = ? WHERE id = ? AND fired_through IS NULL`);
    this.firstSeenStmt.run(now, id);
    return this.firedThrough(id) ?? now;
  }

  /** Moves the mark forward to `through` (never back). */
  pass(id: number, through: number): void {
    this.db
      .prepare(`UPDATE schedule_state SET fired_through = ? WHERE id = ? AND (fired_through IS NULL OR fired_through < ?)`)
      .run(through, id, through);
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

/** A daemon as the store knows it. */
export interface DaemonInfo {
  pid: number;
  host: string;
  /** host:pid:start — shown in its logs, /healthz and /metrics. */
  instance: string;
  startedAt: number;
  heartbeatAt: number;
}

/**
 * The daemons' leases (design §6b). On the home's state.db one daemon runs
 * jobs: its lease on the home; the CLI tells whether one runs from its
 * heartbeat. On a shared PostgreSQL any number run side by side: each holds
 * a lease of its own (token from the sequence, renewed by its heartbeat),
 * and a daemon whose lease expired (it stalled) is fenced: every claim and
 * start it tries under its token is refused, and it must exit.
 */
export class DaemonRegistry {
  /** Whether several daemons share this store (PostgreSQL). */
  readonly shared: boolean;

  constructor(private readonly db: Db, private readonly now: () => number, private readonly leaseMs: number) {
    this.shared = db.engine === "postgres";
  }

  /** The daemon holding the home's lease now, if any (read only: `acquire` still decides). Never one on a shared store. */
  liveHolder(me: Holder, leaseMs: number, isAlive: (pid: number) => boolean): { pid: number; host: string } | undefined {
    if (this.shared) return undefined;
    const row = this.row();
    if (row && leaseLive({ pid: row.pid, host: row.host, expiresAt: row.heartbeat_at + leaseMs }, this.now(), me, isAlive)) return { pid: row.pid, host: row.host };
    return undefined;
  }

  /**
   * Takes a daemon lease in one write transaction. On state.db (two daemons
   * starting together cannot both get it) it is refused while another
   * daemon's lease is live (renewed within `leaseMs`, its process not known
   * dead); on a shared store every daemon gets its own. Returns the fencing
   * token, or the holder when refused.
   */
  acquire(holder: Holder, leaseMs: number, isAlive: (pid: number) => boolean, instance = `${holder.host}:${holder.pid}`): { token: number } | { busy: { pid: number; host: string } } {
    return this.db.transaction(() => {
      const now = this.now();
      if (this.shared) {
        const token = nextToken(this.db);
        // Leases a day past their end are history nobody reads.
        this.db.prepare(`DELETE FROM daemons WHERE heartbeat_at < ?`).run(now - 86_400_000);
        this.db
          .prepare(`INSERT INTO daemons (token, instance, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(token, instance, holder.pid, holder.host, now, now);
        return { token };
      }
      const row = this.row();
      if (row && leaseLive({ pid: row.pid, host: row.host, expiresAt: row.heartbeat_at + leaseMs }, now, holder, isAlive)) {
        return { busy: { pid: row.pid, host: row.host } };
      }
      const token = nextToken(this.db);
      this.db.prepare(`DELETE FROM daemon WHERE id = 1`).run();
      this.db
        .prepare(`INSERT INTO daemon (id, pid, host, started_at, heartbeat_at, token) VALUES (1, ?, ?, ?, ?, ?)`)
        .run(holder.pid, holder.host, now, now, token);
      return { token };
    }).immediate();
  }

  /** Renews the lease; false when it is no longer this token's (another daemon took the home, or, shared, it expired). */
  beat(token: number): boolean {
    const now = this.now();
    if (this.shared) {
      return this.db.prepare(`UPDATE daemons SET heartbeat_at = ? WHERE token = ? AND heartbeat_at > ?`).run(now, token, now - this.leaseMs).changes === 1;
    }
    return this.db.prepare(`UPDATE daemon SET heartbeat_at = ? WHERE id = 1 AND token = ?`).run(now, token).changes === 1;
  }

  /** Whether `token` still holds its lease. */
  holds(token: number): boolean {
    if (this.shared) return this.db.prepare(`SELECT 1 FROM daemons WHERE token = ? AND heartbeat_at > ?`).get(token, this.now() - this.leaseMs) !== undefined;
    return this.db.prepare(`SELECT 1 FROM daemon WHERE id = 1 AND token = ?`).get(token) !== undefined;
  }

  private row(): { pid: number; host: string; started_at: number; heartbeat_at: number; token: number } | undefined {
    return this.db.prepare(`SELECT pid, host, started_at, heartbeat_at, token FROM daemon WHERE id = 1`).get() as
      | { pid: number; host: string; started_at: number; heartbeat_at: number; token: number }
      | undefined;
  }

  /** The running daemons whose heartbeat is younger than `staleMs`, newest heartbeat first. */
  list(staleMs = 10_000): DaemonInfo[] {
    const since = this.now() - staleMs;
    if (this.shared) {
      const rows = this.db
        .prepare(`SELECT instance, pid, host, started_at, heartbeat_at FROM daemons WHERE heartbeat_at >= ? ORDER BY heartbeat_at DESC, token DESC`)
        .all(since) as { instance: string; pid: number; host: string; started_at: number; heartbeat_at: number }[];
      return rows.map((r) => ({ instance: r.instance, pid: r.pid, host: r.host, startedAt: r.started_at, heartbeatAt: r.heartbeat_at }));
    }
    const row = this.row();
    if (!row || row.heartbeat_at < since) return [];
    return [{ instance: `${row.host}:${row.pid}`, pid: row.pid, host: row.host, startedAt: row.started_at, heartbeatAt: row.heartbeat_at }];
  }

  /** A running daemon (the most recently heard from), if its heartbeat is younger than `staleMs`. */
  alive(staleMs = 10_000): DaemonInfo | undefined {
    return this.list(staleMs)[0];
  }

  /** Gives the lease up (a clean stop). */
  release(token: number): void {
    if (this.shared) this.db.prepare(`DELETE FROM daemons WHERE token = ?`).run(token);
    else this.db.prepare(`DELETE FROM daemon WHERE id = 1 AND token = ?`).run(token);
  }
}
