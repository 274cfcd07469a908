/** Databases of their own on the suite's PostgreSQL server (postgres-setup.ts), one per call. */
import { randomBytes } from "node:crypto";
import { withPg } from "../../demo/postgres-server.js";
import { inject } from "vitest";

/** A fresh, empty PostgreSQL database on the suite's server; returns its URL. */
export async function freshPgDatabase(prefix = "itd_test"): Promise<string> {
  const admin = inject("pgUrl");
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  await withPg(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.href;
}

export { withPg } from "../../demo/postgres-server.js";
