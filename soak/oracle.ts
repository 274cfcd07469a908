/**
 * The soak's oracle: what each table must hold, recomputed from the fake's
 * deterministic generator, compared with what is there (missing, duplicated
 * and extra rows); cursors against tables; every slot in history exactly once.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { columnName } from "../src/connector/naming.js";
import { campaignsFor, exportRecords, keyFieldOf, listMembers, type GeneratorConfig } from "../src/fake-iterable/index.js";
import { SlotCalculator } from "../src/schedule/index.js";
import type { Expectation, SoakSchedule } from "./plan.js";

export interface TableVerdict {
  schedule: string;
  table: string;
  rows: number;
  expected: number;
  missing: number;
  duplicated: number;
  extra: number;
  /** Cursor problems (empty when consistent). */
  cursor: string[];
  notes: string[];
  /** The schedule's jobs' records already in the table and records that updated a row (lookback and upsert schedules). */
  present?: number;
  updated?: number;
}

export interface SlotVerdict {
  schedule: string;
  slots: number;
  /** Slots with no job at all. */
  absent: number[];
  /** Slots run twice (a second row after a final one that was not an interruption). */
  twice: number[];
  /** Slots still queued or running after the drain. */
  unfinished: number[];
  /** Jobs of the schedule at times that are not slots of its cron (and not manual runs). */
  offCron: number[];
  byStatus: Record<string, number>;
}

export interface JobRow {
  id: number;
  kind: string;
  schedule: string | null;
  scheduled_time: number | null;
  status: string;
  error: string | null;
  records: number;
  stream: string;
  /** Of its records, those already in the table (a lookback's re-read) and those that updated a row (upsert). */
  present_records: number;
  updated_records: number;
}

/** What the oracle reads from the state store: either engine's jobs and cursors. */
export interface StateView {
  /** The jobs of the schedule now called `schedule` (all of its stream, across renames), or every job. */
  jobs(schedule?: string): JobRow[];
  /** A schedule's stream (its id's), from its latest job. */
  streamOf(schedule: string): string | undefined;
  /** Every job queued under one of `names`, whatever its stream (a schedule deleted and created again has two). */
  jobsNamed(names: readonly string[]): JobRow[];
  cursor(stream: string): { configDiff: unknown; jobId: number | null } | undefined;
  close(): void;
}

/** The jobs columns the oracle reads (either engine), and the prune keeps. */
export const JOB_COLUMNS = "id, kind, schedule, scheduled_time, status, error, records, stream, present_records, updated_records";

export class StateReader implements StateView {
  private readonly db: Database.Database;
  private readonly own: boolean;
  /** `archive`: jobs the soak pruned from history (by id), seen as if still there. */
  constructor(readonly home: string, private readonly archive: ReadonlyMap<number, JobRow> = new Map(), db?: Database.Database) {
    this.own = db === undefined;
    this.db = db ?? new Database(join(home, "state.db"), { readonly: true, fileMustExist: true });
    if (this.own) this.db.pragma("busy_timeout = 5000");
  }
  private withArchive(rows: JobRow[], keep: (j: JobRow) => boolean): JobRow[] {
    return withArchive(this.archive, rows, keep);
  }
  /** The jobs of the schedule now called `schedule` (all of its stream, across renames), or every job. */
  jobs(schedule?: string): JobRow[] {
    const sql = `SELECT ${JOB_COLUMNS} FROM jobs`;
    if (schedule === undefined) return this.withArchive(this.db.prepare(`${sql} ORDER BY id`).all() as JobRow[], () => true);
    const stream = this.streamOf(schedule);
    if (stream === undefined) return [];
    return this.withArchive(this.db.prepare(`${sql} WHERE stream = ? ORDER BY id`).all(stream) as JobRow[], (j) => j.stream === stream);
  }
  jobsNamed(names: readonly string[]): JobRow[] {
    const rows = this.db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs WHERE schedule IN (${names.map(() => "?").join(", ")}) ORDER BY id`).all(...names) as JobRow[];
    return this.withArchive(rows, (j) => j.schedule !== null && names.includes(j.schedule));
  }
  /**
   * A schedule's stream (its id's), from its latest job under either of its names: a schedule whose every job ran
   * while the chaos had it renamed (`NAME_renamed`) has no job under its own name.
   */
  streamOf(schedule: string): string | undefined {
    const names = [schedule, `${schedule}_renamed`];
    const r = this.db.prepare("SELECT stream FROM jobs WHERE schedule IN (?, ?) ORDER BY id DESC LIMIT 1").get(...names) as { stream: string } | undefined;
    if (r) return r.stream;
    const archived = [...this.archive.values()].filter((j) => j.schedule !== null && names.includes(j.schedule)).sort((a, b) => b.id - a.id)[0];
    return archived?.stream;
  }
  cursor(stream: string): { configDiff: unknown; jobId: number | null } | undefined {
    const r = this.db.prepare("SELECT config_diff, job_id FROM cursors WHERE stream = ?").get(stream) as { config_diff: string; job_id: number | null } | undefined;
    return r ? { configDiff: JSON.parse(r.config_diff) as unknown, jobId: r.job_id } : undefined;
  }
  close(): void {
    if (this.own) this.db.close();
  }
}

/** Both readers' merge of the jobs the soak pruned (by id) with those still there. */
function withArchive(archive: ReadonlyMap<number, JobRow>, rows: JobRow[], keep: (j: JobRow) => boolean): JobRow[] {
  if (archive.size === 0) return rows;
  const byId = new Map<number, JobRow>();
  for (const j of archive.values()) if (keep(j)) byId.set(j.id, j);
  for (const j of rows) byId.set(j.id, j);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/**
 * The jobs and cursors of a PostgreSQL state store (schema itd_state), read
 * once when made (`readPgState`): the oracle's view at the end of the soak,
 * and the progress lines' and the drain's while it runs.
 */
class PgStateSnapshot implements StateView {
  constructor(
    private readonly rows: JobRow[],
    private readonly cursors: ReadonlyMap<string, { configDiff: unknown; jobId: number | null }>,
    private readonly archive: ReadonlyMap<number, JobRow>,
  ) {}
  jobs(schedule?: string): JobRow[] {
    if (schedule === undefined) return withArchive(this.archive, this.rows, () => true);
    const stream = this.streamOf(schedule);
    if (stream === undefined) return [];
    return withArchive(this.archive, this.rows.filter((j) => j.stream === stream), (j) => j.stream === stream);
  }
  streamOf(schedule: string): string | undefined {
    for (let i = this.rows.length - 1; i >= 0; i--) if (this.rows[i]?.schedule === schedule) return this.rows[i]?.stream;
    return [...this.archive.values()].filter((j) => j.schedule === schedule).sort((a, b) => b.id - a.id)[0]?.stream;
  }
  jobsNamed(names: readonly string[]): JobRow[] {
    const keep = (j: JobRow): boolean => j.schedule !== null && names.includes(j.schedule);
    return withArchive(this.archive, this.rows.filter(keep), keep);
  }
  cursor(stream: string): { configDiff: unknown; jobId: number | null } | undefined {
    return this.cursors.get(stream);
  }
  close(): void {}
}

/** A PostgreSQL state store's jobs and cursors now (in one read-only transaction), with the jobs the soak pruned. */
export async function readPgState(url: string, archive: ReadonlyMap<number, JobRow> = new Map()): Promise<StateView> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const jobs = await client.query<Record<keyof JobRow, string | null>>(
      `SELECT ${JOB_COLUMNS} FROM itd_state.jobs ORDER BY id`,
    );
    const cursors = await client.query<{ stream: string; config_diff: string; job_id: string | null }>("SELECT stream, config_diff, job_id FROM itd_state.cursors");
    await client.query("COMMIT");
    const rows: JobRow[] = jobs.rows.map((r) => ({
      id: Number(r.id), kind: String(r.kind), schedule: r.schedule, scheduled_time: r.scheduled_time === null ? null : Number(r.scheduled_time),
      status: String(r.status), error: r.error, records: Number(r.records), stream: String(r.stream),
      present_records: Number(r.present_records), updated_records: Number(r.updated_records),
    }));
    const byStream = new Map(cursors.rows.map((c) => [c.stream, { configDiff: JSON.parse(c.config_diff) as unknown, jobId: c.job_id === null ? null : Number(c.job_id) }]));
    return new PgStateSnapshot(rows, byStream, archive);
  } finally {
    await client.end();
  }
}

/** A cursor's (config diff's) start_time, epoch ms. */
export function startOf(diff: unknown): number | undefined {
  const t = (diff as { in?: { start_time?: unknown } } | null | undefined)?.in?.start_time;
  return typeof t === "string" ? Date.parse(t) : undefined;
}

/** Multiset comparison of keys: expected counts vs actual counts. */
function compare(expected: Map<string, number>, actual: Map<string, number>): { missing: number; duplicated: number; extra: number } {
  let missing = 0;
  let duplicated = 0;
  let extra = 0;
  for (const [k, e] of expected) {
    const a = actual.get(k) ?? 0;
    if (a < e) missing += e - a;
    if (a > e) duplicated += a - e;
  }
  for (const [k, a] of actual) if (!expected.has(k)) extra += a;
  return { missing, duplicated, extra };
}

function tally(keys: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

function exportKeys(cfg: GeneratorConfig, type: string, start: number, end: number): Map<string, number> {
  const key = keyFieldOf(type);
  if (key === undefined) throw new Error(`soak: no key field for ${type}`);
  const keys: string[] = [];
  if (end > start) for (const r of exportRecords(cfg, type, { start, end })) keys.push(String(r[key]));
  return tally(keys);
}

/**
 * What the oracle reads from the warehouse, either engine: one column of a
 * table (undefined when the database or table does not exist; `$T` in the SQL
 * is the quoted table), and a stream's newest ledger row.
 */
export interface WarehouseReader {
  column(database: string, table: string, sql: string): Promise<string[] | undefined>;
  ledger(database: string, stream: string): Promise<{ cursor: unknown; jobId: number; epoch: number; seq: number } | undefined>;
  /** The export windows committed into `table`, by every stream (its ledger rows whose slice is `FROM/TO`). */
  windows(database: string, table: string): Promise<LedgerWindow[]>;
  close(): Promise<void>;
}

/** One committed slice of an export: the window `[start, end)` it read, when it committed, and whose it was. */
export interface LedgerWindow {
  start: number;
  end: number;
  committedAt: number;
  stream: string;
}

/** Ledger rows as windows: a slice id of an export window is `2026-06-01T00:00:00Z/2026-06-01T00:15:00Z`. */
function asWindows(rows: readonly { stream: string; slice: string; committed_at: number | string }[]): LedgerWindow[] {
  const out: LedgerWindow[] = [];
  for (const r of rows) {
    const [from, to, more] = r.slice.split("/");
    const start = Date.parse(from ?? "");
    const end = Date.parse(to ?? "");
    if (more === undefined && Number.isFinite(start) && Number.isFinite(end)) out.push({ start, end, committedAt: Number(r.committed_at), stream: r.stream });
  }
  return out;
}

/** The embedded warehouse's files under `<home>/warehouse/`. */
export function sqliteReader(home: string): WarehouseReader {
  const open = (database: string): Database.Database | undefined => {
    const file = join(home, "warehouse", `${database}.db`);
    return existsSync(file) ? new Database(file, { readonly: true }) : undefined;
  };
  return {
    async column(database, table, sql) {
      const db = open(database);
      if (db === undefined) return undefined;
      try {
        const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
        if (!exists) return undefined;
        // A table made by --auto-create-table before its first run has only `time`.
        if ((db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n === 0) return [];
        return (db.prepare(sql.replace("$T", `"${table}"`)).raw().all() as unknown[][]).map((r) => String(r[0]));
      } finally {
        db.close();
      }
    },
    async ledger(database, stream) {
      const db = open(database);
      if (db === undefined) return undefined;
      try {
        const r = db.prepare("SELECT job_id, cursor, epoch, seq FROM _itd_loads WHERE stream = ? ORDER BY id DESC LIMIT 1").get(stream) as
          | { job_id: string; cursor: string; epoch: number | null; seq: number | null }
          | undefined;
        return r && { cursor: JSON.parse(r.cursor) as unknown, jobId: Number(r.job_id), epoch: r.epoch ?? 0, seq: r.seq ?? 0 };
      } catch {
        return undefined; // no ledger yet
      } finally {
        db.close();
      }
    },
    async windows(database, table) {
      const db = open(database);
      if (db === undefined) return [];
      try {
        const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_itd_loads'").get();
        if (!exists) return [];
        return asWindows(db.prepare("SELECT stream, slice, committed_at FROM _itd_loads WHERE table_name = ? ORDER BY id").all(table) as { stream: string; slice: string; committed_at: number }[]);
      } finally {
        db.close();
      }
    },
    async close() {},
  };
}

/** A PostgreSQL warehouse: a database is a schema; the home's streams carry its identity (`<home id>/schedule#7`). */
export async function postgresReader(url: string, homeId: string): Promise<WarehouseReader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("SET TimeZone = 'UTC'");
  const exists = async (schema: string, table: string): Promise<boolean> =>
    ((await client.query("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2", [schema, table])).rowCount ?? 0) > 0;
  return {
    async column(database, table, sql) {
      if (!(await exists(database, table))) return undefined;
      // A table made by --auto-create-table before its first run has only `time`.
      if (Number((await client.query(`SELECT count(*) AS n FROM "${database}"."${table}"`)).rows[0].n) === 0) return [];
      const r = await client.query({ text: sql.replace("$T", `"${database}"."${table}"`), rowMode: "array" });
      return (r.rows as unknown[][]).map((row) => String(row[0]));
    },
    async ledger(database, stream) {
      if (!(await exists(database, "_itd_loads"))) return undefined;
      const r = await client.query("SELECT job_id, cursor, epoch, seq FROM \"" + database + "\"._itd_loads WHERE stream = $1 ORDER BY id DESC LIMIT 1", [`${homeId}/${stream}`]);
      const row = r.rows[0] as { job_id: string; cursor: string; epoch: string | null; seq: string | null } | undefined;
      return row && { cursor: JSON.parse(row.cursor) as unknown, jobId: Number(row.job_id), epoch: Number(row.epoch ?? 0), seq: Number(row.seq ?? 0) };
    },
    async windows(database, table) {
      if (!(await exists(database, "_itd_loads"))) return [];
      const r = await client.query(`SELECT stream, slice, committed_at FROM "${database}"._itd_loads WHERE table_name = $1 ORDER BY id`, [table]);
      return asWindows(r.rows as { stream: string; slice: string; committed_at: string }[]);
    },
    async close() {
      await client.end();
    },
  };
}

/** The stream's newest ledger row over `databases`, by commit position (epoch, then seq). */
export async function ledgerCursor(wh: WarehouseReader, databases: readonly string[], stream: string): Promise<{ cursor: unknown; jobId: number } | undefined> {
  let best: { cursor: unknown; jobId: number; epoch: number; seq: number } | undefined;
  for (const database of databases) {
    const r = await wh.ledger(database, stream);
    if (r && (!best || r.epoch > best.epoch || (r.epoch === best.epoch && r.seq > best.seq))) best = r;
  }
  return best && { cursor: best.cursor, jobId: best.jobId };
}

const FINAL = new Set(["success", "error", "killed", "skipped"]);
const superseded = (j: JobRow): boolean => j.status === "killed" || (j.status === "error" && (j.error ?? "").startsWith("interrupted"));

/** A table's verdict before any check: nothing counted, nothing wrong. */
export function freshVerdict(s: Pick<SoakSchedule, "name" | "database" | "table">): TableVerdict {
  return { schedule: s.name, table: `${s.database}.${s.table}`, rows: 0, expected: 0, missing: 0, duplicated: 0, extra: 0, cursor: [], notes: [] };
}

/** Checks one table against its expectation. */
export async function checkTable(
  cfg: GeneratorConfig,
  wh: WarehouseReader,
  state: StateView,
  s: Pick<SoakSchedule, "name" | "database" | "table"> & { expect: Expectation; alsoIn?: readonly string[] },
): Promise<TableVerdict> {
  const databases = [s.database, ...(s.alsoIn ?? [])];
  const stream = state.streamOf(s.name) ?? `schedule:${s.name}`;
  const v = freshVerdict(s);
  const jobs = state.jobs(s.name);
  const successes = jobs.filter((j) => j.status === "success").length;
  const lastFinal = [...jobs].reverse().find((j) => FINAL.has(j.status) && j.status !== "skipped");
  const e = s.expect;
  let expected = new Map<string, number>();
  let actual = new Map<string, number>();
  const keyColumn = (type: string): string => columnName(keyFieldOf(type) ?? "id");

  const ledger = await ledgerCursor(wh, databases, stream);
  const stored = state.cursor(stream);
  const checkCursors = (): number | undefined => {
    const ledgerStart = ledger ? startOf(ledger.cursor) : undefined;
    const storedStart = stored ? startOf(stored.configDiff) : undefined;
    if (ledgerStart !== storedStart) {
      // The state cursor is saved after the slice's commit: a process killed in between leaves it one slice behind,
      // which is harmless because runs take the ledger's cursor first. After a successful last job they must agree.
      if (lastFinal?.status === "success") v.cursor.push(`ledger cursor ${String(ledgerStart)} ≠ state cursor ${String(storedStart)} after a successful job`);
      else v.notes.push("state cursor behind the ledger (last job did not succeed)");
    }
    return ledgerStart;
  };

  switch (e.kind) {
    case "incremental": {
      const cursor = checkCursors() ?? e.start;
      expected = exportKeys(cfg, e.type, e.start, cursor);
      // A schedule moved to another database and back: each record once across them.
      actual = tally((await Promise.all(databases.map((d) => wh.column(d, s.table, `SELECT ${keyColumn(e.type)} FROM $T`)))).flatMap((k) => k ?? []));
      if (successes > 0 && cursor <= e.start) v.cursor.push("successful jobs but the cursor never moved");
      break;
    }
    case "snapshot": {
      const keys = await wh.column(s.database, s.table, `SELECT ${keyColumn(e.type)} FROM $T`);
      if (successes > 0) expected = exportKeys(cfg, e.type, e.start, e.end);
      else if (keys !== undefined && keys.length > 0) v.notes.push("rows without a successful job");
      actual = tally(keys ?? []);
      break;
    }
    case "copies": {
      const once = exportKeys(cfg, e.type, e.start, e.end);
      const keys = tally(await wh.column(s.database, s.table, `SELECT ${keyColumn(e.type)} FROM $T`) ?? []);
      // A failed run leaves a partial copy that the next run completes; one may be left at the end.
      const partialAllowed = lastFinal !== undefined && lastFinal.status !== "success" && ledger !== undefined && ledger.jobId === lastFinal.id;
      for (const [k, n] of once) {
        const a = keys.get(k) ?? 0;
        expected.set(k, partialAllowed && a === successes * n + n ? a : successes * n);
      }
      actual = keys;
      if (partialAllowed) v.notes.push(`partial copy allowed (job ${lastFinal.id} ${lastFinal.status})`);
      break;
    }
    case "campaigns": {
      const ids = campaignsFor(cfg).map((c) => String(c.id));
      if (successes > 0) expected = tally(ids);
      actual = tally(await wh.column(s.database, s.table, "SELECT id FROM $T") ?? []);
      break;
    }
    case "campaign-windows": {
      const cursor = checkCursors() ?? e.start;
      // window_start/window_end are timestamp columns, stored as 'yyyy-MM-dd HH:mm:ss.SSS' UTC text.
      // (PostgreSQL's timestamptz as text, in UTC: '2026-06-01 00:00:00+00'.)
      const ms = (t: string): number => Date.parse(`${t.replace(" ", "T").replace(/\+00$/, "")}Z`);
      const rows = (await wh.column(s.database, s.table, "SELECT id || '@' || window_start || '/' || window_end FROM $T") ?? []).map((r) => {
        const at = r.indexOf("@");
        const [ws, we] = r.slice(at + 1).split("/") as [string, string];
        return `${r.slice(0, at)}@${ms(ws)}/${ms(we)}`;
      });
      actual = tally(rows);
      // The windows must chain from start to the cursor with no gap and no overlap.
      const windows = [...new Set(rows.map((r) => r.slice(r.indexOf("@") + 1)))]
        .map((w) => w.split("/").map(Number) as [number, number])
        .sort((a, b) => a[0] - b[0]);
      let at = e.start;
      for (const [ws, we] of windows) {
        if (ws !== at) v.cursor.push(`window chain broken at ${new Date(at).toISOString()} (next window starts ${new Date(ws).toISOString()})`);
        at = we;
      }
      if (windows.length > 0 && at !== cursor) v.cursor.push(`last window ends ${new Date(at).toISOString()}, cursor is ${new Date(cursor).toISOString()}`);
      const ids = campaignsFor(cfg).map((c) => c.id);
      expected = tally(windows.flatMap(([ws, we]) => ids.map((id) => `${id}@${ws}/${we}`)));
      break;
    }
    case "list": {
      if (successes > 0) expected = tally(listMembers(cfg, e.listId, false));
      actual = tally(await wh.column(s.database, s.table, "SELECT email FROM $T") ?? []);
      break;
    }
  }
  const c = compare(expected, actual);
  v.missing = c.missing;
  v.duplicated = c.duplicated;
  v.extra = c.extra;
  v.rows = [...actual.values()].reduce((a, b) => a + b, 0);
  v.expected = [...expected.values()].reduce((a, b) => a + b, 0);
  return v;
}

/**
 * Every slot of `cron` in (from, through] must have exactly one final job:
 * earlier rows only interruptions (`error: interrupted…`, `killed`) that were
 * run again.
 */
export function checkSlots(state: StateView, name: string, cron: string, timezone: string, from: number, through: number): SlotVerdict {
  return slotVerdict(name, state.jobs(name), cron, timezone, from, through);
}

/** `checkSlots` over the given jobs (one stream's). */
export function slotVerdict(name: string, jobs: readonly JobRow[], cron: string, timezone: string, from: number, through: number): SlotVerdict {
  const calc = new SlotCalculator();
  const slots = new Set<number>();
  for (let t = calc.next(cron, timezone, from); t !== undefined && t <= through; t = calc.next(cron, timezone, t)) slots.add(t);
  const v: SlotVerdict = { schedule: name, slots: slots.size, absent: [], twice: [], unfinished: [], offCron: [], byStatus: {} };
  const bySlot = new Map<number, JobRow[]>();
  for (const j of jobs) {
    if (j.scheduled_time === null) continue;
    if (j.kind !== "scheduled") continue; // manual runs (connector:run) are checked by the tables
    if (!slots.has(j.scheduled_time)) {
      if (j.scheduled_time > from && j.scheduled_time <= through) v.offCron.push(j.scheduled_time);
      continue;
    }
    const list = bySlot.get(j.scheduled_time) ?? [];
    list.push(j);
    bySlot.set(j.scheduled_time, list);
  }
  for (const slot of slots) {
    const rows = bySlot.get(slot);
    if (!rows) {
      v.absent.push(slot);
      continue;
    }
    const last = rows[rows.length - 1] as JobRow;
    if (rows.slice(0, -1).some((r) => !superseded(r))) v.twice.push(slot);
    if (!FINAL.has(last.status)) v.unfinished.push(slot);
    v.byStatus[last.status] = (v.byStatus[last.status] ?? 0) + 1;
  }
  return v;
}
