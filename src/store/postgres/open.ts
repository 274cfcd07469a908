import type { PostgresTarget } from "../../warehouse/postgres/url.js";
import { adoptStateDb, type Adopted } from "./adopt.js";
import { checkPgSchema, migratePg } from "./schema.js";
import { PgSyncDb } from "./sync-db.js";

/**
 * Opens the PostgreSQL state store: connected, its schema migrated, and a home's state.db copied into it when it
 * holds nothing yet (`adopted` says what was copied). `readonly`: checked, nothing written.
 */
export function openPgStateDb(target: PostgresTarget, options: { readonly?: boolean; home?: string } = {}): { db: PgSyncDb; adopted: Adopted | undefined } {
  const db = PgSyncDb.open(target, { readonly: options.readonly === true });
  try {
    if (options.readonly === true) {
      checkPgSchema(db);
      return { db, adopted: undefined };
    }
    migratePg(db);
    return { db, adopted: options.home === undefined ? undefined : adoptStateDb(db, options.home) };
  } catch (err) {
    db.close();
    throw err;
  }
}
