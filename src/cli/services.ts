import { systemClock, type Clock } from "../clock.js";
import type { LoadConfig } from "../connector/index.js";
import { locateDaemonConfig } from "../config/locate.js";
import { RateBudgets, type RateBudget } from "../iterable/rate-budget.js";
import type { RateLimits } from "../iterable/rate-budget.js";
import type { IterableClient, RequestEvent, TimeoutOptions } from "../iterable/types.js";
import { silentLogger, type Logger } from "../logger.js";
import { assertHomeOwner, resolveHome, type HomeAccess } from "../home.js";
import { openStore, type Store } from "../store/index.js";
import { resolveIterableSettings } from "../config/settings.js";
import { resolveWarehouse, type ResolvedWarehouse } from "../config/warehouse.js";
import { resolveState, type ResolvedState, type StateSetting } from "../config/state.js";
import { SharedRateBudgets } from "../iterable/shared-budget.js";
import { openWarehouse, type Warehouse } from "../warehouse/index.js";
import type { CommandContext } from "./command.js";

/**
 * The CLI's composition root for commands that use the home: resolves it once
 * and opens the store and the warehouse on first use. Commands call close().
 * It imports nothing a command may not use: the Iterable client (undici) and
 * the load config's schema (zod) are loaded by the first iterableClient().
 * Before either opens, a home another user owns is refused (`access: "write"`,
 * the default) or allowed only to read an existing state.db (`"read"`).
 */
export class Services {
  readonly home: string;
  readonly clock: Clock;
  /** This host's clock (the store's time is measured against it). */
  readonly baseClock: Clock;
  readonly logger: Logger;
  /** `schedules_dir` of the daemon config, if set. */
  readonly configSchedulesDir: string | undefined;
  private resolvedWarehouse: ResolvedWarehouse | undefined;
  private readonly warehouseLayers: Parameters<typeof resolveWarehouse>[0];
  private resolvedState: ResolvedState | undefined;
  private readonly stateLayers: Parameters<typeof resolveState>[0];
  private budgetsInstance: RateBudget | undefined;
  /** The rate limits those budgets keep: the config file's `rate_limits`, then `$ITD_RATE_LIMITS`. */
  readonly rateLimits: Partial<RateLimits>;
  /** Iterable HTTP timeouts of this process: DEFAULT_TIMEOUTS with ITD_TIMEOUTS over them (a load's own `*_timeout` keys win). */
  readonly timeouts: TimeoutOptions;
  /** Told of every HTTP attempt to Iterable (the daemon's metrics). */
  onRequest: ((e: RequestEvent) => void) | undefined;
  private readonly signal: AbortSignal;
  private readonly clients: IterableClient[] = [];
  private storeInstance: Store | undefined;
  private warehouseInstance: Warehouse | undefined;
  private readonly access: HomeAccess;
  private homeChecked = false;

  constructor(
    ctx: Pick<CommandContext, "env" | "cwd" | "signal">,
    homeFlag: string | undefined,
    options: {
      logger?: Logger;
      clock?: Clock;
      configHome?: string | undefined;
      schedulesDir?: string | undefined;
      access?: HomeAccess;
      /** The config file's `rate_limits`. */
      rateLimits?: Partial<RateLimits> | undefined;
      /** `--warehouse` and the config file's `warehouse:` (with the file's name for errors). */
      warehouse?: { flag?: string | undefined; file?: { value: string | undefined; name: string } | undefined };
      /** `--state` and the config file's `state:`. */
      state?: { flag?: string | undefined; file?: { value: string | undefined; name: string } | undefined };
    } = {},
  ) {
    this.access = options.access ?? "write";
    this.configSchedulesDir = options.schedulesDir;
    this.home = resolveHome({ flag: homeFlag, env: ctx.env, cwd: ctx.cwd, configHome: options.configHome });
    const base = options.clock ?? systemClock;
    this.baseClock = base;
    // The store's time once it is open: on a shared PostgreSQL store the database's clock, which every host's
    // daemons go by (a host whose own clock is ahead would plan windows into the future, and a slot's cursor past
    // records that do not exist yet). Before the store is open, and on state.db, this host's.
    this.clock = { now: () => this.storeInstance?.now() ?? base.now(), sleep: (ms, signal) => base.sleep(ms, signal) };
    this.signal = ctx.signal;
    // The CLI prints its own output; pino logs go to stderr only with --verbose (withServices makes that logger).
    this.logger = options.logger ?? silentLogger();
    const iterable = resolveIterableSettings({ fileRateLimits: options.rateLimits, env: ctx.env });
    this.rateLimits = iterable.rateLimits;
    this.timeouts = iterable.timeouts;
    this.warehouseLayers = { flag: options.warehouse?.flag, env: ctx.env, file: options.warehouse?.file };
    this.stateLayers = { flag: options.state?.flag, env: ctx.env, file: options.state?.file };
  }

  /**
   * One rate budget per API key for everything this process does: with a shared PostgreSQL state, the one every
   * process on every host shares through it. Made on first use (a job process of the daemon sets its own).
   */
  get budgets(): RateBudget {
    // The shared budget's table is the state store's: opened (and so made, on a fresh PostgreSQL) first.
    if (this.budgetsInstance === undefined && this.stateSetting.setting.engine === "postgres") void this.store;
    // Durations only (rate windows, retries): this host's clock, which does not jump when the store opens.
    this.budgetsInstance ??= makeBudgets(this.baseClock, this.rateLimits, this.stateSetting.setting);
    return this.budgetsInstance;
  }

  set budgets(budgets: RateBudget) {
    this.budgetsInstance = budgets;
  }

  /** Where the state lives: `--state`, `$ITD_STATE`, the config file's `state:`, else the home's state.db. */
  get stateSetting(): ResolvedState {
    this.resolvedState ??= resolveState(this.stateLayers);
    return this.resolvedState;
  }

  /**
   * Where imports go: `--warehouse`, `$ITD_WAREHOUSE`, the config file's `warehouse:`, else the home's SQLite
   * files. Resolved on first use: a command that never touches the warehouse does not fail on a bad URL.
   */
  get warehouseSetting(): ResolvedWarehouse {
    this.resolvedWarehouse ??= resolveWarehouse(this.warehouseLayers);
    return this.resolvedWarehouse;
  }

  /** An Iterable client for a load config (its key, region or base_url, retries, timeouts). */
  async iterableClient(config: LoadConfig): Promise<IterableClient> {
    const [{ createIterableClient }, { retryOptionsOf, timeoutOptionsOf }] = await Promise.all([
      import("../iterable/client.js"),
      import("../connector/config-schema.js"),
    ]);
    const c = config.in;
    const client = createIterableClient({
      apiKey: c.api_key,
      region: c.region,
      ...(c.base_url !== undefined ? { baseUrl: c.base_url } : {}),
      retry: retryOptionsOf(c),
      timeouts: { ...this.timeouts, ...timeoutOptionsOf(c) },
      budgets: this.budgets,
      logger: this.logger,
      clock: this.baseClock,
      signal: this.signal,
      ...(this.onRequest ? { onRequest: this.onRequest } : {}),
    });
    this.clients.push(client);
    return client;
  }

  get store(): Store {
    this.checkHome();
    if (this.storeInstance === undefined) {
      this.storeInstance = openStore(this.home, this.baseClock, { state: this.stateSetting.setting });
      const a = this.storeInstance.adopted;
      // Once, by whichever command first opens the new store from this home: said where an operator sees it.
      if (a !== undefined) {
        process.stderr.write(`itd: the PostgreSQL state store was empty: copied ${a.file} into it (${a.schedules} schedules, ${a.jobs} jobs, ${a.cursors} cursors)\n`);
      }
    }
    return this.storeInstance;
  }

  get warehouse(): Warehouse {
    this.checkHome();
    this.warehouseInstance ??= openWarehouse(this.warehouseSetting.setting, this.home, this.clock, { streamScope: () => this.store.homeId() });
    return this.warehouseInstance;
  }

  /**
   * Refuses the home if it is another user's (for writing; see assertHomeOwner). The store and the warehouse
   * call it when they first open; a command can call it earlier, before it starts anything.
   */
  checkHome(): void {
    if (this.homeChecked) return;
    assertHomeOwner(this.home, this.access);
    this.homeChecked = true;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    await this.warehouseInstance?.close();
    if (this.budgetsInstance instanceof SharedRateBudgets) await this.budgetsInstance.close();
    this.storeInstance?.close();
  }
}

/** This process's rate budgets: its own, or, with a shared PostgreSQL state, every host's through the database. */
export function makeBudgets(clock: Clock, limits: Partial<RateLimits>, state: StateSetting): RateBudgets | SharedRateBudgets {
  const local = new RateBudgets(clock, limits);
  return state.engine === "postgres" ? new SharedRateBudgets({ clock, target: state.target, local }) : local;
}

/** Runs `fn` with services and always closes them. A command that only reads the home says `access: "read"`. */
export async function withServices<T>(
  ctx: CommandContext,
  flags: { home?: string | undefined; warehouse?: string | undefined; state?: string | undefined; "itd-config"?: string | undefined; "itd-verbose"?: boolean | undefined },
  fn: (s: Services) => Promise<T> | T,
  options: { access?: HomeAccess } = {},
): Promise<T> {
  // `home:` of the daemon config counts too (design §1), so the CLI and the daemon agree on the home.
  // Its parser (zod) is loaded only when there is a file to read.
  const located = locateDaemonConfig(flags["itd-config"], ctx.env, ctx.cwd);
  const config = located === undefined ? undefined : (await import("../config/file.js")).readDaemonConfig(flags["itd-config"], ctx.env, ctx.cwd).config;
  const services = new Services(ctx, flags.home, {
    ...(flags["itd-verbose"] === true
      ? { logger: (await import("../log.js")).createLogger({ level: "debug", destination: process.stderr as never }) }
      : {}),
    configHome: config?.home,
    schedulesDir: config?.schedules_dir,
    access: options.access ?? "write",
    rateLimits: config?.rate_limits,
    warehouse: { flag: flags.warehouse, file: located === undefined ? undefined : { value: config?.warehouse, name: located.shown } },
    state: { flag: flags.state, file: located === undefined ? undefined : { value: config?.state, name: located.shown } },
  });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}
