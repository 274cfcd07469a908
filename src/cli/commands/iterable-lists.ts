import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { API_KEY_ENV, CONNECTION_OPTIONS, withIterableClient } from "../iterable-connection.js";
import { LIST_HEADERS, listRows } from "../iterable-rows.js";
import { parseFormat, writeRows } from "../output.js";

export const iterableListsCommand: Command = {
  name: "iterable:lists",
  summary: "Show the lists of the Iterable project (id, name, type, created), to pick a list_id",
  usage: `itd iterable:lists [load.yml] [-f table|tsv|csv|json] [--region us|eu] [--base-url URL]

Asks Iterable for the lists (GET /api/lists, one request) of the project whose key is the load.yml's
in.api_key (in.region, in.base_url say where it belongs). Only the connection has to be complete: a seed
with data_type: list and no list_id yet will do. Without a load.yml the key comes from $${API_KEY_ENV},
and --region (default us) or --base-url say where it belongs.

Sorted by id; Created is UTC. Iterable's list response has no member count (its size endpoint allows
5 requests a minute), so none is shown.

Examples:
  itd iterable:lists seed.yml
  itd iterable:lists --region eu -f csv      # key from $${API_KEY_ENV}`,
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
