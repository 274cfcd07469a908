import type { PostgresTarget } from "../../warehouse/postgres/url.js";
import { checkPgSchema, migratePg } from "./schema.js";
import { PgSyncDb } from "./sync-db.js";

/** Opens the PostgreSQL state store: connected, its schema migrated (`readonly`: checked, nothing written). */
export function openPgStateDb(target: PostgresTarget, options: { readonly?: boolean } = {}): PgSyncDb {
  const db = PgSyncDb.open(target, { readonly: options.readonly === true });
  try {
    if (options.readonly === true) checkPgSchema(db);
    else migratePg(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
