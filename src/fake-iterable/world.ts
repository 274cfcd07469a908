/**
 * The metadata of one configuration (campaigns, lists, campaigns by medium),
 * built once and cached: requests share it instead of rebuilding it.
 */
import type { Campaign, IterableList } from "../iterable/types.js";
import { buildCampaigns, MEDIUMS, publicCampaign, type FakeCampaign, type Medium } from "./campaigns.js";
import { buildLists, publicList, type FakeList } from "./lists.js";
import type { GeneratorConfig } from "./options.js";

export interface World {
  campaigns: readonly FakeCampaign[];
  campaignsById: ReadonlyMap<number, FakeCampaign>;
  byMedium: Readonly<Record<Medium, readonly FakeCampaign[]>>;
  lists: readonly FakeList[];
  listsById: ReadonlyMap<number, FakeList>;
  /** Users' emails, filled as events need them ("" = not yet; users below EMAIL_CACHE_USERS only). */
  emails: string[];
  /** Users' userIds likewise ("" = not yet; null = none). */
  userIds: (string | null)[];
}

/** Emails of users with a lower index are cached (about 50 MB at most). */
export const EMAIL_CACHE_USERS = 1 << 20;

const cache = new Map<string, World>();
const CACHE_SIZE = 8;

export function worldFor(cfg: GeneratorConfig): World {
  const key = `${cfg.seed}|${cfg.users}|${cfg.campaigns}|${cfg.lists}|${cfg.dataStart}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const lists = buildLists(cfg);
  const campaigns = buildCampaigns(cfg, lists);
  const byMedium = Object.fromEntries(MEDIUMS.map((m) => [m, campaigns.filter((c) => c.messageMedium === m)])) as Record<
    Medium,
    FakeCampaign[]
  >;
  const world: World = {
    campaigns,
    campaignsById: new Map(campaigns.map((c) => [c.id, c])),
    byMedium,
    lists,
    listsById: new Map(lists.map((l) => [l.id, l])),
    emails: new Array<string>(Math.min(Math.max(cfg.users, 1), EMAIL_CACHE_USERS)).fill(""),
    userIds: new Array<string | null>(Math.min(Math.max(cfg.users, 1), EMAIL_CACHE_USERS)).fill(""),
  };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, world);
  return world;
}

/** Every campaign of this configuration, in id order, as served by GET /api/campaigns. */
export function campaignsFor(cfg: GeneratorConfig): Campaign[] {
  return worldFor(cfg).campaigns.map(publicCampaign);
}

/** Every list of this configuration, as served by GET /api/lists. */
export function listsFor(cfg: GeneratorConfig): IterableList[] {
  return worldFor(cfg).lists.map(publicList);
}
