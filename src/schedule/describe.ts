/** Slots as people read them, for CLI output (luxon; not for hot paths). */
import { DateTime } from "luxon";
import { validateTimezone } from "./timezone.js";

export interface SlotDescription {
  /** `2026-03-08 03:00:00 EDT (-04:00)`; zones without an abbreviation show the offset only. */
  readonly local: string;
  /** `2026-03-08 07:00:00 UTC`. */
  readonly utc: string;
}

/**
 * A zone's abbreviation (`EST`) at an offset in a year: luxon builds an
 * Intl.DateTimeFormat for each `ZZZZ` (~40 µs), and a listing of 10,000
 * schedules asks for the same few, so they are kept.
 */
const abbreviations = new Map<string, string>();
const MAX_ABBREVIATIONS = 10_000;

function abbreviationOf(local: DateTime): string {
  const key = `${local.zoneName ?? ""}\u0000${local.offset}\u0000${local.year}`;
  let abbreviation = abbreviations.get(key);
  if (abbreviation === undefined) {
    abbreviation = local.toFormat("ZZZZ");
    if (abbreviations.size >= MAX_ABBREVIATIONS) abbreviations.clear();
    abbreviations.set(key, abbreviation);
  }
  return abbreviation;
}

/** An instant in a zone and in UTC. Throws ScheduleError for a bad zone. */
export function describeSlot(ms: number, tz: string): SlotDescription {
  const zone = validateTimezone(tz);
  const local = DateTime.fromMillis(ms, { zone, locale: "en-US" });
  const abbreviation = abbreviationOf(local);
  const named = /^(GMT|UTC)[+-]/.test(abbreviation) ? "" : ` ${abbreviation}`;
  return {
    local: `${local.toFormat("yyyy-MM-dd HH:mm:ss")}${named} (${local.toFormat("ZZ")})`,
    utc: `${DateTime.fromMillis(ms, { zone: "utc" }).toFormat("yyyy-MM-dd HH:mm:ss")} UTC`,
  };
}
