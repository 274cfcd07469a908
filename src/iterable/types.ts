/**
 * The contract of itd's Iterable client (see ../shared/iterable-api.md).
 * Nothing outside src/iterable/ talks HTTP to Iterable; everything else uses
 * these types.
 */

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
