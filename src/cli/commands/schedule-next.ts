import { parseCron } from "../../schedule/cron.js";
import { describeSlot } from "../../schedule/describe.js";
import { nextSlots } from "../../schedule/slots.js";
import { validateTimezone } from "../../schedule/timezone.js";
import { intFlag, parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { parseFormat, writeRows } from "../output.js";
import { parseInstant } from "../time-arg.js";

export const scheduleNextCommand: CommandImpl = {
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
