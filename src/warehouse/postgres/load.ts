/**
 * A load into the PostgreSQL warehouse (issue 13), on a connection of its own.
 *
 * `append`: each slice is one transaction — its rows by `COPY … FROM STDIN`
 * straight into the table, then the stream's fence check and the ledger row,
 * then COMMIT. A kill, a dropped connection or a server restart before the
 * COMMIT leaves nothing of the slice (PostgreSQL rolls the transaction back).
 *
 * `replace`, `truncate`, `replace_on_new_data`: slices COPY into a temporary
 * table of the load's session (gone with the session, so a killed load leaves
 * nothing to clean up); `finish()` swaps in one transaction — DELETE the
 * table's rows, INSERT the staged rows, the ledger rows — so the table keeps
 * its identity (grants, views, dependants) and a reader sees the old rows
 * until the swap commits and the new ones after, never an empty table
 * (whatever its isolation level: TRUNCATE would show an older snapshot none).
 */
import type { Writable } from "node:stream";
import type { Clock } from "../../clock.js";
import { replacesTable, sliceStillOpen, usesStaging } from "../load-rules.js";
import { ItdError } from "../../errors.js";
import { alreadyCommitted, encodeCursor, fenced } from "../ledger.js";
import type { Load, Slice } from "../port.js";
import { TIME_COLUMN } from "../schema.js";
import type { BeginLoadOptions, CommittedCursor, LoadResult, OutMode, Row, RowMatch, RunRef, SliceCounts, StreamPosition, TableColumn } from "../types.js";
import { asPgError, type PgClient } from "./connect.js";
import { copyKind, encodeCopyBuffer, type CopyKind } from "./copy.js";
import { checkKeyIndex, dropKeyIndexes, mergeSlice, reconcilePgKeyIndex, SLICE_TABLE, sliceTableSql } from "./keys.js";
import { ensureLedger, readColumns } from "./meta.js";
import {
  columnDefinition,
  createTableSql,
  FENCES_TABLE,
  ident,
  LEDGER_TABLE,
  literal,
  pgColumnName,
  pgType,
  planColumns,
  qualified,
  schemaLockSql,
  tableLockSql,
} from "./sql.js";
import type { PostgresTarget } from "./url.js";

const STAGE = "itd_stage";

/** The server's limits a load's session lifts (those the server has: idle_session_timeout is 14+, transaction_timeout 17+). */
const SESSION_TIMEOUTS = ["statement_timeout", "idle_in_transaction_session_timeout", "idle_session_timeout", "transaction_timeout"];

/** COPY text is written in pieces of this many rows (fewer, larger writes: about 500 KB each). */
const COPY_CHUNK_ROWS = 2_000;

export interface PgLoadContext {
  target: PostgresTarget;
  clock: Clock;
  /** The load's own connection; the load ends it. */
  client: PgClient;
  /** A stream as this home's ledger names it (the load's own stream comes scoped already). */
  scoped(stream: string): string;
  /** The load is over (finished or aborted). */
  ended(load: PgLoad): void;
}

interface Committed {
  slice: string;
  cursorJson: string;
  rows: number;
  position: StreamPosition | undefined;
}

export class PgLoad implements Load {
  readonly database: string;
  readonly table: string;
  readonly mode: OutMode;
  readonly runFiles = undefined;
  /** `"col", …, "time"` of the COPY, in row order. */
  private copyColumns = "";
  /** The COPY's column names and their PostgreSQL types, in row order. */
  private loadColumns: string[] = [];
  private loadTypes: string[] = [];
  /** Append and upsert with a key (issue 15): slices COPY into a temporary table, merged into the table at commit. */
  private keyed: { match: Exclude<RowMatch, { kind: "insert" }>; key: string[]; index: string | undefined } | undefined;
  /** A staging load's swap drops the table's key indexes (its rows may repeat a key). */
  private dropKeys = false;
  private kinds: CopyKind[] = [];
  /** Staging modes: the columns the load adds to the table at the swap. */
  private stageColumns: TableColumn[] = [];
  private warnings: string[] = [];
  private readonly committedSlices: Committed[] = [];
  private current: PgSlice | undefined;
  private state: "open" | "finished" | "aborted" = "open";

  private constructor(
    private readonly ctx: PgLoadContext,
    private readonly opts: BeginLoadOptions,
  ) {
    this.database = opts.database;
    this.table = opts.table;
    this.mode = opts.mode;
  }

  /** Fences the stream (committed first), then prepares the table (append) or the staging table. */
  static async begin(ctx: PgLoadContext, opts: BeginLoadOptions): Promise<PgLoad> {
    const load = new PgLoad(ctx, opts);
    try {
      await load.prepare();
    } catch (err) {
      await ctx.client.end().catch(() => undefined);
      ctx.ended(load);
      throw asPgError(err, ctx.target, `Cannot start loading into ${opts.database}.${opts.table}`);
    }
    return load;
  }

  private get client(): PgClient {
    return this.ctx.client;
  }

  private get tableSql(): string {
    return qualified(this.database, this.table);
  }

  private async prepare(): Promise<void> {
    const { client, opts } = this;
    // A slice's COPY stays open for its whole download and the session waits between slices: timeouts a server
    // sets for its roles or databases (a managed one often does) would fail every slice longer than them.
    await client.query(
      `SELECT pg_catalog.set_config(name, '0', false) FROM pg_catalog.pg_settings WHERE name IN (${SESSION_TIMEOUTS.map(literal).join(", ")})`,
    );
    await client.query("BEGIN");
    await client.query(schemaLockSql(this.database));
    await ensureLedger(client, this.database);
    await this.checkFence();
    // The fence commits before the table's DDL: an older holder's open slice holds the table, which ALTER TABLE
    // waits for, and that slice's commit checks the fence — fenced in the same transaction, the two deadlocked
    // and PostgreSQL could end the newer one, letting the older commit.
    await client.query("COMMIT");
    await client.query("BEGIN");
    await client.query(tableLockSql(this.database, this.table));
    const existing = await readColumns(client, this.database, this.table);
    const plan = planColumns(this.table, existing ?? [], opts.columns);
    this.warnings = plan.warnings;
    const loadColumns = [...plan.names, TIME_COLUMN];
    this.loadColumns = loadColumns;
    const match: RowMatch = (usesStaging(this.mode) ? undefined : opts.match) ?? { kind: "insert" };
    // A load's column by its name in the load.yml: its PostgreSQL name (`time` is itself).
    const pgName = (name: string): string => (name === TIME_COLUMN ? TIME_COLUMN : (plan.names[opts.columns.findIndex((c) => c.name === name)] ?? name));
    const key = match.kind === "insert" ? [] : match.key.map(pgName);
    if (!usesStaging(this.mode)) {
      if (existing === undefined) {
        await client.query(createTableSql(this.database, this.table, plan.added));
      } else if (plan.added.length > 0) {
        await client.query(`ALTER TABLE ${this.tableSql} ${plan.added.map((c) => `ADD COLUMN ${columnDefinition(c)}`).join(", ")}`);
      }
      const now = (await readColumns(client, this.database, this.table)) ?? [];
      const typeOf = new Map(now.map((c) => [c.name, c.pgType]));
      const tableKey = await reconcilePgKeyIndex(client, this.database, this.table, match, key, typeOf);
      await client.query("COMMIT");
      this.loadTypes = loadColumns.map((n) => typeOf.get(n) ?? "text");
      this.kinds = this.loadTypes.map(copyKind);
      if (tableKey.match.kind !== "insert") {
        this.keyed = { match: tableKey.match, key, index: tableKey.index };
        for (const sql of sliceTableSql(loadColumns, this.loadTypes)) await client.query(sql);
      }
    } else {
      // A key index left by an earlier lookback or upsert would refuse the swap's repeated keys: the swap drops them.
      this.dropKeys = existing !== undefined;
      await client.query("COMMIT");
      // The staged rows have the table's own types where it has the column, so the swap's INSERT needs no casts.
      const typeOf = new Map((existing ?? []).map((c) => [c.name, c.pgType]));
      const types = loadColumns.map((n, i) => {
        const spec = opts.columns[i];
        return typeOf.get(n) ?? pgType(spec === undefined ? "time" : spec.type);
      });
      const defs = loadColumns.map((n, i) => `${ident(n)} ${types[i] as string}`);
      // `time` first, as in every table itd makes: a table made at the swap is made LIKE the staging table.
      defs.unshift(defs.pop() as string);
      await client.query(`DROP TABLE IF EXISTS pg_temp.${STAGE}`);
      await client.query(`CREATE TEMP TABLE ${STAGE} (${defs.join(", ")})`);
      this.stageColumns = plan.added;
      this.kinds = types.map(copyKind);
    }
    this.copyColumns = loadColumns.map(ident).join(", ");
  }

  /** Inside a transaction: records the load's token as the stream's fence, or fails when a newer holder fenced it. */
  private async checkFence(): Promise<void> {
    const { fence, stream } = this.opts;
    if (fence === undefined) return;
    const fences = qualified(this.database, FENCES_TABLE);
    const r = await this.client.query(
      `INSERT INTO ${fences} (stream, token) VALUES ($1, $2)
       ON CONFLICT (stream) DO UPDATE SET token = EXCLUDED.token WHERE ${fences}.token <= EXCLUDED.token
       RETURNING token`,
      [stream, fence],
    );
    if (r.rowCount === 0) {
      const seen = await this.client.query<{ token: string }>(`SELECT token FROM ${fences} WHERE stream = $1`, [stream]);
      throw fenced(stream, fence, Number(seen.rows[0]?.token ?? 0));
    }
  }

  async beginSlice(sliceId: string): Promise<Slice> {
    this.assertOpen();
    if (this.current !== undefined) {
      throw sliceStillOpen(this.current.id, "first");
    }
    const { stream, jobId } = this.opts;
    let seen;
    try {
      seen = await this.client.query(`SELECT 1 FROM ${qualified(this.database, LEDGER_TABLE)} WHERE stream = $1 AND job_id = $2 AND slice = $3`, [stream, jobId, sliceId]);
    } catch (err) {
      throw asPgError(err, this.ctx.target, `Slice '${sliceId}' failed`);
    }
    if ((seen.rowCount ?? 0) > 0 || this.committedSlices.some((s) => s.slice === sliceId)) throw alreadyCommitted(stream, jobId, sliceId);
    this.current = new PgSlice(sliceId, this);
    return this.current;
  }

  async lastCommitted(stream: string): Promise<CommittedCursor | undefined> {
    this.assertOpen();
    try {
      return await lastCommittedIn(this.client, this.database, this.ctx.scoped(stream));
    } catch (err) {
      throw asPgError(err, this.ctx.target, `Cannot read the ledger of ${this.database}`);
    }
  }

  /** Slice internals: starts the slice's transaction and its COPY. */
  async openCopy(): Promise<Writable> {
    const from = await copyFrom();
    await this.client.query("BEGIN");
    const target = usesStaging(this.mode) ? `pg_temp.${STAGE}` : this.keyed !== undefined ? `pg_temp.${SLICE_TABLE}` : this.tableSql;
    return this.client.query(from(`COPY ${target} (${this.copyColumns}) FROM STDIN`));
  }

  encode(rows: readonly Row[]): Buffer {
    return encodeCopyBuffer(rows, this.kinds);
  }

  get target(): PostgresTarget {
    return this.ctx.target;
  }

  get pg(): PgClient {
    return this.client;
  }

  /** Slice internals, inside its transaction before COMMIT: a keyed slice's merge, the append slice's fence check and ledger row. */
  async beforeCommit(entry: Committed): Promise<SliceCounts> {
    if (usesStaging(this.mode)) return { present: 0, updated: 0 };
    const keyed = this.keyed;
    if (keyed?.index !== undefined) await checkKeyIndex(this.client, this.database, this.table, keyed.index);
    const counts =
      keyed === undefined || entry.rows === 0
        ? { present: 0, updated: 0 }
        : await mergeSlice(this.client, this.database, this.table, keyed.match, keyed.key, this.loadColumns, this.loadTypes, entry.rows);
    await this.checkFence();
    await this.record(entry);
    return counts;
  }

  committed(entry: Committed): void {
    this.committedSlices.push(entry);
  }

  ended(slice: PgSlice): void {
    if (this.current === slice) this.current = undefined;
  }

  private async record(s: Committed): Promise<void> {
    const { stream, jobId } = this.opts;
    try {
      await this.client.query(
        `INSERT INTO ${qualified(this.database, LEDGER_TABLE)} (stream, job_id, slice, table_name, cursor, rows, committed_at, epoch, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [stream, jobId, s.slice, this.table, s.cursorJson, s.rows, this.ctx.clock.now(), s.position?.epoch ?? null, s.position?.seq ?? null],
      );
    } catch (err) {
      if ((err as { code?: string }).code === "23505") throw alreadyCommitted(stream, jobId, s.slice);
      throw err;
    }
  }

  async finish(): Promise<LoadResult> {
    this.assertOpen();
    if (this.current !== undefined) {
      throw sliceStillOpen(this.current.id, "before finish()");
    }
    const rows = this.committedSlices.reduce((n, s) => n + s.rows, 0);
    const replaced = replacesTable(this.mode, rows);
    if (usesStaging(this.mode)) {
      try {
        await this.swap(replaced);
      } catch (err) {
        await this.client.query("ROLLBACK").catch(() => undefined);
        await this.end("aborted");
        throw asPgError(err, this.ctx.target, `Cannot finish loading into ${this.database}.${this.table}`);
      }
    }
    await this.end("finished");
    return { rows, slices: this.committedSlices.length, replaced, warnings: [...this.warnings] };
  }

  /** One transaction: the table's rows become the staged ones (or stay, with no new data), plus the ledger rows. */
  private async swap(replace: boolean): Promise<void> {
    const { client } = this;
    await client.query("BEGIN");
    await client.query(tableLockSql(this.database, this.table));
    if (replace) {
      const existing = await readColumns(client, this.database, this.table);
      if (existing === undefined) {
        // (Also when the table went away since the load began: the staged columns, with their types.)
        await client.query(`CREATE TABLE ${this.tableSql} (LIKE pg_temp.${STAGE})`);
      } else {
        const have = new Set(existing.map((c) => c.name));
        const added = this.stageColumns.filter((c) => !have.has(pgColumnName(c.name)));
        if (added.length > 0) await client.query(`ALTER TABLE ${this.tableSql} ${added.map((c) => `ADD COLUMN ${columnDefinition(c)}`).join(", ")}`);
      }
      // DELETE, not TRUNCATE: TRUNCATE is not MVCC-safe (a REPEATABLE READ reader whose snapshot is older than the
      // swap would find the table empty). The lock keeps writers out until the swap commits; readers read on.
      await client.query(`LOCK TABLE ${this.tableSql} IN SHARE ROW EXCLUSIVE MODE`);
      if (this.dropKeys) await dropKeyIndexes(client, this.database, this.table);
      await client.query(`DELETE FROM ${this.tableSql}`);
      await client.query(`INSERT INTO ${this.tableSql} (${this.copyColumns}) SELECT ${this.copyColumns} FROM pg_temp.${STAGE}`);
    }
    // After the table's lock: an older holder's open slice holds the table until its commit, which checks the
    // fence; the fence row locked first, the two would deadlock.
    await this.checkFence();
    for (const s of this.committedSlices) await this.record(s);
    await client.query("COMMIT");
  }

  async abort(): Promise<void> {
    if (this.state !== "open") return;
    try {
      await this.current?.rollback();
    } catch {
      // The connection is gone: so is the transaction.
    } finally {
      await this.end("aborted");
    }
  }

  private async end(state: "finished" | "aborted"): Promise<void> {
    if (this.state !== "open") return;
    this.state = state;
    // Ending the session drops the temporary staging table.
    await this.client.end().catch(() => undefined);
    this.ctx.ended(this);
  }

  private assertOpen(): void {
    if (this.state !== "open") {
      throw new ItdError("internal", `The load into ${this.database}.${this.table} is already ${this.state}`);
    }
  }
}

let copyModule: Promise<typeof import("pg-copy-streams").from> | undefined;

/** pg-copy-streams' `from` (a CommonJS module: its exports may come as the default), loaded once. */
function copyFrom(): Promise<typeof import("pg-copy-streams").from> {
  copyModule ??= import("pg-copy-streams").then((m) => m.from ?? (m as unknown as { default: typeof m }).default.from);
  return copyModule;
}

/** The stream's newest ledger row in a schema. */
export async function lastCommittedIn(client: PgClient, schema: string, stream: string): Promise<CommittedCursor | undefined> {
  const r = await client.query<{ job_id: string; slice: string; cursor: string; committed_at: string; epoch: string | null; seq: string | null }>(
    `SELECT job_id, slice, cursor, committed_at, epoch, seq FROM ${qualified(schema, LEDGER_TABLE)} WHERE stream = $1 ORDER BY id DESC LIMIT 1`,
    [stream],
  );
  const row = r.rows[0];
  if (row === undefined) return undefined;
  const position = row.epoch === null || row.seq === null ? undefined : { epoch: Number(row.epoch), seq: Number(row.seq) };
  return { cursor: JSON.parse(row.cursor) as unknown, jobId: row.job_id, slice: row.slice, committedAt: Number(row.committed_at), position };
}

type SliceState = "open" | "committed" | "rolled_back";

class PgSlice implements Slice {
  private count = 0;
  private state: SliceState = "open";
  private copy: Writable | undefined;
  private copyError: unknown;
  private inTransaction = false;

  constructor(
    readonly id: string,
    private readonly load: PgLoad,
  ) {}

  get rows(): number {
    return this.count;
  }

  async insert(rows: readonly Row[]): Promise<void> {
    this.assertOpen("insert into");
    if (rows.length === 0) return;
    await this.guard(async () => {
      if (this.copy === undefined) {
        this.inTransaction = true;
        const copy = await this.load.openCopy();
        copy.on("error", (err) => {
          this.copyError ??= err;
        });
        this.copy = copy;
      }
      for (let i = 0; i < rows.length; i += COPY_CHUNK_ROWS) {
        const bytes = this.load.encode(i === 0 && rows.length <= COPY_CHUNK_ROWS ? rows : rows.slice(i, i + COPY_CHUNK_ROWS));
        if (this.copyError !== undefined) throw this.copyError;
        if (!this.copy.write(bytes)) await drained(this.copy);
      }
      this.count += rows.length;
    });
  }

  addRun(_run: RunRef): void {
    throw new ItdError("internal", "The PostgreSQL warehouse takes rows by insert(), not by runs");
  }

  async commit(cursor: unknown, position?: StreamPosition): Promise<SliceCounts> {
    this.assertOpen("commit");
    const entry = { slice: this.id, cursorJson: encodeCursor(cursor), rows: this.count, position };
    let counts: SliceCounts = { present: 0, updated: 0 };
    await this.guard(async () => {
      const pg = this.load.pg;
      if (this.copy !== undefined) {
        const copy = this.copy;
        await new Promise<void>((resolve, reject) => {
          if (this.copyError !== undefined) {
            reject(this.copyError);
            return;
          }
          copy.once("finish", resolve);
          copy.once("error", reject);
          copy.end();
        });
        this.copy = undefined;
      } else {
        this.inTransaction = true;
        await pg.query("BEGIN");
      }
      counts = await this.load.beforeCommit(entry);
      await pg.query("COMMIT");
      this.inTransaction = false;
    });
    this.state = "committed";
    this.load.committed(entry);
    this.load.ended(this);
    return counts;
  }

  async rollback(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "rolled_back";
    try {
      const copy = this.copy;
      this.copy = undefined;
      if (copy !== undefined && !copy.destroyed) {
        // destroy() sends CopyFail: the server ends the COPY with an error, which is the point.
        await new Promise<void>((resolve) => {
          copy.once("close", () => resolve());
          copy.destroy();
        });
      }
      if (this.inTransaction) {
        this.inTransaction = false;
        await this.load.pg.query("ROLLBACK");
      }
    } catch {
      // A broken connection: the server rolled the transaction back when it went.
    } finally {
      this.load.ended(this);
    }
  }

  /** Any failure while writing rolls the whole slice back: nothing of it stays. */
  private async guard(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      await this.rollback();
      throw asPgError(err, this.load.target, `Slice '${this.id}' failed`);
    }
  }

  private assertOpen(what: string): void {
    if (this.state !== "open") {
      throw new ItdError("internal", `Cannot ${what} slice '${this.id}': it is ${this.state.replace("_", " ")}`);
    }
  }
}

/** Resolves when the stream wants more, rejects when it fails first. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown): void => {
      stream.off("drain", onDrain);
      stream.off("error", done);
      stream.off("close", onClose);
      if (err !== undefined) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error("Connection terminated during COPY"));
    stream.on("drain", onDrain);
    stream.on("error", done);
    stream.on("close", onClose);
  });
}
