import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { CONNECTION_OPTIONS, withIterableClient } from "../iterable-connection.js";
import { LIST_HEADERS, listRows } from "../iterable-rows.js";
import { parseFormat, writeRows } from "../output.js";

export const iterableListsCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { format: { type: "string", short: "f" }, ...CONNECTION_OPTIONS },
      { min: 0, max: 1, names: "load.yml" },
    );
    const format = parseFormat(values.format);
    return withIterableClient(ctx, positionals[0], values, async (client) => {
      const lists = await client.lists({ signal: ctx.signal });
      await writeRows(ctx, format, LIST_HEADERS, listRows(lists));
      if (format === "table" && lists.length > 0) ctx.stdout.write("Use a list's ID as in.list_id (with data_type: list) to import its members.\n");
      return 0;
    });
  },
};
