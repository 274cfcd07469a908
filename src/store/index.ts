import type { Clock } from "../clock.js";
import { CursorStore } from "./cursors.js";
import { JobStore } from "./jobs.js";
import { openStateDb, type Db } from "./open.js";

export { JobStore, type Job, type JobKind, type JobStatus, type NewJob, type JobLogLine } from "./jobs.js";
export { CursorStore, type StoredCursor } from "./cursors.js";
export { openStateDb, type Db } from "./open.js";

/** The state store (`<home>/state.db`): one door to jobs, logs and cursors. */
export interface Store {
  readonly db: Db;
  readonly jobs: JobStore;
  readonly cursors: CursorStore;
  close(): void;
}

export function openStore(home: string, clock: Clock): Store {
  const db = openStateDb(home);
  const now = (): number => clock.now();
  return { db, jobs: new JobStore(db, now), cursors: new CursorStore(db, now), close: () => db.close() };
}
