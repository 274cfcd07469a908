/**
 * Users, derived from their index: emails and userIds (unique per index),
 * display names with unicode, a place, a phone number. Events and the user
 * export draw from the same functions, so they agree on who a user is.
 */
import { hash32 } from "./prng.js";
import { EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, PLACES, type Name, type Place } from "./vocab.js";

const PERSON_SALT = 0x9e75;
const ID_SALT = 0x1d5;

function personHash(seed: number, u: number): number {
  return hash32(seed, PERSON_SALT, u);
}

export function firstName(seed: number, u: number): Name {
  return FIRST_NAMES[personHash(seed, u) % FIRST_NAMES.length] as Name;
}

export function lastName(seed: number, u: number): Name {
  return LAST_NAMES[(personHash(seed, u) >>> 8) % LAST_NAMES.length] as Name;
}

export function emailDomain(seed: number, u: number): string {
  return EMAIL_DOMAINS[(personHash(seed, u) >>> 16) % EMAIL_DOMAINS.length] as string;
}

/** User `u`'s email: ASCII, unique per `u`. */
export function userEmail(seed: number, u: number): string {
  const h = personHash(seed, u);
  const first = FIRST_NAMES[h % FIRST_NAMES.length] as Name;
  const last = LAST_NAMES[(h >>> 8) % LAST_NAMES.length] as Name;
  return `${first.ascii}.${last.ascii}${u}@${EMAIL_DOMAINS[(h >>> 16) % EMAIL_DOMAINS.length] as string}`;
}

/** User `u`'s userId, or null for the ~15% of users known only by email. */
export function userIdOf(seed: number, u: number): string | null {
  return hash32(seed, ID_SALT, u) % 100 < 85 ? `u-${u}` : null;
}

export function placeOf(seed: number, u: number): Place {
  return PLACES[(personHash(seed, u) >>> 20) % PLACES.length] as Place;
}

/** Where user `u` lives at profile version `version`: placeOf at 0, then the next place at each update (a move). */
export function placeAt(seed: number, u: number, version: number): Place {
  return PLACES[(((personHash(seed, u) >>> 20) % PLACES.length) + version) % PLACES.length] as Place;
}

/** An E.164 phone number for user `u` (fictional ranges). */
export function phoneOf(seed: number, u: number): string {
  const place = placeOf(seed, u);
  const digits = String(5550000000 + (hash32(seed, ID_SALT, u, 2) % 9999999)).slice(0, 10);
  return `+${place.callingCode}${digits}`;
}
