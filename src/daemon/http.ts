/**
 * The daemon's HTTP endpoint (design §6): `GET /healthz` for liveness checks,
 * `GET /metrics` for Prometheus and, when given, the status pages (issue 16:
 * status/index.ts), on loopback by default. It reads the daemon's state
 * through callbacks and changes nothing (GET and HEAD only), so it needs no
 * authentication as long as it stays on loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError, errorMessage } from "../errors.js";

/** What `/metrics` serves: DaemonMetrics satisfies it. */
export interface MetricsSource {
  readonly contentType: string;
  metricsText(): Promise<string>;
}

export interface Health {
  /** False when the scheduler is stuck (its loop has not ticked for too long): `/healthz` answers 503. */
  ok: boolean;
  /** When the scheduler loop last woke, ms since the epoch; 0 or less = never. */
  lastTick: number;
  /** Extra fields merged into the JSON body (e.g. jobs running, schedules). */
  detail?: object;
}

export interface HealthServerOptions {
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /**
   * Port to bind. 0 here means an ephemeral port chosen by the OS (tests); the
   * daemon's `http_port: 0` means no server, and the daemon does not call this then.
   */
  port: number;
  metrics: MetricsSource;
  health: () => Health;
  /** Told of server errors after start-up (they would otherwise go unseen); default: ignored. */
  onError?: (err: Error) => void;
  /** The status pages (`/`, `/schedules/…`, `/jobs/…`, `/tables`); none: only /healthz and /metrics. */
  status?: StatusRoutes;
}

/** What serves the status pages: an answer for a GET of `path`, or undefined when it is not one of theirs. */
export interface StatusRoutes {
  handle(path: string, params: URLSearchParams): Promise<{ status: number; type: string; body: string } | undefined>;
}

export interface HealthServer {
  /** `http://HOST:PORT` with the port actually bound. */
  readonly url: string;
  /** Stops listening and drops open connections; resolves when closed. Safe to call twice. */
  close(): Promise<void>;
}

const JSON_TYPE = "application/json; charset=utf-8";

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: object, headers?: Record<string, string>): void {
  send(req, res, status, JSON_TYPE, JSON.stringify(body) + "\n", headers);
}

/** The body of `/healthz`: status and last_tick first and never overridden by `detail`. */
export function healthBody(h: Health): Record<string, unknown> {
  const status = h.ok ? "ok" : "stuck";
  const lastTick = Number.isFinite(h.lastTick) && h.lastTick > 0 ? new Date(h.lastTick).toISOString() : null;
  return Object.assign({ status, last_tick: lastTick }, h.detail ?? {}, { status, last_tick: lastTick });
}

/** Headers of every status page: nothing loads from elsewhere, nothing frames it, nothing sniffs it. */
const PAGE_HEADERS = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

async function handle(req: IncomingMessage, res: ServerResponse, opts: HealthServerOptions): Promise<void> {
  const [path = "/", search = ""] = (req.url ?? "/").split("?", 2);
  if (path !== "/healthz" && path !== "/metrics") {
    if (opts.status !== undefined && req.method !== "GET" && req.method !== "HEAD") {
      sendJson(req, res, 405, { error: "method not allowed: the status pages are read-only" }, { allow: "GET, HEAD" });
      return;
    }
    const page = await opts.status?.handle(path, new URLSearchParams(search));
    if (page !== undefined) {
      send(req, res, page.status, page.type, page.body, PAGE_HEADERS);
      return;
    }
    const endpoints = opts.status === undefined ? ["/healthz", "/metrics"] : ["/", "/schedules/NAME", "/jobs/ID", "/tables", "/healthz", "/metrics"];
    sendJson(req, res, 404, { error: "not found", endpoints });
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendJson(req, res, 405, { error: "method not allowed" }, { allow: "GET, HEAD" });
    return;
  }
  if (path === "/healthz") {
    let h: Health;
    try {
      h = opts.health();
    } catch (err) {
      sendJson(req, res, 503, { status: "error", error: errorMessage(err) });
      return;
    }
    sendJson(req, res, h.ok ? 200 : 503, healthBody(h));
    return;
  }
  let text: string;
  try {
    text = await opts.metrics.metricsText();
  } catch (err) {
    send(req, res, 500, "text/plain; charset=utf-8", `metrics could not be collected: ${errorMessage(err)}\n`);
    return;
  }
  send(req, res, 200, opts.metrics.contentType, text);
}

function urlOf(address: AddressInfo): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Starts the `/healthz` and `/metrics` server. Rejects with a ConfigError when
 * the address cannot be bound (port in use, unknown host).
 */
export function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      if (!res.headersSent) send(req, res, 500, "text/plain; charset=utf-8", `internal error: ${errorMessage(err)}\n`);
      else res.destroy();
    });
  });
  // A scraper that stops reading must not hold a socket forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  return new Promise<HealthServer>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === "EADDRINUSE" ? "the port is in use" : err.code === "EADDRNOTAVAIL" ? "no such local address" : errorMessage(err);
      reject(new ConfigError(`http: cannot listen on ${host}:${opts.port}: ${why}`, { cause: err }));
    };
    server.once("error", onError);
    server.listen({ host, port: opts.port }, () => {
      server.off("error", onError);
      server.on("error", (err) => opts.onError?.(err));
      let closing: Promise<void> | undefined;
      resolve({
        url: urlOf(server.address() as AddressInfo),
        close: () => {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
