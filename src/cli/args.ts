import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A wrong flag or argument count: the CLI shows the command's usage line with it. */
export class ArgumentError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "ArgumentError";
  }
}

/**
 * The flags every command takes. `--config` and `--verbose` are td's global
 * options too; a command that has its own (`connector:update -c load.yml`,
 * `job:show -v`) keeps them, and the global meaning is then `--itd-config` /
 * `--itd-verbose` (what `itd --config F CMD …` and `itd -v CMD …` become).
 */
export const GLOBAL_OPTIONS = {
  home: { type: "string" },
  warehouse: { type: "string" },
  state: { type: "string" },
  config: { type: "string" },
  "itd-config": { type: "string" },
  verbose: { type: "boolean" },
  "itd-verbose": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export interface Parsed<O extends Options> {
  values: { [K in keyof O]?: O[K] extends { type: "boolean" } ? boolean : O[K] extends { multiple: true } ? string[] : string };
  positionals: string[];
}

/** `--priority -2` → `--priority=-2`: parseArgs would take `-2` for a flag. */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const valued = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== "string") continue;
    valued.add(`--${name}`);
    if (o.short !== undefined) valued.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if (valued.has(a) && next !== undefined && /^-\d/.test(next)) {
      const long = a.startsWith("--") ? a : `--${Object.entries(options).find(([, o]) => `-${o.short ?? ""}` === a)?.[0] ?? ""}`;
      out.push(`${long}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * Strict parsing with node:util parseArgs; any unknown flag, missing value or
 * wrong count of positionals is a UsageError naming the problem.
 */
export function parseCommandArgs<O extends Options>(
  argv: readonly string[],
  options: O,
  positionals: { min: number; max: number; names: string },
): Parsed<O & typeof GLOBAL_OPTIONS> {
  let result;
  const all: Options = { ...GLOBAL_OPTIONS, ...options };
  try {
    result = parseArgs({ args: joinNegativeValues(argv, all), options: all, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ArgumentError(msg.replace(/\. To specify a positional argument.*$/s, "").replace(/^Unknown option/, "unknown option"));
  }
  // Global meanings of --config/--verbose, unless the command took them for its own.
  const values = result.values as Record<string, unknown>;
  if (!("config" in options) && values["config"] !== undefined) {
    if (values["itd-config"] !== undefined) throw new ArgumentError("give the itd config file once (--config or --itd-config)");
    values["itd-config"] = values["config"];
  }
  if (!("verbose" in options) && values["verbose"] === true) values["itd-verbose"] = true;
  const n = result.positionals.length;
  if (!(result.values as Record<string, unknown>)["help"] && (n < positionals.min || n > positionals.max)) {
    const expected = positionals.min === positionals.max ? `${positionals.min}` : `${positionals.min} to ${positionals.max}`;
    throw new ArgumentError(`expected ${expected} argument(s) (${positionals.names}); got ${n}`);
  }
  return result as unknown as Parsed<O & typeof GLOBAL_OPTIONS>;
}

/** Parses a whole non-negative integer flag such as `--port 0`. */
export function intFlag(name: string, value: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name}: expected a whole number; got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name}: expected a number from ${min} to ${max}; got ${value}`);
  return n;
}
