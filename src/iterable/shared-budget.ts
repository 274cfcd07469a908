/**
 * An Iterable rate budget shared, through one PostgreSQL state database, by
 * every itd process on every host: daemons on several hosts that use one API
 * key must together stay within what Iterable allows that key.
 *
 * A request first waits for this process's own budget (a RateBudgets: first
 * come, first served here, and never more asks of the database than the limit
 * allows), then, in the order that budget granted, for a grant from the
 * database: one transaction that takes the bucket's advisory lock, forgets its
 * grants older than the window and margin, counts the rest and records a grant
 * when fewer than the limit. Every time in it is the database server's
 * (clock_timestamp()), never a host's: the hosts' clocks may disagree by any
 * amount. A database that cannot be reached fails the request; it is never
 * sent unbudgeted.
 */
import type { QueryResult } from "pg";
import type { Clock } from "../clock.js";
import { errorMessage, ItdError, StoreError } from "../errors.js";
import { asPgError, connect, type PgClient } from "../warehouse/postgres/connect.js";
import { literal, qualified } from "../warehouse/postgres/sql.js";
import type { PostgresTarget } from "../warehouse/postgres/url.js";
import {
  abortReason,
  RateBudgets,
  rateGroupOf,
  spanOf,
  untilAborted,
  type BudgetWait,
  type RateBudget,
  type RateGroup,
  type RateLimit,
  type RateLimits,
} from "./rate-budget.js";
import type { Endpoint } from "./types.js";

/**
 * The grants table, for the state store's migrations. It names no schema: run
 * it with the state schema first on the search_path.
 */
export const RATE_GRANTS_DDL = `CREATE TABLE IF NOT EXISTS rate_grants (
  key_id text NOT NULL,
  grp text NOT NULL,
  granted_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_grants_bucket ON rate_grants (key_id, grp, granted_at);`;

export const DEFAULT_STATE_SCHEMA = "itd_state";

/** How long a grant may take (its turn on the advisory lock included) before the request fails: a server cut off by the network. */
const GRANT_TIMEOUT_MS = 10_000;

const SERVER = "the PostgreSQL state store";
const CONTEXT = "Iterable rate budget";

export type SharedRateBudgetsOptions = {
  /** Sleeps between asks; the times that count are the database's. */
  clock: Clock;
  /** The state database. */
  target: PostgresTarget;
  /** The schema that holds rate_grants (default itd_state). */
  schema?: string;
} & (
  | {
      /** The limits of this process's budget, made here (default: Iterable's documented ones). */
      limits?: Partial<RateLimits>;
      local?: never;
    }
  | {
      /** This process's budget, made by the caller: its limits are also the ones asked of the database. */
      local: RateBudgets;
      limits?: never;
    }
);

/**
 * One grant's transaction, in one round trip, since every host waits for its
 * turn on the lock. The lock is taken by a statement of its own, and the
 * transaction is READ COMMITTED whatever the server's default: so the next
 * statement's snapshot, taken once the lock is held, sees every grant
 * committed before. Answers `granted`, and `wait_ms`: how long until the
 * oldest grant in the window leaves it.
 */
function grantSql(table: string, keyId: string, group: RateGroup, rate: RateLimit): string {
  const bucket = `key_id = ${literal(keyId)} AND grp = ${literal(group)}`;
  const span = `interval '${spanOf(rate)} milliseconds'`;
  const now = "(SELECT now FROM t)";
  return `BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT pg_advisory_xact_lock(hashtextextended(${literal(`itd rate ${table} ${keyId} ${group}`)}, 0));
-- clock_timestamp(), not now() (the transaction's start): a grant counts from when it is made, after the wait for the lock.
WITH t AS (SELECT clock_timestamp() AS now),
  gone AS (DELETE FROM ${table} WHERE ${bucket} AND granted_at <= ${now} - ${span}),
  -- A grant in the future: the server's clock was set back. It counts from now, not until the clock catches up.
  back AS (UPDATE ${table} SET granted_at = ${now} WHERE ${bucket} AND granted_at > ${now}),
  live AS (SELECT count(*) AS n, least(min(granted_at), ${now}) AS oldest FROM ${table} WHERE ${bucket} AND granted_at > ${now} - ${span}),
  ins AS (INSERT INTO ${table} (key_id, grp, granted_at) SELECT ${literal(keyId)}, ${literal(group)}, t.now FROM t, live WHERE live.n < ${rate.limit} RETURNING 1)
SELECT EXISTS (SELECT FROM ins) AS granted, greatest(1, ceil(extract(epoch FROM live.oldest + ${span} - t.now) * 1000))::float8 AS wait_ms
FROM t, live;
COMMIT`;
}

interface GrantRow {
  granted: boolean;
  wait_ms: number;
}

/** `onWait`, told at most once (a request may wait here, then in the database, then again) and never throwing. */
function once(onWait: (wait: BudgetWait) => void): (wait: BudgetWait) => void {
  let told = false;
  return (wait) => {
    if (told) return;
    told = true;
    try {
      onWait(wait);
    } catch {
      // a listener's trouble is not the budget's
    }
  };
}

/** A connection that could not be made, said as the budget's (so a failed import says why it needed the database). */
function unreachable(err: unknown): StoreError {
  const known = err instanceof ItdError ? err : undefined;
  return new StoreError(`${CONTEXT}: ${errorMessage(err)}`, { cause: err, retryable: known?.retryable ?? true, hints: known?.hints ?? [] });
}

export class SharedRateBudgets implements RateBudget {
  readonly #clock: Clock;
  readonly #target: PostgresTarget;
  readonly #table: string;
  readonly #local: RateBudgets;
  /** Per bucket, the last request waiting for its database grant: they ask in the order this process's budget granted them. */
  readonly #tails = new Map<string, Promise<void>>();
  #client: Promise<PgClient> | undefined;
  #closed = false;

  constructor(options: SharedRateBudgetsOptions) {
    this.#clock = options.clock;
    this.#target = options.target;
    this.#table = qualified(options.schema ?? DEFAULT_STATE_SCHEMA, "rate_grants");
    this.#local = options.local ?? new RateBudgets(options.clock, options.limits);
  }

  /** Replaces the limits (the daemon's SIGHUP) for every grant asked from now on, waiting ones included; other processes keep theirs. */
  setLimits(limits: Partial<RateLimits>): void {
    this.#local.setLimits(limits);
  }

  spacingOf(endpoint: Endpoint): number {
    return this.#local.spacingOf(endpoint);
  }

  /**
   * Resolves when one request to `endpoint` with key `keyId` may be sent: this
   * process's budget and then the database granted it. Rejects at once when
   * `signal` aborts, and with a StoreError naming the server when the database
   * cannot be asked. `onWait` is told once, when the request first has to wait.
   */
  acquire(keyId: string, endpoint: Endpoint, signal?: AbortSignal, onWait?: (wait: BudgetWait) => void): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const tell = onWait === undefined ? undefined : once(onWait);
    const turn = this.#local.acquire(keyId, endpoint, signal, tell).then(() => {
      const id = `${keyId}|${rateGroupOf(endpoint)}`;
      const granted = (this.#tails.get(id) ?? Promise.resolve()).then(() => this.#grant(keyId, endpoint, signal, tell));
      this.#tails.set(id, granted.catch(() => undefined));
      return granted;
    });
    // #grant sees the abort when the turn comes. One during the transaction itself may leave its grant recorded: budget unused, never exceeded.
    return untilAborted(turn, signal);
  }

  /** Grants in the bucket's current window, by every process (for tests and metrics). */
  inWindow(keyId: string, endpoint: Endpoint): Promise<number> {
    return this.#run(async (client) => {
      const result = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${this.#table} WHERE key_id = $1 AND grp = $2 AND granted_at > clock_timestamp() - $3 * interval '1 millisecond'`,
        [keyId, rateGroupOf(endpoint), spanOf(this.#local.limitOf(endpoint))],
      );
      return result.rows[0]?.n ?? 0;
    });
  }

  /** Ends the connection; requests still waiting fail when they next ask. */
  async close(): Promise<void> {
    this.#closed = true;
    const connecting = this.#client;
    this.#client = undefined;
    await connecting?.then(
      (client) => client.end(),
      () => undefined,
    );
  }

  async #grant(keyId: string, endpoint: Endpoint, signal: AbortSignal | undefined, tell: ((wait: BudgetWait) => void) | undefined): Promise<void> {
    const group = rateGroupOf(endpoint);
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      // Read at every ask, so that setLimits applies to requests already waiting.
      const rate = this.#local.limitOf(endpoint);
      const row = await this.#run(async (client) => {
        // Four statements: node-postgres answers with one result each. The third has one row (it selects from an aggregate).
        const results = (await client.query(grantSql(this.#table, keyId, group, rate))) as unknown as QueryResult<GrantRow>[];
        return results[2]?.rows[0] as GrantRow;
      });
      if (row.granted) return;
      tell?.({ waitMs: row.wait_ms, group, limit: rate });
      await this.#clock.sleep(row.wait_ms, signal);
    }
  }

  /** `work` on the connection; any failure ends the connection, so the next request starts on a fresh one. */
  async #run<T>(work: (client: PgClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new ItdError("internal", `${CONTEXT}: used after close()`);
    const connecting = this.#connection();
    const client = await connecting;
    try {
      return await work(client);
    } catch (err) {
      this.#forget(connecting);
      client.end().catch(() => undefined);
      throw asPgError(err, this.#target, CONTEXT, SERVER);
    }
  }

  #connection(): Promise<PgClient> {
    if (this.#client !== undefined) return this.#client;
    const connecting: Promise<PgClient> = connect(this.#target, "rate budget", { server: SERVER, queryTimeoutMs: GRANT_TIMEOUT_MS }).then(
      (client) => {
        // The server closed it (a restart, a terminated backend): the next request connects again rather than fail on it.
        client.once("end", () => this.#forget(connecting));
        return client;
      },
      (err: unknown) => {
        this.#forget(connecting);
        throw unreachable(err);
      },
    );
    this.#client = connecting;
    return connecting;
  }

  #forget(connecting: Promise<PgClient>): void {
    if (this.#client === connecting) this.#client = undefined;
  }
}
