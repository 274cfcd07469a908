/**
 * itd's settings (style: "one app config"): the config file's schema
 * (file.ts, where to find it: locate.ts), the one YAML reader (yaml.ts), the
 * one duration grammar (duration.ts), and pure functions that resolve each
 * setting from its layers — defaults < file < environment < flags.
 */
export { resolveWarehouse, WAREHOUSE_ALLOWED, type ResolvedWarehouse, type WarehouseLayers } from "./warehouse.js";
export { resolveIterableSettings, type IterableSettings, type IterableLayers } from "./settings.js";
export { parseDuration, parseRate, DURATION_UNITS, DURATION_WORDS } from "./duration.js";
export { readYaml, YamlError } from "./yaml.js";
