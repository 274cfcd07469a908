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

export interface OpenWarehouseOptions {
  /**
   * The home's identity (`Store.homeId`), asked when a stream is first used. A
   * PostgreSQL warehouse may be shared by several homes, whose streams are
   * named by ids of their own state.db (`schedule#7`): there, a home's ledger
   * rows and fences carry it (`<home id>/schedule#7`). The home's own SQLite
   * files need none.
   */
  streamScope?: (() => string) | undefined;
}

export function openWarehouse(setting: WarehouseSetting, home: string, clock: Clock, options: OpenWarehouseOptions = {}): Warehouse {
  return setting.engine === "postgres" ? postgresWarehouse(setting.target, clock, options.streamScope) : sqliteWarehouse(home, clock);
}
