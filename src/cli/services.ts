import { systemClock, type Clock } from "../clock.js";
import { resolveHome } from "../home.js";
import { openStore, type Store } from "../store/index.js";
import { openWarehouse, type Warehouse } from "../warehouse/index.js";
import type { CommandContext } from "./command.js";

/**
 * The CLI's composition root for commands that use the home: resolves it once
 * and opens the store and the warehouse on first use. Commands call close().
 */
export class Services {
  readonly home: string;
  readonly clock: Clock;
  private storeInstance: Store | undefined;
  private warehouseInstance: Warehouse | undefined;

  constructor(ctx: Pick<CommandContext, "env" | "cwd">, homeFlag: string | undefined, clock: Clock = systemClock) {
    this.home = resolveHome({ flag: homeFlag, env: ctx.env, cwd: ctx.cwd });
    this.clock = clock;
  }

  get store(): Store {
    this.storeInstance ??= openStore(this.home, this.clock);
    return this.storeInstance;
  }

  get warehouse(): Warehouse {
    this.warehouseInstance ??= openWarehouse(this.home, { clock: this.clock });
    return this.warehouseInstance;
  }

  close(): void {
    this.warehouseInstance?.close();
    this.storeInstance?.close();
  }
}

/** Runs `fn` with services and always closes them. */
export async function withServices<T>(ctx: CommandContext, homeFlag: string | undefined, fn: (s: Services) => Promise<T> | T): Promise<T> {
  const services = new Services(ctx, homeFlag);
  try {
    return await fn(services);
  } finally {
    services.close();
  }
}
