/**
 * The thread behind the PostgreSQL state store (sync-db.ts): it holds the
 * connections (node-postgres is asynchronous) and answers each request while
 * the calling thread waits for it (synckit). Every answer is a plain value:
 * rows, or the error's message, SQLSTATE and whether the connection broke.
 */
import { runAsWorker } from "synckit";
import type { Client, QueryResult } from "pg";
import { connect, loadPg } from "../../warehouse/postgres/connect.js";
import type { PostgresTarget } from "../../warehouse/postgres/url.js";

export type BridgeRequest =
  | { op: "open"; conn: number; target: PostgresTarget; purpose: string; setup: string[] }
  | { op: "query"; conn: number; sql: string; params: unknown[]; array: boolean }
  | { op: "close"; conn: number };

export interface BridgeError {
  message: string;
  code: string | undefined;
  /** The connection is gone (a network error, the server's shutdown, a session timeout): the next request reconnects. */
  broken: boolean;
  /** The error's own text as node-postgres gave it, for a connection failure's wording. */
  raw: { message: string; code: unknown; errors?: { code: unknown }[] | undefined; severity?: unknown };
}

export type BridgeAnswer =
  | { ok: true; rows: unknown[]; rowCount: number }
  | { ok: false; error: BridgeError };

const clients = new Map<number, Client>();
let parsersSet = false;

/** bigint (int8), numeric and count(*) as JS numbers: the store's values (ids, epoch ms, tokens) are below 2^53. */
async function setParsers(): Promise<void> {
  if (parsersSet) return;
  const pg = await loadPg();
  pg.types.setTypeParser(20, (v) => Number(v));
  pg.types.setTypeParser(1700, (v) => Number(v));
  parsersSet = true;
}

function brokenState(code: string | undefined): boolean {
  // 08: connection exception; 57P01-03: the server shut down; 25P03: idle-in-transaction timeout.
  return code === undefined || code.startsWith("08") || code.startsWith("57P") || code === "25P03";
}

function failure(err: unknown, client: Client | undefined): BridgeAnswer {
  const e = err as { message?: unknown; code?: unknown; errors?: { code: unknown }[]; severity?: unknown };
  const code = typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  // A server error (it has a severity) leaves the connection usable unless it says otherwise.
  const broken = typeof e.severity === "string" ? brokenState(code) && code !== undefined : true;
  if (broken && client) {
    clients.forEach((c, id) => c === client && clients.delete(id));
    void client.end().catch(() => undefined);
  }
  return {
    ok: false,
    error: {
      message: String(e.message ?? err), code, broken,
      raw: { message: String(e.message ?? err), code: e.code, errors: Array.isArray(e.errors) ? e.errors.map((x) => ({ code: x.code })) : undefined, severity: e.severity },
    },
  };
}

runAsWorker(async (req: BridgeRequest): Promise<BridgeAnswer> => {
  switch (req.op) {
    case "open": {
      await setParsers();
      let client: Client | undefined;
      try {
        client = await connect(req.target, req.purpose, { server: "the PostgreSQL state store" });
        for (const sql of req.setup) await client.query(sql);
      } catch (err) {
        // connect() already words its own failure; a setup statement's is the server's.
        if (client) void client.end().catch(() => undefined);
        return failure(err, undefined);
      }
      clients.get(req.conn)?.end().catch(() => undefined);
      clients.set(req.conn, client);
      return { ok: true, rows: [], rowCount: 0 };
    }
    case "query": {
      const client = clients.get(req.conn);
      if (!client) return { ok: false, error: { message: "not connected", code: "08003", broken: true, raw: { message: "not connected", code: "08003" } } };
      try {
        const answer = (await client.query({ text: req.sql, values: req.params, ...(req.array ? { rowMode: "array" as const } : {}) })) as QueryResult | QueryResult[];
        // Several statements in one text (a migration) answer each: the last one's rows are the answer.
        const r = Array.isArray(answer) ? answer[answer.length - 1] : answer;
        return { ok: true, rows: (r?.rows ?? []) as unknown[], rowCount: r?.rowCount ?? 0 };
      } catch (err) {
        return failure(err, client);
      }
    }
    case "close": {
      const client = clients.get(req.conn);
      clients.delete(req.conn);
      await client?.end().catch(() => undefined);
      return { ok: true, rows: [], rowCount: 0 };
    }
  }
});
