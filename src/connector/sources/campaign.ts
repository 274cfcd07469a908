import type { Campaign, CampaignMetrics, IterableClient, TimeWindow } from "../../iterable/index.js";
import type { LoadConfig } from "../config.js";
import { configDiffFor } from "../plan.js";
import { formatRfc3339 } from "../timestamp.js";
import { fixedPlan, windowsOf, type RunContext, type Source, type SourceRecord } from "./source.js";

/**
 * Whether a metric label names money, an average, a rate or a per-mille
 * (`Revenue`, `Average Order Value`, `Open Rate`, `Purchases / M (Email)`,
 * `Sum of Custom Conversions`): Iterable writes these `0` or `0.0` until a
 * campaign earns something, so a sample cannot tell that they are decimals.
 */
export function isFractionalMetricLabel(label: string): boolean {
  return /\brevenue\b|\baverage\b|\brate\b|^sum of\b|\/\s*m\b/i.test(label);
}

/**
 * `campaign`: every campaign (or `campaign_ids`) joined with its metrics,
 * fetched `number_of_ids_for_each_request` ids per request (design §3). With
 * start_time the metrics cover the window `[start, end)` and rows carry
 * `window_start`/`window_end`; incremental runs move the window on. One slice:
 * campaigns are a snapshot. Metric labels written as decimals (`16.0`) or
 * naming a fractional metric go to `doubleFields` as they are read.
 */
export function campaignSource(config: LoadConfig, client: IterableClient, run: RunContext): Source {
  const c = config.in;
  let window: TimeWindow | undefined;
  if (c.start_time !== undefined || run.cursorStart !== undefined) {
    window = windowsOf(c, run, Number.POSITIVE_INFINITY)[0];
    if (window === undefined) {
      return { endpoint: "campaigns/metrics", slices: fixedPlan([]), epochMillisFields: true, description: "campaigns: the metrics window is empty" };
    }
  }
  const wanted = c.campaign_ids !== undefined && c.campaign_ids.length > 0 ? new Set(c.campaign_ids) : undefined;
  const perRequest = c.number_of_ids_for_each_request;
  const windowText = window ? ` metrics ${formatRfc3339(window.start)} → ${formatRfc3339(window.end)}` : " lifetime metrics";
  const doubleFields = new Set<string>();
  const onDecimalLabels = (labels: readonly string[]): void => {
    for (const label of labels) doubleFields.add(label);
  };
  return {
    endpoint: "campaigns/metrics",
    epochMillisFields: true,
    doubleFields,
    description: `campaigns${wanted ? ` ${[...wanted].join(",")}` : " (all)"} with${windowText}, ${perRequest} id(s) per metrics request`,
    slices: fixedPlan([
      {
        id: window ? `campaigns:${formatRfc3339(window.start)}/${formatRfc3339(window.end)}` : "campaigns",
        label: window ? `campaigns${windowText}` : "campaigns",
        cursor: window && c.incremental ? configDiffFor(window.end) : null,
        async *read(o) {
          const campaigns: Campaign[] = [];
          for await (const campaign of client.campaigns(o)) {
            if (!wanted || wanted.has(campaign.id)) campaigns.push(campaign);
          }
          for (let i = 0; i < campaigns.length; i += perRequest) {
            const batch = campaigns.slice(i, i + perRequest);
            const metrics = new Map<number, CampaignMetrics>();
            const params = window ? { campaignIds: batch.map((b) => b.id), window } : { campaignIds: batch.map((b) => b.id) };
            for await (const m of client.campaignMetrics(params, { ...o, onDecimalLabels })) {
              metrics.set(m.id, m);
              for (const label in m) if (label !== "id" && isFractionalMetricLabel(label)) doubleFields.add(label);
            }
            yield batch.map((campaign) => joinMetrics(campaign, metrics.get(campaign.id), window));
          }
        },
      },
    ]),
  };
}

function joinMetrics(campaign: Campaign, metrics: CampaignMetrics | undefined, window: TimeWindow | undefined): SourceRecord {
  const record: SourceRecord = { ...campaign };
  if (metrics) {
    for (const [label, value] of Object.entries(metrics)) if (label !== "id") record[label] = value;
  }
  if (window) {
    record["window_start"] = formatRfc3339(window.start);
    record["window_end"] = formatRfc3339(window.end);
  }
  return record;
}
