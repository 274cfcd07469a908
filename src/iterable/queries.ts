/**
 * Query strings of the endpoints, as pure functions of their parameters.
 * Times are sent as `YYYY-MM-DD HH:MM:SS` in UTC (whole seconds: Iterable's
 * format has none smaller, so callers should cut windows on whole seconds).
 */
import { ConfigError } from "../errors.js";
import type { ExportParams, MetricsParams } from "./types.js";

/** Epoch ms → `YYYY-MM-DD HH:MM:SS` (UTC). */
export function formatDateTime(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${ms}`);
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

export function campaignsQuery(page: number, pageSize: number): URLSearchParams {
  return new URLSearchParams({ page: String(page), pageSize: String(pageSize) });
}

export function metricsQuery(params: MetricsParams): URLSearchParams {
  const query = new URLSearchParams();
  for (const id of params.campaignIds) query.append("campaignId", String(id));
  if (params.window?.start !== undefined) query.set("startDateTime", formatDateTime(params.window.start));
  if (params.window?.end !== undefined) query.set("endDateTime", formatDateTime(params.window.end));
  return query;
}

export function listUsersQuery(listId: number, preferUserId: boolean): URLSearchParams {
  return new URLSearchParams({ listId: String(listId), preferUserId: String(preferUserId) });
}

/** data.json / data.csv parameters; throws ConfigError on a combination Iterable would refuse. */
export function exportQuery(params: ExportParams): URLSearchParams {
  if (params.dataTypeName.trim() === "") throw new ConfigError("export: dataTypeName is empty");
  if ((params.range === undefined) === (params.window === undefined)) {
    throw new ConfigError("export: give either a range or a window (start and end), not both or neither");
  }
  const only = params.onlyFields ?? [];
  const omit = params.omitFields ?? [];
  if (only.length > 0 && omit.length > 0) {
    throw new ConfigError("export: only_fields and omit_fields cannot both be set");
  }
  const query = new URLSearchParams({ dataTypeName: params.dataTypeName });
  if (params.range !== undefined) query.set("range", params.range);
  if (params.window !== undefined) {
    if (!(params.window.start < params.window.end)) {
      throw new ConfigError(`export: the window is empty (start ${params.window.start} ≥ end ${params.window.end})`);
    }
    query.set("startDateTime", formatDateTime(params.window.start));
    query.set("endDateTime", formatDateTime(params.window.end));
  }
  if (only.length > 0) query.set("onlyFields", only.join(","));
  if (omit.length > 0) query.set("omitFields", omit.join(","));
  if (params.campaignId !== undefined) query.set("campaignId", String(params.campaignId));
  return query;
}

/** The page after `current`: the `page` of Iterable's nextPageUrl when it moves forward, else current + 1; undefined when there is no next page. */
export function nextPage(nextPageUrl: unknown, current: number): number | undefined {
  if (typeof nextPageUrl !== "string" || nextPageUrl.trim() === "") return undefined;
  let page = Number.NaN;
  try {
    page = Number(new URL(nextPageUrl, "http://next.invalid").searchParams.get("page") ?? Number.NaN);
  } catch {
    // an unreadable URL still says there is a next page
  }
  return Number.isSafeInteger(page) && page > current ? page : current + 1;
}
