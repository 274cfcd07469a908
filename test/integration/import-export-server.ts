/**
 * A tiny export/data.json server with bodies the test controls (a record
 * every `stepMs` from 2026-06-01, blank lines, bad values, a cut after N
 * bytes, the chunk size), and a runner of `bin/itd connector:issue` with a
 * given ITD_IMPORT_THREADS. For comparing the parse threads with the job's
 * own thread byte for byte (issue 12's review).
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ITD, tempDir } from "./helpers.js";

const T0 = Date.UTC(2026, 5, 1);
const fmt = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} +00:00`;
const parseQ = (s: string | null): number => Date.parse(`${(s ?? "").replace(" ", "T")}Z`);

export interface ServerOptions {
  stepMs: number;
  pad?: number;
  lineFor?: (k: number, record: Record<string, unknown>) => string | undefined;
  /** Text after record k's line (a blank line: "\n"). */
  extra?: (k: number) => string;
  chunk?: number;
  /** Destroys the first response after this many bytes. */
  cutAt?: number;
}

export interface ExportServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

export function startExportServer(opts: ServerOptions): Promise<ExportServer> {
  let cut = false;
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const start = parseQ(u.searchParams.get("startDateTime"));
    const end = parseQ(u.searchParams.get("endDateTime"));
    state.requests++;
    const parts: string[] = [];
    for (let k = Math.max(0, Math.ceil((start - T0) / opts.stepMs)); T0 + k * opts.stepMs < end; k++) {
      const rec = { createdAt: fmt(T0 + k * opts.stepMs), email: `u${k}@x.io`, n: k, pad: "p".repeat(opts.pad ?? 100) };
      const line = opts.lineFor ? opts.lineFor(k, rec) : JSON.stringify(rec);
      if (line !== undefined) parts.push(`${line}\n`);
      const e = opts.extra?.(k);
      if (e) parts.push(e);
    }
    const body = Buffer.from(parts.join(""));
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const chunk = opts.chunk ?? 65536;
    let at = 0;
    const pump = (): void => {
      while (at < body.length) {
        const ok = res.write(body.subarray(at, at + chunk));
        at += chunk;
        if (opts.cutAt !== undefined && at >= opts.cutAt && !cut) {
          cut = true;
          res.destroy();
          return;
        }
        if (!ok) {
          res.once("drain", pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        get requests() {
          return state.requests;
        },
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}

export function exportYml(url: string, more = ""): string {
  return (
    `in:\n  type: iterable\n  api_key: K\n  base_url: ${url}\n  data_type: export_data\n  export_data_type: emailSend\n` +
    `  start_time: '2026-06-01T00:00:00Z'\n  end_time: '2026-06-02T00:00:00Z'\n  slice_hours: 24\n  retry_limit: 2\n${more}` +
    `  columns:\n  - {name: created_at, type: timestamp, format: 'yyyy-MM-dd HH:mm:ss xxx'}\n  - {name: email, type: string}\n` +
    `  - {name: n, type: long}\n  - {name: pad, type: string}\nout: {mode: append}\n`
  );
}

export interface Issued {
  dir: string;
  code: number | null;
  out: string;
}

export function issueWith(threads: number, yml: string, dir = tempDir(`itd-rv-${threads}-`)): Promise<Issued> {
  writeFileSync(join(dir, "load.yml"), yml);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ITD, "connector:issue", "load.yml", "--database", "rvdb", "--table", "tbl", "--auto-create-table"], {
      cwd: dir,
      env: { ...process.env, ITD_HOME: join(dir, "home"), ITD_IMPORT_THREADS: String(threads), NO_COLOR: "1" },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ dir, code, out }));
  });
}

export function sqlIn<T>(dir: string, sql: string): T[] {
  const f = join(dir, "home", "warehouse", "rvdb.db");
  if (!existsSync(f)) return [];
  const c = new Database(f, { readonly: true });
  try {
    return c.prepare(sql).all() as T[];
  } finally {
    c.close();
  }
}

export function scratchIn(dir: string): string[] {
  const w = join(dir, "home", "warehouse");
  return existsSync(w) ? readdirSync(w).filter((f) => f.includes(".scratch-")) : [];
}
