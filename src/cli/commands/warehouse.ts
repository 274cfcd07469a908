import { UsageError } from "../../errors.js";
import { databaseNotFound } from "../../warehouse/index.js";
import { DEFAULT_QUERY_ROWS, DEFAULT_QUERY_TIMEOUT_S, queryInSubprocess } from "../../warehouse/query.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { formatBytes, formatTdTime, formatUnixSeconds } from "../format-time.js";
import { parseFormat, renderRows } from "../output.js";
import { withServices } from "../services.js";

const FORMAT = { format: { type: "string", short: "f" } } as const;

export const databaseListCommand: Command = {
  name: "database:list",
  summary: "List the warehouse's databases",
  usage: "itd database:list [-f table|tsv|csv|json]\n\nExample:\n  itd database:list",
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, FORMAT, { min: 0, max: 0, names: "none" });
    const format = parseFormat(values.format);
    return withServices(ctx, values, (s) => {
      const rows = s.warehouse.listDatabases().map((d) => [d.name, d.tables, formatBytes(d.sizeBytes)]);
      ctx.stdout.write(renderRows(format, ["Name", "Tables", "Size"], rows));
      return 0;
    });
  },
};

export const tableListCommand: Command = {
  name: "table:list",
  summary: "List the tables of a database (or of every database)",
  usage: "itd table:list [DATABASE] [-f table|tsv|csv|json]\n\nExample:\n  itd table:list td_sample_db",
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, FORMAT, { min: 0, max: 1, names: "[DATABASE]" });
    const format = parseFormat(values.format);
    return withServices(ctx, values, (s) => {
      const dbs = positionals[0] !== undefined ? [positionals[0]] : s.warehouse.listDatabases().map((d) => d.name);
      const rows = dbs.flatMap((db) =>
        s.warehouse.listTables(db).map((t) => [db, t.name, t.rows, t.columns, formatTdTime(t.lastImportAt)]),
      );
      ctx.stdout.write(renderRows(format, ["Database", "Table", "Count", "Columns", "Last import"], rows));
      return 0;
    });
  },
};

export const tableShowCommand: Command = {
  name: "table:show",
  summary: "Show a table's columns, types, row count and time range",
  usage: "itd table:show DATABASE TABLE [-f table|tsv|csv|json]\n\nExample:\n  itd table:show td_sample_db td_sample_table",
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, FORMAT, { min: 2, max: 2, names: "DATABASE TABLE" });
    const format = parseFormat(values.format);
    const [db, table] = positionals as [string, string];
    return withServices(ctx, values, (s) => {
      const d = s.warehouse.describeTable(db, table);
      if (format === "json") {
        ctx.stdout.write(JSON.stringify({ ...d, minTime: d.minTime, maxTime: d.maxTime }, null, 2) + "\n");
        return 0;
      }
      ctx.stdout.write(
        [
          `Name      : ${d.database}.${d.name}`,
          `Count     : ${d.rows}`,
          `Time from : ${formatUnixSeconds(d.minTime)}`,
          `Time to   : ${formatUnixSeconds(d.maxTime)}`,
          `Schema    :`,
          "",
        ].join("\n"),
      );
      ctx.stdout.write(renderRows(format, ["Column", "Type"], d.columns.map((c) => [c.name, c.type])));
      return 0;
    });
  },
};

/** `--timeout` at most this many seconds (setTimeout's range). */
const MAX_QUERY_TIMEOUT_S = 2_000_000;

export const queryCommand: Command = {
  name: "query",
  summary: "Run a read-only SQL query on a warehouse database",
  usage: `itd query -d DATABASE "SELECT …" [-f table|tsv|csv|json] [-l ROWS] [--timeout SECONDS]

The database is opened read-only: a statement that would write is refused.
  -l, --limit ROWS     show at most ROWS rows (default ${DEFAULT_QUERY_ROWS}; 0 = all); a note on stderr says when more were cut
  --timeout SECONDS    stop the query after SECONDS (default ${DEFAULT_QUERY_TIMEOUT_S}; 0 = no limit); exits 1 with "query: timed out after N s"

Examples:
  itd query -d td_sample_db "SELECT count(*) FROM td_sample_table"
  itd query -d td_sample_db -f csv "SELECT email, created_at FROM td_sample_table ORDER BY time DESC LIMIT 10"
  itd query -d td_sample_db -f csv -l 0 --timeout 3600 "SELECT * FROM td_sample_table"`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { ...FORMAT, database: { type: "string", short: "d" }, limit: { type: "string", short: "l" }, timeout: { type: "string" } },
      { min: 1, max: 1, names: "SQL" },
    );
    const format = parseFormat(values.format);
    const db = values.database;
    if (db === undefined) throw new UsageError("--database option required");
    const maxRows = intFlag("limit", values.limit) ?? DEFAULT_QUERY_ROWS;
    const timeoutS = intFlag("timeout", values.timeout, 0, MAX_QUERY_TIMEOUT_S) ?? DEFAULT_QUERY_TIMEOUT_S;
    return withServices(ctx, values, async (s) => {
      if (!s.warehouse.databaseExists(db)) throw databaseNotFound(db);
      const result = await queryInSubprocess(s.warehouse.databasePath(db), positionals[0] as string, {
        timeoutMs: timeoutS * 1000,
        maxRows,
        signal: ctx.signal,
      });
      ctx.stdout.write(renderRows(format, result.columns, result.rows));
      if (result.truncated) {
        ctx.stderr.write(`itd query: showing the first ${maxRows} rows; the query has more (--limit ROWS to change, 0 for all)\n`);
      }
      return 0;
    });
  },
};
