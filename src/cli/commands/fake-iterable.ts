import { once } from "node:events";
import { dataStartBefore, parseFaultSpec, parseRateLimit, startFakeIterable, type FakeIterableOptions } from "../../fake-iterable/index.js";
import { UsageError } from "../../errors.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { parseInstant } from "../time-arg.js";

export const fakeIterableCommand: CommandImpl = {
  async run(ctx) {
    const { values } = parseCommandArgs(
      ctx.argv,
      {
        host: { type: "string" },
        port: { type: "string" },
        "api-key": { type: "string" },
        seed: { type: "string" },
        "events-per-day": { type: "string" },
        users: { type: "string" },
        campaigns: { type: "string" },
        lists: { type: "string" },
        now: { type: "string" },
        "data-start": { type: "string" },
        "no-rate-limits": { type: "boolean" },
        "rate-limit": { type: "string", multiple: true },
        fault: { type: "string", multiple: true },
      },
      { min: 0, max: 0, names: "none" },
    );
    const opts: FakeIterableOptions = {};
    if (values.host !== undefined) opts.host = values.host;
    const port = intFlag("port", values.port, 0, 65535);
    if (port !== undefined) opts.port = port;
    if (values["api-key"] !== undefined) opts.apiKey = values["api-key"];
    const numbers = [
      ["seed", "seed"],
      ["events-per-day", "eventsPerDay"],
      ["users", "users"],
      ["campaigns", "campaigns"],
      ["lists", "lists"],
    ] as const;
    for (const [flag, key] of numbers) {
      const n = intFlag(flag, values[flag]);
      if (n !== undefined) opts[key] = n;
    }
    if (values.now !== undefined) opts.now = parseInstant("--now", values.now);
    if (values["data-start"] !== undefined) opts.dataStart = parseInstant("--data-start", values["data-start"]);
    else if (opts.now !== undefined) opts.dataStart = dataStartBefore(opts.now);
    if (values["no-rate-limits"]) opts.rateLimits = false;
    try {
      if (values.fault) opts.faults = values.fault.map(parseFaultSpec);
      if (values["rate-limit"]) {
        const overrides: NonNullable<FakeIterableOptions["rateLimitOverrides"]> = {};
        for (const spec of values["rate-limit"]) {
          const { endpoint, limit, windowMs } = parseRateLimit(spec);
          overrides[endpoint] = { limit, windowMs };
        }
        opts.rateLimitOverrides = overrides;
      }
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }

    const server = await startFakeIterable(opts);
    ctx.stdout.write(`listening on ${server.url}\n`);
    if (!ctx.signal.aborted) await once(ctx.signal, "abort");
    await server.close();
    return 0;
  },
};
