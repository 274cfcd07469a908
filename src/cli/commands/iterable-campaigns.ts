import { intFlag, parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { API_KEY_ENV, CONNECTION_OPTIONS, withIterableClient } from "../iterable-connection.js";
import { CAMPAIGN_HEADERS, campaignRow, newestFirst } from "../iterable-rows.js";
import { parseFormat, writeRows } from "../output.js";

export const iterableCampaignsCommand: Command = {
  name: "iterable:campaigns",
  summary: "Show the campaigns of the Iterable project (id, name, type, medium, state, created), newest first",
  usage: `itd iterable:campaigns [load.yml] [-f table|tsv|csv|json] [--limit N] [--region us|eu] [--base-url URL]

Asks Iterable for every campaign (GET /api/campaigns, 1000 a page, following nextPageUrl) of the project
whose key is the load.yml's in.api_key (in.region, in.base_url say where it belongs); only the connection
has to be complete. Without a load.yml the key comes from $${API_KEY_ENV}, and --region (default us) or
--base-url say where it belongs.

Sorted by id, descending (normally newest first); Created is UTC. --limit N shows the first N rows
(every page is still read, to sort them). Put ids in in.campaign_ids (data_type: campaign) or
in.campaign_id (export_data of one campaign).

Examples:
  itd iterable:campaigns seed.yml --limit 20
  itd iterable:campaigns -f json > campaigns.json      # key from $${API_KEY_ENV}`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { format: { type: "string", short: "f" }, limit: { type: "string" }, ...CONNECTION_OPTIONS },
      { min: 0, max: 1, names: "load.yml" },
    );
    const format = parseFormat(values.format);
    const limit = intFlag("limit", values.limit, 1);
    return withIterableClient(ctx, positionals[0], values, async (client) => {
      const rows: ReturnType<typeof campaignRow>[] = [];
      for await (const campaign of client.campaigns({ signal: ctx.signal })) rows.push(campaignRow(campaign));
      await writeRows(ctx, format, CAMPAIGN_HEADERS, newestFirst(rows, limit));
      if (limit !== undefined && rows.length > limit) ctx.stderr.write(`${rows.length} campaigns in all; --limit ${limit} showed the first ${limit}.\n`);
      return 0;
    });
  },
};
