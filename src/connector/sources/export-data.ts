import type { ExportParams, IterableClient } from "../../iterable/index.js";
import type { LoadConfig } from "../config.js";
import { resolveDateRange } from "../config-schema.js";
import { configDiffFor } from "../plan.js";
import { formatRfc3339 } from "../timestamp.js";
import { windowsOf, type RunContext, type Source, type SourceSlice } from "./source.js";

const HOUR = 3_600_000;

/** `export_data`: GET /api/export/data.json, one slice per window (design §3). */
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
    };
    return { endpoint: "export/data.json", slices: [slice], epochMillisFields: false, description: `export ${dataTypeName} range=${range}` };
  }

  const windows = windowsOf(c, run, c.slice_hours * HOUR);
  const slices = windows.map((window): SourceSlice => {
    const from = formatRfc3339(window.start);
    const to = formatRfc3339(window.end);
    return {
      id: `${from}/${to}`,
      label: `${from} → ${to}`,
      cursor: configDiffFor(window.end),
      read: (o) => client.exportJsonBatches({ ...params, window }, o),
    };
  });
  const first = windows[0];
  const last = windows[windows.length - 1];
  const description =
    first && last
      ? `export ${dataTypeName} ${formatRfc3339(first.start)} → ${formatRfc3339(last.end)} in ${slices.length} slice(s)`
      : `export ${dataTypeName}: nothing new to import (the window is empty)`;
  return { endpoint: "export/data.json", slices, epochMillisFields: false, description };
}
