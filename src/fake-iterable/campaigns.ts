/**
 * The fake's campaigns: spread, increasing ids; a medium, type and state
 * each; epoch-ms times before the data starts; names and labels with unicode,
 * commas and quotes.
 */
import type { Campaign } from "../iterable/types.js";
import type { FakeList } from "./lists.js";
import type { GeneratorConfig } from "./options.js";
import { hash32, Rng } from "./prng.js";
import { DAY_MS, HOUR_MS } from "./time.js";
import { CAMPAIGN_WORDS, LABELS } from "./vocab.js";

export const MEDIUMS = ["Email", "Push", "WebPush", "SMS", "InApp"] as const;
export type Medium = (typeof MEDIUMS)[number];

/** Channel ids per medium (one marketing channel each, as in a small project). */
export const CHANNEL_IDS: Record<Medium, number> = { Email: 39581, Push: 39583, WebPush: 77694, SMS: 78858, InApp: 39584 };

const CAMPAIGN_SALT = 0xca3;
const MEDIUM_WEIGHTS: readonly Medium[] = ["Email", "Email", "Email", "Email", "Email", "Push", "Push", "WebPush", "SMS", "InApp"];
const BLAST_STATES = ["Finished", "Finished", "Finished", "Running", "Scheduled", "Draft", "Ready", "Aborted", "Archived"];
const TRIGGERED_STATES = ["Running", "Running", "Running", "Draft", "Archived", "Recurring"];

/** A campaign plus what events need to reference it. */
export interface FakeCampaign extends Campaign {
  messageMedium: Medium;
  templateId: number;
  messageTypeId: number;
}

export function buildCampaigns(cfg: GeneratorConfig, lists: readonly FakeList[]): FakeCampaign[] {
  const out: FakeCampaign[] = [];
  const rng = new Rng();
  const standard = lists.filter((l) => l.listType !== "Suppression");
  const suppression = lists.filter((l) => l.listType === "Suppression");
  for (let j = 0; j < cfg.campaigns; j++) {
    rng.reset(hash32(cfg.seed, CAMPAIGN_SALT, j));
    const medium = j < MEDIUMS.length ? MEDIUMS[j] as Medium : rng.pick(MEDIUM_WEIGHTS);
    const type = rng.chance(0.6) ? "Blast" : "Triggered";
    const state = rng.pick(type === "Blast" ? BLAST_STATES : TRIGGERED_STATES);
    const createdAt = cfg.dataStart - 90 * DAY_MS + rng.int(89 * DAY_MS);
    const c: FakeCampaign = {
      id: 2_200_000 + j * 1000 + rng.int(1000),
      name: `${rng.pick(CAMPAIGN_WORDS)} #${j + 1}`,
      type,
      campaignState: state,
      messageMedium: medium,
      createdAt,
      updatedAt: createdAt + rng.int(DAY_MS),
      createdByUserId: `marketer${rng.int(5) + 1}@example.com`,
      templateId: 3_040_000 + j * 1000 + rng.int(1000),
      messageTypeId: 47_000 + MEDIUMS.indexOf(medium) * 100 + rng.int(3),
    };
    if (state !== "Draft" && state !== "Ready") c.startAt = createdAt + rng.int(12 * HOUR_MS);
    if ((state === "Finished" || state === "Aborted") && c.startAt !== undefined) {
      c.endedAt = c.startAt + HOUR_MS + rng.int(DAY_MS);
      c.sendSize = 1000 + rng.int(200_000);
    }
    if (rng.chance(0.4)) c.updatedByUserId = `marketer${rng.int(5) + 1}@example.com`;
    if (type === "Blast" && standard.length > 0) {
      c.listIds = [(rng.pick(standard)).id];
      if (rng.chance(0.3)) c.suppressionListIds = suppression.length > 0 ? [rng.pick(suppression).id] : [];
    } else {
      c.listIds = [];
      c.workflowId = 80_000 + rng.int(5000);
    }
    const labels = rng.int(3);
    if (labels > 0) c.labels = Array.from({ length: labels }, () => rng.pick(LABELS));
    if (state === "Recurring") c.recurringCampaignId = c.id - 1;
    out.push(c);
  }
  return out;
}

/** The campaign as Iterable serves it (without the fake's messageTypeId). */
export function publicCampaign(c: FakeCampaign): Campaign {
  const { messageTypeId: _messageTypeId, ...rest } = c;
  return rest;
}
