/**
 * `GET /tables`: every database and table of the warehouse — rows, time
 * range, last import, rows imported per day — read through the warehouse
 * port's bounded query (`Warehouse.query`: the embedded engine runs it in a
 * child process killed at its deadline, PostgreSQL on the server under a
 * statement timeout), so counting a big table never blocks the daemon's loop.
 * Two statements a database (its tables; their figures and the ledger's per
 * day), read at most every `maxAgeMs` and kept: a page is served from the
 * last reading while the next one runs.
 */
import type { Clock } from "../../clock.js";
import type { CellValue } from "../../warehouse/types.js";
import type { Warehouse } from "../../warehouse/port.js";

export const DAYS = 30;
const DAY_MS = 86_400_000;
/** Tables counted by one statement. */
const TABLES_PER_STATEMENT = 100;

export interface TableFigures {
  database: string;
  name: string;
  rows: number;
  /** Smallest and largest `time` (unix seconds); null when empty or without a `time` column. */
  minTime: number | null;
  maxTime: number | null;
  /** When a slice was last committed into it (ms), from the database's ledger. */
  lastImportAt: number | null;
  /** Rows imported per day (UTC), the last DAYS days, oldest first. */
  perDay: number[];
}

export interface TablesReading {
  tables: TableFigures[];
  /** Databases that could not be read, and why. */
  problems: { database: string; message: string }[];
  readAt: number;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quoteText = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const num = (v: CellValue | undefined): number | null => (v === null || v === undefined || v === "" ? null : Number(v));

/** The statement listing a database's user tables and whether each has a `time` column, for one engine. */
export function tablesSql(engine: Warehouse["engine"]): string {
  return engine === "sqlite"
    ? `SELECT m.name, EXISTS (SELECT 1 FROM pragma_table_info(m.name) AS p WHERE p.name = 'time') AS has_time
         FROM sqlite_schema AS m WHERE m.type = 'table' AND m.name NOT LIKE '\\_itd%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name`
    : `SELECT c.relname AS name,
              EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'time' AND a.attnum > 0 AND NOT a.attisdropped) AS has_time
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '\\_itd%' ORDER BY 1`;
}

/**
 * One statement, in the SQL both engines accept, for `tables` (with whether each has `time`): per table
 * (`t`) its rows and time range; with `ledger`, the rows imported per day since `sinceMs` (`d`) and each
 * table's last import (`l`), from `_itd_loads` (by its index on table_name, committed_at).
 */
export function figuresSql(tables: readonly { name: string; hasTime: boolean }[], sinceMs: number, ledger: boolean): string {
  const parts = tables.map((t) =>
    t.hasTime
      ? `SELECT 't' AS k, ${quoteText(t.name)} AS tbl, count(*) AS a, min("time") AS b, max("time") AS c FROM ${quoteIdent(t.name)}`
      : `SELECT 't' AS k, ${quoteText(t.name)} AS tbl, count(*) AS a, CAST(NULL AS BIGINT) AS b, CAST(NULL AS BIGINT) AS c FROM ${quoteIdent(t.name)}`,
  );
  if (ledger) {
    const since = Math.floor(sinceMs);
    parts.push(
      `SELECT 'd' AS k, table_name AS tbl, CAST(committed_at / ${DAY_MS} AS BIGINT) AS a, sum(rows) AS b, CAST(NULL AS BIGINT) AS c FROM _itd_loads WHERE committed_at >= ${since} GROUP BY table_name, CAST(committed_at / ${DAY_MS} AS BIGINT)`,
      `SELECT 'l' AS k, table_name AS tbl, max(committed_at) AS a, CAST(NULL AS BIGINT) AS b, CAST(NULL AS BIGINT) AS c FROM _itd_loads GROUP BY table_name`,
    );
  }
  return parts.join("\nUNION ALL\n");
}

/** Reads one database's tables and figures. */
async function readDatabase(warehouse: Warehouse, database: string, now: number, timeoutMs: number): Promise<TableFigures[]> {
  const options = { timeoutMs, maxRows: 0 };
  const listed = await warehouse.query(database, tablesSql(warehouse.engine), options);
  const tables = listed.rows.map((r) => ({ name: String(r[0]), hasTime: ["1", "true", "t"].includes(String(r[1])) }));
  const today = Math.floor(now / DAY_MS);
  const first = today - DAYS + 1;
  const byName = new Map<string, TableFigures>(
    tables.map((t) => [t.name, { database, name: t.name, rows: 0, minTime: null, maxTime: null, lastImportAt: null, perDay: new Array<number>(DAYS).fill(0) }]),
  );
  for (let i = 0; i < Math.max(1, tables.length); i += TABLES_PER_STATEMENT) {
    const sql = figuresSql(tables.slice(i, i + TABLES_PER_STATEMENT), first * DAY_MS, i === 0);
    for (const [k, tbl, a, b, c] of (await warehouse.query(database, sql, options)).rows) {
      const t = byName.get(String(tbl));
      if (t === undefined) continue;
      if (k === "t") {
        t.rows = num(a) ?? 0;
        t.minTime = num(b);
        t.maxTime = num(c);
      } else if (k === "d") {
        const day = (num(a) ?? 0) - first;
        if (day >= 0 && day < DAYS) t.perDay[day] = num(b) ?? 0;
      } else if (k === "l") {
        t.lastImportAt = num(a);
      }
    }
  }
  return [...byName.values()];
}

export class TablesSource {
  private last: TablesReading | undefined;
  private reading: Promise<TablesReading> | undefined;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly clock: Clock,
    private readonly options: { maxAgeMs?: number; timeoutMs?: number } = {},
  ) {}

  /** The last reading, read again in the background when older than maxAgeMs (the first waits). */
  async get(): Promise<TablesReading> {
    const stale = this.last === undefined || this.clock.now() - this.last.readAt >= (this.options.maxAgeMs ?? 60_000);
    if (stale && this.reading === undefined) {
      const reading = this.read();
      this.reading = reading;
      reading.then((r) => {
        this.last = r;
        this.reading = undefined;
      }, () => (this.reading = undefined));
    }
    return this.last ?? (await (this.reading as Promise<TablesReading>));
  }

  private async read(): Promise<TablesReading> {
    const now = this.clock.now();
    const problems: TablesReading["problems"] = [];
    const tables: TableFigures[] = [];
    for (const db of await this.warehouse.listDatabases()) {
      try {
        tables.push(...(await readDatabase(this.warehouse, db.name, now, this.options.timeoutMs ?? 10_000)));
      } catch (err) {
        problems.push({ database: db.name, message: (err as Error).message });
      }
    }
    return { tables, problems, readAt: now };
  }
}
