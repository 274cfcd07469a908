/**
 * What the status pages read, passed in by the daemon's composition root
 * (cli/commands/daemon.ts): the daemon's schedules as loaded, the store, the
 * warehouse, the recorder of the header's figures, and the few formatters
 * that live elsewhere (the redacted config, the cursor as YAML). Nothing here
 * writes.
 */
import type { Clock } from "../../clock.js";
import type { ScheduleDefinition } from "../../schedule/definition.js";
import { SlotCalculator } from "../../schedule/calculator.js";
import type { CursorStore } from "../../store/cursors.js";
import type { Db } from "../../store/db.js";
import { StatusQueries } from "../../store/status.js";
import type { Warehouse } from "../../warehouse/port.js";
import { LastJobs } from "./last-jobs.js";
import type { StatusRecorder } from "./recorder.js";

export interface StatusDeps {
  /** The schedules the daemon runs now (CLI and files), sorted by name. */
  schedules: () => readonly ScheduleDefinition[];
  store: { readonly db: Db; readonly cursors: CursorStore };
  clock: Clock;
  recorder: StatusRecorder;
  /** A schedule's load config as text, its API key `***` (what its jobs store). */
  configText: (def: ScheduleDefinition) => string;
  /** A cursor (config diff) as text; default JSON. */
  cursorText?: (diff: unknown) => string;
  /** The warehouse `/tables` reads; none: the page says so. */
  warehouse?: Warehouse | undefined;
  /** Texts that must never appear on a page (API keys, passwords): replaced by `***` in every body. */
  secrets?: () => readonly string[];
  /** How long the listing's order may lag (ms; default 10 s). */
  orderMaxAgeMs?: number;
}

/** The deps with what every page shares made once: the queries, the slot calculator, the last jobs. */
export interface StatusContext extends StatusDeps {
  readonly queries: StatusQueries;
  readonly slots: SlotCalculator;
  readonly lastJobs: LastJobs;
}

export function statusContext(deps: StatusDeps): StatusContext {
  const queries = new StatusQueries(deps.store.db);
  return {
    ...deps, queries, slots: new SlotCalculator(),
    lastJobs: new LastJobs(queries, deps.clock, { maxAgeMs: deps.orderMaxAgeMs ?? 10_000 }),
  };
}
