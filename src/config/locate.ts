/**
 * Which itd config file a command reads (design §6): `--config FILE`, else
 * `$ITD_CONFIG`, else `./config/itd.yml` when it exists, else none. Apart
 * from its parser (config.ts, zod), so a command finds out there is no file
 * without loading the schema.
 */
import { statSync } from "node:fs";
import { join, resolve } from "node:path";

/** Where the config came from: the name used in messages and the absolute path. */
export interface ConfigSource {
  shown: string;
  path: string;
  /** Whether a missing file is an error (named by --config or $ITD_CONFIG). */
  required: boolean;
  origin: "--config" | "$ITD_CONFIG" | "default";
}

export function locateDaemonConfig(path: string | undefined, env: NodeJS.ProcessEnv, cwd: string): ConfigSource | undefined {
  if (path !== undefined && path !== "") return { shown: path, path: resolve(cwd, path), required: true, origin: "--config" };
  const fromEnv = env["ITD_CONFIG"];
  if (fromEnv !== undefined && fromEnv !== "") return { shown: fromEnv, path: resolve(cwd, fromEnv), required: true, origin: "$ITD_CONFIG" };
  const local = join(cwd, "config", "itd.yml");
  try {
    if (statSync(local).isFile()) return { shown: join("config", "itd.yml"), path: local, required: false, origin: "default" };
  } catch {
    // no ./config/itd.yml: defaults
  }
  return undefined;
}

