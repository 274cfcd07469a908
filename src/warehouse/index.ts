/**
 * The warehouse (design §1, §4, §5; issue 13): a port with two engines. The
 * embedded one keeps a TD database as `<home>/warehouse/<database>.db`; the
 * PostgreSQL one as a schema of the database that `warehouse:` names.
 */
export { openSqliteWarehouse, databaseNotFound, tableNotFound } from "./warehouse.js";
export type { WarehouseOptions } from "./warehouse.js";
export { sqliteWarehouse } from "./sqlite-engine.js";
export { openWarehouse } from "./open.js";
export type * from "./port.js";
export { checkDatabaseName, checkTableName, quoteIdent, NAME_RULE } from "./names.js";
export { sqliteType, TIME_COLUMN } from "./schema.js";
export { DEFAULT_BUFFER_ROWS } from "./load.js";
export { probeDatabases, type DatabaseProbe } from "./probe.js";
export * from "./types.js";
export type { WarehouseSetting } from "./open.js";
export { parsePostgresUrl, isPostgresUrl, maskPasswords, type PostgresTarget } from "./postgres/url.js";
export { usesStaging, writesInPlace } from "./load-rules.js";
