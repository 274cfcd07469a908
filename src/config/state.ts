/**
 * The `state` setting (issue 14), resolved like the warehouse's: the global
 * `--state` flag over `$ITD_STATE` over the config file's `state:` over the
 * default, the home's `state.db`. A PostgreSQL URL puts schedules, jobs,
 * cursors and leases in a database several daemons on several hosts share.
 */
import { ConfigError } from "../errors.js";
import { isPostgresUrl, maskPasswords, parsePostgresUrl, type PostgresTarget } from "../warehouse/postgres/url.js";

export const STATE_ALLOWED = "expected sqlite (the home's state.db, the default) or postgresql://USER@HOST:PORT/DBNAME";

export type StateSetting = { engine: "sqlite" } | { engine: "postgres"; target: PostgresTarget };

export interface StateLayers {
  /** `--state URL`. */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** `state:` of the config file, and how to name the file in errors. */
  file?: { value: string | undefined; name: string } | undefined;
}

export interface ResolvedState {
  setting: StateSetting;
  /** The value as written (references unexpanded), for child processes: they read `$ITD_STATE`. */
  written: string;
  origin: string;
}

export function resolveState(layers: StateLayers): ResolvedState {
  const fromEnv = layers.env["ITD_STATE"];
  const chosen =
    layers.flag !== undefined
      ? { value: layers.flag, origin: "--state" }
      : fromEnv !== undefined && fromEnv !== ""
        ? { value: fromEnv, origin: "$ITD_STATE" }
        : layers.file?.value !== undefined
          ? { value: layers.file.value, origin: `${layers.file.name}: state` }
          : { value: "sqlite", origin: "the default" };
  const value = chosen.value.trim();
  if (value === "sqlite") return { setting: { engine: "sqlite" }, written: "sqlite", origin: chosen.origin };
  if (!isPostgresUrl(value)) throw new ConfigError(`${chosen.origin}: ${STATE_ALLOWED}; got '${maskPasswords(value)}'`);
  return { setting: { engine: "postgres", target: parsePostgresUrl(value, layers.env, chosen.origin) }, written: value, origin: chosen.origin };
}

/** Where the state is, for logs and doctor: the home's state.db, or the server (password masked). */
export function describeState(setting: StateSetting, home: string): string {
  return setting.engine === "sqlite" ? `${home}/state.db` : setting.target.shown;
}
