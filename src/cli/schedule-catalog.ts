/**
 * The schedules a command sees: the store's (made with the CLI) and the
 * schedule files'. Light on purpose (issue 11): the files' parser and the
 * load config schema (zod) are imported only when there are files to read;
 * checking and printing configs lives in schedule-config.ts.
 */
import { readdirSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { ItdError, NotFoundError } from "../errors.js";
import type { ScheduleRecord } from "../store/index.js";
import type { LoadedScheduleFiles } from "../schedule/files.js";
import type { ScheduleDefinition } from "../schedule/definition.js";
import type { Services } from "./services.js";

/** A file's real path (symlinks resolved): one file, one schedule, however its folder is reached. */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

export function schedulesDir(s: Services, env: NodeJS.ProcessEnv): string {
  return env["ITD_SCHEDULES"] ?? s.configSchedulesDir ?? join(s.home, "schedules");
}

function fromRecord(r: ScheduleRecord): ScheduleDefinition {
  return { ...r, source: "cli" };
}

export interface Catalog {
  schedules: ScheduleDefinition[];
  problems: string[];
}

/** Reads a schedules directory's files, each checked as a schedule (schedule-config.ts's readScheduleFilesChecked). */
export type ScheduleFilesReader = (dir: string) => LoadedScheduleFiles;

/** Whether `dir` holds a schedule file (`*.yml`, `*.yaml`, not hidden): without one, no parser is loaded. */
function hasScheduleFiles(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => /\.ya?ml$/.test(n) && !n.startsWith("."));
  } catch {
    return false;
  }
}

/** The schedules directory's reader: the parser (zod) is imported only when there are files. */
async function filesReader(s: Services, env: NodeJS.ProcessEnv): Promise<ScheduleFilesReader> {
  return hasScheduleFiles(schedulesDir(s, env)) ? (await import("./schedule-config.js")).readScheduleFilesChecked : () => ({ schedules: [], problems: [] });
}

/** Every schedule: the store's (made with the CLI) and the files', sorted by name. */
export async function loadCatalog(s: Services, env: NodeJS.ProcessEnv): Promise<Catalog> {
  return catalogWith(s, env, await filesReader(s, env));
}

/** loadCatalog with the files' reader given (the daemon, which has it loaded, reloads synchronously). */
export function catalogWith(s: Services, env: NodeJS.ProcessEnv, read: ScheduleFilesReader): Catalog {
  return merge(s, s.store.schedules.list().map(fromRecord), read(schedulesDir(s, env)), (f, id) => ({ ...f, id }));
}

/** A schedule as connector:list shows it. */
export type ScheduleSummary = Pick<ScheduleDefinition, "id" | "name" | "cron" | "timezone" | "delay" | "database" | "table" | "paused" | "source">;

/** Every schedule as a listing shows it (no configs read): connector:list. */
export async function loadListing(s: Services, env: NodeJS.ProcessEnv): Promise<{ schedules: ScheduleSummary[]; problems: string[] }> {
  const stored = s.store.schedules.summaries().map((r): ScheduleSummary => ({ ...r, source: "cli" }));
  const files = (await filesReader(s, env))(schedulesDir(s, env));
  return merge(s, stored, files, (f, id) => ({ id, name: f.name, cron: f.cron, timezone: f.timezone, delay: f.delay, database: f.database, table: f.table, paused: f.paused, source: f.source }));
}

const byName = new Intl.Collator();

/** The store's schedules and the files' (a name the CLI holds wins), sorted by name. */
function merge<T extends { name: string }>(
  s: Services,
  stored: T[],
  files: LoadedScheduleFiles,
  fromFile: (f: LoadedScheduleFiles["schedules"][number], id: number) => T,
): { schedules: T[]; problems: string[] } {
  const names = new Set(stored.map((x) => x.name));
  const problems = [...files.problems];
  const fromFiles = files.schedules.flatMap((f): T[] => {
    if (names.has(f.name)) {
      problems.push(`${f.source}: name: "${f.name}" is already taken by a schedule made with the CLI; ignored`);
      return [];
    }
    // A file is one schedule for its whole life, whatever it says: its id comes from its path.
    return [fromFile(f, s.store.schedules.fileScheduleId(realPath(f.source), f.name))];
  });
  return { schedules: [...stored, ...fromFiles].sort((a, b) => byName.compare(a.name, b.name)), problems };
}

export function findSchedule(c: Catalog, name: string): ScheduleDefinition {
  const found = c.schedules.find((x) => x.name === name);
  if (!found) throw notFound(name);
  return found;
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`BulkLoadSession: ${name} retrieve failed: schedule '${name}' does not exist`, {
    hints: ["Use 'itd connector:list' to show the list of schedules."],
  });
}

/**
 * The schedule named `name`, as loadCatalog would find it, reading one row
 * of the store (the CLI's name wins over a file's) and the files only when
 * the store has none: connector:show, history, run and delete at 10,000
 * schedules. Undefined when there is none.
 */
export async function namedSchedule(s: Services, env: NodeJS.ProcessEnv, name: string): Promise<ScheduleDefinition | undefined> {
  const stored = s.store.schedules.find(name);
  if (stored !== undefined) return fromRecord(stored);
  const files = (await filesReader(s, env))(schedulesDir(s, env));
  const file = files.schedules.find((f) => f.name === name);
  return file === undefined ? undefined : { ...file, id: s.store.schedules.fileScheduleId(realPath(file.source), file.name) };
}

/** namedSchedule, or the not-found error TD gives. */
export async function loadSchedule(s: Services, env: NodeJS.ProcessEnv, name: string): Promise<ScheduleDefinition> {
  const found = await namedSchedule(s, env, name);
  if (found === undefined) throw notFound(name);
  return found;
}

/** File-defined schedules are read-only from the CLI. */
export function assertEditable(d: ScheduleDefinition, verb: string): void {
  if (d.source !== "cli") {
    throw new ItdError("conflict", `schedule '${d.name}' is defined in ${d.source}: edit (or ${verb === "delete" ? "remove" : "edit"}) that file instead of using connector:${verb}`);
  }
}

