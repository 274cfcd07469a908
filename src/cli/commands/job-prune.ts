import { UsageError } from "../../errors.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { withServices } from "../services.js";

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90d`, `12h`, `30m`, `2w` → milliseconds. */
export function parseAge(flag: string, value: string): number {
  const m = /^(\d+)([mhdw])$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: expected an age like 90d, 12h, 30m or 2w; got "${value}"`);
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

export const jobPruneCommand: Command = {
  name: "job:prune",
  summary: "Delete finished jobs older than an age from the history (cursors are kept)",
  usage: "itd job:prune --older-than AGE\n\nExample:\n  itd job:prune --older-than 90d",
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, { "older-than": { type: "string" } }, { min: 0, max: 0, names: "none" });
    if (values["older-than"] === undefined) throw new UsageError("--older-than option required (e.g. 90d)");
    const age = parseAge("--older-than", values["older-than"]);
    return withServices(ctx, values, (s) => {
      const n = s.store.jobs.prune(s.clock.now() - age);
      ctx.stdout.write(`Pruned ${n} job(s) that ended more than ${values["older-than"]} ago.\n`);
      return 0;
    });
  },
};
