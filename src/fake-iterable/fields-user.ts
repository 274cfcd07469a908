/**
 * Generators of the user export's fields: identity from the user index,
 * nested objects flattened to dotted keys (`itblInternal.emailDomain`),
 * int arrays, list memberships that agree with getUsers, and custom fields
 * at the top level.
 */
import { CHANNEL_IDS } from "./campaigns.js";
import type { RecordContext } from "./context.js";
import type { Gen } from "./fields-event.js";
import { hex8 } from "./ids.js";
import { isMember } from "./lists.js";
import { emailDomain, firstName, lastName, phoneOf, placeOf, userEmail, userIdOf } from "./people.js";
import { hash32 } from "./prng.js";
import { exportTime } from "./time.js";
import { SIGNUP_SOURCES } from "./vocab.js";

const USER_SALT = 0x05e4;

/** Seeds the context for user `u` whose profile was updated at `t`. */
export function prepareUser(c: RecordContext, u: number, t: number): void {
  c.user = u;
  c.t = t;
  c.ts = exportTime(t);
  c.rng.reset(hash32(c.cfg.seed, USER_SALT, u));
  c.campaign = undefined;
}

function memberships(c: RecordContext): number[] {
  const ids: number[] = [];
  for (const list of c.world.lists) if (list.listType !== "Suppression" && isMember(c.cfg.seed, list, c.user)) ids.push(list.id);
  return ids;
}

const signup = (c: RecordContext): number => {
  const span = Math.max(0, c.t - c.cfg.dataStart);
  return c.t - Math.floor((hash32(c.cfg.seed, USER_SALT, c.user, 3) % 1000) / 1000 * span / 1000) * 1000;
};

export const USER_CUSTOM_FIELDS: readonly string[] = ["plan", "isVip", "loyaltyPoints", "favoriteCategories", "someDate", "itblDS.predictiveGoals.purchase", "nickname"];

export const USER_FIELDS: Record<string, Gen> = {
  email: (c) => userEmail(c.cfg.seed, c.user),
  userId: (c) => userIdOf(c.cfg.seed, c.user),
  itblUserId: (c) => (c.user % 5 === 0 ? hex8(hash32(c.cfg.seed, c.user, 5)) + hex8(c.user) : undefined),
  signupDate: (c) => exportTime(signup(c)),
  signupSource: (c) => c.rng.pick(SIGNUP_SOURCES),
  profileUpdatedAt: (c) => c.ts,
  emailListIds: memberships,
  subscribedMessageTypeIds: (c) => (c.rng.chance(0.3) ? [47_001] : []),
  unsubscribedChannelIds: (c) => (c.rng.chance(0.1) ? [CHANNEL_IDS.SMS] : []),
  unsubscribedMessageTypeIds: (c) => (c.rng.chance(0.15) ? [47_100, 47_101] : []),
  userListIds: memberships,
  phoneNumber: (c) => phoneOf(c.cfg.seed, c.user),
  whatsAppPhoneNumber: (c) => (c.rng.chance(0.3) ? phoneOf(c.cfg.seed, c.user) : undefined),
  phoneNumberDetails: (c) => ({ carrier: c.rng.pick(["Verizon", "NTT docomo", "Vodafone"]), countryCodeISO: "US", lineType: "MOBILE" }),
  locale: (c) => placeOf(c.cfg.seed, c.user).locale,
  timeZone: (c) => placeOf(c.cfg.seed, c.user).timeZone,
  country: (c) => placeOf(c.cfg.seed, c.user).country,
  region: (c) => placeOf(c.cfg.seed, c.user).region,
  city: (c) => placeOf(c.cfg.seed, c.user).city,
  ip: (c) => `${10 + c.rng.int(200)}.${c.rng.int(256)}.${c.rng.int(256)}.${1 + c.rng.int(254)}`,
  devices: (c) =>
    c.rng.chance(0.6)
      ? [{ token: hex8(hash32(c.cfg.seed, c.user, 11)) + hex8(hash32(c.cfg.seed, c.user, 12)), platform: c.rng.pick(["APNS", "GCM"]), applicationName: "com.example.app", endpointEnabled: true }]
      : [],
  receivedSMSDisclaimer: (c) => c.rng.chance(0.4),
  profile: (c) => ({ tier: c.rng.pick(["bronze", "silver", "gold"]), interests: ["running", "café"], address: { city: placeOf(c.cfg.seed, c.user).city, zip: null } }),
  "itblInternal.emailDomain": (c) => emailDomain(c.cfg.seed, c.user),
  "itblInternal.documentCreatedAt": (c) => exportTime(signup(c)),
  "itblInternal.documentUpdatedAt": (c) => c.ts,
  "itblInternal.isUnknownUser": () => false,
  "itblInternal.phoneCountry": (c) => placeOf(c.cfg.seed, c.user).callingCode,
  "itblInternal.phoneType": (c) => c.rng.pick(["mobile", "landline"]),
  "itblDS.brandAffinityLabel": (c) => c.rng.pick(["Loyal", "Positive", "Neutral", "Negative"]),
  firstName: (c) => firstName(c.cfg.seed, c.user).display,
  lastName: (c) => lastName(c.cfg.seed, c.user).display,
  plan: (c) => c.rng.pick(["free", "pro", "enterprise"]),
  isVip: (c) => (c.rng.chance(0.7) ? c.rng.chance(0.1) : undefined),
  loyaltyPoints: (c) => c.rng.int(50_000),
  favoriteCategories: (c) => (c.rng.chance(0.5) ? ["apparel", "home"] : []),
  someDate: (c) => (c.rng.chance(0.5) ? "2015-11-13" : undefined),
  "itblDS.predictiveGoals.purchase": (c) => (c.rng.chance(0.4) ? Math.round(c.rng.float() * 100) / 100 : undefined),
  nickname: (c) => (c.rng.chance(0.2) ? `${firstName(c.cfg.seed, c.user).display} "the ${c.rng.pick(["great", "tab\there"])}"` : undefined),
};
