/**
 * A home moving its state to PostgreSQL (issue 14): its state.db is copied
 * into a PostgreSQL state store that holds nothing yet, once, the first time
 * a process of that home opens it — schedules with their ids and marks,
 * cursors with their positions, job history and logs, and the home's id (so
 * its streams in a shared warehouse stay its own). Without it the switch
 * started from an empty state: CLI schedules gone, and incremental schedules
 * importing again what their cursors had passed. Leases and the daemon's are
 * not copied: stop the home's daemon before switching (README).
 */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../errors.js";
import { MIGRATIONS } from "../migrations.js";
import { STATE_SCHEMA, type PgSyncDb } from "./sync-db.js";

/** The advisory lock migrations take: adopting is part of making the store. */
const ADOPT_LOCK = 0x6974645f73746174n;

/** Tables copied, in an order their references allow; `identity`: ids kept, and the id sequence moved past them. */
const TABLES: readonly { name: string; identity?: boolean }[] = [
  { name: "schedule_state", identity: true },
  { name: "legacy_schedules" },
  { name: "schedules" },
  { name: "jobs", identity: true },
  { name: "job_logs" },
  { name: "cursors" },
  { name: "stream_density" },
];

/** Rows per INSERT (PostgreSQL takes at most 65,535 parameters in one statement). */
const PARAMS_PER_INSERT = 30_000;

export interface Adopted {
  file: string;
  schedules: number;
  jobs: number;
  cursors: number;
}

/**
 * Copies `<home>/state.db` into the PostgreSQL state when that holds no
 * schedule, job or cursor yet and has adopted no home before; returns what
 * it copied, or undefined when there was nothing to do.
 */
export function adoptStateDb(db: PgSyncDb, home: string): Adopted | undefined {
  const file = join(home, "state.db");
  if (!existsSync(file)) return undefined;
  if (adoptedAlready(db)) return undefined;
  db.query(`SELECT pg_advisory_lock($1)`, [ADOPT_LOCK.toString()]);
  let src: Database.Database | undefined;
  try {
    if (adoptedAlready(db)) return undefined;
    src = new Database(file, { readonly: true, fileMustExist: true });
    src.pragma("busy_timeout = 10000");
    const version = src.pragma("user_version", { simple: true }) as number;
    if (version !== MIGRATIONS.length) {
      throw new StoreError(`${file} has schema ${version} of ${MIGRATIONS.length}: run any itd command on it with its state.db first (it upgrades it), then switch to the PostgreSQL state store`);
    }
    const source = src;
    return db.transaction((): Adopted => {
      const counts: Record<string, number> = {};
      for (const t of TABLES) counts[t.name] = copyTable(db, source, t.name, t.identity === true);
      const meta = new Map((source.prepare(`SELECT key, value FROM meta`).all() as { key: string; value: number }[]).map((r) => [r.key, r.value]));
      const homeId = meta.get("home_id");
      if (homeId !== undefined) db.query(`UPDATE meta SET value = $1 WHERE key = 'home_id'`, [homeId]);
      db.query(`UPDATE meta SET value = value + $1 WHERE key = 'schedules_version'`, [(meta.get("schedules_version") ?? 0) + 1]);
      // Fencing tokens go on from where state.db's counter was, so none handed out there comes again.
      const token = Math.max(meta.get("token") ?? 0, 1);
      db.query(`SELECT setval('tokens', greatest($1::bigint, (SELECT last_value FROM tokens)))`, [token]);
      db.query(`INSERT INTO meta (key, value) VALUES ('adopted', 1) ON CONFLICT (key) DO UPDATE SET value = meta.value + 1`, []);
      return { file, schedules: counts["schedules"] ?? 0, jobs: counts["jobs"] ?? 0, cursors: counts["cursors"] ?? 0 };
    })();
  } finally {
    src?.close();
    db.query(`SELECT pg_advisory_unlock($1)`, [ADOPT_LOCK.toString()]);
  }
}

/** Whether this store adopted a home, or has state of its own (then a home's state.db is not copied over it). */
function adoptedAlready(db: PgSyncDb): boolean {
  const r = db.query(
    `SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'adopted') OR EXISTS (SELECT 1 FROM schedule_state) OR EXISTS (SELECT 1 FROM jobs)
        OR EXISTS (SELECT 1 FROM cursors) AS done`,
    [],
  ).rows[0] as { done: boolean };
  return r.done;
}

function copyTable(db: PgSyncDb, src: Database.Database, table: string, identity: boolean): number {
  const srcColumns = new Set((src.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => c.name));
  const pgColumns = (
    db.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [STATE_SCHEMA, table]).rows as { column_name: string }[]
  ).map((c) => c.column_name);
  const columns = pgColumns.filter((c) => srcColumns.has(c));
  if (columns.length === 0) return 0;
  const rows = src.prepare(`SELECT ${columns.map((c) => `"${c}"`).join(", ")} FROM ${table}`).raw().all() as unknown[][];
  const perInsert = Math.max(1, Math.floor(PARAMS_PER_INSERT / columns.length));
  for (let at = 0; at < rows.length; at += perInsert) {
    const chunk = rows.slice(at, at + perInsert);
    const values = chunk.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(", ")})`).join(", ");
    db.query(
      `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) ${identity ? "OVERRIDING SYSTEM VALUE " : ""}VALUES ${values}`,
      chunk.flat().map((v) => (typeof v === "bigint" ? v.toString() : v)),
    );
  }
  if (identity && rows.length > 0) {
    db.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT max(id) FROM ${table}))`, [`${STATE_SCHEMA}.${table}`]);
  }
  return rows.length;
}
