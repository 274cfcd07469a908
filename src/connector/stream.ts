import { createHash } from "node:crypto";
import type { LoadConfig } from "./config.js";

/**
 * The cursor owner of a one-off `connector:issue` load: the target table plus
 * what identifies the data (not the key, the columns or the end). Re-running
 * the same load.yml into the same table continues this stream. The table is
 * the warehouse's: `warehouse` names a PostgreSQL one (`host:port/dbname`;
 * undefined for the home's own SQLite files, whose streams keep their names),
 * so the same load into another warehouse's table is a stream of its own.
 */
export function issueStreamFor(config: LoadConfig, database: string, table: string, warehouse?: string): string {
  const c = config.in;
  const identity = {
    ...(warehouse !== undefined ? { warehouse } : {}),
    target: c.base_url ?? c.region,
    data_type: c.data_type,
    export_data_type: c.export_data_type ?? null,
    list_id: c.list_id ?? null,
    campaign_ids: c.campaign_ids ?? null,
    campaign_id: c.campaign_id ?? null,
    only_fields: c.only_fields ?? null,
    omit_fields: c.omit_fields ?? null,
    start_time: c.start_time ?? null,
    use_date_range: c.use_date_range ? c.date_range : null,
  };
  const hash = createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 12);
  return `issue:${database}.${table}:${hash}`;
}
