/**
 * Slots as people read them, for CLI output: `2026-03-08 03:00:00 EDT (-04:00)`.
 * The wall time and offset come from the zone rules the scheduler already
 * keeps (ZoneRules: no formatter per call); the abbreviation from luxon, kept
 * per zone, offset and year — a listing of 10,000 schedules words thousands
 * of instants, and luxon builds an Intl.DateTimeFormat for each `ZZZZ`.
 * test/unit/schedule/describe.test.ts holds it to luxon's own wording.
 */
import { DateTime } from "luxon";
import { ZoneCache } from "./zone-rules.js";

export interface SlotDescription {
  /** `2026-03-08 03:00:00 EDT (-04:00)`; zones without an abbreviation show the offset only. */
  readonly local: string;
  /** `2026-03-08 07:00:00 UTC`. */
  readonly utc: string;
}

const zones = new ZoneCache();
const abbreviations = new Map<string, string>();
const MAX_ABBREVIATIONS = 10_000;

/** The zone's abbreviation at an instant (`EST`, or `GMT+9` where it has none), kept per zone, offset and year. */
function abbreviationOf(zone: string, offset: number, ms: number): string {
  const key = `${zone}\u0000${offset}\u0000${new Date(ms).getUTCFullYear()}`;
  let abbreviation = abbreviations.get(key);
  if (abbreviation === undefined) {
    abbreviation = DateTime.fromMillis(ms, { zone, locale: "en-US" }).toFormat("ZZZZ");
    if (abbreviations.size >= MAX_ABBREVIATIONS) abbreviations.clear();
    abbreviations.set(key, abbreviation);
  }
  return abbreviation;
}

const two = (n: number): string => String(n).padStart(2, "0");

/** `yyyy-MM-dd HH:mm:ss` of the UTC fields of `ms`. */
function wallText(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** `+05:30`, `-04:00`, `+00:00`. */
function offsetText(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/** An instant in a zone and in UTC. Throws ScheduleError for a bad zone. */
export function describeSlot(ms: number, tz: string): SlotDescription {
  const rules = zones.get(tz);
  const offset = rules.offsetAt(ms);
  const abbreviation = abbreviationOf(rules.name, offset, ms);
  const named = /^(GMT|UTC)[+-]/.test(abbreviation) ? "" : ` ${abbreviation}`;
  return {
    // The wall clock to the second; the offset in whole minutes toward zero (a local mean time of -3:30:52 reads -03:30).
    local: `${wallText(ms + offset)}${named} (${offsetText(Math.trunc(offset / 60_000))})`,
    utc: `${wallText(ms)} UTC`,
  };
}
