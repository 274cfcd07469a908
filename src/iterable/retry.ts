/**
 * Retry policy, as pure functions of their inputs (random and now injected).
 * TD's RetryExecutor: attempts = retry_limit + 1; the wait before retry n is
 * min(initial × 2^(n−1), max). itd adds equal jitter (half fixed, half random)
 * so that parallel jobs do not retry in lockstep.
 */
import type { RetryOptions } from "./types.js";

/** Longest Retry-After itd honours (a broken header must not park a job for days). */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** The un-jittered wait before retry `retryNo` (1-based), ms. */
export function backoffCeiling(retryNo: number, retry: RetryOptions): number {
  const exp = retry.initialRetryWait * 2 ** Math.max(0, retryNo - 1);
  return Math.max(0, Math.min(exp, retry.maxRetryWait));
}

/** The wait before retry `retryNo` (1-based), ms: equal jitter in [ceiling/2, ceiling]. */
export function backoffDelay(retryNo: number, retry: RetryOptions, random: () => number): number {
  const ceiling = backoffCeiling(retryNo, retry);
  const raw = random();
  const r = Number.isFinite(raw) ? Math.min(Math.max(raw, 0), 1) : 0.5;
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}

/** `Retry-After` as ms from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Math.round(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

export interface RetryWaitInput {
  /** 1-based number of the retry about to happen. */
  retryNo: number;
  retry: RetryOptions;
  random: () => number;
  /** HTTP status of the failed attempt, if it got one. */
  status?: number | undefined;
  /** Parsed Retry-After, ms. */
  retryAfterMs?: number | undefined;
  /** The endpoint's request spacing (window / limit), ms: the least wait after a 429 without Retry-After. */
  spacingMs: number;
}

/** How long to wait before the next attempt: the backoff, raised to Retry-After or (on 429) the endpoint's spacing. */
export function retryWait(input: RetryWaitInput): number {
  const backoff = backoffDelay(input.retryNo, input.retry, input.random);
  if (input.retryAfterMs !== undefined) return Math.max(backoff, input.retryAfterMs);
  if (input.status === 429) return Math.max(backoff, input.spacingMs);
  return backoff;
}

/** Statuses worth another attempt: 408, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Network error codes that mean "the request did not complete; try again". */
const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "UND_ERR_REQ_RETRY",
]);

/** undici codes that are ours, not the network's: never retried. */
const FINAL_UNDICI_CODES = new Set([
  "UND_ERR_ABORTED",
  "UND_ERR_ABORT",
  "UND_ERR_INVALID_ARG",
  "UND_ERR_INVALID_RETURN_VALUE",
  "UND_ERR_DESTROYED",
  "UND_ERR_NOT_SUPPORTED",
]);

/** Whether a thrown network-level error code (node or undici) is worth another attempt. */
export function isRetryableErrorCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  if (RETRYABLE_NETWORK_CODES.has(code)) return true;
  if (FINAL_UNDICI_CODES.has(code)) return false;
  // Other undici errors and HTTP parser errors (a response cut inside a chunk) are transport trouble.
  return code.startsWith("UND_ERR_") || code.startsWith("HPE_");
}

/** Whether an error code is one of the timeout kinds. */
export function isTimeoutCode(code: string | undefined): boolean {
  return (
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT" ||
    code === "ETIMEDOUT"
  );
}
