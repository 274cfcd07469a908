/**
 * Calls with retries: every request waits for its rate budget, failures are
 * retried with backoff, and each attempt is logged and reported. Three shapes:
 * - fetchParsed: small bodies read whole, so any failure is retried inside.
 * - streamBatches: bodies parsed as they arrive; failures before the first
 *   record are retried inside, later ones throw a `midStream` error.
 * - retryStream: reruns a whole consumer attempt after a `midStream` error.
 */
import { performance } from "node:perf_hooks";
import type { Clock } from "../clock.js";
import type { Logger } from "../log.js";
import { finalError, malformedError, midStreamError, IterableApiError, type AttemptFailure, type Target } from "./errors.js";
import { MalformedInput } from "./parsers/malformed.js";
import type { BudgetWait, RateBudget } from "./rate-budget.js";
import type { Redactor } from "./redact.js";
import { retryWait } from "./retry.js";
import { networkFailure, type ResponseBody, type Transport } from "./transport.js";
import type { CallEvent, Endpoint, RequestEvent, RetryOptions, TimeoutOptions } from "./types.js";

/** What a call asks for. */
export interface CallRequest {
  endpoint: Endpoint;
  query?: URLSearchParams;
  accept: string;
  signal: AbortSignal | undefined;
  /** Told the size of every body chunk received, streamed or read whole (progress display, a job's bytes). */
  onBytes?: (bytes: number) => void;
  /** Told of budget waits, retries and each attempt sent. */
  onEvent?: ((event: CallEvent) => void) | undefined;
}

/** A streaming body parser: `push` appends what a chunk completes, `end` flushes. Throws MalformedInput. */
export interface ChunkParser<T> {
  push(chunk: Buffer, out: T[]): void;
  end(out: T[]): void;
  /** Records among `out` (default: its length), for what a broken-off response had yielded. */
  count?(out: readonly T[]): number;
  /**
   * Records read so far, yielded or not (a parser that yields big batches of
   * lines has told its reader of lines it has not yielded yet): a response
   * that breaks after any is retried by the consumer, from its start.
   */
  seen?(): number;
}

export interface CallDeps {
  transport: Transport;
  budgets: RateBudget;
  keyId: string;
  retry: RetryOptions;
  timeouts: TimeoutOptions;
  clock: Clock;
  random: () => number;
  logger: Logger;
  onRequest: ((event: RequestEvent) => void) | undefined;
  target: Target;
  redact: Redactor;
  /** Largest body read whole by fetchParsed, bytes: a bigger one is a broken response. */
  maxBodyBytes: number;
}

export interface Caller {
  /** Reads a small body whole and parses it (parse throws MalformedInput on a body it cannot read). */
  fetchParsed<T>(request: CallRequest, parse: (text: string) => T): Promise<T>;
  streamBatches<T>(request: CallRequest, parser: () => ChunkParser<T>): AsyncGenerator<T[], void, undefined>;
  retryStream<R>(
    endpoint: Endpoint,
    attempt: (attemptNo: number) => Promise<R>,
    signal: AbortSignal | undefined,
    onEvent?: ((event: CallEvent) => void) | undefined,
  ): Promise<R>;
}

const ABORTED: AttemptFailure = { status: undefined, iterableCode: "Aborted", detail: "", retryable: false };

export function pathOf(endpoint: Endpoint): string {
  return `/api/${endpoint}`;
}

/** A body as text, each chunk's size told to `onBytes`; throws MalformedInput once it passes `limit` bytes (without reading the rest). */
async function readWhole(body: ResponseBody, limit: number, onBytes: ((bytes: number) => void) | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      onBytes?.(chunk.length);
      size += chunk.length;
      if (size > limit) throw new MalformedInput(`the response body is larger than ${limit} bytes`);
      chunks.push(chunk);
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

export function createCaller(deps: CallDeps): Caller {
  const { transport, budgets, keyId, retry, clock } = deps;
  const loggers = new Map<Endpoint, Logger>();

  function log(endpoint: Endpoint): Logger {
    let child = loggers.get(endpoint);
    if (child === undefined) {
      child = deps.logger.child({ endpoint });
      loggers.set(endpoint, child);
    }
    return child;
  }

  function report(endpoint: Endpoint, attempt: number, startedAt: number, status: number | undefined, failure?: AttemptFailure): void {
    const durationMs = Math.round(performance.now() - startedAt);
    const errorCode = failure === undefined ? undefined : (failure.iterableCode ?? (failure.status === undefined ? "Error" : `HTTP${failure.status}`));
    log(endpoint).debug({ attempt, status, errorCode, durationMs }, "iterable request");
    if (deps.onRequest === undefined) return;
    try {
      deps.onRequest(errorCode === undefined ? { endpoint, status, durationMs, attempt } : { endpoint, status, errorCode, durationMs, attempt });
    } catch (err) {
      log(endpoint).warn({ err: deps.redact(String(err)) }, "onRequest callback threw");
    }
  }

  /** Tells `onEvent`; a listener that throws is logged and the call goes on. */
  function emit(onEvent: ((event: CallEvent) => void) | undefined, event: CallEvent): void {
    if (onEvent === undefined) return;
    try {
      onEvent(event);
    } catch (err) {
      log(event.endpoint).warn({ err: deps.redact(String(err)) }, "onEvent callback threw");
    }
  }

  /** Throws the final error, or waits before the next attempt. */
  async function afterFailure(req: CallRequest, f: AttemptFailure, attempt: number, startedAt: number): Promise<void> {
    if (!f.retryable || attempt > retry.retryLimit) {
      throw finalError({
        endpoint: req.endpoint,
        path: pathOf(req.endpoint),
        failure: f,
        attempts: attempt,
        elapsedMs: clock.now() - startedAt,
        retryLimit: retry.retryLimit,
        target: deps.target,
      });
    }
    await waitToRetry(req.endpoint, f, attempt, req.signal, req.onEvent);
  }

  async function waitToRetry(
    endpoint: Endpoint,
    f: AttemptFailure,
    attempt: number,
    signal: AbortSignal | undefined,
    onEvent: ((event: CallEvent) => void) | undefined,
  ): Promise<void> {
    const waitMs = retryWait({
      retryNo: attempt,
      retry,
      random: deps.random,
      status: f.status,
      retryAfterMs: f.retryAfterMs,
      spacingMs: budgets.spacingOf(endpoint),
    });
    log(endpoint).warn(
      { attempt, status: f.status, iterableCode: f.iterableCode, detail: f.detail, waitMs },
      `Iterable request failed; retry ${attempt} of ${retry.retryLimit} in ${(waitMs / 1000).toFixed(1)} s`,
    );
    emit(onEvent, { type: "retry", endpoint, retry: attempt, retryLimit: retry.retryLimit, waitMs, failure: f });
    await clock.sleep(waitMs, signal);
  }

  async function send(req: CallRequest, attempt: number) {
    const onEvent = req.onEvent;
    const onWait =
      onEvent === undefined
        ? undefined
        : (w: BudgetWait): void =>
            emit(onEvent, { type: "rate-limit", endpoint: req.endpoint, group: w.group, waitMs: w.waitMs, limit: w.limit.limit, windowMs: w.limit.windowMs });
    await budgets.acquire(keyId, req.endpoint, req.signal, onWait);
    emit(onEvent, { type: "sent", endpoint: req.endpoint, attempt });
    const startedAt = performance.now();
    const result = await transport.send({
      path: pathOf(req.endpoint),
      query: req.query,
      accept: req.accept,
      signal: req.signal,
      now: clock.now(),
    });
    return { result, startedAt };
  }

  /** A body-reading error as a failure; rethrows aborts and bugs. */
  function bodyFailure(req: CallRequest, err: unknown): AttemptFailure {
    if (req.signal?.aborted) throw req.signal.reason;
    const f = networkFailure(err, deps.timeouts, deps.redact);
    if (f === undefined) throw err;
    return f;
  }

  function malformed(req: CallRequest, err: MalformedInput, attempt: number, recordsYielded: number): IterableApiError {
    const failure: AttemptFailure = {
      status: 200,
      iterableCode: "MalformedResponse",
      detail: deps.redact(err.message),
      retryable: false,
      recordsYielded,
    };
    return malformedError(req.endpoint, pathOf(req.endpoint), failure, attempt);
  }

  return {
    async fetchParsed<T>(req: CallRequest, parse: (text: string) => T): Promise<T> {
      const callStart = clock.now();
      for (let attempt = 1; ; attempt++) {
        const { result, startedAt } = await send(req, attempt);
        let failure: AttemptFailure;
        if (!result.ok) {
          failure = result.failure;
          report(req.endpoint, attempt, startedAt, failure.status, failure);
          await afterFailure(req, failure, attempt, callStart);
          continue;
        }
        let text: string;
        try {
          text = await readWhole(result.body, deps.maxBodyBytes, req.onBytes);
        } catch (err) {
          if (err instanceof MalformedInput) {
            const e = malformed(req, err, attempt, 0);
            report(req.endpoint, attempt, startedAt, result.status, e.failureOf());
            throw e;
          }
          failure = bodyFailure(req, err);
          report(req.endpoint, attempt, startedAt, result.status, failure);
          await afterFailure(req, failure, attempt, callStart);
          continue;
        }
        try {
          const parsed = parse(text);
          report(req.endpoint, attempt, startedAt, result.status);
          return parsed;
        } catch (err) {
          if (!(err instanceof MalformedInput)) throw err;
          const e = malformed(req, err, attempt, 0);
          report(req.endpoint, attempt, startedAt, result.status, e.failureOf());
          throw e;
        }
      }
    },

    async *streamBatches<T>(req: CallRequest, makeParser: () => ChunkParser<T>) {
      const callStart = clock.now();
      for (let attempt = 1; ; attempt++) {
        const { result, startedAt } = await send(req, attempt);
        if (!result.ok) {
          report(req.endpoint, attempt, startedAt, result.failure.status, result.failure);
          await afterFailure(req, result.failure, attempt, callStart);
          continue;
        }
        const { body, status } = result;
        const parser = makeParser();
        let yielded = 0;
        let reported = false;
        const settle = (f?: AttemptFailure): void => {
          reported = true;
          report(req.endpoint, attempt, startedAt, status, f);
        };
        let failure: AttemptFailure;
        try {
          const onBytes = req.onBytes;
          for await (const chunk of body as AsyncIterable<Buffer>) {
            onBytes?.(chunk.length);
            const out: T[] = [];
            parser.push(chunk, out);
            if (out.length > 0) {
              yielded += parser.count?.(out) ?? out.length;
              yield out;
            }
          }
          const out: T[] = [];
          parser.end(out);
          if (out.length > 0) {
            yielded += parser.count?.(out) ?? out.length;
            yield out;
          }
          settle();
          return;
        } catch (err) {
          if (err instanceof MalformedInput) {
            const e = malformed(req, err, attempt, yielded);
            settle(e.failureOf());
            throw e;
          }
          failure = { ...bodyFailure(req, err), recordsYielded: Math.max(yielded, parser.seen?.() ?? 0) };
          settle(failure);
        } finally {
          body.destroy();
          // The consumer stopped early (break) or the call was aborted.
          if (!reported) settle(req.signal?.aborted ? ABORTED : undefined);
        }
        if ((failure.recordsYielded ?? 0) > 0 && failure.retryable) throw midStreamError(req.endpoint, pathOf(req.endpoint), failure, attempt);
        await afterFailure(req, failure, attempt, callStart);
      }
    },

    async retryStream(endpoint, attempt, signal, onEvent) {
      const callStart = clock.now();
      for (let n = 1; ; n++) {
        try {
          return await attempt(n);
        } catch (err) {
          if (!(err instanceof IterableApiError) || !err.retryable || err.exhausted) throw err;
          const f = err.failureOf();
          if (n > retry.retryLimit) {
            throw finalError({
              endpoint: err.endpoint,
              path: err.path,
              failure: f,
              attempts: n,
              elapsedMs: clock.now() - callStart,
              retryLimit: retry.retryLimit,
              target: deps.target,
            });
          }
          if (signal?.aborted) throw signal.reason;
          await waitToRetry(endpoint, f, n, signal, onEvent);
        }
      }
    },
  };
}
