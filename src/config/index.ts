/** Settings that every command and the daemon share, resolved from their layers (defaults < file < env < flags). */
export { resolveWarehouse, WAREHOUSE_ALLOWED, type ResolvedWarehouse, type WarehouseLayers } from "./warehouse.js";
