/**
 * The `warehouse` setting (issue 13), resolved in one pure function from its
 * layers: the global `--warehouse` flag over `$ITD_WAREHOUSE` over the config
 * file's `warehouse:` over the default, the home's embedded SQLite files.
 * A value is `sqlite` or a PostgreSQL URL (`postgresql://USER@HOST:PORT/DBNAME`);
 * `${ENV}` references in it are read from the environment.
 */
import { ConfigError } from "../errors.js";
import { isPostgresUrl, maskPasswords, parsePostgresUrl } from "../warehouse/postgres/url.js";
import type { WarehouseSetting } from "../warehouse/open.js";

export const WAREHOUSE_ALLOWED = "expected sqlite (the home's embedded files, the default) or postgresql://USER@HOST:PORT/DBNAME";

export interface WarehouseLayers {
  /** `--warehouse URL`. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** `warehouse:` of the config file, and how to name the file in errors. */
  file?: { value: string | undefined; name: string } | undefined;
}

export interface ResolvedWarehouse {
  setting: WarehouseSetting;
  /** The value as written (references unexpanded), for child processes: they read `$ITD_WAREHOUSE`. */
  written: string;
  /** Where it came from, for messages. */
  origin: string;
}

export function resolveWarehouse(layers: WarehouseLayers): ResolvedWarehouse {
  const fromEnv = layers.env["ITD_WAREHOUSE"];
  const chosen =
    layers.flag !== undefined
      ? { value: layers.flag, origin: "--warehouse" }
      : fromEnv !== undefined && fromEnv !== ""
        ? { value: fromEnv, origin: "$ITD_WAREHOUSE" }
        : layers.file?.value !== undefined
          ? { value: layers.file.value, origin: `${layers.file.name}: warehouse` }
          : { value: "sqlite", origin: "the default" };
  const value = chosen.value.trim();
  if (value === "sqlite") return { setting: { engine: "sqlite" }, written: "sqlite", origin: chosen.origin };
  if (!isPostgresUrl(value)) throw new ConfigError(`${chosen.origin}: ${WAREHOUSE_ALLOWED}; got '${maskPasswords(value)}'`);
  return { setting: { engine: "postgres", target: parsePostgresUrl(value, layers.env, chosen.origin) }, written: value, origin: chosen.origin };
}
