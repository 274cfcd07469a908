import { describeSlot, nextSlots, parseCron, validateTimezone } from "../../schedule/index.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { Command } from "../command.js";
import { parseFormat, writeRows } from "../output.js";
import { parseInstant } from "../time-arg.js";

export const scheduleNextCommand: Command = {
  name: "schedule:next",
  summary: "Show the next fire times of a cron in a time zone, as the daemon will fire them",
  usage: `itd schedule:next CRON [-t TZ] [--from TIME] [-n N] [-f table|tsv|csv|json]

DST as cron does it: a fixed time skipped by the clock change runs once, right after the jump; one that repeats
runs once, at the first occurrence; patterns with */N or * in the hour follow the wall clock.

Examples:
  itd schedule:next "30 2 * * *" -t America/New_York --from 2026-03-07 -n 3
  itd schedule:next "*/15 * * * *" -t Europe/London -n 8`,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      { timezone: { type: "string", short: "t" }, from: { type: "string" }, count: { type: "string", short: "n" }, format: { type: "string", short: "f" } },
      { min: 1, max: 1, names: "CRON" },
    );
    const format = parseFormat(values.format);
    const spec = parseCron(positionals[0] as string);
    const tz = validateTimezone(values.timezone ?? "UTC");
    const from = values.from !== undefined ? parseInstant("--from", values.from) : Date.now();
    const n = intFlag("count", values.count, 1, 1000) ?? 5;
    const rows = nextSlots(spec, tz, from, n).map((ms, i) => {
      const d = describeSlot(ms, tz);
      return [i + 1, d.local, d.utc, Math.floor(ms / 1000)];
    });
    await writeRows(ctx, format, ["#", `Time (${tz})`, "UTC", "Unix"], rows);
    return 0;
  },
};
