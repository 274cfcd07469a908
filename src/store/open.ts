import Database from "better-sqlite3";
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../errors.js";
import { ensureHome } from "../home.js";
import { MIGRATIONS } from "./migrations.js";

export type Db = Database.Database;

/** Opens `<home>/state.db`: WAL, busy timeout, mode 0600, migrations applied. */
export function openStateDb(home: string, options: { busyTimeoutMs?: number } = {}): Db {
  ensureHome(home);
  const file = join(home, "state.db");
  const isNew = !existsSync(file);
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new StoreError(`cannot open the state store ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (isNew) chmodSync(file, 0o600);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  migrate(db, file);
  for (const suffix of ["-wal", "-shm"]) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  return db;
}

function migrate(db: Db, file: string): void {
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
