/**
 * One HTTP attempt against Iterable: the only code that sends the API key.
 * No retries and no rate budget here (see calls.ts); a failure comes back as
 * an AttemptFailure, already redacted, so callers never touch raw bodies or
 * raw undici errors.
 */
import type { Dispatcher } from "undici";
import type { AttemptFailure } from "./errors.js";
import { parseErrorBody } from "./error-body.js";
import type { Redactor } from "./redact.js";
import { isRetryableErrorCode, isRetryableStatus, isTimeoutCode, parseRetryAfter } from "./retry.js";
import type { TimeoutOptions } from "./types.js";

/** The most of an error body read (the rest is dropped with the connection). */
export const ERROR_BODY_LIMIT = 64 * 1024;

export type ResponseBody = Dispatcher.ResponseData["body"];

export type SendResult =
  | { ok: true; status: number; body: ResponseBody }
  | { ok: false; failure: AttemptFailure };

export interface SendRequest {
  /** Path under the base URL, e.g. `/api/export/data.json`. */
  path: string;
  query: URLSearchParams | undefined;
  accept: string;
  signal: AbortSignal | undefined;
  /** The clock's now, to read an HTTP-date Retry-After. */
  now: number;
}

export interface Transport {
  /** Sends `GET <base><path>?<query>`; resolves when the headers arrive (the body is the caller's to read). */
  send(request: SendRequest): Promise<SendResult>;
}

export interface TransportOptions {
  apiKey: string;
  baseUrl: string;
  dispatcher: Dispatcher;
  timeouts: TimeoutOptions;
  redact: Redactor;
}

/** The key lives only in this closure: nothing returned or thrown holds it. */
export function createTransport(options: TransportOptions): Transport {
  const { apiKey, dispatcher, timeouts, redact } = options;
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/+$/, "");

  return {
    async send({ path, query, accept, signal, now }) {
      const search = query === undefined ? "" : query.toString();
      let res: Dispatcher.ResponseData;
      try {
        res = await dispatcher.request({
          origin,
          path: `${basePath}${path}${search === "" ? "" : `?${search}`}`,
          method: "GET",
          headers: { "api-key": apiKey, accept, "user-agent": "itd" },
          signal: signal ?? null,
          headersTimeout: timeouts.headers,
          bodyTimeout: timeouts.idle,
        });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        const failure = networkFailure(err, timeouts, redact);
        if (failure === undefined) throw err;
        return { ok: false, failure };
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        if (!isHtml(res.headers["content-type"])) return { ok: true, status: res.statusCode, body: res.body };
        // No Iterable endpoint answers HTML: a proxy's or a portal's page, which
        // must not be read as data (a getUsers body would become members).
        const page = parseErrorBody(redact(await readCapped(res.body, ERROR_BODY_LIMIT)));
        if (signal?.aborted) throw signal.reason;
        return {
          ok: false,
          failure: {
            status: res.statusCode,
            iterableCode: "MalformedResponse",
            detail: `an HTML page (text/html) instead of ${accept.split(",")[0] ?? accept}: ${page.msg}`,
            retryable: false,
          },
        };
      }
      const text = await readCapped(res.body, ERROR_BODY_LIMIT);
      if (signal?.aborted) throw signal.reason;
      const { code, msg } = parseErrorBody(redact(text));
      const retryAfter = res.headers["retry-after"];
      return {
        ok: false,
        failure: {
          status: res.statusCode,
          iterableCode: code,
          detail: msg,
          retryable: isRetryableStatus(res.statusCode),
          retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, now),
        },
      };
    },
  };
}

function isHtml(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value !== undefined && /^\s*text\/html\b/i.test(value);
}

/** Reads at most `limit` bytes of a body, then drops the rest; never throws. */
async function readCapped(body: ResponseBody, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch {
    // keep what arrived: an error body cut short still says something
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function secs(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * A thrown transport error as an AttemptFailure (Timeout or ConnectionError),
 * or undefined when it is not a network error (a bug: the caller rethrows it).
 */
export function networkFailure(err: unknown, timeouts: TimeoutOptions, redact: Redactor): AttemptFailure | undefined {
  const code = errorCode(err);
  if (code === undefined || !(err instanceof Error)) return undefined;
  let detail: string;
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      detail = `could not connect within ${secs(timeouts.connect)}`;
      break;
    case "UND_ERR_HEADERS_TIMEOUT":
      detail = `no response headers within ${secs(timeouts.headers)}`;
      break;
    case "UND_ERR_BODY_TIMEOUT":
      detail = `the response body was silent for ${secs(timeouts.idle)}`;
      break;
    default:
      detail = `${redact(err.message)} (${code})`;
  }
  const cause = new Error(redact(err.message));
  cause.name = err.name;
  Object.assign(cause, { code });
  return {
    status: undefined,
    iterableCode: isTimeoutCode(code) ? "Timeout" : "ConnectionError",
    detail,
    retryable: isRetryableErrorCode(code),
    cause,
  };
}
