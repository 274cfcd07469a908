/**
 * Where the `iterable:*` finders get their Iterable project: a load.yml's `in`
 * section (read as connector:guess reads it, but only its connection has to be
 * complete: a seed without list_id is what these commands are for), or, with
 * no file, the key in $ITERABLE_API_KEY with `--region` / `--base-url`.
 */
import { resolve } from "node:path";
import { readLoadConfigFile, validateLoadConfig, type LoadConfig } from "../connector/index.js";
import { ConfigError, UsageError } from "../errors.js";
import { IterableApiError, type IterableClient } from "../iterable/index.js";
import type { CommandContext } from "./command.js";
import { API_KEY_ENV } from "./defaults.js";
import { withServices } from "./services.js";


/** The flags of both finders besides `-f`. */
export const CONNECTION_OPTIONS = {
  region: { type: "string" },
  "base-url": { type: "string" },
} as const;

export interface ConnectionFlags {
  region?: string | undefined;
  "base-url"?: string | undefined;
}

export interface Connection {
  config: LoadConfig;
  /** True when the key came from $ITERABLE_API_KEY and the flags (no file). */
  fromEnv: boolean;
}

function checkRegion(value: string): "us" | "eu" {
  if (value === "us" || value === "eu") return value;
  throw new UsageError(`--region: expected one of us, eu; got ${JSON.stringify(value)}`);
}

function checkBaseUrl(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new UsageError(`--base-url: expected an http(s) URL; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The load config whose `in` section says which project to ask (nothing else of it is used). */
export async function readConnection(ctx: Pick<CommandContext, "cwd" | "env">, file: string | undefined, flags: ConnectionFlags): Promise<Connection> {
  if (file !== undefined) {
    const given = [flags.region !== undefined ? "--region" : "", flags["base-url"] !== undefined ? "--base-url" : ""].filter((f) => f !== "");
    if (given.length > 0) {
      throw new UsageError(`${given.join(" and ")}: not with a load.yml (${file}'s in.region and in.base_url say where its key belongs)`);
    }
    return { config: await readLoadConfigFile(resolve(ctx.cwd, file), ctx.env, { connectionOnly: true }), fromEnv: false };
  }
  const key = ctx.env[API_KEY_ENV]?.trim();
  if (key === undefined || key === "") {
    throw new ConfigError(`no load.yml given and ${API_KEY_ENV} is ${key === undefined ? "unset" : "empty"}: give a load.yml (its in.api_key, in.region, in.base_url are used) or set ${API_KEY_ENV}`);
  }
  const section: Record<string, unknown> = { type: "iterable", api_key: `\${${API_KEY_ENV}}` };
  if (flags.region !== undefined) section["region"] = checkRegion(flags.region);
  if (flags["base-url"] !== undefined) section["base_url"] = checkBaseUrl(flags["base-url"]);
  return { config: validateLoadConfig({ in: section }, `$${API_KEY_ENV}`, ctx.env, { connectionOnly: true }), fromEnv: true };
}

/**
 * A 401 names in.api_key / in.region, the keys of a load.yml; with the key from
 * the environment it names the variable and the flags instead.
 */
export function explainForEnv(err: unknown, config: LoadConfig, baseUrl: string): unknown {
  if (!(err instanceof IterableApiError) || err.status !== 401) return err;
  const other = config.in.region === "us" ? "eu" : "us";
  const fix =
    config.in.base_url === undefined
      ? `check ${API_KEY_ENV}; the key may belong to the other region (--region ${other})`
      : `check ${API_KEY_ENV} and --base-url`;
  const code = err.iterableCode === undefined ? "" : ` ${err.iterableCode}`;
  const detail = err.iterableMessage === "" ? "" : `: ${err.iterableMessage}`;
  return new IterableApiError({
    message: `Iterable rejected the API key in $${API_KEY_ENV} (401${code}${detail}) for ${baseUrl}: ${fix}`,
    endpoint: err.endpoint,
    path: err.path,
    failure: err.failureOf(),
    attempts: err.attempts,
    midStream: err.midStream,
    exhausted: err.exhausted,
    hints: err.hints,
  });
}

/** Runs `fn` with a client for the project of `file` (or of $ITERABLE_API_KEY), under the CLI's services (rate budgets, timeouts, logger). */
export async function withIterableClient<T>(
  ctx: CommandContext,
  file: string | undefined,
  flags: ConnectionFlags & { home?: string | undefined; config?: string | undefined; verbose?: boolean | undefined },
  fn: (client: IterableClient) => Promise<T>,
): Promise<T> {
  return withServices(ctx, flags, async (s) => {
    const { config, fromEnv } = await readConnection(ctx, file, flags);
    const client = await s.iterableClient(config);
    try {
      return await fn(client);
    } catch (err) {
      throw fromEnv ? explainForEnv(err, config, client.baseUrl) : err;
    }
  });
}
