import { resolve } from "node:path";
import { createRowConverter, guessColumns, readLoadConfigFile, readSample } from "../../connector/index.js";
import type { CellValue } from "../../warehouse/index.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { parseFormat, writeRows } from "../output.js";
import { withServices } from "../services.js";
import { waitNotes } from "../wait-notes.js";

/** Ruby's `inspect`, as TD's preview shows cells: strings double-quoted, null as nil. */
export function inspectCell(v: CellValue): string {
  if (v === null) return "nil";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

export const connectorPreviewCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { format: { type: "string", short: "f" }, limit: { type: "string" }, "time-column": { type: "string" } },
      { min: 1, max: 1, names: "load.yml" },
    );
    const format = parseFormat(values.format);
    const limit = intFlag("limit", values.limit, 1, 10_000) ?? 20;
    const file = positionals[0] as string;
    return withServices(ctx, values, async (s) => {
      const config = await readLoadConfigFile(resolve(ctx.cwd, file), ctx.env);
      const client = await s.iterableClient(config);
      const { records, source } = await readSample(config, client, { now: s.clock.now(), limit, signal: ctx.signal, onEvent: waitNotes(ctx.stderr) });
      const columns = config.in.columns ?? guessColumns(records, { epochMillisFields: source.epochMillisFields, doubleFields: source.doubleFields });
      const converter = createRowConverter({
        columns,
        timeColumn: values["time-column"] ?? config.out.time_column,
        uploadTime: Math.floor(s.clock.now() / 1000),
        skipInvalidRecords: config.in.skip_invalid_records,
      });
      const rows = records.flatMap((r, i) => {
        const row = converter.convert(r, i + 1);
        return row === undefined ? [] : [row];
      });
      const headers = [...converter.columns.map((c) => `${c.name}:${c.type}`), "time:long"];
      if (format === "table") await writeRows(ctx, format, headers, rows.map((r) => r.map(inspectCell)));
      else await writeRows(ctx, format, headers, rows);
      // Notes to stderr unless the output is td's table: `-f json|csv|tsv` output stays parseable.
      const notes = format === "table" ? ctx.stdout : ctx.stderr;
      if (converter.skipped > 0) notes.write(`${converter.skipped} invalid record(s) would be skipped.\n`);
      if (config.in.columns === undefined) notes.write(`in.columns is missing: these columns were guessed; run 'itd connector:guess ${file}' to write them.\n`);
      notes.write(`Update ${file} and use 'itd connector:preview ${file}' to preview again.\n`);
      notes.write(`Use 'itd connector:issue ${file} --database DB --table TABLE' to run the load.\n`);
      return 0;
    });
  },
};
