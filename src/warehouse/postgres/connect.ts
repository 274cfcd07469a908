/**
 * Connections to the PostgreSQL warehouse, and its failures in words that
 * name the server (host, port, user; never the password); other servers
 * (the shared state database) pass how errors call them as `server`. node-postgres
 * (`pg`) is imported on first use: commands that never touch PostgreSQL do
 * not load it.
 */
import type { Client, ClientConfig, DatabaseError } from "pg";
import { DataError, errorMessage, ItdError, StoreError } from "../../errors.js";
import { describeTarget, maskPasswords, type PostgresTarget } from "./url.js";

export type PgClient = Client;

/** What errors call the server unless told otherwise. */
const WAREHOUSE = "the PostgreSQL warehouse";

/** How long a connection attempt may take before it fails (a server that does not answer). */
export const CONNECT_TIMEOUT_MS = 10_000;

let pgModule: Promise<typeof import("pg")> | undefined;

/** node-postgres, loaded once. */
export function loadPg(): Promise<typeof import("pg")> {
  pgModule ??= import("pg").then((m) => ((m as unknown as { default?: typeof import("pg") }).default ?? m));
  return pgModule;
}

export interface ConnectOptions {
  /** How errors call the server (default: the PostgreSQL warehouse). */
  server?: string;
  /** How long any query may wait for its answer before it fails (default: no limit). */
  queryTimeoutMs?: number;
}

/**
 * A connected client. Its `error` event (the server went away between
 * queries) is caught here, so it fails the next query instead of the
 * process; `application_name` shows itd in pg_stat_activity.
 */
export async function connect(target: PostgresTarget, purpose: string, options: ConnectOptions = {}): Promise<PgClient> {
  const server = options.server ?? WAREHOUSE;
  const pg = await loadPg();
  const config: ClientConfig = {
    connectionString: target.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: `itd ${purpose}`.slice(0, 63),
    query_timeout: options.queryTimeoutMs,
  };
  let client: PgClient;
  try {
    // Reads the URL's certificate files (sslrootcert, sslcert, sslkey): a missing one fails here.
    client = new pg.Client(config);
  } catch (err) {
    throw connectError(err, target, server);
  }
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    // A URL without a user: node-postgres took $PGUSER or the operating-system user, which the message names.
    throw connectError(err, target.user === "" ? { ...target, user: client.user ?? "" } : target, server);
  }
  return client;
}

/** SQLSTATE of a server error, if any. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isDatabaseError(err: unknown): err is DatabaseError {
  return sqlState(err) !== undefined && typeof (err as { severity?: unknown }).severity === "string";
}

/** A network error's code (ECONNREFUSED, ENOTFOUND, ...), also inside an AggregateError (both address families refused). */
function netCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  const inner = (err as { errors?: unknown[] } | null)?.errors;
  return Array.isArray(inner) ? netCode(inner[0]) : undefined;
}

const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused (is PostgreSQL running and listening there?)",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the host name could not be resolved (DNS)",
  ETIMEDOUT: "the connection timed out",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  ECONNRESET: "the connection was reset",
};

/** Why a connection could not be made, naming the server and the user. */
export function connectError(err: unknown, target: PostgresTarget, server = WAREHOUSE): StoreError {
  const where = `Cannot connect to ${server} at ${describeTarget(target)}`;
  const state = sqlState(err);
  const message = maskPasswords(errorMessage(err));
  let reason: string;
  const hints: string[] = [];
  if (state === "28P01") {
    reason = "the password was refused";
    hints.push("Give the password as ${ENV} in the URL, in PGPASSWORD or in ~/.pgpass.");
  } else if (state === "28000") {
    reason = `the server refused the login: ${message}`;
  } else if (state === "3D000") {
    reason = `the database does not exist (${message})`;
    hints.push(`Create it first: createdb -h ${target.host} -p ${target.port} ${target.database || "DBNAME"}`);
  } else if (state === "57P03") {
    reason = "the server is starting up or shutting down";
  } else if (state === "53300") {
    reason = "the server has no free connection slots (max_connections)";
  } else if (/client password must be a string|password authentication/i.test(message)) {
    reason = "the server asks for a password and none was given";
    hints.push("Give the password as ${ENV} in the URL, in PGPASSWORD or in ~/.pgpass.");
  } else if (/timeout/i.test(message)) {
    reason = `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  } else {
    const code = netCode(err);
    reason = (code !== undefined ? NET_REASONS[code] : undefined) ?? (message !== "" ? message : String(code ?? "unknown error"));
  }
  return new StoreError(`${where}: ${reason}`, { cause: err, retryable: state !== "28P01" && state !== "3D000", hints });
}

/**
 * A failure while using a connection, as an ItdError: a value PostgreSQL
 * refused is the data's (naming the column and line COPY reports); a
 * connection that broke names the server; the rest is the warehouse's.
 */
export function asPgError(err: unknown, target: PostgresTarget, context: string, server = WAREHOUSE): ItdError {
  if (err instanceof ItdError) return err;
  const message = maskPasswords(errorMessage(err));
  if (isDatabaseError(err)) {
    const state = err.code ?? "";
    const where = err.where !== undefined ? ` (${maskPasswords(err.where).split("\n")[0]})` : "";
    // 22: data exception (a value of the wrong type, an invalid timestamp or JSON); 23502: a NOT NULL column left empty.
    if (state.startsWith("22") || state === "23502") return new DataError(`${context}: ${message}${where}`, { cause: err });
    const down = state === "57P01" || state === "57P02" || state === "57P03" || state.startsWith("08");
    return new StoreError(
      down ? `${context}: ${server} at ${describeTarget(target)} went away (${message})` : `${context}: ${message}${where}`,
      { cause: err, retryable: down || state === "40001" || state === "40P01" },
    );
  }
  if (/Query read timeout/.test(message)) {
    return new StoreError(`${context}: no answer from ${server} at ${describeTarget(target)} in time (${message})`, { cause: err, retryable: true });
  }
  const code = netCode(err);
  if (code !== undefined || /Connection terminated|Client was closed|not queryable|Connection ended/i.test(message)) {
    return new StoreError(`${context}: lost the connection to ${server} at ${describeTarget(target)} (${message || code})`, {
      cause: err,
      retryable: true,
    });
  }
  return new StoreError(`${context}: ${message}`, { cause: err });
}
