import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { CONNECTION_OPTIONS, withIterableClient } from "../iterable-connection.js";
import { CAMPAIGN_HEADERS, campaignRow, newestFirst } from "../iterable-rows.js";
import { parseFormat, writeRows } from "../output.js";

export const iterableCampaignsCommand: CommandImpl = {
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
