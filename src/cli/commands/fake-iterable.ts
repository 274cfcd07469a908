import { once } from "node:events";
import { dataStartBefore, MAX_USER_UPDATES, parseFaultSpec, parseRateLimit, startFakeIterable, type FakeIterableOptions } from "../../fake-iterable/index.js";
import { parseDuration } from "../../config/duration.js";
import { UsageError } from "../../errors.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { parseInstant } from "../time-arg.js";

/** `--late-share`: a fraction (`0.05`) or a percentage (`5%`), 0 to 1. */
function shareFlag(value: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$/.exec(value);
  const share = m ? Number(m[1]) / (m[2] === "%" ? 100 : 1) : Number.NaN;
  if (!(share >= 0 && share <= 1)) throw new UsageError(`--late-share: expected a fraction from 0 to 1 (0.05) or a percentage (5%); got "${value}"`);
  return share;
}

/** `--late-share` and `--late-by` as options; a late share needs a delay of at least a second. */
function lateOptions(share: string | undefined, by: string | undefined): Pick<FakeIterableOptions, "lateShare" | "lateByMs"> {
  const opts: Pick<FakeIterableOptions, "lateShare" | "lateByMs"> = {};
  if (share !== undefined) opts.lateShare = shareFlag(share);
  if (by !== undefined) {
    const ms = parseDuration(by);
    if (ms === undefined) throw new UsageError(`--late-by: expected a duration such as 90s, 30m, 2h or 1d; got "${by}"`);
    opts.lateByMs = ms;
  }
  if ((opts.lateShare ?? 0) > 0) {
    if (opts.lateByMs === undefined) throw new UsageError(`--late-share ${share ?? ""} needs --late-by DURATION (how late the late events arrive at most, e.g. --late-by 2h)`);
    if (opts.lateByMs < 1000) throw new UsageError(`--late-by: expected at least 1s when --late-share is above 0; got "${by ?? ""}"`);
  }
  return opts;
}

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
        "user-updates": { type: "string" },
        campaigns: { type: "string" },
        lists: { type: "string" },
        now: { type: "string" },
        "data-start": { type: "string" },
        "late-share": { type: "string" },
        "late-by": { type: "string" },
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
    const userUpdates = intFlag("user-updates", values["user-updates"], 1, MAX_USER_UPDATES);
    if (userUpdates !== undefined) opts.userUpdates = userUpdates;
    if (values.now !== undefined) opts.now = parseInstant("--now", values.now);
    if (values["data-start"] !== undefined) opts.dataStart = parseInstant("--data-start", values["data-start"]);
    else if (opts.now !== undefined) opts.dataStart = dataStartBefore(opts.now);
    Object.assign(opts, lateOptions(values["late-share"], values["late-by"]));
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
