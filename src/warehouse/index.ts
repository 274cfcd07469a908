/**
 * The embedded warehouse (design §1, §4, §5): a TD database is
 * `<home>/warehouse/<database>.db`, a table a SQLite table in it.
 */
export { openWarehouse, databaseNotFound, tableNotFound } from "./warehouse.js";
export type { WarehouseOptions } from "./warehouse.js";
export { checkDatabaseName, checkTableName, quoteIdent, NAME_RULE } from "./names.js";
export { sqliteType, TIME_COLUMN } from "./schema.js";
export { DEFAULT_BUFFER_ROWS } from "./load.js";
export { probeDatabases, type DatabaseProbe } from "./probe.js";
export * from "./types.js";
