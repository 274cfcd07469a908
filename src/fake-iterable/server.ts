/**
 * The fake Iterable HTTP server: routing, the Api-Key check, faults, rate
 * limits, and the control endpoints under /_fake/ (no auth): GET /_fake/stats;
 * GET, POST and DELETE /_fake/faults; GET and POST /_fake/now (the frozen now:
 * `{"now": <epoch ms>}` sets it, `{"advanceMs": N}` moves it, freezing the
 * clock's time first when it was not frozen).
 *
 * Order per request: unknown path → 404; bad key → 401; a fault, if one is
 * armed for the endpoint; the rate limit → 429; parameters → 400; then the
 * response.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "../clock.js";
import { ENDPOINT_PATHS, endpointOfPath, type FakeEndpoint } from "./endpoints.js";
import {
  BAD_GATEWAY_HTML,
  BadParams,
  badApiKey,
  badParams,
  errorBody,
  genericError,
  notFound,
  rateLimitExceeded,
  requestTimeout,
  type ApiError,
} from "./errors.js";
import { FaultBook, type FaultSpec } from "./faults.js";
import { DEFAULTS, generatorConfig, type FakeIterableOptions } from "./options.js";
import { RateLimiter, resolveRateLimits, type RateLimit } from "./rate-limit.js";
import { ResponseWriter, type BodyFaults } from "./response.js";
import type { Route } from "./route.js";
import { campaigns, metrics } from "./route-campaigns.js";
import { exportCsv, exportJson } from "./route-export.js";
import { getUsers, lists } from "./route-lists.js";
import { StatsRecorder, type FakeStats } from "./stats.js";

export interface FakeIterable {
  /** `http://host:port`, the base URL to give a client. */
  url: string;
  host: string;
  port: number;
  /** Stops listening and drops open connections (streams end at once). */
  close(): Promise<void>;
  stats(): FakeStats;
  addFaults(faults: readonly (FaultSpec | string)[]): void;
  clearFaults(): void;
  /** The armed faults as spec strings. */
  faults(): string[];
  /** The fake's now: the frozen one, else the clock's. */
  now(): number;
  /** Freezes the fake's now at `ms` (epoch ms), e.g. to let late events arrive. */
  setNow(ms: number): void;
}

const ROUTES: Record<FakeEndpoint, Route> = {
  campaigns,
  metrics,
  lists,
  getUsers,
  "export.json": exportJson,
  "export.csv": exportCsv,
};

function bodyFaults(f: FaultSpec | undefined): BodyFaults {
  switch (f?.kind) {
    case "slow":
      return { slowMs: f.arg ?? 0 };
    case "stall":
      return { stallMs: f.arg ?? 0 };
    case "cut":
      return { cutAfterBytes: f.arg ?? 0 };
    case "malformed":
      return { malformed: true };
    default:
      return {};
  }
}

function statusFault(f: FaultSpec | undefined, path: string, limit: RateLimit): ApiError | "html" | undefined {
  switch (f?.kind) {
    case "500":
      return genericError();
    case "503":
      return requestTimeout();
    case "429":
      return rateLimitExceeded(path, limit);
    case "html":
      return "html";
    default:
      return undefined;
  }
}

/** The caller's address, without the IPv4-mapped prefix (`::ffff:127.0.0.1` → `127.0.0.1`). */
function clientIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
}

const NOW_BODY = 'expected a JSON body {"now": <epoch ms>} or {"advanceMs": <ms>}';

/** The frozen now a POST /_fake/now body asks for, given the current now; a BadParams naming the problem otherwise. */
function requestedNow(text: string, current: number): number {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadParams(`${NOW_BODY}; got ${JSON.stringify(text.slice(0, 100))}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadParams(`${NOW_BODY}; got ${JSON.stringify(body)}`);
  const keys = Object.keys(body);
  if (keys.length !== 1 || (keys[0] !== "now" && keys[0] !== "advanceMs")) {
    throw new BadParams(`${NOW_BODY} (exactly one of the two); got the keys ${JSON.stringify(keys)}`);
  }
  const { now, advanceMs } = body as { now?: unknown; advanceMs?: unknown };
  if (now !== undefined) {
    if (!Number.isSafeInteger(now) || (now as number) < 0) throw new BadParams(`now must be epoch milliseconds (a whole number ≥ 0); got ${JSON.stringify(now)}`);
    return now as number;
  }
  if (!Number.isSafeInteger(advanceMs)) throw new BadParams(`advanceMs must be a whole number of milliseconds; got ${JSON.stringify(advanceMs)}`);
  const next = current + (advanceMs as number);
  if (!Number.isSafeInteger(next) || next < 0) throw new BadParams(`advanceMs ${String(advanceMs)} moves now out of range (${next})`);
  return next;
}

function checkNow(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`fake-iterable: now must be epoch milliseconds (a whole number ≥ 0); got ${String(ms)}`);
  return ms;
}

async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BadParams("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeIterable(opts: FakeIterableOptions = {}): Promise<FakeIterable> {
  const cfg = generatorConfig(opts);
  const apiKey = opts.apiKey ?? DEFAULTS.apiKey;
  const clock = opts.clock ?? systemClock;
  // The limits are resolved even when not enforced: a 429 fault names its endpoint's limit.
  const limits = resolveRateLimits(opts.rateLimitOverrides);
  const limiter = opts.rateLimits === false ? undefined : new RateLimiter(limits);
  const faultBook = new FaultBook(cfg.seed);
  faultBook.add(opts.faults ?? []);
  const stats = new StatsRecorder();
  const host = opts.host ?? DEFAULTS.host;
  let frozenNow = opts.now;
  const currentNow = (): number => frozenNow ?? clock.now();

  const sendError = (w: ResponseWriter, e: ApiError): Promise<void> => w.send(e.status, "application/json", errorBody(e));

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const w = new ResponseWriter(res, {}, stats, "control");
    const json = (status: number, body: unknown): Promise<void> => w.send(status, "application/json", JSON.stringify(body));
    if (path === "/_fake/stats" && req.method === "GET") return json(200, stats.snapshot());
    if (path === "/_fake/now") {
      const answer = (): Promise<void> => {
        const now = currentNow();
        return json(200, { now, iso: new Date(now).toISOString(), frozen: frozenNow !== undefined });
      };
      if (req.method === "GET") return answer();
      if (req.method === "POST") {
        try {
          frozenNow = requestedNow(await readBody(req), currentNow());
          return answer();
        } catch (err) {
          return sendError(w, { status: 400, msg: err instanceof Error ? err.message : String(err), code: "BadParams", params: null });
        }
      }
    }
    if (path === "/_fake/faults") {
      if (req.method === "GET") return json(200, { faults: faultBook.list() });
      if (req.method === "DELETE") {
        faultBook.clear();
        return json(200, { faults: [] });
      }
      if (req.method === "POST") {
        try {
          const body = JSON.parse(await readBody(req)) as { faults?: unknown };
          if (!Array.isArray(body.faults)) throw new BadParams('expected a JSON body {"faults": ["export:500@2", …]}');
          faultBook.add(body.faults as (FaultSpec | string)[]);
          return json(200, { faults: faultBook.list() });
        } catch (err) {
          return sendError(w, { status: 400, msg: err instanceof Error ? err.message : String(err), code: "BadParams", params: null });
        }
      }
    }
    return sendError(w, notFound(req.method ?? "GET", path));
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, endpoint: FakeEndpoint): Promise<void> {
    const path = ENDPOINT_PATHS[endpoint];
    if (req.headers["api-key"] !== apiKey) return sendError(new ResponseWriter(res, {}, stats, endpoint), badApiKey(path, clientIp(req)));
    const fault = faultBook.take(endpoint);
    if (fault) stats.fault(fault.kind);
    const w = new ResponseWriter(res, bodyFaults(fault), stats, endpoint);
    const failure = statusFault(fault, path, limits[endpoint]);
    if (failure === "html") return w.send(502, "text/html", BAD_GATEWAY_HTML);
    if (failure) return sendError(w, failure);
    if (limiter && !limiter.tryAcquire(apiKey, endpoint, clock.now())) {
      stats.rateLimited();
      return sendError(w, rateLimitExceeded(path, limits[endpoint]));
    }
    const now = currentNow();
    try {
      await ROUTES[endpoint]({
        endpoint,
        cfg: { ...cfg, now },
        now,
        params: url.searchParams,
        baseUrl: `http://${req.headers.host ?? `${host}:${port}`}`,
        writer: w,
        stats,
      });
    } catch (err) {
      if (res.headersSent) {
        res.destroy(err instanceof Error ? err : undefined);
        return;
      }
      const e = err instanceof BadParams ? badParams(err) : { ...genericError(), params: { error: String(err) } };
      return sendError(w, e);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const path = url.pathname;
    const endpoint = endpointOfPath(path);
    const statsName = path.startsWith("/_fake/") ? "control" : req.method === "GET" && endpoint ? endpoint : "notFound";
    stats.started();
    res.on("close", () => {
      stats.finished();
      stats.request(statsName, res.statusCode);
    });
    if (statsName === "control") return control(req, res, path);
    if (statsName === "notFound" || !endpoint) return sendError(new ResponseWriter(res, {}, stats, "notFound"), notFound(req.method ?? "GET", path));
    return api(req, res, url, endpoint);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? DEFAULTS.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
    stats: () => stats.snapshot(),
    addFaults: (faults) => faultBook.add(faults),
    clearFaults: () => faultBook.clear(),
    faults: () => faultBook.list(),
    now: currentNow,
    setNow: (ms) => {
      frozenNow = checkNow(ms);
    },
  };
}
