/** Test helpers: ad-hoc HTTP servers on 127.0.0.1 and a clock whose sleeps return at once. */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../../../src/clock.js";
import { createIterableClient, type IterableClientOptions } from "../../../src/iterable/client.js";
import { RateBudgets, type RateLimits } from "../../../src/iterable/rate-budget.js";
import type { IterableClient } from "../../../src/iterable/types.js";

export const API_KEY = "k3y-5ecret-0123456789abcdef";

export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
}

export interface TestServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => unknown;

/** Starts a server on 127.0.0.1:0; `n` is the 1-based number of the request. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: new URL(req.url ?? "/", "http://127.0.0.1"), headers: req.headers });
    void Promise.resolve(handler(req, res, requests.length)).catch((err: unknown) => {
      res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A clock whose sleeps return at once (after a turn of the event loop), moving virtual time and recording each wait. */
export class InstantClock implements Clock {
  time = 1_700_000_000_000;
  readonly sleeps: number[] = [];

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.time += Math.max(0, ms);
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw signal.reason;
  }
}

/** Budgets so generous that no test waits on them (unless it means to). */
export function looseBudgets(clock: Clock, overrides: Partial<RateLimits> = {}): RateBudgets {
  const loose = { limit: 10_000, windowMs: 1_000 };
  return new RateBudgets(clock, { export: loose, getUsers: loose, metrics: loose, campaigns: loose, lists: loose, ...overrides });
}

export interface TestClient {
  client: IterableClient;
  clock: InstantClock;
}

/** A client of the test server with fast retries (1 ms, 2 ms, …) and short timeouts. */
export function testClient(baseUrl: string, overrides: Partial<IterableClientOptions> = {}): TestClient {
  const clock = new InstantClock();
  const client = createIterableClient({
    apiKey: API_KEY,
    region: "us",
    baseUrl,
    retry: { retryLimit: 3, initialRetryWait: 100, maxRetryWait: 1_000 },
    timeouts: { connect: 2_000, headers: 5_000, idle: 5_000 },
    budgets: looseBudgets(clock),
    clock,
    random: () => 0.5,
    ...overrides,
  });
  return { client, clock };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Resolves to the error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection, got a result");
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
