/**
 * The `warehouse` setting (issue 13), resolved in one pure function from its
 * layers: the global `--warehouse` flag over `$ITD_WAREHOUSE` over the config
 * file's `warehouse:` over the default, the home's embedded SQLite files.
 * A value is `sqlite` or a PostgreSQL URL (`postgresql://USER@HOST:PORT/DBNAME`);
 * `${ENV}` references in it are read from the environment.
 */
import { resolveEngine, type EngineLayers, type ResolvedEngine } from "./engine-setting.js";
import type { WarehouseSetting } from "../warehouse/open.js";

export const WAREHOUSE_ALLOWED = "expected sqlite (the home's embedded files, the default) or postgresql://USER@HOST:PORT/DBNAME";

export type WarehouseLayers = EngineLayers;
export type ResolvedWarehouse = ResolvedEngine<WarehouseSetting>;

export function resolveWarehouse(layers: WarehouseLayers): ResolvedWarehouse {
  return resolveEngine(layers, { flag: "--warehouse", env: "ITD_WAREHOUSE", key: "warehouse" }, WAREHOUSE_ALLOWED);
}
