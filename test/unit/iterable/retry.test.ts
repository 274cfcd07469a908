import { describe, expect, it } from "vitest";
import {
  backoffCeiling,
  backoffDelay,
  isRetryableErrorCode,
  isRetryableStatus,
  parseRetryAfter,
  retryWait,
} from "../../../src/iterable/retry.js";

const retry = { retryLimit: 5, initialRetryWait: 500, maxRetryWait: 3_000 };

describe("backoff", () => {
  it("doubles from the initial wait and stops at the cap", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffCeiling(n, retry))).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
  });

  it("stays at the cap for very high retry numbers", () => {
    expect(backoffCeiling(5_000, retry)).toBe(3_000);
  });

  it("jitters between half the ceiling and the ceiling", () => {
    expect(backoffDelay(3, retry, () => 0)).toBe(1_000);
    expect(backoffDelay(3, retry, () => 0.999999)).toBe(2_000);
    expect(backoffDelay(3, retry, () => 0.5)).toBe(1_500);
  });

  it("keeps jitter inside its bounds whatever the random source returns", () => {
    for (const r of [-1, 2, Number.NaN]) {
      const wait = backoffDelay(2, retry, () => r);
      expect(wait).toBeGreaterThanOrEqual(500);
      expect(wait).toBeLessThanOrEqual(1_000);
    }
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2024-05-01T12:00:00Z");

  it("reads delta seconds", () => {
    expect(parseRetryAfter("7", now)).toBe(7_000);
  });

  it("reads an HTTP date", () => {
    expect(parseRetryAfter("Wed, 01 May 2024 12:00:30 GMT", now)).toBe(30_000);
  });

  it("treats a date in the past as no wait", () => {
    expect(parseRetryAfter("Wed, 01 May 2024 11:00:00 GMT", now)).toBe(0);
  });

  it("ignores an absent or unreadable header", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });

  it("caps an absurd wait at an hour", () => {
    expect(parseRetryAfter("9999999", now)).toBe(3_600_000);
  });
});

describe("retryWait", () => {
  const base = { retryNo: 1, retry, random: () => 0, spacingMs: 15_000 };

  it("waits the backoff after a 5xx", () => {
    expect(retryWait({ ...base, status: 503 })).toBe(250);
  });

  it("waits at least the endpoint's spacing after a 429 without Retry-After", () => {
    expect(retryWait({ ...base, status: 429 })).toBe(15_000);
  });

  it("honours Retry-After when it is longer than the backoff", () => {
    expect(retryWait({ ...base, status: 429, retryAfterMs: 2_000 })).toBe(2_000);
  });

  it("never waits less than the backoff, whatever Retry-After says", () => {
    expect(retryWait({ ...base, retryNo: 4, status: 429, retryAfterMs: 0 })).toBe(1_500);
  });
});

describe("what is retried", () => {
  it("retries 408, 429 and 5xx", () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
  });

  it("never retries 400, 401, 403 or 404", () => {
    expect([400, 401, 403, 404].some(isRetryableStatus)).toBe(false);
  });

  it("retries connection errors and timeouts but not aborts", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "UND_ERR_SOCKET", "UND_ERR_BODY_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "HPE_INVALID_CHUNK_SIZE"]) {
      expect(isRetryableErrorCode(code), code).toBe(true);
    }
    for (const code of ["UND_ERR_ABORTED", "UND_ERR_INVALID_ARG", "ERR_SOMETHING", undefined]) {
      expect(isRetryableErrorCode(code), String(code)).toBe(false);
    }
  });
});
