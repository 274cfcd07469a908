/**
 * The shared budget against the suite's real PostgreSQL: what counts is the
 * database's clock, which no fake clock drives, so these tests take real time
 * (windows of 1.5 s).
 */
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../../demo/postgres-server.js";
import { systemClock, type Clock } from "../../../src/clock.js";
import { StoreError } from "../../../src/errors.js";
import type { BudgetWait } from "../../../src/iterable/rate-budget.js";
import { RATE_GRANTS_DDL, SharedRateBudgets, type SharedRateBudgetsOptions } from "../../../src/iterable/shared-budget.js";
import { parsePostgresUrl, type PostgresTarget } from "../../../src/warehouse/postgres/url.js";
import { freshPgDatabase, withPg } from "../../support/postgres.js";

const WINDOW = 1_500;
const MARGIN = 100;
const SPAN = WINDOW + MARGIN;
const EXPORT = "export/data.json";
const limitOf = (limit: number) => ({ export: { limit, windowMs: WINDOW, marginMs: MARGIN } });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** A fresh state database with the grants table, and a log of every grant ever made (the budget deletes old ones). */
async function stateDatabase(): Promise<{ url: string; target: PostgresTarget }> {
  const url = await freshPgDatabase("itd_budget");
  await withPg(url, (c) =>
    c.query(`CREATE SCHEMA itd_state; SET search_path TO itd_state; ${RATE_GRANTS_DDL}
      CREATE TABLE grant_log (granted_at timestamptz NOT NULL);
      CREATE FUNCTION log_grant() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO itd_state.grant_log VALUES (NEW.granted_at); RETURN NEW; END$$;
      CREATE TRIGGER log_grant AFTER INSERT ON rate_grants FOR EACH ROW EXECUTE FUNCTION log_grant();`),
  );
  return { url, target: parsePostgresUrl(url, process.env, "test") };
}

/** Every grant recorded, by the database's clock (epoch ms), oldest first. */
async function grantTimes(url: string): Promise<number[]> {
  const result = await withPg(url, (c) =>
    c.query<{ ms: number }>("SELECT (extract(epoch FROM granted_at) * 1000)::float8 AS ms FROM itd_state.grant_log ORDER BY granted_at"),
  );
  return result.rows.map((r) => r.ms);
}

/** The most of `times` (sorted) within any span of `ms`. */
function busiest(times: readonly number[], ms: number): number {
  let most = 0;
  let from = 0;
  times.forEach((t, i) => {
    while (t - (times[from] as number) >= ms) from++;
    most = Math.max(most, i - from + 1);
  });
  return most;
}

/** A host whose clock is `offsetMs` off; its sleeps are real. */
function skewed(offsetMs: number): Clock {
  return { now: () => Date.now() + offsetMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
}

const opened: SharedRateBudgets[] = [];
function shared(options: SharedRateBudgetsOptions): SharedRateBudgets {
  const budget = new SharedRateBudgets(options);
  opened.push(budget);
  return budget;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
});

/** `n` acquires spread over `budgets` at once; when each resolved (performance.now()), sorted, and how often each was told of a wait. */
async function acquireSpread(budgets: readonly SharedRateBudgets[], n: number): Promise<{ resolved: number[]; told: number[] }> {
  const told = Array.from({ length: n }, () => 0);
  const resolved: number[] = [];
  await Promise.all(
    told.map((_, i) =>
      (budgets[i % budgets.length] as SharedRateBudgets)
        .acquire("k", EXPORT, undefined, () => {
          told[i] = (told[i] ?? 0) + 1;
        })
        .then(() => {
          resolved.push(performance.now());
        }),
    ),
  );
  return { resolved: resolved.sort((a, b) => a - b), told };
}

describe("SharedRateBudgets", () => {
  it("three daemons on one database together grant at most the limit in any window, and grant every request", async () => {
    const { url, target } = await stateDatabase();
    const daemons = [0, 1, 2].map(() => shared({ clock: systemClock, limits: limitOf(4), target }));
    const start = performance.now();
    const { resolved, told } = await acquireSpread(daemons, 20);
    const db = await grantTimes(url);
    expect(db).toHaveLength(20);
    expect(busiest(db, SPAN)).toBe(4);
    // Resolving lags the grant by a round trip and a turn of the event loop: the margin covers it.
    expect(busiest(resolved, WINDOW)).toBe(4);
    // Five windows' worth (the 20th at 4 spans), not more: the budget is used, not wasted.
    expect((resolved.at(-1) as number) - start).toBeLessThan(4 * SPAN + 1_500);
    expect(told.filter((n) => n > 0).length).toBeGreaterThan(10);
    expect(Math.max(...told)).toBe(1);
  }, 15_000);

  it("hosts whose clocks are 30 s ahead and behind neither exceed the budget nor stall it", async () => {
    const { url, target } = await stateDatabase();
    const hosts = [30_000, -30_000, 0].map((offset) => shared({ clock: skewed(offset), limits: limitOf(4), target }));
    const start = performance.now();
    const { resolved } = await acquireSpread(hosts, 12);
    const db = await grantTimes(url);
    expect(db).toHaveLength(12);
    expect(busiest(db, SPAN)).toBe(4);
    expect(busiest(resolved, WINDOW)).toBe(4);
    expect((resolved.at(-1) as number) - start).toBeLessThan(2 * SPAN + 1_500);
  }, 15_000);

  it("a server whose transactions default to repeatable read grants no more than the limit either", async () => {
    const { url, target } = await stateDatabase();
    await withPg(url, (c) => c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET default_transaction_isolation TO 'repeatable read'`));
    const first = shared({ clock: systemClock, limits: limitOf(1), target });
    const second = shared({ clock: systemClock, limits: limitOf(1), target });
    const resolved: number[] = [];
    const both = await withPg(url, async (c) => {
      // Both ask while another session holds the table: one waits for the lock behind the other, its transaction begun.
      await c.query("BEGIN; LOCK TABLE itd_state.rate_grants IN EXCLUSIVE MODE");
      const asked = [first, second].map((b) => b.acquire("k", EXPORT).then(() => void resolved.push(performance.now())));
      await sleep(300);
      await c.query("COMMIT");
      return Promise.all(asked);
    });
    expect(both).toHaveLength(2);
    expect(busiest(await grantTimes(url), SPAN)).toBe(1);
    expect(busiest(resolved.sort((x, y) => x - y), WINDOW)).toBe(1);
  }, 15_000);

  it("a request aborted while it waits for the database is rejected at once and never granted, and the next one goes ahead", async () => {
    const { url, target } = await stateDatabase();
    const first = shared({ clock: systemClock, limits: limitOf(1), target });
    const second = shared({ clock: systemClock, limits: limitOf(1), target });
    await first.acquire("k", EXPORT);
    const controller = new AbortController();
    const waits: BudgetWait[] = [];
    const outcome = second.acquire("k", EXPORT, controller.signal, (w) => waits.push(w)).then(
      () => "granted",
      (err: unknown) => err,
    );
    await until(() => waits.length > 0, "the second daemon is told to wait");
    expect(waits[0]?.waitMs).toBeGreaterThan(0);
    expect(waits[0]?.waitMs).toBeLessThanOrEqual(SPAN);
    const reason = new Error("job stopped");
    const abortedAt = performance.now();
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(50);
    await sleep(SPAN + 300); // past the end of the wait it was told
    expect(await grantTimes(url)).toHaveLength(1);
    expect(waits).toHaveLength(1);
    await second.acquire("k", EXPORT);
    expect(await grantTimes(url)).toHaveLength(2);
  }, 15_000);

  it("a database that cannot be reached fails the request at once, naming the server, every time", async () => {
    const port = await freePort();
    const target = parsePostgresUrl(`postgresql://postgres@127.0.0.1:${port}/itd`, process.env, "test");
    const budget = shared({ clock: systemClock, limits: limitOf(4), target });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const startedAt = performance.now();
      const err = await budget.acquire("k", EXPORT).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).message).toContain(`Iterable rate budget: Cannot connect to the PostgreSQL state store at 127.0.0.1:${port}`);
      expect(performance.now() - startedAt).toBeLessThan(3_000);
    }
  });

  it("setLimits applies to the next request, here and in the database", async () => {
    const { target } = await stateDatabase();
    const budget = shared({ clock: systemClock, limits: limitOf(2), target });
    await budget.acquire("k", EXPORT);
    await budget.acquire("k", EXPORT);
    expect(budget.spacingOf(EXPORT)).toBe(SPAN / 2);
    budget.setLimits(limitOf(4));
    expect(budget.spacingOf(EXPORT)).toBe(SPAN / 4);
    const startedAt = performance.now();
    await budget.acquire("k", EXPORT);
    await budget.acquire("k", EXPORT);
    expect(performance.now() - startedAt).toBeLessThan(300);
    expect(await budget.inWindow("k", EXPORT)).toBe(4);

    // A daemon that never granted anything itself: only the database's count (4) holds it back, once its limit is below it.
    const other = shared({ clock: systemClock, limits: limitOf(8), target });
    other.setLimits(limitOf(1));
    const controller = new AbortController();
    const waits: BudgetWait[] = [];
    const waiting = other.acquire("k", EXPORT, controller.signal, (w) => waits.push(w)).catch(() => "aborted");
    await until(() => waits.length > 0, "the lowered limit holds the request back");
    controller.abort();
    expect(await waiting).toBe("aborted");
  }, 15_000);

  it("a grant that waited for the database counts from when it was granted, not from when it asked", async () => {
    const { url, target } = await stateDatabase();
    const first = shared({ clock: systemClock, limits: limitOf(1), target });
    const second = shared({ clock: systemClock, limits: limitOf(1), target });
    const granted = await withPg(url, async (c) => {
      // Another session holds the table for 1 s, as a slow one would.
      await c.query("BEGIN; LOCK TABLE itd_state.rate_grants IN EXCLUSIVE MODE");
      const waiting = first.acquire("k", EXPORT).then(() => performance.now());
      await sleep(1_000);
      await c.query("COMMIT");
      return waiting;
    });
    await second.acquire("k", EXPORT);
    expect(performance.now() - granted).toBeGreaterThanOrEqual(WINDOW);
  }, 15_000);

  it("after its connection is lost, the next request connects again", async () => {
    const { url, target } = await stateDatabase();
    const budget = shared({ clock: systemClock, limits: limitOf(4), target });
    await budget.acquire("k", EXPORT);
    const backends = async (): Promise<number> =>
      (await withPg(url, (c) => c.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'itd rate budget' AND datname = current_database()"))).rowCount ?? 0;
    expect(await backends()).toBe(1);
    await withPg(url, (c) =>
      c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'itd rate budget' AND datname = current_database()"),
    );
    await until(async () => (await backends()) === 0, "the backend is gone");
    await sleep(100); // for the client to see its socket closed
    await budget.acquire("k", EXPORT);
    expect(await grantTimes(url)).toHaveLength(2);
  });

  it("a grant in the future (the database's clock was set back) holds a request back one window, not until the clock catches up", async () => {
    const { url, target } = await stateDatabase();
    await withPg(url, (c) => c.query("INSERT INTO itd_state.rate_grants VALUES ('k', 'export', now() + interval '1 hour')"));
    const budget = shared({ clock: systemClock, limits: limitOf(1), target });
    const outcome = await Promise.race([budget.acquire("k", EXPORT).then(() => "granted"), sleep(SPAN + 1_500).then(() => "stalled")]);
    expect(outcome).toBe("granted");
  }, 15_000);
});
