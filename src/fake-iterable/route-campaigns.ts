/** GET /api/campaigns (paged or whole) and GET /api/campaigns/metrics (CSV). */
import type { Campaign } from "../iterable/types.js";
import { BadParams } from "./errors.js";
import { metricsCsvLines, metricsFor } from "./metrics.js";
import { dateParam, intParam, listParam } from "./params.js";
import { CSV_GARBAGE, pumpLines, type Route } from "./route.js";
import { campaignsFor } from "./world.js";

const SORT_FIELDS = ["id", "name", "createdAt", "updatedAt", "startAt"] as const;
const MAX_PAGE_SIZE = 1000;

function sorter(sort: string | null): ((a: Campaign, b: Campaign) => number) | undefined {
  if (sort === null) return undefined;
  // A "+" in a query string arrives as a space.
  const t = sort.trim();
  const desc = t.startsWith("-");
  const field = t.replace(/^[-+ ]/, "");
  if (!(SORT_FIELDS as readonly string[]).includes(field)) {
    throw new BadParams(`sort must be one of ${SORT_FIELDS.join(", ")} (prefix - for descending); got "${sort}"`, { sort });
  }
  const key = field as (typeof SORT_FIELDS)[number];
  return (a, b) => {
    const x = a[key] ?? -Infinity;
    const y = b[key] ?? -Infinity;
    const c = x < y ? -1 : x > y ? 1 : a.id - b.id;
    return desc ? -c : c;
  };
}

export const campaigns: Route = async (ctx) => {
  const sp = ctx.params;
  let list = campaignsFor(ctx.cfg);
  const states = listParam(sp, "campaignState");
  if (states.length > 0) list = list.filter((c) => states.includes(c.campaignState));
  const sort = sorter(sp.get("sort"));
  if (sort) list = [...list].sort(sort);
  const paged = sp.has("page") || sp.has("pageSize");
  if (!paged) {
    await ctx.writer.send(200, "application/json", JSON.stringify({ campaigns: list }));
    ctx.stats.records(ctx.endpoint, list.length);
    return;
  }
  const page = intParam(sp, "page") ?? 1;
  const pageSize = intParam(sp, "pageSize") ?? 20;
  if (page < 1) throw new BadParams(`page must be 1 or more; got ${page}`, { page });
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw new BadParams(`pageSize must be from 1 to ${MAX_PAGE_SIZE}; got ${pageSize}`, { pageSize });
  const items = list.slice((page - 1) * pageSize, page * pageSize);
  const link = (p: number): string => {
    const q = new URLSearchParams(sp);
    q.set("page", String(p));
    q.set("pageSize", String(pageSize));
    return `${ctx.baseUrl}/api/campaigns?${q.toString()}`;
  };
  const body: Record<string, unknown> = { campaigns: items, totalCampaignsCount: list.length };
  if (page * pageSize < list.length) body["nextPageUrl"] = link(page + 1);
  if (page > 1) body["previousPageUrl"] = link(Math.min(page - 1, Math.max(1, Math.ceil(list.length / pageSize))));
  await ctx.writer.send(200, "application/json", JSON.stringify(body));
  ctx.stats.records(ctx.endpoint, items.length);
};

export const metrics: Route = async (ctx) => {
  const sp = ctx.params;
  const raw = listParam(sp, "campaignId");
  if (raw.length === 0) throw new BadParams("campaignId is required (repeat it for several campaigns)");
  const ids = raw.map((v) => {
    if (!/^\d+$/.test(v)) throw new BadParams(`campaignId must be an integer; got "${v}"`, { campaignId: v });
    return Number(v);
  });
  const window: { start?: number; end?: number } = {};
  const start = dateParam(sp, "startDateTime");
  const end = dateParam(sp, "endDateTime");
  if (start !== undefined) window.start = start;
  if (end !== undefined) window.end = end;
  if (start !== undefined && end !== undefined && start > end) throw new BadParams("startDateTime must not be after endDateTime");
  const [header, ...rows] = metricsCsvLines(metricsFor(ctx.cfg, ids, window));
  let i = 0;
  await ctx.writer.start(200, { "content-type": "text/plain; charset=utf-8" });
  await pumpLines(ctx, () => rows[i++], { head: header as string, garbage: () => CSV_GARBAGE, garbageAt: rows.length >> 1 });
};
