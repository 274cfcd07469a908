/**
 * A cron pattern in words, for people (the status page): `every day at 00:10`,
 * `every 5 minutes`, `every hour at :30 on Monday to Friday`. Pure; worded from
 * the values each field allows (CronSpec.fields), so nicknames and names read
 * like their numbers. A pattern the wording does not cover reads as itself
 * (`cron "…"`): never wrong, at worst plain.
 */
import { parseCron } from "./cron.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

const two = (n: number): string => String(n).padStart(2, "0");

/** How a field's allowed values read: all of them, every k-th from the first of the range, or a list. */
type Shape = { kind: "all" } | { kind: "step"; step: number } | { kind: "list"; values: readonly number[] };

function shapeOf(values: readonly number[], min: number, max: number): Shape {
  const size = max - min + 1;
  if (values.length === size) return { kind: "all" };
  const step = (values[1] ?? 0) - (values[0] ?? 0);
  const even = values.length > 2 && values[0] === min && values.every((v, i) => v === min + i * step) && max - (values.at(-1) ?? 0) < step;
  return even ? { kind: "step", step } : { kind: "list", values };
}

/** `a, b and c`. */
function listing(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1) ?? ""}`;
}

/** Consecutive runs of a sorted list as `a to b`, others listed: `Monday to Friday`, `1, 15 and 28`. */
function runs(values: readonly number[], name: (v: number) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && (values[j + 1] ?? 0) === (values[j] ?? 0) + 1) j++;
    if (j - i >= 2) parts.push(`${name(values[i] ?? 0)} to ${name(values[j] ?? 0)}`);
    else for (let k = i; k <= j; k++) parts.push(name(values[k] ?? 0));
    i = j + 1;
  }
  return listing(parts);
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

/** The time-of-day part; undefined when the wording does not cover it. */
function timePart(second: readonly number[], minute: readonly number[], hour: readonly number[]): string | undefined {
  const s = shapeOf(second, 0, 59);
  const m = shapeOf(minute, 0, 59);
  const h = shapeOf(hour, 0, 23);
  const sec = second.length === 1 && second[0] !== 0 ? `:${two(second[0] ?? 0)}` : "";
  if (second.length !== 1) {
    // Seconds matter only when the rest is every minute of every hour.
    if (m.kind !== "all" || h.kind !== "all") return undefined;
    if (s.kind === "all") return "every second";
    if (s.kind === "step") return `every ${s.step} seconds`;
    return `every minute at second ${listing(second.map(String))}`;
  }
  const hours = h.kind === "all" ? "" : h.kind === "step" ? ` of every ${ordinal(h.step)} hour` : ` from ${two(hour[0] ?? 0)}:00 to ${two(hour.at(-1) ?? 0)}:59`;
  const contiguousHours = h.kind === "list" && hour.every((v, i) => v === (hour[0] ?? 0) + i);
  if (minute.length === 1 && sec === "" && m.kind === "list" && h.kind === "list" && hour.length <= 6) {
    return `at ${listing(hour.map((x) => `${two(x)}:${two(minute[0] ?? 0)}`))}`;
  }
  if (minute.length === 1 && m.kind === "list" && h.kind === "list" && hour.length === 1) return `at ${two(hour[0] ?? 0)}:${two(minute[0] ?? 0)}${sec}`;
  if (h.kind === "list" && !contiguousHours) return undefined;
  if (m.kind === "all") return `every minute${hours}`;
  if (m.kind === "step") return `every ${m.step} minutes${hours}`;
  if (minute.length === 1 && h.kind === "step") return `every ${h.step} hours at :${two(minute[0] ?? 0)}${sec}`;
  if (minute.length === 1) return `every hour at :${two(minute[0] ?? 0)}${sec}${hours.replace(" of every", ", every")}`;
  if (minute.length <= 4) return `every hour at ${listing(minute.map((x) => `:${two(x)}`))}${hours.replace(" of every", ", every")}`;
  return undefined;
}

/** The day part (`every day`, `on Monday to Friday`, `on the 1st of every month`); undefined when not covered. */
function dayPart(dayOfMonth: readonly number[], month: readonly number[], dayOfWeek: readonly number[], dayOr: boolean): string | undefined {
  const allDom = dayOfMonth.length === 31;
  const allDow = dayOfWeek.length === 7;
  const allMonths = month.length === 12;
  const months = allMonths ? "" : ` in ${runs(month, (v) => MONTHS[v - 1] ?? String(v))}`;
  if (dayOr) return `on the ${listing(dayOfMonth.map(ordinal))} of ${allMonths ? "every month" : "the month"} and on ${runs(dayOfWeek, (v) => DAYS[v] ?? String(v))}${months}`;
  if (allDom && allDow) return allMonths ? "every day" : `every day${months}`;
  if (allDom) return `on ${runs(dayOfWeek, (v) => DAYS[v] ?? String(v))}${months}`;
  if (allDow) return `on the ${listing(dayOfMonth.map(ordinal))} of ${allMonths ? "every month" : months.slice(4)}`;
  return undefined;
}

/**
 * `pattern` in words, with its zone: `every day at 00:10 Asia/Tokyo`. `""`
 * (no schedule) reads `no schedule (runs only when asked)`; a pattern that
 * cannot be parsed reads as itself.
 */
export function describeCron(pattern: string, timezone: string): string {
  if (pattern.trim() === "") return "no schedule (runs only when asked)";
  let spec;
  try {
    spec = parseCron(pattern);
  } catch {
    return `cron "${pattern}" ${timezone}`;
  }
  const fields = spec.fields;
  const time = timePart(fields.second, fields.minute, fields.hour);
  const day = dayPart(fields.dayOfMonth, fields.month, fields.dayOfWeek, spec.dayOr);
  if (time === undefined || day === undefined) return `cron "${pattern.trim()}" ${timezone}`;
  // "every 5 minutes every day" says "every day" once too often: intervals name the days only when restricted.
  const interval = time.startsWith("every");
  const words = interval ? (day === "every day" ? time : `${time} ${day}`) : `${day} ${time}`;
  return `${words} ${timezone}`;
}
