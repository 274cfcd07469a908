import { SlotCalculator } from "../../schedule/calculator.js";
import { describeSlot } from "../../schedule/describe.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { formatTdTime } from "../format-time.js";
import { countCell, parseFormat, writeRows } from "../output.js";
import { loadListing, loadSchedule, namedSchedule } from "../schedule-catalog.js";
import { BACKLOG_WARN_AT } from "../../daemon/pick.js";
import { withServices } from "../services.js";
import { durationSeconds } from "./job.js";

const FORMAT = { format: { type: "string", short: "f" } } as const;

/** How much of state.db connector:list maps (address space, not memory: only pages read are loaded). */
const LISTING_MMAP_BYTES = 256 * 1024 * 1024;

export const connectorListCommand: CommandImpl = {
  async run(ctx) {
    const { values } = parseCommandArgs(ctx.argv, FORMAT, { min: 0, max: 0, names: "none" });
    const format = parseFormat(values.format);
    return withServices(ctx, values, async (s) => {
      const catalog = await loadListing(s, ctx.env);
      for (const p of catalog.problems) ctx.stderr.write(`Warning: ${p}\n`);
      // Bounded work per schedule at 10,000 of them: one query for every last status and one for the queues;
      // the next run computed once per (pattern, zone) and worded once per (instant, zone), which schedules share.
      const calc = new SlotCalculator();
      const now = s.clock.now();
      // 10,000 index seeks for the last statuses: through a memory map they cost a third of page-by-page reads
      // (measured: 45 vs 150 ms). Only this process's connection, only for reading.
      if (s.store.db.engine === "sqlite") s.store.db.pragma(`mmap_size = ${LISTING_MMAP_BYTES}`);
      const queued = s.store.jobs.queuedBySchedule();
      const lastStatus = s.store.jobs.lastStatuses();
      const nextSlots = new Map<string, number | undefined>();
      const worded = new Map<string, string>();
      const nextRun = (cron: string, tz: string): string => {
        const key = `${cron}\u0000${tz}`;
        let next = nextSlots.get(key);
        if (next === undefined && !nextSlots.has(key)) {
          next = calc.next(cron, tz, now);
          nextSlots.set(key, next);
        }
        if (next === undefined) return "";
        const at = `${next}\u0000${tz}`;
        let text = worded.get(at);
        if (text === undefined) {
          text = describeSlot(next, tz).local;
          worded.set(at, text);
        }
        return text;
      };
      const rows = catalog.schedules.map((d) => [
        d.name, d.cron, d.timezone, d.delay, d.database, d.table,
        d.paused ? "paused" : d.cron === "" ? "" : nextRun(d.cron, d.timezone),
        lastStatus.get(d.id) ?? "", queued.get(d.id) ?? 0, d.source,
      ]);
      await writeRows(ctx, format, ["Name", "Cron", "Timezone", "Delay", "Database", "Table", "Next run", "Last status", "Queued", "Source"], rows);
      const behind = catalog.schedules.filter((d) => (queued.get(d.id) ?? 0) >= BACKLOG_WARN_AT && !d.paused);
      for (const d of behind) {
        ctx.stderr.write(`Warning: '${d.name}' has ${queued.get(d.id)} runs queued: its slots come faster than they run (a run takes longer than its interval, or max_concurrent_jobs is too low)\n`);
      }
      return 0;
    }, { access: "read" });
  },
};

export const connectorHistoryCommand: CommandImpl = {
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
      // A live schedule's runs are those of its id (across renames); a deleted schedule's history stays readable by name.
      const live = await namedSchedule(s, ctx.env, name);
      const filter = live ? { scheduleId: live.id } : { schedule: name };
      if (!live && s.store.jobs.listJobs({ ...filter, limit: 1 }).length === 0) await loadSchedule(s, ctx.env, name);
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
