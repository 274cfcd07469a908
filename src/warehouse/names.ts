/**
 * Names in the warehouse: TD's rule for databases and tables, SQL identifier
 * quoting for everything else. Pure.
 */
import { ConfigError } from "../errors.js";

const NAME_RE = /^[a-z0-9_]{3,128}$/;
const RESERVED_PREFIXES = ["_itd", "sqlite_"] as const;

export const NAME_RULE = "3 to 128 characters of lowercase letters, digits and '_'";

function checkName(kind: "database" | "table", name: string): string {
  if (!NAME_RE.test(name)) {
    throw new ConfigError(`Invalid ${kind} name '${name}': a ${kind} name must be ${NAME_RULE}`);
  }
  const reserved = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (reserved !== undefined) {
    throw new ConfigError(`Invalid ${kind} name '${name}': names starting with '${reserved}' are reserved`);
  }
  return name;
}

/** Returns the name, or throws a ConfigError naming it and the rule. */
export function checkDatabaseName(name: string): string {
  return checkName("database", name);
}

/** Returns the name, or throws a ConfigError naming it and the rule. */
export function checkTableName(name: string): string {
  return checkName("table", name);
}

/** A SQL identifier: double quotes, inner quotes doubled. Safe for any string. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** SQLite compares identifiers ASCII case-insensitively; so do we. */
export function identKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The staging table of a job's replace/truncate load: `_itd_stage_<jobid>_<table>`. */
export function stagingTableName(jobId: string, table: string): string {
  const job = jobId.toLowerCase().replace(/[^a-z0-9]+/g, "_");
  return `_itd_stage_${job}_${table}`;
}
