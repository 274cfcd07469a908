/**
 * Campaign metrics as GET /api/campaigns/metrics serves them: a CSV whose
 * columns depend on each campaign's medium (a mixed batch gets the union,
 * with empty cells), values deterministic in (seed, campaign, window).
 */
import type { CampaignMetrics } from "../iterable/types.js";
import { MEDIUMS, type FakeCampaign, type Medium } from "./campaigns.js";
import type { GeneratorConfig } from "./options.js";
import { hash32, Rng } from "./prng.js";
import { csvCell } from "./serialize.js";
import { DAY_MS } from "./time.js";
import { worldFor } from "./world.js";

const COMMERCE = ["Total Purchases", "Revenue", "Average Order Value"] as const;

/** Funnel labels per medium: sent, delivered, bounced, opened, unique opened, clicked, unique clicked, then extras. */
interface Funnel {
  sent: string;
  delivered?: string;
  bounced?: string;
  opened?: string;
  uniqueOpened?: string;
  clicked?: string;
  uniqueClicked?: string;
  extra: readonly string[];
  perMillion: string;
}

const FUNNELS: Record<Medium, Funnel> = {
  Email: {
    sent: "Total Email Sends",
    delivered: "Total Emails Delivered",
    bounced: "Total Emails Bounced",
    opened: "Total Email Opens",
    uniqueOpened: "Unique Email Opens",
    clicked: "Total Emails Clicked",
    uniqueClicked: "Unique Email Clicks",
    extra: ["Total Unsubscribes", "Total Complaints"],
    perMillion: "Purchases / M (Email)",
  },
  Push: {
    sent: "Total Pushes Sent",
    delivered: "Total Pushes Delivered",
    bounced: "Total Pushes Bounced",
    opened: "Total Pushes Opened",
    uniqueOpened: "Unique Pushes Opened",
    extra: ["Total Push Uninstalls"],
    perMillion: "Purchases / M (Push)",
  },
  WebPush: {
    sent: "Total Web Push Sends",
    clicked: "Total Web Push Clicks",
    uniqueClicked: "Unique Web Push Clicks",
    extra: [],
    perMillion: "Purchases / M (Web Push)",
  },
  SMS: {
    sent: "Total SMS Sent",
    delivered: "Total SMS Delivered",
    bounced: "Total SMS Bounced",
    clicked: "Total SMS Clicks",
    uniqueClicked: "Unique SMS Clicks",
    extra: ["Total SMS Received"],
    perMillion: "Purchases / M (SMS)",
  },
  InApp: {
    sent: "Total In-App Sends",
    opened: "Total In-App Opens",
    uniqueOpened: "Unique In-App Opens",
    clicked: "Total In-App Clicks",
    uniqueClicked: "Unique In-App Clicks",
    // A label with a comma and quotes, so clients must parse quoted CSV headers.
    extra: ['Total In-App Closes ("X", back)'],
    perMillion: "Purchases / M (In-App)",
  },
};

/** The columns of a medium, in order (after `id`). */
export function metricColumns(medium: Medium): string[] {
  const f = FUNNELS[medium];
  const funnel = [f.sent, f.delivered, f.bounced, f.opened, f.uniqueOpened, f.clicked, f.uniqueClicked].filter(
    (x): x is string => x !== undefined,
  );
  return [...funnel, ...f.extra, ...COMMERCE, f.perMillion];
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Days of the window that fall in the campaign's year of activity. */
function activeDays(c: FakeCampaign, window: { start?: number; end?: number }): number {
  const from = c.startAt ?? c.createdAt;
  const lo = Math.max(window.start ?? -Infinity, from);
  const hi = Math.min(window.end ?? Infinity, c.endedAt ?? from + 365 * DAY_MS);
  return Math.max(0, hi - lo) / DAY_MS;
}

function campaignMetrics(seed: number, c: FakeCampaign, window: { start?: number; end?: number }): Record<string, number> {
  const rng = new Rng(hash32(seed, c.id, window.start ?? -1, window.end ?? -1));
  const f = FUNNELS[c.messageMedium];
  const perDay = 200 + (hash32(seed, c.id, 0x5e) % 5000);
  const sent = Math.round(perDay * activeDays(c, window) * (0.9 + 0.2 * rng.float()));
  const delivered = Math.round(sent * (0.94 + 0.05 * rng.float()));
  const opened = Math.round(delivered * (0.2 + 0.4 * rng.float()));
  const clicked = Math.round((f.opened ? opened : delivered) * (0.03 + 0.15 * rng.float()));
  const purchases = Math.round(clicked * (0.02 + 0.08 * rng.float()));
  const revenue = round2(purchases * (20 + 130 * rng.float()));
  const out: Record<string, number> = { [f.sent]: sent };
  if (f.delivered) out[f.delivered] = delivered;
  if (f.bounced) out[f.bounced] = sent - delivered;
  if (f.opened) out[f.opened] = opened;
  if (f.uniqueOpened) out[f.uniqueOpened] = Math.round(opened * 0.7);
  if (f.clicked) out[f.clicked] = clicked;
  if (f.uniqueClicked) out[f.uniqueClicked] = Math.round(clicked * 0.8);
  for (const label of f.extra) out[label] = Math.round(delivered * 0.002 * rng.float());
  out["Total Purchases"] = purchases;
  out["Revenue"] = revenue;
  out["Average Order Value"] = purchases > 0 ? round2(revenue / purchases) : 0;
  out[f.perMillion] = sent > 0 ? round2((purchases * 1e6) / sent) : 0;
  return out;
}

export interface MetricsTable {
  /** `id`, then the union of the batch's mediums' columns. */
  columns: string[];
  /** One row per known campaign id, in request order (duplicates and unknown ids dropped); a medium's missing columns are absent. */
  rows: CampaignMetrics[];
}

/** The metrics of `campaignIds` over `window` (each end optional; none = the campaign's lifetime). */
export function metricsFor(cfg: GeneratorConfig, campaignIds: readonly number[], window: { start?: number; end?: number } = {}): MetricsTable {
  const world = worldFor(cfg);
  const seen = new Set<number>();
  const campaigns: FakeCampaign[] = [];
  for (const id of campaignIds) {
    const c = world.campaignsById.get(id);
    if (c && !seen.has(id)) {
      seen.add(id);
      campaigns.push(c);
    }
  }
  const mediums = new Set(campaigns.map((c) => c.messageMedium));
  const columns = ["id", ...new Set(MEDIUMS.filter((m) => mediums.has(m)).flatMap(metricColumns))];
  const rows = campaigns.map((c) => ({ id: c.id, ...campaignMetrics(cfg.seed, c, window) }) as CampaignMetrics);
  return { columns, rows };
}

/** The CSV text of a metrics table (header, then rows; `\n` line ends). */
export function metricsCsvLines(table: MetricsTable): string[] {
  const header = table.columns.map((c) => csvCell(c, ",")).join(",");
  const rows = table.rows.map((r) => table.columns.map((c) => (r[c] === undefined ? "" : String(r[c]))).join(","));
  return [header, ...rows];
}
