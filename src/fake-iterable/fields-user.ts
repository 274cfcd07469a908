/**
 * Generators of the user export's fields: identity from the user index,
 * nested objects flattened to dotted keys (`itblInternal.emailDomain`),
 * int arrays, list memberships that agree with getUsers, and custom fields
 * at the top level. A user's later profile versions keep its identity,
 * signup, phone and lists; they move to the next place, gain loyalty points
 * and redraw the other random fields.
 */
import { CHANNEL_IDS } from "./campaigns.js";
import type { RecordContext } from "./context.js";
import type { Gen } from "./fields-event.js";
import { hex8 } from "./ids.js";
import { isMember } from "./lists.js";
import { emailDomain, firstName, lastName, phoneOf, placeAt, placeOf, userEmail, userIdOf } from "./people.js";
import { hash32 } from "./prng.js";
import { exportTime } from "./time.js";
import { SIGNUP_SOURCES, type Place } from "./vocab.js";

const USER_SALT = 0x05e4;
const VERSION_SALT = 0x7e0000;

/**
 * Seeds the context for profile version `version` of user `u`, written at
 * `t`; the user's first version was written at `firstT` (= t for version 0).
 */
export function prepareUser(c: RecordContext, u: number, version: number, t: number, firstT: number): void {
  c.user = u;
  c.version = version;
  c.t = t;
  c.firstT = firstT;
  c.ts = exportTime(t);
  c.rng.reset(version === 0 ? hash32(c.cfg.seed, USER_SALT, u) : hash32(c.cfg.seed, USER_SALT, u, VERSION_SALT + version));
  c.campaign = undefined;
}

function memberships(c: RecordContext): number[] {
  const ids: number[] = [];
  for (const list of c.world.lists) if (list.listType !== "Suppression" && isMember(c.cfg.seed, list, c.user)) ids.push(list.id);
  return ids;
}

/** The user's signup: before its first profile version (the same for every version). */
const signup = (c: RecordContext): number => {
  const span = Math.max(0, c.firstT - c.cfg.dataStart);
  return c.firstT - Math.floor((hash32(c.cfg.seed, USER_SALT, c.user, 3) % 1000) / 1000 * span / 1000) * 1000;
};

const place = (c: RecordContext): Place => placeAt(c.cfg.seed, c.user, c.version);

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
  locale: (c) => place(c).locale,
  timeZone: (c) => place(c).timeZone,
  country: (c) => place(c).country,
  region: (c) => place(c).region,
  city: (c) => place(c).city,
  ip: (c) => `${10 + c.rng.int(200)}.${c.rng.int(256)}.${c.rng.int(256)}.${1 + c.rng.int(254)}`,
  devices: (c) =>
    c.rng.chance(0.6)
      ? [{ token: hex8(hash32(c.cfg.seed, c.user, 11)) + hex8(hash32(c.cfg.seed, c.user, 12)), platform: c.rng.pick(["APNS", "GCM"]), applicationName: "com.example.app", endpointEnabled: true }]
      : [],
  receivedSMSDisclaimer: (c) => c.rng.chance(0.4),
  profile: (c) => ({ tier: c.rng.pick(["bronze", "silver", "gold"]), interests: ["running", "café"], address: { city: place(c).city, zip: null } }),
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
  // Points only grow: version v holds [50 000·v, 50 000·(v + 1)).
  loyaltyPoints: (c) => c.rng.int(50_000) + 50_000 * c.version,
  favoriteCategories: (c) => (c.rng.chance(0.5) ? ["apparel", "home"] : []),
  someDate: (c) => (c.rng.chance(0.5) ? "2015-11-13" : undefined),
  "itblDS.predictiveGoals.purchase": (c) => (c.rng.chance(0.4) ? Math.round(c.rng.float() * 100) / 100 : undefined),
  nickname: (c) => (c.rng.chance(0.2) ? `${firstName(c.cfg.seed, c.user).display} "the ${c.rng.pick(["great", "tab\there"])}"` : undefined),
};
