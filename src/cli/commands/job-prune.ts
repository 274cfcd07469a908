import { createInterface } from "node:readline/promises";
import { UsageError } from "../../errors.js";
import { parseRetention } from "../../config/file.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { formatTdTime } from "../format-time.js";
import { withServices } from "../services.js";

/** `90d`, `12h`, `30m`, `45s`, `2w` → milliseconds: the config's duration grammar (a unit is required here). */
export function parseAge(flag: string, value: string): number {
  const ms = parseRetention(value);
  if (ms === undefined) throw new UsageError(`${flag}: expected an age like 90d, 12h, 30m, 45s or 2w; got "${value}"`);
  return ms;
}

/** Finished jobs deleted per transaction. */
const PRUNE_BATCH = 20_000;

export const jobPruneCommand: CommandImpl = {
  async run(ctx) {
    const { values } = parseCommandArgs(
      ctx.argv,
      { "older-than": { type: "string" }, "dry-run": { type: "boolean" }, yes: { type: "boolean", short: "y" } },
      { min: 0, max: 0, names: "none" },
    );
    if (values["older-than"] === undefined) throw new UsageError("--older-than option required (e.g. 90d)");
    if (values["dry-run"] && values.yes) throw new UsageError("--dry-run and --yes contradict each other");
    const age = parseAge("--older-than", values["older-than"]);
    return withServices(ctx, values, async (s) => {
      const before = s.clock.now() - age;
      const what = s.store.jobs.prunable(before);
      if (what.count === 0) {
        ctx.stdout.write(`Pruned 0 job(s): none ended more than ${values["older-than"]} ago.\n`);
        return 0;
      }
      const summary = `${what.count} finished job(s) ended more than ${values["older-than"]} ago (from ${formatTdTime(what.oldest)} to ${formatTdTime(what.newest)})`;
      if (values["dry-run"]) {
        ctx.stdout.write(`Would prune ${summary}.\n`);
        return 0;
      }
      if (!values.yes) {
        if (process.stdin.isTTY !== true || ctx.stdout.isTTY !== true) {
          throw new UsageError(`job:prune would delete ${summary}; add --yes to delete them (or --dry-run to only look)`);
        }
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`Delete ${summary}? [y/N] `, { signal: ctx.signal }).finally(() => rl.close());
        if (!/^y(es)?$/i.test(answer.trim())) {
          ctx.stdout.write("Nothing deleted.\n");
          return 1;
        }
      }
      // In batches, each its own transaction: a long history on a PostgreSQL state store in one statement would
      // outlast the server's statement timeout (and hold the daemons' claims back meanwhile).
      let n = 0;
      for (let k = s.store.jobs.prune(before, PRUNE_BATCH); k > 0; k = s.store.jobs.prune(before, PRUNE_BATCH)) n += k;
      ctx.stdout.write(`Pruned ${n} job(s) that ended more than ${values["older-than"]} ago.\n`);
      return 0;
    });
  },
};
