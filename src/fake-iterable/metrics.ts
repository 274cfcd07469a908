/**
 * Campaign metrics as GET /api/campaigns/metrics serves them: a CSV whose
 * columns depend on each campaign's medium (a mixed batch gets the union,
 * with empty cells), values deterministic in (seed, campaign, window).
 *
 * Shaped like Iterable's recorded responses: `id`, then the labels in
 * alphabetical order; every value written as a decimal (`0.0`, `16.0`,
 * `19.99`), counts included; Iterable's labels (`Total Web Pushes Sent`,
 * `Total App Uninstalls`, `Total Email Opens (filtered)`, the holdout and
 * send-skip columns); web push has no `/ M` columns. The email, SMS and web
 * push labels are Iterable's; push and in-app ones follow the same pattern
 * (their holdout and send-skip labels are inferred), and one in-app label,
 * `Total In-App Closes ("X", back)`, is the fake's own, so that clients must
 * read quoted CSV headers.
 */
import type { CampaignMetrics } from "../iterable/types.js";
import type { FakeCampaign, Medium } from "./campaigns.js";
import type { GeneratorConfig } from "./options.js";
import { hash32, Rng } from "./prng.js";
import { csvCell } from "./serialize.js";
import { DAY_MS } from "./time.js";
import { worldFor } from "./world.js";

/** What a campaign's metric values are derived from. */
interface Funnel {
  sent: number;
  uniqueSent: number;
  delivered: number;
  uniqueDelivered: number;
  bounced: number;
  uniqueBounced: number;
  skips: number;
  holdout: number;
  opened: number;
  uniqueOpened: number;
  clicked: number;
  uniqueClicked: number;
  /** A small share of delivered (unsubscribes, uninstalls, complaints, inbound SMS) drawn per campaign. */
  few: number;
  purchases: number;
  revenue: number;
  conversions: number;
  conversionValue: number;
}

type Metric = (f: Funnel) => number;

const round2 = (x: number): number => Math.round(x * 100) / 100;
const share = (x: number, s: number): number => Math.round(x * s);
const perMille = (x: number, sent: number): number => (sent > 0 ? round2((x * 1e6) / sent) : 0);

/** Commerce and unsubscribe columns every medium has. */
const COMMON: Record<string, Metric> = {
  "Average Order Value": (f) => (f.purchases > 0 ? round2(f.revenue / f.purchases) : 0),
  Revenue: (f) => f.revenue,
  "Total Purchases": (f) => f.purchases,
  "Unique Purchases": (f) => share(f.purchases, 0.9),
  "Total Unsubscribes": (f) => f.few,
  "Unique Unsubscribes": (f) => share(f.few, 0.9),
};

/** `Purchases / M (X)` and `Revenue / M (X)`: per million sends. */
function perMillion(name: string): Record<string, Metric> {
  return {
    [`Purchases / M (${name})`]: (f) => perMille(f.purchases, f.sent),
    [`Revenue / M (${name})`]: (f) => perMille(f.revenue, f.sent),
  };
}

const MEDIUM_METRICS: Record<Medium, Record<string, Metric>> = {
  Email: {
    ...perMillion("Email"),
    "Average Custom Conversion Value": (f) => (f.conversions > 0 ? round2(f.conversionValue / f.conversions) : 0),
    "Sum of Custom Conversions": (f) => f.conversionValue,
    "Total Custom Conversions": (f) => f.conversions,
    "Unique Custom Conversions": (f) => share(f.conversions, 0.8),
    "Total Complaints": (f) => share(f.few, 0.2),
    "Total Email Holdout": (f) => f.holdout,
    "Total Email Opens": (f) => f.opened,
    "Total Email Opens (filtered)": (f) => share(f.opened, 0.85),
    "Total Email Send Skips": (f) => f.skips,
    "Total Email Sends": (f) => f.sent,
    "Total Emails Bounced": (f) => f.bounced,
    "Total Emails Clicked": (f) => f.clicked,
    "Total Emails Delivered": (f) => f.delivered,
    "Total Hosted Unsubscribe Clicks": (f) => share(f.few, 0.5),
    "Unique Email Clicks": (f) => f.uniqueClicked,
    "Unique Email Opens": (f) => f.uniqueOpened,
    "Unique Email Opens (filtered)": (f) => share(f.uniqueOpened, 0.85),
    "Unique Email Opens Or Clicks": (f) => f.uniqueOpened + share(f.uniqueClicked, 0.1),
    "Unique Email Sends": (f) => f.uniqueSent,
    "Unique Emails Bounced": (f) => f.uniqueBounced,
    "Unique Emails Delivered": (f) => f.uniqueDelivered,
    "Unique Hosted Unsubscribe Clicks": (f) => share(f.few, 0.45),
  },
  Push: {
    ...perMillion("Push"),
    "Total App Uninstalls": (f) => share(f.few, 0.7),
    "Total Push Holdout": (f) => f.holdout,
    "Total Push Send Skips": (f) => f.skips,
    "Total Pushes Bounced": (f) => f.bounced,
    "Total Pushes Delivered": (f) => f.delivered,
    "Total Pushes Opened": (f) => f.opened,
    "Total Pushes Sent": (f) => f.sent,
    "Unique Pushes Opened": (f) => f.uniqueOpened,
    "Unique Pushes Sent": (f) => f.uniqueSent,
  },
  WebPush: {
    "Total Web Push Clicks": (f) => f.clicked,
    "Total Web Push Send Skips": (f) => f.skips,
    "Total Web Pushes Sent": (f) => f.sent,
    "Total WebPush Holdout": (f) => f.holdout,
    "Unique Web Push Clicks": (f) => f.uniqueClicked,
    "Unique Web Pushes Sent": (f) => f.uniqueSent,
  },
  SMS: {
    ...perMillion("SMS"),
    "Total Inbound SMS": (f) => share(f.few, 2),
    "Total SMS Bounced": (f) => f.bounced,
    "Total SMS Clicks": (f) => f.clicked,
    "Total SMS Delivered": (f) => f.delivered,
    "Total SMS Holdout": (f) => f.holdout,
    "Total SMS Send Skips": (f) => f.skips,
    "Total SMS Sent": (f) => f.sent,
    "Unique Inbound SMS": (f) => share(f.few, 1.6),
    "Unique SMS Bounced": (f) => f.uniqueBounced,
    "Unique SMS Clicks": (f) => f.uniqueClicked,
    "Unique SMS Delivered": (f) => f.uniqueDelivered,
    "Unique SMS Sent": (f) => f.uniqueSent,
  },
  InApp: {
    ...perMillion("In-App"),
    "Total In-App Clicks": (f) => f.clicked,
    'Total In-App Closes ("X", back)': (f) => share(f.opened, 0.5),
    "Total In-App Holdout": (f) => f.holdout,
    "Total In-App Opens": (f) => f.opened,
    "Total In-App Send Skips": (f) => f.skips,
    "Total In-App Sends": (f) => f.sent,
    "Unique In-App Clicks": (f) => f.uniqueClicked,
    "Unique In-App Opens": (f) => f.uniqueOpened,
  },
};

/** Labels in Iterable's header order: alphabetical by character code. */
function sortLabels(labels: Iterable<string>): string[] {
  return [...labels].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function byMedium<T>(f: (m: Medium) => T): Record<Medium, T> {
  return { Email: f("Email"), Push: f("Push"), WebPush: f("WebPush"), SMS: f("SMS"), InApp: f("InApp") };
}

const METRICS = byMedium((m): Record<string, Metric> => ({ ...COMMON, ...MEDIUM_METRICS[m] }));
const COLUMNS = byMedium((m): readonly string[] => sortLabels(Object.keys(METRICS[m])));

/** The columns of a medium, in header order (after `id`). */
export function metricColumns(medium: Medium): string[] {
  return [...COLUMNS[medium]];
}

/** A metric value as Iterable writes it: always with a decimal point (`0.0`, `16.0`, `19.99`). */
export function metricText(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** Days of the window that fall in the campaign's year of activity. */
function activeDays(c: FakeCampaign, window: { start?: number; end?: number }): number {
  const from = c.startAt ?? c.createdAt;
  const lo = Math.max(window.start ?? -Infinity, from);
  const hi = Math.min(window.end ?? Infinity, c.endedAt ?? from + 365 * DAY_MS);
  return Math.max(0, hi - lo) / DAY_MS;
}

function funnelOf(seed: number, c: FakeCampaign, window: { start?: number; end?: number }): Funnel {
  const rng = new Rng(hash32(seed, c.id, window.start ?? -1, window.end ?? -1));
  const perDay = 200 + (hash32(seed, c.id, 0x5e) % 5000);
  const sent = Math.round(perDay * activeDays(c, window) * (0.9 + 0.2 * rng.float()));
  const delivered = Math.round(sent * (0.94 + 0.05 * rng.float()));
  const opened = Math.round(delivered * (0.2 + 0.4 * rng.float()));
  const clicked = Math.round((c.messageMedium === "SMS" || c.messageMedium === "WebPush" ? delivered : opened) * (0.03 + 0.15 * rng.float()));
  const purchases = Math.round(clicked * (0.02 + 0.08 * rng.float()));
  const conversions = Math.round(clicked * 0.05 * rng.float());
  return {
    sent,
    uniqueSent: share(sent, 0.98),
    delivered,
    uniqueDelivered: share(delivered, 0.98),
    bounced: sent - delivered,
    uniqueBounced: share(sent - delivered, 0.95),
    skips: Math.round(sent * 0.01 * rng.float()),
    holdout: Math.round(sent * 0.05 * rng.float()),
    opened,
    uniqueOpened: share(opened, 0.7),
    clicked,
    uniqueClicked: share(clicked, 0.8),
    few: Math.round(delivered * 0.002 * rng.float()),
    purchases,
    revenue: round2(purchases * (20 + 130 * rng.float())),
    conversions,
    conversionValue: round2(conversions * (5 + 20 * rng.float())),
  };
}

function campaignMetrics(seed: number, c: FakeCampaign, window: { start?: number; end?: number }): Record<string, number> {
  const funnel = funnelOf(seed, c, window);
  const metrics = METRICS[c.messageMedium];
  const out: Record<string, number> = {};
  for (const label of COLUMNS[c.messageMedium]) out[label] = (metrics[label] as Metric)(funnel);
  return out;
}

export interface MetricsTable {
  /** `id`, then the union of the batch's mediums' columns, in alphabetical order. */
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
  const columns = ["id", ...sortLabels(new Set([...mediums].flatMap((m) => COLUMNS[m])))];
  const rows = campaigns.map((c) => ({ id: c.id, ...campaignMetrics(cfg.seed, c, window) }) as CampaignMetrics);
  return { columns, rows };
}

/** The CSV text of a metrics table (header, then rows; `\n` line ends); `id` is written as an integer. */
export function metricsCsvLines(table: MetricsTable): string[] {
  const header = table.columns.map((c) => csvCell(c, ",")).join(",");
  const rows = table.rows.map((r) =>
    table.columns.map((c, i) => (i === 0 ? String(r.id) : r[c] === undefined ? "" : metricText(r[c] as number))).join(","),
  );
  return [header, ...rows];
}
