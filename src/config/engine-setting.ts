/**
 * A setting that names an engine — `sqlite` (the home's files) or a
 * PostgreSQL URL — resolved from its layers: the global flag over the
 * environment variable over the config file's key over the default, sqlite.
 * The warehouse (issue 13) and the state store (issue 14) are two of them.
 */
import { ConfigError } from "../errors.js";
import { isPostgresUrl, maskPasswords, parsePostgresUrl, type PostgresTarget } from "../warehouse/postgres/url.js";

export type EngineSetting = { engine: "sqlite" } | { engine: "postgres"; target: PostgresTarget };

export interface EngineLayers {
  /** The global flag's value (`--warehouse URL`, `--state URL`). */
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** The config file's key, and how to name the file in errors. */
  file?: { value: string | undefined; name: string } | undefined;
}

export interface ResolvedEngine<S extends EngineSetting = EngineSetting> {
  setting: S;
  /** The value as written (references unexpanded), for child processes: they read the variable. */
  written: string;
  /** Where it came from, for messages. */
  origin: string;
}

/** `names`: the flag, the variable and the file's key; `allowed`: what an error says is allowed. */
export function resolveEngine(layers: EngineLayers, names: { flag: string; env: string; key: string }, allowed: string): ResolvedEngine {
  const fromEnv = layers.env[names.env];
  const chosen =
    layers.flag !== undefined
      ? { value: layers.flag, origin: names.flag }
      : fromEnv !== undefined && fromEnv !== ""
        ? { value: fromEnv, origin: `$${names.env}` }
        : layers.file?.value !== undefined
          ? { value: layers.file.value, origin: `${layers.file.name}: ${names.key}` }
          : { value: "sqlite", origin: "the default" };
  const value = chosen.value.trim();
  if (value === "sqlite") return { setting: { engine: "sqlite" }, written: "sqlite", origin: chosen.origin };
  if (!isPostgresUrl(value)) throw new ConfigError(`${chosen.origin}: ${allowed}; got '${maskPasswords(value)}'`);
  return { setting: { engine: "postgres", target: parsePostgresUrl(value, layers.env, chosen.origin) }, written: value, origin: chosen.origin };
}
