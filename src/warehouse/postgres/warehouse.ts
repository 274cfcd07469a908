/**
 * The PostgreSQL engine behind the warehouse port (issue 13): a TD database
 * is a schema of the database that `warehouse:` names, a TD table a table in
 * it. Metadata reads share one connection (made again after the server went
 * away); each load and each query has its own.
 */
import type { Clock } from "../../clock.js";
import { ItdError } from "../../errors.js";
import { checkDatabaseName, checkTableName } from "../names.js";
import type { BoundedQueryResult, DatabaseCheck, Load, QueryOptions, Warehouse } from "../port.js";
import { checkLoadColumns, TIME_COLUMN } from "../schema.js";
import { checkLoadMode } from "../load-rules.js";
import type { BeginLoadOptions, CommittedCursor, CreateOptions, DatabaseInfo, LedgerFilter, LedgerRow, TableDescription, TableInfo } from "../types.js";
import { databaseNotFound, tableNotFound } from "../warehouse.js";
import { ConfigError } from "../../errors.js";
import { asPgError, connect, type PgClient } from "./connect.js";
import { lastCommittedIn, PgLoad } from "./load.js";
import { ensureLedger, readColumns, tableExists, userTables } from "./meta.js";
import { pgQuery } from "./query.js";
import { checkPgName, createTableSql, ident, itdType, LEDGER_TABLE, qualified, schemaLockSql, tableLockSql, type PgColumn } from "./sql.js";
import type { PostgresTarget } from "./url.js";

/** `streamScope`: the home's identity, put before every stream in the ledger and the fences (see open.ts). */
export function postgresWarehouse(target: PostgresTarget, clock: Clock, streamScope?: () => string): Warehouse {
  return new PostgresWarehouse(target, clock, streamScope);
}

const databaseName = (name: string): string => checkPgName("database", checkDatabaseName(name));
const tableName = (name: string): string => checkPgName("table", checkTableName(name));

class PostgresWarehouse implements Warehouse {
  readonly engine = "postgres" as const;
  readonly location: string;
  private meta: Promise<PgClient> | undefined;
  /** The end of the metadata call before (withMeta runs them one at a time). */
  private metaTurn: Promise<void> = Promise.resolve();
  private readonly loads = new Set<PgLoad>();
  private closed = false;

  constructor(
    private readonly target: PostgresTarget,
    private readonly clock: Clock,
    private readonly streamScope: (() => string) | undefined,
  ) {
    this.location = target.shown;
  }

  /** The stream as the ledger and the fences name it: this home's. */
  private scoped(stream: string): string {
    return this.streamScope === undefined ? stream : `${this.streamScope()}/${stream}`;
  }

  /**
   * Runs `fn` on the shared metadata connection, one call at a time (several of them open a transaction, which
   * calls made meanwhile would join); a failure names the server, and a connection the server ended (a restart,
   * its idle_session_timeout) is made again.
   */
  private withMeta<T>(context: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
    const run = this.metaTurn.then(() => this.onMeta(context, fn));
    this.metaTurn = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async onMeta<T>(context: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.meta === undefined) {
      const connecting = connect(this.target, "metadata");
      this.meta = connecting;
      // The server ended the connection between calls: the next call makes a new one.
      connecting.then(
        (c) => c.once("end", () => {
          if (this.meta === connecting) this.meta = undefined;
        }),
        () => undefined,
      );
    }
    let client: PgClient;
    try {
      client = await this.meta;
    } catch (err) {
      this.meta = undefined;
      throw err;
    }
    try {
      return await fn(client);
    } catch (err) {
      if (err instanceof ItdError) throw err;
      const e = asPgError(err, this.target, context);
      if (e.retryable) {
        this.meta = undefined;
        await client.end().catch(() => undefined);
      } else {
        await client.query("ROLLBACK").catch(() => undefined);
      }
      throw e;
    }
  }

  async listDatabases(): Promise<DatabaseInfo[]> {
    return this.withMeta("Cannot list databases", async (c) => {
      const r = await c.query<{ name: string; tables: string; bytes: string }>(
        `SELECT n.nspname AS name,
                (SELECT count(*) FROM pg_catalog.pg_class t WHERE t.relnamespace = n.oid AND t.relkind IN ('r', 'p') AND t.relname NOT LIKE '\\_itd%') AS tables,
                (SELECT coalesce(sum(pg_total_relation_size(t.oid)), 0) FROM pg_catalog.pg_class t WHERE t.relnamespace = n.oid AND t.relkind IN ('r', 'p')) AS bytes
           FROM pg_catalog.pg_namespace n
          WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_class l WHERE l.relnamespace = n.oid AND l.relname = $1 AND l.relkind = 'r')
          ORDER BY n.nspname`,
        [LEDGER_TABLE],
      );
      return r.rows.filter((x) => isValidDatabase(x.name)).map((x) => ({ name: x.name, tables: Number(x.tables), sizeBytes: Number(x.bytes) }));
    });
  }

  async databaseExists(database: string): Promise<boolean> {
    const schema = databaseName(database);
    return this.withMeta(`Cannot open database '${database}'`, (c) => tableExists(c, schema, LEDGER_TABLE));
  }

  async createDatabase(database: string, options: CreateOptions = {}): Promise<boolean> {
    const schema = databaseName(database);
    return this.withMeta(`Cannot create database '${database}'`, async (c) => {
      await c.query("BEGIN");
      await c.query(schemaLockSql(schema));
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
      const created = await ensureLedger(c, schema);
      await c.query("COMMIT");
      if (!created && options.ifNotExists !== true) throw new ItdError("conflict", `Database '${database}' already exists`);
      return created;
    });
  }

  private async requireDatabase(c: PgClient, database: string): Promise<string> {
    const schema = databaseName(database);
    if (!(await tableExists(c, schema, LEDGER_TABLE))) throw databaseNotFound(database);
    return schema;
  }

  async listTables(database: string): Promise<TableInfo[]> {
    return this.withMeta(`Cannot read database '${database}'`, async (c) => {
      const schema = await this.requireDatabase(c, database);
      const out: TableInfo[] = [];
      for (const name of await userTables(c, schema)) {
        const columns = (await readColumns(c, schema, name)) ?? [];
        const stats = await tableStats(c, schema, name, columns);
        const last = await c.query<{ at: string | null }>(`SELECT max(committed_at) AS at FROM ${qualified(schema, LEDGER_TABLE)} WHERE table_name = $1`, [name]);
        const at = last.rows[0]?.at ?? null;
        out.push({ name, rows: stats.rows, columns: columns.length, schema: columns.map(tableColumn), maxTime: stats.hi, lastImportAt: at === null ? null : Number(at) });
      }
      return out;
    });
  }

  async tableExists(database: string, table: string): Promise<boolean> {
    tableName(table);
    return this.withMeta(`Cannot read database '${database}'`, async (c) => tableExists(c, await this.requireDatabase(c, database), table));
  }

  async createTable(database: string, table: string, options: CreateOptions = {}): Promise<boolean> {
    tableName(table);
    return this.withMeta(`Cannot create table '${database}.${table}'`, async (c) => {
      const schema = await this.requireDatabase(c, database);
      await c.query("BEGIN");
      await c.query(tableLockSql(schema, table));
      const exists = await tableExists(c, schema, table);
      if (!exists) await c.query(createTableSql(schema, table, [{ name: TIME_COLUMN, type: "time" }]));
      await c.query("COMMIT");
      if (exists && options.ifNotExists !== true) throw new ItdError("conflict", `Table '${database}.${table}' already exists`);
      return !exists;
    });
  }

  async describeTable(database: string, table: string): Promise<TableDescription> {
    tableName(table);
    return this.withMeta(`Cannot read database '${database}'`, async (c) => {
      const schema = await this.requireDatabase(c, database);
      // One snapshot for the columns and the counts.
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        const columns = await readColumns(c, schema, table);
        if (columns === undefined) throw tableNotFound(database, table);
        const stats = await tableStats(c, schema, table, columns);
        return { database, name: table, columns: columns.map(tableColumn), rows: stats.rows, minTime: stats.lo, maxTime: stats.hi };
      } finally {
        await c.query("ROLLBACK");
      }
    });
  }

  async query(database: string, sql: string, options: QueryOptions): Promise<BoundedQueryResult> {
    this.assertOpen();
    return pgQuery(this.target, databaseName(database), sql, options);
  }

  async beginLoad(options: BeginLoadOptions): Promise<Load> {
    const { database, table } = options;
    databaseName(database);
    tableName(table);
    checkLoadMode(options);
    if (options.jobId.length === 0 || options.stream.length === 0) throw new ConfigError("A load needs a job id and a stream");
    checkLoadColumns(options.columns);
    if (!(await this.databaseExists(database))) throw databaseNotFound(database);
    const client = await connect(this.target, `load ${database}.${table}`);
    const load = await PgLoad.begin(
      { target: this.target, clock: this.clock, client, scoped: (s) => this.scoped(s), ended: (l) => this.loads.delete(l) },
      { ...options, stream: this.scoped(options.stream) },
    );
    this.loads.add(load);
    return load;
  }

  async lastCursor(database: string, stream: string): Promise<CommittedCursor | undefined> {
    const schema = databaseName(database);
    return this.withMeta(`Cannot read the ledger of ${database}`, async (c) =>
      (await tableExists(c, schema, LEDGER_TABLE)) ? lastCommittedIn(c, schema, this.scoped(stream)) : undefined,
    );
  }

  async ledger(database: string, filter: LedgerFilter = {}): Promise<LedgerRow[]> {
    return this.withMeta(`Cannot read the ledger of ${database}`, async (c) => {
      const schema = await this.requireDatabase(c, database);
      const where: string[] = [];
      const params: string[] = [];
      const scope = this.streamScope === undefined ? "" : `${this.streamScope()}/`;
      if (filter.stream !== undefined) {
        params.push(this.scoped(filter.stream));
        where.push(`stream = $${params.length}`);
      } else if (scope !== "") {
        params.push(scope);
        where.push(`starts_with(stream, $${params.length})`);
      }
      if (filter.jobId !== undefined) {
        params.push(filter.jobId);
        where.push(`job_id = $${params.length}`);
      }
      const r = await c.query<{ stream: string; job_id: string; slice: string; table_name: string; cursor: string; rows: string; committed_at: string }>(
        `SELECT stream, job_id, slice, table_name, cursor, rows, committed_at FROM ${qualified(schema, LEDGER_TABLE)}
         ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id`,
        params,
      );
      return r.rows.map((x) => ({
        stream: x.stream.slice(scope.length),
        jobId: x.job_id,
        slice: x.slice,
        table: x.table_name,
        cursor: JSON.parse(x.cursor) as unknown,
        rows: Number(x.rows),
        committedAt: Number(x.committed_at),
      }));
    });
  }

  async check(): Promise<DatabaseCheck[]> {
    const encoding = await this.withMeta("Cannot read the warehouse's encoding", async (c) => {
      const r = await c.query<{ encoding: string }>("SELECT pg_catalog.pg_encoding_to_char(encoding) AS encoding FROM pg_catalog.pg_database WHERE datname = current_database()");
      return r.rows[0]?.encoding ?? "UTF8";
    });
    // Iterable's text is UTF-8: a value the database's encoding cannot hold (an emoji in LATIN1) fails its slice, every retry.
    if (encoding !== "UTF8" && encoding !== "SQL_ASCII") {
      throw new ConfigError(`The PostgreSQL warehouse at ${this.target.shown} is reachable, but its encoding is ${encoding}: a record with text outside it (an emoji, most scripts) fails its slice`, {
        hints: [`itd needs a UTF8 database: createdb -E UTF8 -T template0 -h ${this.target.host} -p ${this.target.port} DBNAME`],
      });
    }
    const dbs = await this.listDatabases();
    return dbs.map((d) => ({ name: d.name, where: `schema ${d.name} of ${this.target.shown}`, tables: d.tables }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.loads].map((l) => l.abort()));
    const meta = this.meta;
    this.meta = undefined;
    if (meta !== undefined) await meta.then((c) => c.end()).catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new ItdError("internal", "The warehouse is closed");
  }
}

function tableColumn(c: PgColumn): { name: string; type: ReturnType<typeof itdType> } {
  return { name: c.name, type: itdType(c.name, c.pgType) };
}

async function tableStats(c: PgClient, schema: string, table: string, columns: readonly PgColumn[]): Promise<{ rows: number; lo: number | null; hi: number | null }> {
  const hasTime = columns.some((x) => x.name === TIME_COLUMN);
  const r = await c.query<{ n: string; lo: string | null; hi: string | null }>(
    `SELECT count(*) AS n, ${hasTime ? `min("time") AS lo, max("time") AS hi` : "NULL AS lo, NULL AS hi"} FROM ${qualified(schema, table)}`,
  );
  const row = r.rows[0];
  return { rows: Number(row?.n ?? 0), lo: row?.lo == null ? null : Number(row.lo), hi: row?.hi == null ? null : Number(row.hi) };
}

function isValidDatabase(name: string): boolean {
  try {
    databaseName(name);
    return true;
  } catch {
    return false;
  }
}
