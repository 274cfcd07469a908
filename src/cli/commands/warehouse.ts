import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { text } from "node:stream/consumers";
import { errorMessage, ItdError, UsageError } from "../../errors.js";
import { databaseNotFound } from "../../warehouse/index.js";
import { DEFAULT_QUERY_ROWS, DEFAULT_QUERY_TIMEOUT_S } from "../defaults.js";
import { ArgumentError, intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { formatBytes, formatTdTime, formatUnixSeconds } from "../format-time.js";
import { countCell, parseFormat, writeRows } from "../output.js";
import { withServices } from "../services.js";

const FORMAT = { format: { type: "string", short: "f" } } as const;

export const databaseListCommand: CommandImpl = {
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, FORMAT, { min: 0, max: 0, names: "none" });
    const format = parseFormat(values.format);
    return withServices(ctx, values, async (s) => {
      const dbs = await s.warehouse.listDatabases();
      const rows = dbs.map((d) => [d.name, countCell(d.tables, format), formatBytes(d.sizeBytes)]);
      await writeRows(ctx, format, ["Name", "Count", "Size"], rows);
      if (dbs.length === 0) {
        ctx.stderr.write("There are no databases.\nUse 'itd connector:issue load.yml --database DB --table TABLE --auto-create-table' to import into a new one.\n");
      }
      return 0;
    }, { access: "read" });
  },
};

export const tableListCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, FORMAT, { min: 0, max: 1, names: "[DATABASE]" });
    const format = parseFormat(values.format);
    const only = positionals[0];
    return withServices(ctx, values, async (s) => {
      if (only !== undefined && !(await s.warehouse.databaseExists(only))) throw databaseNotFound(only);
      const dbs = only !== undefined ? [only] : (await s.warehouse.listDatabases()).map((d) => d.name);
      const rows = [];
      for (const db of dbs) {
        for (const t of await s.warehouse.listTables(db)) {
          rows.push([
            db, t.name, "log", countCell(t.rows, format), formatTdTime(t.lastImportAt), formatUnixSeconds(t.maxTime),
            t.schema.filter((c) => c.name !== "time").map((c) => `${c.name}:${c.type}`).join(", "),
          ]);
        }
      }
      await writeRows(ctx, format, ["Database", "Table", "Type", "Count", "Last import", "Last log timestamp", "Schema"], rows);
      if (rows.length === 0) {
        if (only !== undefined) ctx.stderr.write(`Database '${only}' has no tables.\n`);
        else if (dbs.length === 0) ctx.stderr.write("There are no databases.\n");
        else ctx.stderr.write("There are no tables.\n");
      }
      return 0;
    }, { access: "read" });
  },
};

export const tableShowCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, FORMAT, { min: 2, max: 2, names: "DATABASE TABLE" });
    const format = parseFormat(values.format);
    if (format === "tsv" || format === "csv") throw new UsageError(`--format: table:show prints table (the default) or json; got "${format}"`);
    const [db, table] = positionals as [string, string];
    return withServices(ctx, values, async (s) => {
      const d = await s.warehouse.describeTable(db, table);
      if (format === "json") {
        ctx.stdout.write(JSON.stringify(d, null, 2) + "\n");
        return 0;
      }
      ctx.stdout.write(
        [
          `Name        : ${d.database}.${d.name}`,
          `Type        : log`,
          `Count       : ${d.rows}`,
          `Time from   : ${formatUnixSeconds(d.minTime)}`,
          `Time to     : ${formatUnixSeconds(d.maxTime)}`,
          `Schema      : (`,
          ...d.columns.filter((c) => c.name !== "time").map((c) => `    ${c.name}:${c.type}`),
          ")",
          "",
        ].join("\n"),
      );
      return 0;
    }, { access: "read" });
  },
};

/** `--timeout` at most this many seconds (setTimeout's range). */
const MAX_QUERY_TIMEOUT_S = 2_000_000;

/** The SQL of `query`: the argument, `-q FILE`, or `-` (stdin); exactly one. */
async function querySql(positional: string | undefined, file: string | undefined, cwd: string, signal: AbortSignal): Promise<string> {
  if (positional !== undefined && file !== undefined) throw new ArgumentError("give the SQL once: as an argument or with -q FILE");
  if (positional === undefined && file === undefined) throw new ArgumentError("SQL required: as an argument, with -q FILE, or - to read it from stdin");
  let sql: string;
  if (file !== undefined) {
    try {
      sql = await readFile(resolve(cwd, file), { encoding: "utf8", signal });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ABORT_ERR") throw err;
      throw new ItdError("config", `-q ${file}: ${code === "ENOENT" ? "no such file" : errorMessage(err)}`);
    }
  } else if (positional === "-") {
    sql = await text(process.stdin);
  } else {
    sql = positional as string;
  }
  if (sql.trim() === "") throw new UsageError(`the SQL ${file !== undefined ? `in ${file} ` : positional === "-" ? "read from stdin " : ""}is empty`);
  return sql;
}

export const queryCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      {
        ...FORMAT,
        database: { type: "string", short: "d" },
        limit: { type: "string", short: "l" },
        timeout: { type: "string" },
        query: { type: "string", short: "q" },
        wait: { type: "boolean", short: "w" },
      },
      { min: 0, max: 1, names: "SQL" },
    );
    const format = parseFormat(values.format);
    const db = values.database;
    if (db === undefined) throw new UsageError("--database option required");
    const maxRows = intFlag("limit", values.limit) ?? DEFAULT_QUERY_ROWS;
    const timeoutS = intFlag("timeout", values.timeout, 0, MAX_QUERY_TIMEOUT_S) ?? DEFAULT_QUERY_TIMEOUT_S;
    const sql = await querySql(positionals[0], values.query, ctx.cwd, ctx.signal);
    return withServices(ctx, values, async (s) => {
      const result = await s.warehouse.query(db, sql, { timeoutMs: timeoutS * 1000, maxRows, signal: ctx.signal });
      await writeRows(ctx, format, result.columns, result.rows);
      if (result.truncated) {
        ctx.stderr.write(`itd query: showing the first ${maxRows} rows; the query has more (--limit ROWS to change, 0 for all)\n`);
      }
      return 0;
    }, { access: "read" });
  },
};
