import type { ExportParams, IterableClient, TimeWindow } from "../../iterable/index.js";
import type { LoadConfig } from "../config.js";
import { resolveDateRange } from "../config-schema.js";
import { configDiffFor } from "../plan.js";
import { AdaptiveWindows, splittable, type SlicingLimits } from "../slicing.js";
import { formatRfc3339, parseTimestamp } from "../timestamp.js";
import { fixedPlan, windowsOf, type RunContext, type SlicePlan, type Source, type SourceRecord, type SourceSlice } from "./source.js";

const HOUR = 3_600_000;

/** The field Iterable filters an export type by: events by createdAt, users by profileUpdatedAt. */
export function timeFieldOf(dataTypeName: string): string {
  return dataTypeName === "user" ? "profileUpdatedAt" : "createdAt";
}

/** A record's time from its filter field (Iterable's `2021-04-14 16:49:02 +00:00`, or epoch ms). */
function timeReader(field: string): (record: SourceRecord) => number | undefined {
  return (record) => {
    const v = record[field];
    if (typeof v === "number" && Number.isFinite(v)) return v;
    return typeof v === "string" ? parseTimestamp(v) : undefined;
  };
}

/** The slicing limits of an export config. */
export function slicingLimitsOf(c: LoadConfig["in"]): SlicingLimits {
  return {
    maxWindowMs: c.slice_hours === undefined ? Number.POSITIVE_INFINITY : c.slice_hours * HOUR,
    maxRecords: c.max_slice_records,
    maxResponseMs: c.max_slice_seconds * 1000,
  };
}

/**
 * `export_data`: GET /api/export/data.json, one slice per window (design §3),
 * windows sized to the data (see slicing.ts): the run's whole range at first
 * (at most `slice_hours`), split when a response is too big or too slow.
 */
export function exportDataSource(config: LoadConfig, client: IterableClient, run: RunContext): Source {
  const c = config.in;
  const dataTypeName = c.export_data_type as string;
  const params: { -readonly [K in keyof Omit<ExportParams, "range" | "window">]: ExportParams[K] } = { dataTypeName };
  if (c.only_fields !== undefined) params.onlyFields = c.only_fields;
  if (c.omit_fields !== undefined) params.omitFields = c.omit_fields;
  if (c.campaign_id !== undefined) params.campaignId = c.campaign_id;

  if (c.use_date_range) {
    const range = resolveDateRange(c.date_range);
    const slice: SourceSlice = {
      id: `range:${range}`,
      label: `range ${range}`,
      cursor: null,
      read: (o) => client.exportJsonBatches({ ...params, range }, o),
      readRuns: (o) => client.exportJsonRuns({ ...params, range }, o),
    };
    return { endpoint: "export/data.json", slices: fixedPlan([slice]), epochMillisFields: false, description: `export ${dataTypeName} range=${range}` };
  }

  const [range] = windowsOf(c, run, Number.POSITIVE_INFINITY);
  const limits = slicingLimitsOf(c);
  const windows = new AdaptiveWindows(range, limits, run.density);
  const timeOf = timeReader(timeFieldOf(dataTypeName));
  const sliceOf = (window: TimeWindow): SourceSlice => {
    const from = formatRfc3339(window.start);
    const to = formatRfc3339(window.end);
    const slice: SourceSlice = {
      id: `${from}/${to}`,
      label: `${from} → ${to}`,
      // A lookback's first windows end before the cursor: the cursor never moves back.
      cursor: configDiffFor(Math.max(window.end, run.cursorStart ?? Number.NEGATIVE_INFINITY)),
      read: (o) => client.exportJsonBatches({ ...params, window }, o),
      readRuns: (o) => client.exportJsonRuns({ ...params, window }, o),
      timeOf,
    };
    if (splittable(window)) slice.limits = { maxRecords: limits.maxRecords, maxResponseMs: limits.maxResponseMs };
    return slice;
  };
  let current: { window: TimeWindow; slice: SourceSlice } | undefined;
  const windowOf = (slice: SourceSlice): TimeWindow => {
    if (current?.slice !== slice) throw new Error(`slice ${slice.id} is not the plan's current slice`);
    return current.window;
  };
  const plan: SlicePlan = {
    next() {
      const window = windows.next();
      if (window === undefined) return undefined;
      if (current === undefined || current.window.start !== window.start || current.window.end !== window.end) {
        current = { window, slice: sliceOf(window) };
      }
      return current.slice;
    },
    committed(slice, outcome) {
      windows.committed(windowOf(slice), outcome.records, outcome.responseMs);
    },
    split(slice, info) {
      windows.split(windowOf(slice), info);
      return plan.next() as SourceSlice;
    },
    remaining: () => windows.remaining(),
    exact: false,
    density: () => windows.density,
  };
  const bound = [
    c.slice_hours === undefined ? undefined : `${c.slice_hours} h`,
    `${limits.maxRecords.toLocaleString("en-US")} records`,
    `${c.max_slice_seconds} s a response`,
  ].filter((x) => x !== undefined);
  const description =
    range === undefined
      ? `export ${dataTypeName}: nothing new to import (the window is empty)`
      : `export ${dataTypeName} ${formatRfc3339(range.start)} → ${formatRfc3339(range.end)} in windows sized to the data ` +
        `(at most ${bound.join(", ")} each${run.density === undefined ? "" : `; last seen ${Math.round(run.density.recordsPerHour).toLocaleString("en-US")} records/h`})`;
  return { endpoint: "export/data.json", slices: plan, epochMillisFields: false, description };
}
