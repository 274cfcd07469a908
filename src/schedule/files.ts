/**
 * Schedules declared as files: `schedules/*.yml`, one schedule each. An
 * invalid file is reported (file and key path) and never half-loaded.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { z } from "zod";
import { errorMessage } from "../errors.js";
import { readYaml, YamlError } from "../config/yaml.js";
import { checkDefinition, type FileScheduleDefinition } from "./definition.js";

const fileSchema = z.strictObject({
  name: z.string().describe("The schedule's name, unique among all schedules."),
  cron: z.string().describe('Cron pattern (5 fields, or 6 with seconds; @hourly @daily @weekly @monthly @yearly); "" = run only when asked.'),
  timezone: z.string().default("UTC").describe("IANA time zone the cron is read in."),
  delay: z.number().int().min(0).default(0).describe("Seconds after each slot that the run starts."),
  database: z.string().describe("Warehouse database."),
  table: z.string().describe("Warehouse table."),
  time_column: z.string().optional().describe("A long or timestamp column copied into `time`."),
  priority: z.number().int().min(-2).max(2).default(0).describe("−2 … 2; higher runs first when jobs queue."),
  catchup: z.enum(["all", "latest", "none"]).default("all").describe("Missed slots after downtime: run all (capped), the latest, or none."),
  paused: z.boolean().default(false).describe("A paused schedule does not fire."),
  config: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .describe("The load config: inline, or a path to a load.yml relative to this file."),
});

export interface LoadedScheduleFiles {
  schedules: FileScheduleDefinition[];
  /** One line per invalid file: `FILE: key.path: problem`. */
  problems: string[];
}

function parseYaml(text: string, file: string): unknown {
  try {
    return readYaml(text, file);
  } catch (err) {
    if (err instanceof YamlError) throw new Error(err.message, { cause: err });
    throw new Error(`${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * Reads one schedule file. `checkConfig` validates the load config document
 * (the connector's schema) and throws with its own file-and-key messages.
 */
export function readScheduleFile(file: string, checkConfig: (doc: unknown, label: string) => void): FileScheduleDefinition {
  const doc = parseYaml(readFileSync(file, "utf8"), file);
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${file}: ${i.path.length ? i.path.join(".") : "(top)"}: ${i.message}`);
    throw new Error(lines.join("\n"));
  }
  const f = parsed.data;
  let config: unknown = f.config;
  let label = `${file}: config`;
  if (typeof f.config === "string") {
    const path = resolve(dirname(file), f.config);
    label = `${file}: config ${path}`;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new Error(`${file}: config: configuration file ${path} not found`, { cause: err });
    }
    config = parseYaml(text, path);
  }
  checkConfig(config, label);
  try {
    return checkDefinition({
      name: f.name, cron: f.cron, timezone: f.timezone, delay: f.delay, database: f.database, table: f.table,
      timeColumn: f.time_column ?? null, priority: f.priority, catchup: f.catchup, config, paused: f.paused, source: file,
    });
  } catch (err) {
    throw new Error(`${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Every `*.yml`/`*.yaml` of `dir` (none when it does not exist), sorted by file name. */
export function loadScheduleFiles(dir: string, checkConfig: (doc: unknown, label: string) => void): LoadedScheduleFiles {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n) && !n.startsWith(".")).sort();
  } catch {
    return { schedules: [], problems: [] };
  }
  const schedules: FileScheduleDefinition[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const n of names) {
    const file = join(dir, n);
    try {
      const s = readScheduleFile(file, checkConfig);
      const other = seen.get(s.name);
      if (other !== undefined) {
        problems.push(`${file}: name: "${s.name}" is already defined by ${basename(other)}; ignored`);
        continue;
      }
      seen.set(s.name, file);
      schedules.push(s);
    } catch (err) {
      problems.push(errorMessage(err));
    }
  }
  return { schedules, problems };
}
