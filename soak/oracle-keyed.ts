/**
 * The oracle of the two tables kept by a key (issue 15), from the second
 * fake's generator and the windows each table's ledger says were committed
 * into it (a slice's id is its window, `FROM/TO`).
 *
 * **Lookback** (incremental append, `in.lookback: L`, events late by at most
 * lateBy ≤ L). A run whose cursor is c reads [c − L, E) (never before
 * start_time; E its slot, or now, whichever is earlier) at a time ≥ E, and an
 * event created at t and visible from v (t ≤ v ≤ t + lateBy) is served by a
 * read at a time ≥ v. Let the committed cursors be c_0 < c_1 < … < c_n = C.
 * The runs whose windows contain t are those with c_{k−1} − L ≤ t < c_k; the
 * last of them, J, either is not the last run — then c_J > t + L ≥ v, and it
 * read at a time ≥ c_J, after the event arrived — or is the last run, which
 * read at a time ≥ C. Hence, by the event's key (emailSend: message_id):
 * - every event with createdAt in [start, C) and visibleAt ≤ C is in the
 *   table exactly once — every event of [start, C − L) (issue 15's rule), and
 *   every event that was on time;
 * - an event of [start, C) visible only after C at most once (present only if
 *   it had arrived when a window holding it was read);
 * - nothing outside [start, C).
 * A rewind (`--config-diff`) to r in [start, C) starts a new chain at r whose
 * first window starts at r − L; the events before r − L < C − L were covered
 * by the chain before, so the rule holds with C the highest cursor ever
 * committed, which is the highest window end in the ledgers. A schedule
 * deleted and created again on the same table is a new stream from
 * start_time: the same. A switch to another database (`-d`) and back splits
 * the windows between two tables, each with its own key index, so an event
 * read into both is in both: the rule is then held per table over the windows
 * its ledger lists (exactly once when visible by the end of one of them that
 * contains it; a row only for an event of one of them that was visible when
 * that window committed; never two rows of one key), and across the tables
 * by the cursor: every event of [start, C) visible by C is in one of them.
 *
 * **Upsert** (the user export, `primary_keys: [email]`, `time_column:
 * profile_updated_at`). Users are never late: a window read at a time ≥ its
 * end holds every profile version updated in it. A slice inserts new emails
 * and replaces a row only with a version at least as new that differs, so each
 * table holds one row per email, equal (profile_updated_at, city,
 * loyalty_points) to its newest version among the windows committed into that
 * table; and across the tables, each email's newest row is
 * `latestUserProfiles(cfg, C)`'s for every user with a version in
 * [start, C) (start_time is the fake's dataStart: every user with a version
 * before C), and no other email has a row. Rewinds and re-creations re-read
 * older versions, which change nothing; a `-d` switch keeps each table's rule.
 */
import { columnName } from "../src/connector/naming.js";
import { eventIdentities, exportRecords, keyFieldOf, latestUserProfiles, type EventIdentity, type GeneratorConfig } from "../src/fake-iterable/index.js";
import { freshVerdict, ledgerCursor, slotVerdict, startOf, type JobRow, type LedgerWindow, type SlotVerdict, type StateView, type TableVerdict, type WarehouseReader } from "./oracle.js";
import type { Expectation, SoakSchedule } from "./plan.js";

export type KeyedExpectation = Extract<Expectation, { kind: "lookback" | "upsert" }>;

export const isKeyed = (e: Expectation): e is KeyedExpectation => e.kind === "lookback" || e.kind === "upsert";

/** A window's commit may be stamped a little before the fake's clock served its last record: the clocks' tolerance. */
const CLOCK_SLACK_MS = 1000;

const iso = (ms: number): string => new Date(ms).toISOString();

/** The names a schedule's jobs carry: its own, and the one the soak renames it to for a while. */
export const namesOf = (name: string): string[] => [name, `${name}_renamed`];

/** Checks a lookback or upsert table (and its copy in `alsoIn`, for a schedule switched there and back). */
export async function checkKeyedTable(
  cfg: GeneratorConfig,
  wh: WarehouseReader,
  state: StateView,
  s: Pick<SoakSchedule, "name" | "database" | "table"> & { expect: KeyedExpectation; alsoIn?: readonly string[] },
): Promise<TableVerdict> {
  const databases = [s.database, ...(s.alsoIn ?? [])];
  const v = freshVerdict(s);
  const jobs = state.jobsNamed(namesOf(s.name));
  v.present = jobs.reduce((a, j) => a + Number(j.present_records), 0);
  v.updated = jobs.reduce((a, j) => a + Number(j.updated_records), 0);
  const tables = await Promise.all(databases.map(async (database) => ({ database, windows: await wh.windows(database, s.table) })));
  const all = tables.flatMap((t) => t.windows);
  const start = s.expect.start;
  const end = all.reduce((m, w) => Math.max(m, w.end), start);
  for (const w of all) if (w.start < start) v.cursor.push(`a window read before start_time: ${iso(w.start)} → ${iso(w.end)} (${w.stream})`);
  await checkCursor(wh, state, databases, s.name, jobs, end, v);
  if (tables.filter((t) => t.windows.length > 0).length > 1) v.notes.push(`windows in ${tables.filter((t) => t.windows.length > 0).map((t) => t.database).join(" and ")}`);
  const streams = new Set(all.map((w) => w.stream)).size;
  if (streams > 1) v.notes.push(`${streams} streams (deleted and created again)`);
  if (s.expect.kind === "lookback") await checkLookback(cfg, wh, s.table, s.expect, tables, end, v);
  else await checkUpsert(cfg, wh, s.table, s.expect, tables, end, v);
  return v;
}

/** The schedule's current stream: its state cursor agrees with its ledger after a successful last job, and lies within what was committed. */
async function checkCursor(wh: WarehouseReader, state: StateView, databases: string[], name: string, jobs: readonly JobRow[], end: number, v: TableVerdict): Promise<void> {
  const stream = state.streamOf(name);
  if (stream === undefined) return;
  const ledger = await ledgerCursor(wh, databases, stream);
  const ledgerStart = ledger ? startOf(ledger.cursor) : undefined;
  const stored = state.cursor(stream);
  const storedStart = stored ? startOf(stored.configDiff) : undefined;
  const last = [...jobs].reverse().find((j) => j.stream === stream && ["success", "error", "killed"].includes(j.status));
  if (ledgerStart !== storedStart) {
    // A rewind stores a cursor the ledger has not seen until the next commit; a kill between the two writes leaves the state behind.
    if (last?.status === "success" && ledger !== undefined && ledger.jobId === last.id) v.cursor.push(`ledger cursor ${String(ledgerStart)} ≠ state cursor ${String(storedStart)} after a successful job`);
    else v.notes.push("state cursor ≠ the ledger's (rewound, or the last job did not succeed)");
  }
  if (storedStart !== undefined && storedStart > end) v.cursor.push(`state cursor ${iso(storedStart)} beyond every committed window (${iso(end)})`);
}

type Tables = readonly { database: string; windows: readonly LedgerWindow[] }[];

function tally(keys: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

async function checkLookback(
  cfg: GeneratorConfig, wh: WarehouseReader, table: string, e: Extract<KeyedExpectation, { kind: "lookback" }>, tables: Tables, end: number, v: TableVerdict,
): Promise<void> {
  const key = keyFieldOf(e.type);
  if (key === undefined) throw new Error(`soak: no key field for ${e.type}`);
  const events: EventIdentity[] = end > e.start ? [...eventIdentities(cfg, e.type, { start: e.start, end })] : [];
  const known = new Set(events.map((x) => x.key));
  const inAny = new Map<string, number>();
  const missingSomewhere = new Set<string>();
  for (const t of tables) {
    const rows = tally((await wh.column(t.database, table, `SELECT ${columnName(key)} FROM $T`)) ?? []);
    for (const x of events) {
      const holding = t.windows.filter((w) => w.start <= x.createdAt && x.createdAt < w.end);
      const must = holding.some((w) => x.visibleAt <= w.end);
      const may = must || holding.some((w) => x.visibleAt <= w.committedAt + CLOCK_SLACK_MS);
      const a = rows.get(x.key) ?? 0;
      inAny.set(x.key, (inAny.get(x.key) ?? 0) + a);
      if (must) v.expected++;
      if (a > 1) v.duplicated += a - 1;
      if (a === 0 && must) {
        v.missing++;
        missingSomewhere.add(x.key);
      }
      if (a > 0 && !may) v.extra++;
    }
    for (const [k, a] of rows) {
      v.rows += a;
      if (!known.has(k)) v.extra += a;
    }
  }
  // Across the tables, the cursor's rule: a window chain with a gap, or a lookback too short, loses these.
  let gap = 0;
  for (const x of events) {
    if (x.visibleAt > end || (inAny.get(x.key) ?? 0) > 0 || missingSomewhere.has(x.key)) continue;
    gap++;
    v.expected++;
  }
  if (gap > 0) {
    v.missing += gap;
    v.notes.push(`${gap} events visible by the cursor ${iso(end)} in no table (no window read them after they arrived)`);
  }
  const late = events.filter((x) => x.visibleAt > x.createdAt);
  const lateIn = late.filter((x) => (inAny.get(x.key) ?? 0) > 0).length;
  v.notes.push(`late events ${lateIn}/${late.length} imported, ${late.filter((x) => x.visibleAt > end).length} not visible by the cursor`);
}

/** A stored timestamp as epoch ms: SQLite's `2026-06-01 00:00:00.000`, PostgreSQL's `2026-06-01 00:00:00+00` (UTC), the fake's `2026-06-01 00:00:00 +00:00`. */
const ms = (t: string): number => Date.parse(`${t.slice(0, 19).replace(" ", "T")}${/\.\d+/.exec(t.slice(19))?.[0] ?? ""}Z`);

interface Profile {
  updatedAt: number;
  city: string;
  points: string;
}

async function checkUpsert(
  cfg: GeneratorConfig, wh: WarehouseReader, table: string, e: Extract<KeyedExpectation, { kind: "upsert" }>, tables: Tables, end: number, v: TableVerdict,
): Promise<void> {
  const profile = (r: Record<string, unknown>): Profile => ({
    updatedAt: ms(String(r["profileUpdatedAt"])), city: String(r["city"] ?? ""), points: String(r["loyaltyPoints"] ?? ""),
  });
  const same = (a: Profile, b: Profile): boolean => a.updatedAt === b.updatedAt && a.city === b.city && a.points === b.points;
  const show = (p: Profile | undefined): string => (p === undefined ? "none" : `${iso(p.updatedAt)} ${p.city} ${p.points}`);
  // Every version of [start, end), by email, oldest first.
  const versions = new Map<string, Profile[]>();
  if (end > e.start) {
    for (const r of exportRecords(cfg, "user", { start: e.start, end })) {
      const email = String(r["email"]);
      versions.set(email, [...(versions.get(email) ?? []), profile(r)]);
    }
  }
  const sql = `SELECT email || '|' || CAST(profile_updated_at AS TEXT) || '|' || coalesce(city, '') || '|' || coalesce(CAST(${columnName("loyaltyPoints")} AS TEXT), '') FROM $T`;
  const newest = new Map<string, Profile>();
  const faulty = new Set<string>();
  const wrong: string[] = [];
  for (const t of tables) {
    const covered = (at: number): boolean => t.windows.some((w) => w.start <= at && at < w.end);
    const rows = new Map<string, Profile[]>();
    for (const line of (await wh.column(t.database, table, sql)) ?? []) {
      const [email = "", time = "", ...rest] = line.split("|");
      const points = rest.pop() ?? "";
      rows.set(email, [...(rows.get(email) ?? []), { updatedAt: ms(time), city: rest.join("|"), points }]);
      v.rows++;
    }
    for (const [email, list] of versions) {
      const want = list.filter((p) => covered(p.updatedAt)).pop();
      const got = rows.get(email) ?? [];
      if (want !== undefined) v.expected++;
      if (got.length > 1) v.duplicated += got.length - 1;
      const row = got[0];
      if (want !== undefined && row === undefined) v.missing++;
      else if (want === undefined && row !== undefined) v.extra++;
      else if (want !== undefined && row !== undefined && !same(want, row)) {
        v.missing++;
        wrong.push(`${t.database}.${table} ${email}: row ${show(row)}, newest version read ${show(want)}`);
      }
      if (got.length !== (want === undefined ? 0 : 1) || (want !== undefined && row !== undefined && !same(want, row))) faulty.add(email);
      for (const p of got) if (p.updatedAt > (newest.get(email)?.updatedAt ?? Number.NEGATIVE_INFINITY)) newest.set(email, p);
    }
    for (const [email, got] of rows) if (!versions.has(email)) v.extra += got.length;
  }
  // Across the tables: each user's newest row is its newest version before the cursor (no window missed).
  let stale = 0;
  for (const [email, r] of latestUserProfiles(cfg, end)) {
    const want = profile(r);
    if (want.updatedAt < e.start || faulty.has(email)) continue;
    const got = newest.get(email);
    if (got === undefined || !same(want, got)) {
      stale++;
      if (wrong.length < 3) wrong.push(`${email}: newest row ${show(got)}, newest version before ${iso(end)} ${show(want)}`);
    }
  }
  v.missing += stale;
  if (stale > 0) v.notes.push(`${stale} users whose newest row is not their newest version before the cursor`);
  if (wrong.length > 0) v.cursor.push(`rows unlike the fake's version (${wrong.length}), e.g. ${wrong.slice(0, 3).join("; ")}`);
}

/**
 * The slots of a schedule deleted and created again: each of its streams (in order) is held to `checkSlots` from
 * its first scheduled job to its last (the last stream: to `through`). Between a stream's last job and the next
 * one's first, the schedule was deleted or not yet seen by a daemon.
 */
export function slotsAcrossStreams(name: string, jobs: readonly JobRow[], cron: string, timezone: string, _from: number, through: number): SlotVerdict {
  const byStream = new Map<string, JobRow[]>();
  for (const j of jobs) byStream.set(j.stream, [...(byStream.get(j.stream) ?? []), j]);
  const groups = [...byStream.values()].filter((g) => g.some((j) => j.kind === "scheduled" && j.scheduled_time !== null));
  const v: SlotVerdict = { schedule: name, slots: 0, absent: [], twice: [], unfinished: [], offCron: [], byStatus: {} };
  groups.forEach((g, i) => {
    const times = g.filter((j) => j.kind === "scheduled" && j.scheduled_time !== null).map((j) => j.scheduled_time as number);
    // Each life from its own first job: a life deleted before it ran anything leaves no stream here, so the first
    // one seen may have been created after `from` (a slot before it fell in the gap; seen as "absent" before).
    const one = slotVerdict(name, g, cron, timezone, Math.min(...times) - 1, i === groups.length - 1 ? through : Math.max(...times));
    v.slots += one.slots;
    v.absent.push(...one.absent);
    v.twice.push(...one.twice);
    v.unfinished.push(...one.unfinished);
    v.offCron.push(...one.offCron);
    for (const [k, n] of Object.entries(one.byStatus)) v.byStatus[k] = (v.byStatus[k] ?? 0) + n;
  });
  return v;
}
