import type { Clock } from "../clock.js";
import { CursorStore } from "./cursors.js";
import { JobStore } from "./jobs.js";
import { openStateDb, type Db } from "./open.js";
import { DaemonRegistry, ScheduleStore } from "./schedules.js";

export { JobStore, type Job, type JobKind, type JobStatus, type NewJob, type JobLogLine } from "./jobs.js";
export { CursorStore, type StoredCursor } from "./cursors.js";
export { openStateDb, type Db } from "./open.js";
export { ScheduleStore, DaemonRegistry, scheduleStream, type ScheduleRecord, type NewSchedule, type Catchup } from "./schedules.js";

/** The state store (`<home>/state.db`): one door to jobs, logs and cursors. */
export interface Store {
  readonly db: Db;
  readonly jobs: JobStore;
  readonly cursors: CursorStore;
  readonly schedules: ScheduleStore;
  readonly daemon: DaemonRegistry;
  close(): void;
}

export function openStore(home: string, clock: Clock): Store {
  const db = openStateDb(home);
  const now = (): number => clock.now();
  return {
    db,
    jobs: new JobStore(db, now),
    cursors: new CursorStore(db, now),
    schedules: new ScheduleStore(db, now),
    daemon: new DaemonRegistry(db, now),
    close: () => db.close(),
  };
}
