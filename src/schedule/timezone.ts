/**
 * Time zone names: IANA names only. Abbreviations and fixed offsets are refused
 * with the IANA name to use, even when the runtime (Intl) would accept them.
 */
import { ScheduleError } from "./errors.js";

/** Abbreviation → the IANA name(s) most people mean by it. */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  PST: "America/Los_Angeles",
  PDT: "America/Los_Angeles",
  PT: "America/Los_Angeles",
  MST: "America/Denver (or America/Phoenix)",
  MDT: "America/Denver",
  MT: "America/Denver",
  CST: "America/Chicago (or Asia/Shanghai)",
  CDT: "America/Chicago",
  CT: "America/Chicago",
  EST: "America/New_York",
  EDT: "America/New_York",
  ET: "America/New_York",
  AKST: "America/Anchorage",
  AKDT: "America/Anchorage",
  HST: "Pacific/Honolulu",
  AST: "America/Halifax",
  ADT: "America/Halifax",
  NST: "America/St_Johns",
  NDT: "America/St_Johns",
  BRT: "America/Sao_Paulo",
  ART: "America/Argentina/Buenos_Aires",
  WET: "Europe/Lisbon",
  WEST: "Europe/Lisbon",
  BST: "Europe/London",
  IST: "Asia/Kolkata (or Europe/Dublin, Asia/Jerusalem)",
  CET: "Europe/Paris",
  CEST: "Europe/Paris",
  MET: "Europe/Paris",
  EET: "Europe/Athens",
  EEST: "Europe/Athens",
  MSK: "Europe/Moscow",
  SAST: "Africa/Johannesburg",
  CAT: "Africa/Maputo",
  EAT: "Africa/Nairobi",
  WAT: "Africa/Lagos",
  PKT: "Asia/Karachi",
  ICT: "Asia/Bangkok",
  WIB: "Asia/Jakarta",
  SGT: "Asia/Singapore",
  HKT: "Asia/Hong_Kong",
  PHT: "Asia/Manila",
  KST: "Asia/Seoul",
  JST: "Asia/Tokyo",
  AWST: "Australia/Perth",
  ACST: "Australia/Adelaide",
  ACDT: "Australia/Adelaide",
  AEST: "Australia/Sydney",
  AEDT: "Australia/Sydney",
  NZST: "Pacific/Auckland",
  NZDT: "Pacific/Auckland",
};

/** Names without a slash that are fine as they are. */
const PLAIN_OK = new Set(["UTC", "GMT"]);

/** A few whole-zone cities for fixed offsets that have no Etc/GMT name. */
const OFFSET_CITIES: Readonly<Record<string, string>> = {
  "+05:30": "Asia/Kolkata",
  "+05:45": "Asia/Kathmandu",
  "+06:30": "Asia/Yangon",
  "+09:30": "Australia/Adelaide",
  "+03:30": "Asia/Tehran",
  "+04:30": "Asia/Kabul",
  "-03:30": "America/St_Johns",
};

const OFFSET = /^(?:UTC|GMT|Z)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i;

/**
 * Words of IANA names not spelled as capitalised words (`US/Pacific`,
 * `Etc/UCT`, `Brazil/DeNoronha`, `America/Knox_IN`, `Dar_es_Salaam`).
 */
const IRREGULAR_WORDS: ReadonlyMap<string, string> = new Map(
  [
    "US", "NZ", "GB", "PRC", "ROC", "ROK", "UCT", "UTC", "GMT", "CET", "EET", "EST", "HST", "MET", "MST", "WET",
    "EDT", "CDT", "MDT", "PDT", "LHI", "ACT", "NSW", "CHAT", "SU", "W", "IN",
    "DeNoronha", "EasterIsland", "BajaNorte", "BajaSur", "ComodRivadavia", "McMurdo", "DumontDUrville",
    "es", "of", "au",
  ].map((w) => [w.toLowerCase(), w]),
);

/**
 * The IANA spelling of a name the runtime knows only as an alias, so cannot
 * spell for us (`asia/kolkata` → `Asia/Kolkata`): each word capitalised, but
 * for the irregular ones. Pure.
 */
export function ianaCase(name: string): string {
  return name.replace(/[A-Za-z]+/g, (w) => IRREGULAR_WORDS.get(w.toLowerCase()) ?? `${w.charAt(0).toUpperCase()}${w.slice(1).toLowerCase()}`);
}

function refuse(tz: string, why: string): never {
  throw new ScheduleError(`timezone ${JSON.stringify(tz)}: ${why}`);
}

function offsetHint(sign: string, hours: number, minutes: number): string {
  const key = `${sign}${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
  if (minutes === 0 && hours <= 14) {
    const etc = hours === 0 ? "Etc/UTC" : `Etc/GMT${sign === "+" ? "-" : "+"}${hours}`;
    return `use an IANA name such as ${etc} (note the inverted sign) or a city in that zone`;
  }
  const city = OFFSET_CITIES[key];
  return `use an IANA name such as ${city ?? "a city in that zone (Area/City)"}`;
}

/**
 * Checks an IANA time zone name and returns it in its canonical spelling
 * (`asia/tokyo` → `Asia/Tokyo`, `asia/kolkata` → `Asia/Kolkata`). A link keeps
 * its own name (`Asia/Calcutta` stays, `us/pacific` → `US/Pacific`); it is
 * not rewritten to the zone it links to. Throws ScheduleError for
 * abbreviations, fixed offsets and unknown names, with the name to use instead.
 * Names already checked are answered from a cache (a listing of 10,000
 * schedules asks for the same few zones over and over; each check builds an
 * Intl.DateTimeFormat).
 */
export function validateTimezone(tz: string): string {
  const known = checked.get(tz);
  if (known !== undefined) return known;
  const valid = checkTimezone(tz);
  if (checked.size >= MAX_CHECKED) checked.clear();
  checked.set(tz, valid);
  return valid;
}

/** Zone names checked valid, as given → canonical. */
const checked = new Map<string, string>();
const MAX_CHECKED = 1_000;

function checkTimezone(tz: string): string {
  const name = tz.trim();
  if (name === "") refuse(tz, "empty; use an IANA name such as UTC or Asia/Tokyo");
  const offset = OFFSET.exec(name);
  if (offset !== null) {
    const [, sign = "+", hours = "0", minutes = "0"] = offset;
    refuse(tz, `fixed offsets are not time zones; ${offsetHint(sign, Number(hours), Number(minutes))}`);
  }
  const upper = name.toUpperCase();
  if (!name.includes("/") && !PLAIN_OK.has(upper)) {
    const known = ABBREVIATIONS[upper];
    if (known !== undefined) refuse(tz, `abbreviations are ambiguous; use an IANA name such as ${known}`);
    if (/^[A-Z]{2,5}$/.test(name) || /^[A-Z]{3,4}\d[A-Z]{3,4}$/i.test(name)) {
      refuse(tz, "abbreviations are ambiguous; use an IANA name (Area/City) such as America/New_York");
    }
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return refuse(tz, "unknown IANA time zone (e.g. UTC, Asia/Tokyo, America/New_York)");
  }
  // The runtime's spelling when it is the same name (asia/tokyo → Asia/Tokyo); an
  // alias it maps elsewhere (Asia/Kolkata → Asia/Calcutta, Etc/UTC → UTC) is kept,
  // spelled the IANA way (asia/kolkata → Asia/Kolkata).
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : ianaCase(name);
}
