import type { IterableClient } from "../../iterable/index.js";
import type { LoadConfig } from "../config.js";
import { campaignSource } from "./campaign.js";
import { exportDataSource } from "./export-data.js";
import { listSource } from "./list.js";
import type { RunContext, Source } from "./source.js";

export { fixedPlan, type RunContext, type SlicePlan, type SliceReadOptions, type Source, type SourceRecord, type SourceSlice } from "./source.js";

/** The source of a load config's data_type. */
export function sourceFor(config: LoadConfig, client: IterableClient, run: RunContext): Source {
  const type = config.in.data_type;
  switch (type) {
    case "export_data":
      return exportDataSource(config, client, run);
    case "campaign":
      return campaignSource(config, client, run);
    case "list":
      return listSource(config, client);
    default: {
      const never: never = type;
      throw new Error(`unknown data_type ${String(never)}`);
    }
  }
}
