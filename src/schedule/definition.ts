/**
 * A schedule's definition (TD's connector session): where it came from, and
 * the checks every definition passes whether it was made by the CLI or read
 * from schedules/*.yml. Pure.
 */
import { parseCron } from "./cron.js";
import { ScheduleError } from "./errors.js";
import { validateTimezone } from "./timezone.js";
import type { Catchup, ScheduleRecord } from "../store/schedules.js";

export type { Catchup } from "../store/schedules.js";
export const CATCHUPS: readonly Catchup[] = ["all", "latest", "none"];

/**
 * A schedule as the CLI and the daemon see it: the store's record (made with
 * the CLI) or a file's, with where it came from.
 */
export type ScheduleDefinition = Omit<ScheduleRecord, "createdAt" | "updatedAt"> & {
  /** `cli`, or the file that defines it (read-only from the CLI). */
  source: string;
};

/** A schedule file's definition before the store gives it its id (the file's identity). */
export type FileScheduleDefinition = Omit<ScheduleDefinition, "id">;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function checkScheduleName(name: string): string {
  if (!NAME.test(name)) {
    throw new ScheduleError(`name "${name}": expected 1 to 128 letters, digits, '_', '.' or '-' (not starting with '.' or '-')`);
  }
  return name;
}

/** `""` (no schedule) or a valid cron pattern; throws ScheduleError naming the field at fault. */
export function checkCron(cron: string): string {
  if (cron === "") return cron;
  parseCron(cron);
  return cron;
}

export function checkDelay(value: string | number): number {
  const n = typeof value === "number" ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new ScheduleError(`delay: expected whole seconds ≥ 0; got ${JSON.stringify(value)}`);
  return n;
}

export function checkPriority(value: string | number): number {
  const n = typeof value === "number" ? value : /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < -2 || n > 2) throw new ScheduleError(`priority: expected a whole number from -2 to 2; got ${JSON.stringify(value)}`);
  return n;
}

export function checkCatchup(value: string): Catchup {
  const c = CATCHUPS.find((x) => x === value);
  if (c === undefined) throw new ScheduleError(`catchup: expected one of ${CATCHUPS.join(", ")}; got ${JSON.stringify(value)}`);
  return c;
}

/** Every check of a definition's scheduling fields; the load config is checked by the connector. */
export function checkDefinition<T extends FileScheduleDefinition>(d: T): T {
  checkScheduleName(d.name);
  checkCron(d.cron);
  return { ...d, timezone: validateTimezone(d.timezone), delay: checkDelay(d.delay), priority: checkPriority(d.priority), catchup: checkCatchup(d.catchup) };
}
