/**
 * The texts no status page may show (design §2: the API key is never printed),
 * for the pages' last redaction: each schedule's API key (its `${ENV}`
 * reference resolved, as its jobs would) and the passwords of the database
 * URLs the daemon uses. Pure.
 */
import type { ScheduleDefinition } from "../../schedule/definition.js";

const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The API keys of `defs`: literal keys as written, `${NAME}` ones from `env`. */
export function apiKeysOf(defs: readonly Pick<ScheduleDefinition, "config">[], env: NodeJS.ProcessEnv): string[] {
  const keys = new Set<string>();
  for (const d of defs) {
    const key = (d.config as { in?: { api_key?: unknown } } | null)?.in?.api_key;
    if (typeof key !== "string" || key === "") continue;
    const ref = ENV_REF.exec(key.trim());
    const value = ref === null ? key : env[ref[1] ?? ""];
    if (value !== undefined && value !== "") keys.add(value);
  }
  return [...keys];
}

/** A URL's password, as written and decoded (`postgresql://u:PASS@h/db`, or `?password=PASS`); none: []. */
export function urlSecrets(url: string | undefined): string[] {
  if (url === undefined) return [];
  const out = new Set<string>();
  try {
    const u = new URL(url);
    for (const p of [u.password, u.searchParams.get("password") ?? ""]) {
      if (p === "") continue;
      out.add(p);
      try {
        out.add(decodeURIComponent(p));
      } catch {
        // not percent-encoded: kept as written
      }
    }
  } catch {
    // not a URL (a SQLite home): no password
  }
  return [...out];
}

/**
 * The secrets of the schedules the daemon runs, worked out again only when
 * its list changes (the daemon replaces the array at each reload).
 */
export function secretsOf(schedules: () => readonly ScheduleDefinition[], env: NodeJS.ProcessEnv, fixed: readonly string[]): () => readonly string[] {
  let seen: readonly ScheduleDefinition[] | undefined;
  let secrets: readonly string[] = fixed;
  return () => {
    const defs = schedules();
    if (defs !== seen) {
      seen = defs;
      secrets = [...new Set([...fixed, ...apiKeysOf(defs, env)])];
    }
    return secrets;
  };
}
