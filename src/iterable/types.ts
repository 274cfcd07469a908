/**
 * The contract of itd's Iterable client (see ../shared/iterable-api.md).
 * Nothing outside src/iterable/ talks HTTP to Iterable; everything else uses
 * these types.
 */

import type { AttemptFailure } from "./errors.js";

export type Region = "us" | "eu";

export const BASE_URLS: Record<Region, string> = {
  us: "https://api.iterable.com",
  eu: "https://api.eu.iterable.com",
};

/** Iterable's export dataTypeName values (api-docs.json enum), in the spec's spelling. */
export const EXPORT_DATA_TYPES = [
  "emailSend", "emailOpen", "emailClick", "hostedUnsubscribeClick", "emailComplaint", "emailBounce",
  "emailSendSkip", "emailSubscribe", "emailUnSubscribe",
  "pushSend", "pushOpen", "pushUninstall", "pushBounce", "pushSendSkip",
  "inAppSend", "inAppOpen", "inAppClick", "inAppClose", "inAppDelete", "inAppDelivery", "inAppSendSkip",
  "inAppRecall", "inboxSession", "inboxMessageImpression",
  "smsSend", "smsBounce", "smsClick", "smsReceived", "smsSendSkip", "smsUsageInfo",
  "webPushSend", "webPushClick", "webPushSendSkip", "rcsSend", "rcsSendSkip",
  "purchase", "customEvent", "user",
  "embeddedSend", "embeddedSendSkip", "embeddedClick", "embeddedReceived", "embeddedImpression", "embeddedSession",
  "unknownSession", "journeyExit",
  "whatsAppBounce", "whatsAppClick", "whatsAppReceived", "whatsAppSeen", "whatsAppSend", "whatsAppSendSkip",
  "whatsAppUsageInfo",
] as const;

export type ExportDataType = (typeof EXPORT_DATA_TYPES)[number];

/** Iterable's `range` values for the export API. */
export type ExportRange = "Today" | "Yesterday" | "BeforeToday" | "All";

/** The endpoints itd calls; each has its own rate budget. */
export type Endpoint =
  | "campaigns"
  | "campaigns/metrics"
  | "lists"
  | "lists/getUsers"
  | "export/data.json"
  | "export/data.csv";

export interface Campaign {
  id: number;
  name: string;
  type: string;
  campaignState: string;
  messageMedium?: string;
  createdAt: number;
  updatedAt: number;
  startAt?: number;
  endedAt?: number;
  createdByUserId: string;
  updatedByUserId?: string;
  templateId?: number;
  listIds?: number[];
  suppressionListIds?: number[];
  labels?: string[];
  sendSize?: number;
  recurringCampaignId?: number;
  workflowId?: number;
  [extra: string]: unknown;
}

export interface IterableList {
  id: number;
  name: string;
  createdAt: number;
  listType: string;
  description?: string;
  [extra: string]: unknown;
}

/** One row of the metrics CSV: `id` plus the medium's labelled columns, as parsed numbers (empty cells omitted). */
export type CampaignMetrics = { id: number } & Record<string, number>;

/** A window `[start, end)` in epoch milliseconds (UTC). */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface ExportParams {
  dataTypeName: string;
  /** Either `range` or `window` (both ends). */
  range?: ExportRange;
  window?: TimeWindow;
  onlyFields?: readonly string[];
  omitFields?: readonly string[];
  campaignId?: number;
}

export interface MetricsParams {
  campaignIds: readonly number[];
  window?: Partial<TimeWindow>;
}

export interface RetryOptions {
  /** Retries after the first attempt (attempts = retryLimit + 1). */
  retryLimit: number;
  /** Wait before the first retry, ms; doubles each retry. */
  initialRetryWait: number;
  /** Cap on one wait, ms. */
  maxRetryWait: number;
}

export const DEFAULT_RETRY: RetryOptions = { retryLimit: 5, initialRetryWait: 1_000, maxRetryWait: 120_000 };

export interface TimeoutOptions {
  /** Connecting to Iterable, ms. */
  connect: number;
  /** From sending a request to the response headers, ms (exports can take a while to start). */
  headers: number;
  /** Longest silence inside a response body before it counts as dead, ms. */
  idle: number;
}

export const DEFAULT_TIMEOUTS: TimeoutOptions = { connect: 30_000, headers: 300_000, idle: 120_000 };

/** One exported record (a line of data.json): a JSON object. */
export type JsonRecord = Record<string, unknown>;

/** One row of data.csv, keyed by the header. */
export type CsvRecord = Record<string, string>;

/**
 * What a call waits for or does, told as it happens (progress lines, job logs,
 * a deadline on slow responses):
 * - `rate-limit`: the request waits `waitMs` for its rate budget (`limit` per `windowMs` of `group`);
 * - `retry`: an attempt failed and retry number `retry` follows after `waitMs`;
 * - `sent`: attempt number `attempt` goes out now (the budget granted it).
 */
export type CallEvent =
  | { type: "rate-limit"; endpoint: Endpoint; group: string; waitMs: number; limit: number; windowMs: number }
  | { type: "retry"; endpoint: Endpoint; retry: number; retryLimit: number; waitMs: number; failure: AttemptFailure }
  | { type: "sent"; endpoint: Endpoint; attempt: number };

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call (an in-flight stream is destroyed); combined with the client's own signal. */
  signal?: AbortSignal;
  /** Told the size of every body chunk as it arrives, streamed or read whole (progress display, a job's bytes). */
  onBytes?: (bytes: number) => void;
  /** Told of every wait, retry and request of the call (a throwing listener is logged, never breaks the call). */
  onEvent?: (event: CallEvent) => void;
}

/** Options of `exportJsonRuns`. */
export interface RunCallOptions extends CallOptions {
  /** Memory for a run of n bytes (the caller may recycle runs' memory); default a new array per run. */
  alloc?: (bytes: number) => Uint8Array;
  /** Told the lines each network chunk completes and the last of them as a record (the response's progress). */
  onLines?: (lines: number, last: JsonRecord | undefined) => void;
}

/** Options of `campaignMetrics`. */
export interface MetricsCallOptions extends CallOptions {
  /**
   * Told, once per response that has any, the labels with a value written with
   * a decimal point (`0.0`, `19.99`): decimals by Iterable's own writing, which
   * the parsed numbers cannot show (guess types such columns double).
   */
  onDecimalLabels?: (labels: readonly string[]) => void;
}

export type { NdjsonRun } from "./parsers/ndjson-runs.js";
import type { NdjsonRun } from "./parsers/ndjson-runs.js";

/** One HTTP attempt, reported to `onRequest` when it ends (for metrics). */
export interface RequestEvent {
  endpoint: Endpoint;
  /** The HTTP status, or undefined when no response came (connect error, headers timeout). */
  status: number | undefined;
  /** Iterable's code or itd's (Timeout, ConnectionError, MalformedResponse) when the attempt failed. */
  errorCode?: string;
  /** From sending the request to the end of its body (or the failure), ms. */
  durationMs: number;
  /** 1-based attempt within the call. */
  attempt: number;
}

/**
 * The Iterable client (src/iterable/client.ts). Streamed endpoints keep memory
 * flat whatever the response size. A stream that breaks after records were
 * yielded throws an IterableApiError with `midStream: true`; wrap the whole
 * consumer attempt in `retryStream` to start it over.
 */
export interface IterableClient {
  /** The base URL requests go to (no secret in it). */
  readonly baseUrl: string;
  /** Every campaign, following pages until `nextPageUrl` is absent. */
  campaigns(options?: { pageSize?: number } & CallOptions): AsyncIterable<Campaign>;
  /** Metrics rows of the given campaigns (one request for all ids: batch them as the caller sees fit). */
  campaignMetrics(params: MetricsParams, options?: MetricsCallOptions): AsyncIterable<CampaignMetrics>;
  lists(options?: CallOptions): Promise<IterableList[]>;
  /** Members of a list (emails, or userIds with preferUserId), streamed. */
  listUsers(listId: number, options?: { preferUserId?: boolean } & CallOptions): AsyncIterable<string>;
  listUsersBatches(listId: number, options?: { preferUserId?: boolean } & CallOptions): AsyncIterable<string[]>;
  /** data.json records one by one (flattens exportJsonBatches). */
  exportJson(params: ExportParams, options?: CallOptions): AsyncIterable<JsonRecord>;
  /** data.json records in batches (one per network chunk): what bulk consumers use. */
  exportJsonBatches(params: ExportParams, options?: CallOptions): AsyncIterable<JsonRecord[]>;
  /**
   * data.json as runs of whole lines, unparsed (but for each run's last record): what an import
   * hands its parse threads. A bad line they find becomes `malformedResponse(...)`.
   */
  exportJsonRuns(params: ExportParams, options?: RunCallOptions): AsyncIterable<NdjsonRun[]>;
  /** The error of a response whose body is unreadable, found by whoever parsed it (`detail`: e.g. `line 12 is not valid JSON …`). */
  malformedResponse(endpoint: Endpoint, detail: string, recordsYielded: number): Error;
  exportCsv(params: ExportParams, options?: CallOptions): AsyncIterable<CsvRecord>;
  exportCsvBatches(params: ExportParams, options?: CallOptions): AsyncIterable<CsvRecord[]>;
  /**
   * Runs `attempt` and runs it again (after the same backoff, up to the same
   * retry limit) when it fails with a retryable IterableApiError that the
   * endpoint could not retry itself (a mid-stream break). The consumer resets
   * its own state at the start of each attempt.
   */
  retryStream<R>(endpoint: Endpoint, attempt: (attemptNo: number) => Promise<R>, options?: CallOptions): Promise<R>;
  /** The even spacing between requests to `endpoint` that the rate budget allows (window / limit), ms: for ETAs. */
  spacingOf(endpoint: Endpoint): number;
  /** Closes the client's own connection pool (not a dispatcher passed in). */
  close(): Promise<void>;
}
