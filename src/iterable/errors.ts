/**
 * Iterable's failures as typed errors. Every message is built from parts that
 * have already been redacted (see redact.ts), so no API key can reach a log,
 * a job record or a terminal through an error.
 */
import { ItdError } from "../errors.js";
import type { Endpoint } from "./types.js";

/** Iterable's own codes (BadApiKey, RateLimitExceeded, GenericError, …) plus itd's for failures without one. */
export type IterableErrorCode =
  | "BadApiKey"
  | "BadAuthorizationHeader"
  | "BadParams"
  | "Forbidden"
  | "Unauthorized"
  | "NotFound"
  | "RateLimitExceeded"
  | "GenericError"
  | "DatabaseError"
  | "MalformedResponse"
  | "Timeout"
  | "ConnectionError"
  | (string & {});

/** What went wrong in one attempt, already redacted. */
export interface AttemptFailure {
  /** HTTP status, when the attempt got one. */
  status: number | undefined;
  iterableCode: IterableErrorCode | undefined;
  /** Iterable's `msg`, an excerpt of a non-JSON body, or the network error's message. */
  detail: string;
  retryable: boolean;
  /** Parsed Retry-After, ms. */
  retryAfterMs?: number | undefined;
  /** Records already handed to the consumer when a stream failed. */
  recordsYielded?: number | undefined;
  /** A sanitised copy of the underlying error (never the raw one, which could carry headers). */
  cause?: Error | undefined;
}

export interface IterableApiErrorInit {
  message: string;
  endpoint: Endpoint;
  path: string;
  failure: AttemptFailure;
  attempts: number;
  /** True when the failure came after records were yielded (a silent retry would duplicate them). */
  midStream: boolean;
  /** True when the retry budget is spent (nothing more will be tried for this call). */
  exhausted: boolean;
  hints?: readonly string[];
}

export class IterableApiError extends ItdError {
  readonly status: number | undefined;
  readonly iterableCode: IterableErrorCode | undefined;
  /** Iterable's message (or a body excerpt), redacted. */
  readonly iterableMessage: string;
  readonly endpoint: Endpoint;
  readonly method = "GET";
  readonly path: string;
  readonly attempts: number;
  readonly midStream: boolean;
  readonly exhausted: boolean;
  readonly recordsYielded: number;
  /** Retry-After of the last response, ms, when it had one. */
  readonly retryAfterMs: number | undefined;

  constructor(init: IterableApiErrorInit) {
    super("iterable", init.message, {
      retryable: init.failure.retryable,
      cause: init.failure.cause,
      hints: init.hints ?? [],
    });
    this.name = "IterableApiError";
    this.status = init.failure.status;
    this.iterableCode = init.failure.iterableCode;
    this.iterableMessage = init.failure.detail;
    this.endpoint = init.endpoint;
    this.path = init.path;
    this.attempts = init.attempts;
    this.midStream = init.midStream;
    this.exhausted = init.exhausted;
    this.recordsYielded = init.failure.recordsYielded ?? 0;
    this.retryAfterMs = init.failure.retryAfterMs;
  }

  /** The failure this error reports, to build a later error from. */
  failureOf(): AttemptFailure {
    return {
      status: this.status,
      iterableCode: this.iterableCode,
      detail: this.iterableMessage,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      recordsYielded: this.recordsYielded,
      cause: this.cause instanceof Error ? this.cause : undefined,
    };
  }
}

/** `503 GenericError "Please try again later"`, `Timeout "no response headers within 300 s"`. */
export function describeFailure(f: AttemptFailure): string {
  const parts: string[] = [];
  if (f.status !== undefined) parts.push(String(f.status));
  if (f.iterableCode !== undefined) parts.push(f.iterableCode);
  if (f.detail !== "") parts.push(JSON.stringify(f.detail));
  let text = parts.join(" ");
  if (f.recordsYielded !== undefined && f.recordsYielded > 0) text += ` after ${f.recordsYielded} records`;
  return text;
}

/** Where the client sends its requests, for messages that help fix the configuration. */
export interface Target {
  baseUrl: string;
  /** The configured region, when the base URL is the region's (not an override). */
  region: "us" | "eu" | undefined;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function authDetail(f: AttemptFailure): string {
  const code = f.iterableCode === undefined ? "" : ` ${f.iterableCode}`;
  const msg = f.detail === "" ? "" : `: ${f.detail}`;
  return `${f.status ?? ""}${code}${msg}`;
}

export interface FinalErrorInput {
  endpoint: Endpoint;
  path: string;
  failure: AttemptFailure;
  attempts: number;
  elapsedMs: number;
  retryLimit: number;
  target: Target;
}

/** The error a call ends with: after retries ran out, or at once for a failure not worth retrying. */
export function finalError(input: FinalErrorInput): IterableApiError {
  const { failure: f, path, target } = input;
  const base = { endpoint: input.endpoint, path, failure: f, attempts: input.attempts, midStream: false, exhausted: true };
  if (f.status === 401) {
    const other = target.region === "us" ? "eu" : "us";
    const fix =
      target.region === undefined
        ? "check in.api_key and in.base_url"
        : `check in.api_key; the key may belong to the other region (in.region: ${other})`;
    const message = `Iterable rejected the API key (${authDetail(f)}) for ${target.baseUrl}: ${fix}`;
    return new IterableApiError({ ...base, message });
  }
  if (f.status === 403) {
    const message =
      `Iterable refused GET ${path} (${authDetail(f)}) for ${target.baseUrl}: ` +
      "the API key may lack permission for this endpoint (use a server-side key)";
    return new IterableApiError({ ...base, message });
  }
  if (input.attempts <= 1 && !f.retryable) {
    return new IterableApiError({ ...base, message: `Iterable GET ${path} failed: ${describeFailure(f)}` });
  }
  const n = input.attempts;
  const message =
    `Iterable GET ${path} failed after ${n} attempt${n === 1 ? "" : "s"} over ${seconds(input.elapsedMs)} ` +
    `(retry_limit ${input.retryLimit}): last error ${describeFailure(f)}`;
  return new IterableApiError({ ...base, message });
}

/** A stream that broke after records were handed out: the consumer must restart its attempt (see retryStream). */
export function midStreamError(endpoint: Endpoint, path: string, f: AttemptFailure, attempt: number): IterableApiError {
  const message = `Iterable GET ${path} broke off after ${f.recordsYielded ?? 0} records: ${describeFailure({ ...f, recordsYielded: 0 })}`;
  return new IterableApiError({ message, endpoint, path, failure: f, attempts: attempt, midStream: true, exhausted: false });
}

/** A response body itd cannot read (a line that is not a JSON object, a CSV with an open quote, …). */
export function malformedError(endpoint: Endpoint, path: string, f: AttemptFailure, attempt: number): IterableApiError {
  const midStream = (f.recordsYielded ?? 0) > 0;
  const message = `Iterable GET ${path} sent a malformed response: ${f.detail}`;
  return new IterableApiError({ message, endpoint, path, failure: f, attempts: attempt, midStream, exhausted: true });
}
