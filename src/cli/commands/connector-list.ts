import { describeSlot, SlotCalculator } from "../../schedule/index.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { formatTdTime } from "../format-time.js";
import { countCell, parseFormat, writeRows } from "../output.js";
import { assertEditable, dumpSchedule, findSchedule, loadCatalog, scheduleJson } from "../schedule-catalog.js";
import { UsageError } from "../../errors.js";
import { BACKLOG_WARN_AT } from "../../daemon/pick.js";
import { withServices } from "../services.js";
import { durationSeconds } from "./job.js";

const FORMAT = { format: { type: "string", short: "f" } } as const;

export const connectorListCommand: Command = {
  name: "connector:list",
  summary: "List the schedules (made with the CLI and from schedules/*.yml)",
  usage: "itd connector:list [-f table|tsv|csv|json]\n\nExample:\n  itd connector:list",
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, FORMAT, { min: 0, max: 0, names: "none" });
    const format = parseFormat(values.format);
    return withServices(ctx, values, async (s) => {
      const catalog = loadCatalog(s, ctx.env);
      for (const p of catalog.problems) ctx.stderr.write(`Warning: ${p}\n`);
      const calc = new SlotCalculator();
      const now = s.clock.now();
      const queued = s.store.jobs.queuedBySchedule();
      const rows = catalog.schedules.map((d) => {
        const next = d.cron === "" || d.paused ? undefined : calc.next(d.cron, d.timezone, now);
        const last = s.store.jobs.listJobs({ scheduleId: d.id, limit: 1 })[0];
        return [
          d.name, d.cron, d.timezone, d.delay, d.database, d.table,
          d.paused ? "paused" : next === undefined ? "" : describeSlot(next, d.timezone).local,
          last?.status ?? "", queued.get(d.id) ?? 0, d.source,
        ];
      });
      await writeRows(ctx, format, ["Name", "Cron", "Timezone", "Delay", "Database", "Table", "Next run", "Last status", "Queued", "Source"], rows);
      const behind = catalog.schedules.filter((d) => (queued.get(d.id) ?? 0) >= BACKLOG_WARN_AT && !d.paused);
      for (const d of behind) {
        ctx.stderr.write(`Warning: '${d.name}' has ${queued.get(d.id)} runs queued: its slots come faster than they run (a run takes longer than its interval, or max_concurrent_jobs is too low)\n`);
      }
      return 0;
    }, { access: "read" });
  },
};

export const connectorShowCommand: Command = {
  name: "connector:show",
  summary: "Show a schedule: its settings, config, config diff and next runs",
  usage: "itd connector:show NAME [-f table|json]\n\nExamples:\n  itd connector:show daily_import\n  itd connector:show daily_import -f json",
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, FORMAT, { min: 1, max: 1, names: "NAME" });
    const format = parseFormat(values.format);
    if (format === "tsv" || format === "csv") throw new UsageError(`--format: connector:show prints table (the default) or json; got "${format}"`);
    return withServices(ctx, values, (s) => {
      const d = findSchedule(loadCatalog(s, ctx.env), positionals[0] as string);
      ctx.stdout.write(format === "json" ? JSON.stringify(scheduleJson(s, d), null, 2) + "\n" : dumpSchedule(s, d, { nextRuns: 3 }));
      return 0;
    }, { access: "read" });
  },
};

export const connectorDeleteCommand: Command = {
  name: "connector:delete",
  summary: "Delete a schedule (its job history stays)",
  usage: "itd connector:delete NAME\n\nExample:\n  itd connector:delete daily_import",
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(ctx.argv, {}, { min: 1, max: 1, names: "NAME" });
    return withServices(ctx, values, (s) => {
      const d = findSchedule(loadCatalog(s, ctx.env), positionals[0] as string);
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

export const connectorHistoryCommand: Command = {
  name: "connector:history",
  summary: "Show a schedule's runs, newest first",
  usage: "itd connector:history NAME [-n LIMIT] [-f table|tsv|csv|json]\n\nExample:\n  itd connector:history daily_import -n 20",
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { ...FORMAT, limit: { type: "string", short: "n" } },
      { min: 1, max: 1, names: "NAME" },
    );
    const format = parseFormat(values.format);
    const limit = intFlag("limit", values.limit, 1) ?? 20;
    const name = positionals[0] as string;
    return withServices(ctx, values, async (s) => {
      const catalog = loadCatalog(s, ctx.env);
      // A live schedule's runs are those of its id (across renames); a deleted schedule's history stays readable by name.
      const live = catalog.schedules.find((d) => d.name === name);
      const filter = live ? { scheduleId: live.id } : { schedule: name };
      if (!live && s.store.jobs.listJobs({ ...filter, limit: 1 }).length === 0) findSchedule(catalog, name);
      const now = s.clock.now();
      const rows = s.store.jobs.listJobs({ ...filter, limit }).map((j) => [
        j.id, j.status, countCell(j.records, format), j.database, j.table, j.priority, formatTdTime(j.startAt), durationSeconds(j, now) ?? "",
        formatTdTime(j.scheduledTime),
      ]);
      await writeRows(ctx, format, ["JobID", "Status", "Records", "Database", "Table", "Priority", "Started", "Duration", "Scheduled"], rows);
      return 0;
    }, { access: "read" });
  },
};
