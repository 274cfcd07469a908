import type { Clock } from "../clock.js";
import { StoreError } from "../errors.js";
import { isProcessAlive, thisHost } from "../pid.js";
import { CursorStore } from "./cursors.js";
import { JobStore } from "./jobs.js";
import { DAEMON_LEASE_MS, LeaseStore, type Holder } from "./leases.js";
import type { Adopted } from "./postgres/adopt.js";
import { openPgStateDb } from "./postgres/open.js";
import { JobLifecycle } from "./lifecycle.js";
import { openStateDb, type Db } from "./open.js";
import type { StateSetting } from "../config/state.js";
import { DaemonRegistry, ScheduleStore } from "./schedules.js";

export { JobStore, type Job, type JobKind, type JobStatus, type NewJob, type JobLogLine } from "./jobs.js";
export { CursorStore, comparePositions, ORIGIN, type Position, type StoredCursor, type StoredDensity } from "./cursors.js";
export { LeaseStore, leaseLive, DAEMON_LEASE_MS, DAEMON_LEASE_RENEW_MS, STREAM_LEASE_MS, STREAM_LEASE_RENEW_MS, type Holder, type StreamLease } from "./leases.js";
export { JobLifecycle, type QueueResult, type StartResult, type SlotJob, type JobEnd } from "./lifecycle.js";
export { openStateDb, type Db } from "./open.js";
export { ScheduleStore, DaemonRegistry, scheduleStream, type ScheduleRecord, type NewSchedule, type Catchup } from "./schedules.js";

/** The state store (`<home>/state.db`): one door to schedules, jobs and their lifecycle, logs, cursors and leases. */
export interface Store {
  readonly db: Db;
  readonly jobs: JobStore;
  readonly cursors: CursorStore;
  readonly schedules: ScheduleStore;
  readonly daemon: DaemonRegistry;
  readonly leases: LeaseStore;
  readonly lifecycle: JobLifecycle;
  /** This home's identity (16 hex digits), made once with its state.db. */
  homeId(): string;
  /** The store's time (epoch ms): this host's clock on state.db, the database's on PostgreSQL. */
  now(): number;
  /** Measures again how far this host's clock is from the database's (PostgreSQL; the daemon does at each beat). */
  syncClock(): void;
  /** What this opening copied from the home's state.db into a PostgreSQL state store that held nothing yet. */
  readonly adopted: Adopted | undefined;
  close(): void;
}

/**
 * `holder` and `isAlive` name this process and tell live processes (tests pass their own).
 * `readonly`: an existing state.db, read and never written (any write fails).
 */
export function openStore(
  home: string,
  clock: Clock,
  options: { holder?: Holder; isAlive?: (pid: number) => boolean; readonly?: boolean; state?: StateSetting } = {},
): Store {
  const state = options.state ?? { engine: "sqlite" };
  let db: Db;
  let now: () => number;
  let syncClock = (): void => undefined;
  let adopted: Adopted | undefined;
  if (state.engine === "postgres") {
    const opened = openPgStateDb(state.target, { readonly: options.readonly === true, home });
    const pg = opened.db;
    adopted = opened.adopted;
    db = pg;
    // Time is the database's (design §6b): leases, marks and history agree whatever this host's clock says.
    let offset = pg.clockOffset(() => clock.now());
    now = () => clock.now() + offset;
    syncClock = () => {
      offset = pg.clockOffset(() => clock.now());
    };
  } else {
    db = openStateDb(home, { readonly: options.readonly === true });
    now = () => clock.now();
  }
  const jobs = new JobStore(db, now);
  const schedules = new ScheduleStore(db, now);
  const daemon = new DaemonRegistry(db, now, DAEMON_LEASE_MS);
  const leases = new LeaseStore(db, now);
  const lifecycle = new JobLifecycle({
    db, jobs, leases, schedules, daemon, now,
    holder: options.holder ?? { pid: process.pid, host: thisHost() },
    isAlive: options.isAlive ?? isProcessAlive,
  });
  const homeId = (): string => {
    const v = (db.prepare("SELECT value FROM meta WHERE key = 'home_id'").get() as { value: number | bigint } | undefined)?.value;
    if (v === undefined) throw new StoreError("state.db has no home id (its migrations did not run)");
    return BigInt(v).toString(16).padStart(16, "0");
  };
  return { db, jobs, cursors: new CursorStore(db, now), schedules, daemon, leases, lifecycle, homeId, now, syncClock, adopted, close: () => db.close() };
}
