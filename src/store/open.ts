import Database from "better-sqlite3";
import { accessSync, chmodSync, closeSync, constants, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../errors.js";
import { accessError, ensureHome } from "../home.js";
import { sqliteDb, type Db } from "./db.js";
import { MIGRATIONS } from "./migrations.js";

export type { Db } from "./db.js";

const FILE_MODE = 0o600;
const SIDE_FILES = ["-wal", "-shm"] as const;

/** Creates an empty state.db with mode 0600 (never readable by others, not even for an instant) when missing. */
function createStateFile(home: string, file: string): void {
  try {
    closeSync(openSync(file, "wx", FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw accessError(`cannot create the state store ${file}`, file, err, { home });
  }
}

/** state.db must be readable and writable by this process; a file another user left (root's `sudo itd …`) is named as such. */
function checkStateFile(home: string, file: string): void {
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw accessError(`cannot open the state store ${file}`, file, err, { home });
  }
}

/** Sets mode 0600 on state.db and its -wal/-shm when present and looser (a copied or restored file). */
function secureStateFiles(home: string, file: string): void {
  for (const f of [file, ...SIDE_FILES.map((s) => file + s)]) {
    try {
      if ((statSync(f).mode & 0o777) !== FILE_MODE) chmodSync(f, FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        throw accessError(`cannot set mode 0600 on ${f}`, f, err, { home });
      }
    }
  }
}

/**
 * Opens an existing `<home>/state.db` read-only, writing nothing (`itd doctor`):
 * no home or file created, no migration; a schema other than this itd's is an error.
 */
function openStateDbReadonly(home: string, busyTimeoutMs: number): Database.Database {
  const file = join(home, "state.db");
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw accessError(`cannot read the state store ${file}`, file, err, { home, want: "read" });
  }
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  } catch (err) {
    throw new StoreError(`cannot open the state store ${file} read-only: ${(err as Error).message}`, { cause: err });
  }
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version !== MIGRATIONS.length) {
    db.close();
    throw new StoreError(
      version > MIGRATIONS.length
        ? `${file} was written by a newer itd (schema ${version}; this itd knows ${MIGRATIONS.length}); upgrade itd`
        : `${file} has schema ${version} of ${MIGRATIONS.length}: the next itd command or daemon run as the home's owner upgrades it`,
    );
  }
  return db;
}

/**
 * Opens `<home>/state.db`: WAL, busy timeout, mode 0600, migrations applied.
 * `readonly`: an existing state.db as it is, writing nothing.
 */
export function openStateDb(home: string, options: { busyTimeoutMs?: number; readonly?: boolean } = {}): Db {
  if (options.readonly === true) return sqliteDb(openStateDbReadonly(home, options.busyTimeoutMs ?? 10_000));
  ensureHome(home);
  const file = join(home, "state.db");
  createStateFile(home, file);
  checkStateFile(home, file);
  // Before SQLite reads them: its -wal and -shm take the main file's mode.
  secureStateFiles(home, file);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw new StoreError(`cannot open the state store ${file}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  migrate(db, file);
  secureStateFiles(home, file);
  return sqliteDb(db);
}

function migrate(db: Database.Database, file: string): void {
  const current = (): number => db.pragma("user_version", { simple: true }) as number;
  if (current() > MIGRATIONS.length) {
    throw new StoreError(`${file} was written by a newer itd (schema ${current()}; this itd knows ${MIGRATIONS.length}); upgrade itd`);
  }
  while (current() < MIGRATIONS.length) {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    db.transaction(() => {
      const v = current();
      if (v >= MIGRATIONS.length) return;
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
