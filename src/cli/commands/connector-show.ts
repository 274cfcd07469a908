import { UsageError } from "../../errors.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { parseFormat } from "../output.js";
import { assertEditable, loadSchedule } from "../schedule-catalog.js";
import { dumpSchedule, scheduleJson } from "../schedule-config.js";
import { withServices } from "../services.js";

const FORMAT = { format: { type: "string", short: "f" } } as const;

export const connectorShowCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, FORMAT, { min: 1, max: 1, names: "NAME" });
    const format = parseFormat(values.format);
    if (format === "tsv" || format === "csv") throw new UsageError(`--format: connector:show prints table (the default) or json; got "${format}"`);
    return withServices(ctx, values, async (s) => {
      const d = await loadSchedule(s, ctx.env, positionals[0] as string);
      ctx.stdout.write(format === "json" ? JSON.stringify(scheduleJson(s, d), null, 2) + "\n" : dumpSchedule(s, d, { nextRuns: 3 }));
      return 0;
    }, { access: "read" });
  },
};

export const connectorDeleteCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, {}, { min: 1, max: 1, names: "NAME" });
    return withServices(ctx, values, async (s) => {
      const d = await loadSchedule(s, ctx.env, positionals[0] as string);
      assertEditable(d, "delete");
      const dump = dumpSchedule(s, d);
      // Its queued runs would fail on the missing schedule: they end `skipped`, saying why, with the delete.
      const skipped = s.store.db.transaction(() => {
        s.store.schedules.delete(d.name);
        return s.store.lifecycle.skipQueued(d.id, "skipped: the schedule was deleted before this run started");
      }).immediate();
      ctx.stdout.write(`Deleted session\n--\n${dump}`);
      if (skipped > 0) ctx.stderr.write(`${skipped} queued run(s) of '${d.name}' skipped (job:list shows them).\n`);
      return 0;
    });
  },
};

