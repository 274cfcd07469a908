/**
 * The PostgreSQL warehouse's address (issue 13): `postgresql://USER@HOST:PORT/DBNAME`,
 * a password given as `${ENV}` (or by libpq's PGPASSWORD / ~/.pgpass, which
 * node-postgres reads), `sslmode` and the other libpq parameters in the query
 * string. Pure: the environment is an argument. The URL is shown with its
 * password as `***`, everywhere.
 */
import { ConfigError } from "../../errors.js";

export interface PostgresTarget {
  /** The URL to connect with: `${ENV}` references replaced by their (percent-encoded) values. */
  readonly url: string;
  /** The URL as people see it: the password, if any, as `***`. */
  readonly shown: string;
  readonly host: string;
  readonly port: number;
  /** Empty when the URL names none (libpq then uses the operating-system user). */
  readonly user: string;
  readonly database: string;
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** True for a value that names PostgreSQL (`postgres://`, `postgresql://`). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value.trim());
}

/** Any password in a text that may hold a URL, as `***` (for error messages that quote one). */
export function maskPasswords(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@")
    .replace(/(postgres(?:ql)?:\/\/[^?\s]*\?(?:[^#\s]*&)?password=)[^&#\s]*/gi, "$1***");
}

/**
 * Parses and checks a warehouse URL; `origin` says where it came from
 * (`--warehouse`, `$ITD_WAREHOUSE`, `config/itd.yml: warehouse`) in errors.
 */
export function parsePostgresUrl(value: string, env: NodeJS.ProcessEnv, origin: string): PostgresTarget {
  const written = value.trim();
  const shownWritten = maskPasswords(written);
  if (!isPostgresUrl(written)) {
    throw new ConfigError(`${origin}: expected postgresql://USER@HOST:PORT/DBNAME; got '${shownWritten}'`);
  }
  const missing: string[] = [];
  const url = written.replace(REFERENCE, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === "") {
      missing.push(name);
      return "";
    }
    return encodeURIComponent(v);
  });
  if (missing.length > 0) {
    throw new ConfigError(`${origin}: ${missing.map((n) => `\${${n}}`).join(", ")} ${missing.length === 1 ? "is" : "are"} not set (the URL '${shownWritten}' refers to ${missing.length === 1 ? "it" : "them"})`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${origin}: not a valid URL: '${shownWritten}'`);
  }
  const hostParam = parsed.searchParams.get("host");
  const host = decodeURIComponent(parsed.hostname) || hostParam || "localhost";
  const portText = parsed.port || parsed.searchParams.get("port") || "5432";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`${origin}: port must be from 1 to 65535; got '${portText}'`);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (database.includes("/")) throw new ConfigError(`${origin}: expected one database name after the host; got '${database}'`);
  const sslmode = parsed.searchParams.get("sslmode");
  const SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full", "no-verify"];
  if (sslmode !== null && !SSLMODES.includes(sslmode)) {
    throw new ConfigError(`${origin}: sslmode must be one of ${SSLMODES.join(", ")}; got '${sslmode}'`);
  }
  const user = decodeURIComponent(parsed.username);
  const shown = new URL(parsed.href);
  if (shown.password !== "") shown.password = "***";
  // libpq takes the password from the query string too (`?password=`).
  return { url, shown: maskPasswords(shown.href.replace("%2A%2A%2A", "***")), host, port, user, database };
}

/** `HOST:PORT as USER` (database DB): how errors name the server, never with the password. */
export function describeTarget(t: Pick<PostgresTarget, "host" | "port" | "user" | "database">): string {
  return `${t.host}:${t.port}${t.user !== "" ? ` as user '${t.user}'` : ""}${t.database !== "" ? `, database '${t.database}'` : ""}`;
}
