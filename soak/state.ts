/**
 * The soak's door to the state store, either engine: the home's state.db
 * (one daemon), or a PostgreSQL every daemon and command of the soak shares
 * (`--state postgres`). What the drivers and the oracle read (jobs, cursors,
 * the pids of running jobs), the prune to zero (through the store's own
 * `JobStore.prune`, keeping what it deleted for the oracle), and the identity
 * the warehouse's streams carry.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { join } from "node:path";
import { FakeClock, systemClock } from "../src/clock.js";
import { JobStore, openStore } from "../src/store/index.js";
import { sqliteDb } from "../src/store/db.js";
import { parsePostgresUrl } from "../src/warehouse/index.js";
import type { StateSetting } from "../src/config/state.js";
import { JOB_COLUMNS, readPgState, StateReader, type JobRow, type StateView } from "./oracle.js";

export interface SoakState {
  readonly engine: "sqlite" | "postgres";
  /** The jobs and cursors now, with the jobs pruned so far (close it after use). */
  read(): Promise<StateView>;
  /** The pids recorded for running jobs. */
  runningPids(): Promise<number[]>;
  /** Prunes every finished job (`job:prune --older-than 0m`, the same store call); returns how many went. */
  pruneToZero(): number;
  /** The state's identity (the prefix of its streams in a PostgreSQL warehouse). */
  homeId(): string;
}

/** `home`'s state.db; `archive` gets every job the prune deletes. */
export function sqliteState(home: string, archive: Map<number, JobRow>): SoakState {
  return {
    engine: "sqlite",
    read: () => Promise.resolve(new StateReader(home, archive)),
    runningPids() {
      const db = new Database(join(home, "state.db"), { readonly: true });
      try {
        return Promise.resolve((db.prepare("SELECT pid FROM jobs WHERE status = 'running' AND pid IS NOT NULL").all() as { pid: number }[]).map((r) => r.pid));
      } finally {
        db.close();
      }
    },
    pruneToZero() {
      const db = new Database(join(home, "state.db"));
      try {
        db.pragma("busy_timeout = 10000");
        return db.transaction(() => {
          for (const j of new StateReader(home, archive, db).jobs()) archive.set(j.id, j);
          return new JobStore(sqliteDb(db), () => Date.now()).prune(Date.now() + 1);
        }).immediate();
      } finally {
        db.close();
      }
    },
    homeId: () => homeIdOf(home, { engine: "sqlite" }),
  };
}

/** The PostgreSQL state at `url` (schema itd_state), shared by every home of the soak; `home` opens the store for the prune. */
export function postgresState(url: string, home: string, archive: Map<number, JobRow>): SoakState {
  const setting: StateSetting = { engine: "postgres", target: parsePostgresUrl(url, {}, "soak") };
  return {
    engine: "postgres",
    read: () => readPgState(url, archive),
    async runningPids() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const r = await client.query<{ pid: string }>("SELECT pid FROM itd_state.jobs WHERE status = 'running' AND pid IS NOT NULL");
        return r.rows.map((x) => Number(x.pid));
      } finally {
        await client.end();
      }
    },
    pruneToZero() {
      // The store's own prune, in one transaction with the read of what it deletes (run again whole on a
      // serialization failure, the archive written again with it).
      const store = openStore(home, systemClock, { state: setting });
      try {
        return store.db.transaction(() => {
          for (const j of store.db.prepare(`SELECT ${JOB_COLUMNS} FROM jobs ORDER BY id`).all() as JobRow[]) archive.set(j.id, j);
          return new JobStore(store.db, () => store.now()).prune(store.now() + 1);
        })();
      } finally {
        store.close();
      }
    },
    homeId: () => homeIdOf(home, setting),
  };
}

/** The home's identity, as its state store gives it. */
function homeIdOf(home: string, state: StateSetting): string {
  const store = openStore(home, new FakeClock(Date.now()), { readonly: true, state });
  try {
    return store.homeId();
  } finally {
    store.close();
  }
}
