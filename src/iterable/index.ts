/** The iterable/ folder's door: Iterable's HTTP client and its contract. */
export * from "./types.js";
export { createIterableClient, DEFAULT_PAGE_SIZE, type IterableClientOptions } from "./client.js";
export { IterableApiError, describeFailure, type AttemptFailure, type IterableErrorCode } from "./errors.js";
export {
  RateBudgets,
  DEFAULT_RATE_LIMITS,
  budgetKeyId,
  grantDelay,
  rateGroupOf,
  marginOf,
  type BudgetWait,
  type RateBudget,
  type RateGroup,
  type RateLimit,
  type RateLimits,
} from "./rate-budget.js";
export { SharedRateBudgets, RATE_GRANTS_DDL, DEFAULT_STATE_SCHEMA, type SharedRateBudgetsOptions } from "./shared-budget.js";
export { backoffCeiling, backoffDelay, parseRetryAfter, retryWait, isRetryableStatus, isRetryableErrorCode } from "./retry.js";
export { formatDateTime } from "./queries.js";
export { describeCallEvent, formatRate, formatWait, retryReason, waitReason } from "./waits.js";
export { parseCsv, CsvParser, CsvRecordParser } from "./parsers/csv.js";
export { NdjsonParser } from "./parsers/ndjson.js";
export { DECODE_BYTES, NdjsonRunSplitter, parseRun, RUN_BYTES } from "./parsers/ndjson-runs.js";
export { TextLineParser } from "./parsers/lines.js";
export { MalformedInput } from "./parsers/malformed.js";
export { parseMetricsCsv } from "./parsers/metrics.js";
