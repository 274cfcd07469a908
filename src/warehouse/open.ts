/**
 * Chooses the warehouse's engine (issue 13): the embedded SQLite files of the
 * home by default, or the PostgreSQL database a resolved `warehouse:` setting names.
 */
import type { Clock } from "../clock.js";
import type { Warehouse } from "./port.js";
import { postgresWarehouse } from "./postgres/warehouse.js";
import type { PostgresTarget } from "./postgres/url.js";
import { sqliteWarehouse } from "./sqlite-engine.js";

/** Where the warehouse is: the home's own files, or a PostgreSQL database. */
export type WarehouseSetting = { engine: "sqlite" } | { engine: "postgres"; target: PostgresTarget };

export function openWarehouse(setting: WarehouseSetting, home: string, clock: Clock): Warehouse {
  return setting.engine === "postgres" ? postgresWarehouse(setting.target, clock) : sqliteWarehouse(home, clock);
}
