import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { readYaml } from "../../config/yaml.js";
import { readLoadConfigFile } from "../../connector/index.js";
import { ItdError, UsageError } from "../../errors.js";
import { checkCatchup, checkCron, checkDelay, checkPriority, checkScheduleName, validateTimezone } from "../../schedule/index.js";
import { parseCommandArgs } from "../args.js";
import type { CommandImpl } from "../command.js";
import { loadCatalog } from "../schedule-catalog.js";
import { checkRunnableConfig, dumpSchedule } from "../schedule-config.js";
import { withServices } from "../services.js";
import { ensureTarget } from "./connector-issue.js";

/** The load config document of a file, as written (`${ENV}` kept), after checking its shape. */
export async function readConfigDocument(path: string, env: NodeJS.ProcessEnv, stderr?: NodeJS.WritableStream): Promise<unknown> {
  await readLoadConfigFile(path, env).catch((err: unknown) => {
    // A `${VAR}` unset here may well be set for the daemon: check the shape only, and say so.
    if (err instanceof ItdError && /environment variable/.test(err.message)) {
      stderr?.write(`Warning: ${err.message}; the daemon (and every run) needs it set in its own environment (e.g. the service's EnvironmentFile)\n`);
      return undefined;
    }
    throw err;
  });
  // Read (and checked) as load.yml just above: no YAML problem is left here.
  const doc = readYaml(readFileSync(path, "utf8"), path);
  checkRunnableConfig(doc, path, relative(process.cwd(), path) || path);
  return doc;
}

export const connectorCreateCommand: CommandImpl = {
  async run(ctx) {
    const { values, positionals } = parseCommandArgs(
      ctx.argv,
      {
        "time-column": { type: "string" },
        timezone: { type: "string", short: "t" },
        delay: { type: "string", short: "D" },
        priority: { type: "string" },
        catchup: { type: "string" },
        "auto-create-table": { type: "boolean" },
      },
      { min: 5, max: 5, names: "NAME CRON DATABASE TABLE load.yml" },
    );
    const [name, cron, database, table, file] = positionals as [string, string, string, string, string];
    // Validate everything before writing anything.
    checkScheduleName(name);
    checkCron(cron);
    const timezone = validateTimezone(values.timezone ?? "UTC");
    const delay = checkDelay(values.delay ?? "0");
    const priority = checkPriority(values.priority ?? "0");
    const catchup = checkCatchup(values.catchup ?? "all");
    const config = await readConfigDocument(resolve(ctx.cwd, file), ctx.env, ctx.stderr);
    if (values["time-column"] === "") throw new UsageError("--time-column: expected a column name");
    return withServices(ctx, values, async (s) => {
      const catalog = await loadCatalog(s, ctx.env);
      const taken = catalog.schedules.find((x) => x.name === name);
      if (taken) {
        throw new ItdError("conflict", `BulkLoadSession: ${name} create failed: Name has already been taken${taken.source !== "cli" ? ` (by ${taken.source})` : ""}`);
      }
      await ensureTarget(s, database, table, values["auto-create-table"] === true, ctx.stderr);
      // A new schedule starts from its own start_time: into a table that already holds rows (say, of a deleted
      // schedule of this name), windows it covers are imported again.
      const rows = (await s.warehouse.describeTable(database, table)).rows;
      if (rows > 0) {
        ctx.stderr.write(
          `Warning: ${database}.${table} already holds ${rows} rows; '${name}' is a new schedule and imports from its own in.start_time` +
            ` (a deleted schedule's cursor is not inherited). If those rows cover that time, set a later in.start_time, or` +
            ` 'itd connector:update ${name} --config-diff FILE' before its first run.\n`,
        );
      }
      const created = s.store.schedules.create({
        name, cron, timezone, delay, database, table, timeColumn: values["time-column"] ?? null, priority, catchup, config, paused: false,
      });
      ctx.stdout.write(dumpSchedule(s, { ...created, source: "cli" }));
      return 0;
    });
  },
};
