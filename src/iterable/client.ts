/**
 * createIterableClient: the one way itd talks to Iterable. Wires the transport
 * (the only holder of the API key), the shared rate budgets, retries and the
 * streaming parsers into the IterableClient contract of types.ts.
 */
import { Agent, type Dispatcher } from "undici";
import { systemClock, type Clock } from "../clock.js";
import { ConfigError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { createCaller, pathOf, type CallRequest } from "./calls.js";
import { excerpt } from "./error-body.js";
import { malformedError, type Target } from "./errors.js";
import { flatten } from "./flatten.js";
import { CsvRecordParser } from "./parsers/csv.js";
import { MAX_LINE_BYTES, TextLineParser } from "./parsers/lines.js";
import { MalformedInput } from "./parsers/malformed.js";
import { parseMetricsCsv } from "./parsers/metrics.js";
import { NdjsonParser } from "./parsers/ndjson.js";
import { NdjsonRunSplitter, type RunSplitterOptions } from "./parsers/ndjson-runs.js";
import { campaignsQuery, exportQuery, listUsersQuery, metricsQuery, nextPage } from "./queries.js";
import { budgetKeyId, type RateBudget } from "./rate-budget.js";
import { makeRedactor } from "./redact.js";
import { createTransport } from "./transport.js";
import {
  BASE_URLS,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  type Campaign,
  type CallOptions,
  type IterableClient,
  type IterableList,
  type Region,
  type RequestEvent,
  type RunCallOptions,
  type RetryOptions,
  type TimeoutOptions,
} from "./types.js";

export interface IterableClientOptions {
  apiKey: string;
  /** Selects the base URL (default us). */
  region?: Region;
  /** Overrides the region's base URL (a proxy, the fake). */
  baseUrl?: string;
  retry?: RetryOptions;
  /** Connect applies to the client's own Agent only (a dispatcher passed in keeps its own). */
  timeouts?: TimeoutOptions;
  /** The process's shared registry: clients of the same key share one budget. */
  budgets: RateBudget;
  logger?: Logger;
  clock?: Clock;
  /** In [0, 1), for retry jitter. */
  random?: () => number;
  /** Cancels every call of this client. */
  signal?: AbortSignal;
  onRequest?: (event: RequestEvent) => void;
  dispatcher?: Dispatcher;
  /**
   * Longest line of a streamed body (a CSV row: characters) and largest body
   * read whole (campaigns, metrics, lists), bytes; default 64 MB. Past it the
   * call fails with MalformedResponse: the idle timeout only catches silence,
   * so a body that trickles without end would otherwise grow in memory.
   */
  maxLineBytes?: number;
}

/** Default campaigns page size (Iterable's maximum). */
export const DEFAULT_PAGE_SIZE = 1000;

const ACCEPT_JSON = "application/json";
const ACCEPT_TEXT = "text/plain, text/csv;q=0.9, */*;q=0.1";
const ACCEPT_NDJSON = "application/x-json-stream, application/json;q=0.9, */*;q=0.1";
const ACCEPT_CSV = "text/csv, text/plain;q=0.9, */*;q=0.1";

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`in.base_url: not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`in.base_url: expected an http(s) URL; got ${JSON.stringify(raw)}`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new ConfigError("in.base_url: must not carry credentials, a query or a fragment");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function resolveTarget(region: Region, baseUrl: string | undefined): Target {
  if (!(region in BASE_URLS)) throw new ConfigError(`in.region: expected one of us, eu; got ${JSON.stringify(region)}`);
  if (baseUrl === undefined) return { baseUrl: BASE_URLS[region], region };
  const normalised = normaliseBaseUrl(baseUrl);
  return { baseUrl: normalised, region: normalised === BASE_URLS[region] ? region : undefined };
}

function combineSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MalformedInput(`${what} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MalformedInput(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** `body[field]` as an array of objects (`item` names one in errors: "campaign 2 of the campaigns page …"). */
function objectsField<T>(body: Record<string, unknown>, field: string, what: string, item: string): T[] {
  const value = body[field];
  if (!Array.isArray(value)) throw new MalformedInput(`${what} has no "${field}" array`);
  value.forEach((v: unknown, i) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw new MalformedInput(`${item} ${i + 1} of ${what} is not a JSON object: ${excerpt(String(JSON.stringify(v)))}`);
    }
  });
  return value as T[];
}

export function createIterableClient(options: IterableClientOptions): IterableClient {
  const { apiKey } = options;
  if (typeof apiKey !== "string" || apiKey.trim() === "") throw new ConfigError("in.api_key: the API key is empty");
  const target = resolveTarget(options.region ?? "us", options.baseUrl);
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const retry = options.retry ?? DEFAULT_RETRY;
  const clock = options.clock ?? systemClock;
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const logger = (options.logger ?? silentLogger()).child({ component: "iterable" });
  const ownAgent =
    options.dispatcher === undefined
      ? new Agent({ connect: { timeout: timeouts.connect }, headersTimeout: timeouts.headers, bodyTimeout: timeouts.idle })
      : undefined;
  const redact = makeRedactor(apiKey);
  const caller = createCaller({
    transport: createTransport({ apiKey, baseUrl: target.baseUrl, dispatcher: options.dispatcher ?? (ownAgent as Agent), timeouts, redact }),
    budgets: options.budgets,
    keyId: budgetKeyId(apiKey, target.baseUrl),
    retry,
    timeouts,
    clock,
    random: options.random ?? Math.random,
    logger,
    onRequest: options.onRequest,
    target,
    redact,
    maxBodyBytes: maxLineBytes,
  });
  const clientSignal = options.signal;
  const request = (endpoint: CallRequest["endpoint"], accept: string, call: CallOptions | undefined, query?: URLSearchParams): CallRequest => {
    const req: CallRequest = { endpoint, accept, signal: combineSignals(clientSignal, call?.signal) };
    if (query !== undefined) req.query = query;
    if (call?.onBytes !== undefined) req.onBytes = call.onBytes;
    if (call?.onEvent !== undefined) req.onEvent = call.onEvent;
    return req;
  };

  async function* campaigns(opts: { pageSize?: number } & CallOptions = {}): AsyncGenerator<Campaign, void, undefined> {
    const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
    for (let page: number | undefined = 1; page !== undefined; ) {
      const req = request("campaigns", ACCEPT_JSON, opts, campaignsQuery(page, pageSize));
      const current: number = page;
      const { list, next } = await caller.fetchParsed(req, (text) => {
        const body = parseJsonObject(text, "the campaigns page");
        return { list: objectsField<Campaign>(body, "campaigns", "the campaigns page", "campaign"), next: body["nextPageUrl"] };
      });
      yield* list;
      page = list.length === 0 ? undefined : nextPage(next, current);
    }
  }

  function exportJsonBatches(params: Parameters<IterableClient["exportJsonBatches"]>[0], opts?: CallOptions) {
    const req = request("export/data.json", ACCEPT_NDJSON, opts, exportQuery(params));
    return caller.streamBatches(req, () => new NdjsonParser(maxLineBytes));
  }

  function exportJsonRuns(params: Parameters<IterableClient["exportJsonRuns"]>[0], opts?: RunCallOptions) {
    const req = request("export/data.json", ACCEPT_NDJSON, opts, exportQuery(params));
    const options: RunSplitterOptions = { maxLineBytes };
    if (opts?.alloc !== undefined) options.alloc = opts.alloc;
    if (opts?.onLines !== undefined) options.onLines = opts.onLines;
    return caller.streamBatches(req, () => new NdjsonRunSplitter(options));
  }

  function exportCsvBatches(params: Parameters<IterableClient["exportCsvBatches"]>[0], opts?: CallOptions) {
    const req = request("export/data.csv", ACCEPT_CSV, opts, exportQuery(params));
    return caller.streamBatches(req, () => new CsvRecordParser(maxLineBytes));
  }

  function listUsersBatches(listId: number, opts: { preferUserId?: boolean } & CallOptions = {}) {
    const req = request("lists/getUsers", ACCEPT_TEXT, opts, listUsersQuery(listId, opts.preferUserId ?? false));
    return caller.streamBatches(req, () => new TextLineParser(maxLineBytes));
  }

  return {
    baseUrl: target.baseUrl,
    campaigns,

    async *campaignMetrics(params, opts) {
      if (params.campaignIds.length === 0) return;
      const req = request("campaigns/metrics", ACCEPT_TEXT, opts, metricsQuery(params));
      const { rows, nonNumericLabels, decimalLabels } = await caller.fetchParsed(req, parseMetricsCsv);
      if (nonNumericLabels.length > 0) {
        logger.warn({ endpoint: "campaigns/metrics", labels: nonNumericLabels }, "metrics cells that are not numbers were left out");
      }
      if (decimalLabels.length > 0) opts?.onDecimalLabels?.(decimalLabels);
      yield* rows;
    },

    async lists(opts) {
      const req = request("lists", ACCEPT_JSON, opts);
      return caller.fetchParsed(req, (text) => objectsField<IterableList>(parseJsonObject(text, "the lists response"), "lists", "the lists response", "list"));
    },

    listUsers: (listId, opts) => flatten(listUsersBatches(listId, opts)),
    listUsersBatches,
    exportJson: (params, opts) => flatten(exportJsonBatches(params, opts)),
    exportJsonBatches,
    exportJsonRuns,
    malformedResponse: (endpoint, detail, recordsYielded) =>
      malformedError(
        endpoint,
        pathOf(endpoint),
        { status: 200, iterableCode: "MalformedResponse", detail: redact(detail), retryable: false, recordsYielded },
        1,
      ),
    exportCsv: (params, opts) => flatten(exportCsvBatches(params, opts)),
    exportCsvBatches,
    retryStream: (endpoint, attempt, opts) => caller.retryStream(endpoint, attempt, combineSignals(clientSignal, opts?.signal), opts?.onEvent),
    spacingOf: (endpoint) => options.budgets.spacingOf(endpoint),

    async close() {
      await ownAgent?.close();
    },
  };
}
