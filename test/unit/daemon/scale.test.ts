/**
 * 10,000 schedules over one simulated hour. The expected number of fires is
 * found by brute force — every minute, its wall time from Intl, matched by a
 * tiny matcher written for these patterns — not by the slot calculator.
 */
import { afterEach, describe, expect, it } from "vitest";
import { at, def, harness, type Harness } from "./helpers.js";

interface Kind {
  readonly cron: string;
  readonly timezone: string;
  readonly delay: number;
}

const KINDS: readonly Kind[] = [
  { cron: "*/5 * * * *", timezone: "UTC", delay: 0 },
  { cron: "0 * * * *", timezone: "America/New_York", delay: 120 },
  { cron: "30 2 * * *", timezone: "Asia/Kolkata", delay: 0 },
  { cron: "15,45 * * * *", timezone: "Asia/Tokyo", delay: 60 },
  { cron: "*/7 * * * *", timezone: "UTC", delay: 0 },
  { cron: "45 16 * * 1-5", timezone: "America/New_York", delay: 0 },
  { cron: "0 9 * * *", timezone: "UTC", delay: 0 },
  { cron: "10-20 * * * *", timezone: "Europe/London", delay: 300 },
  { cron: "*/10 * * * 0", timezone: "Asia/Tokyo", delay: 0 },
];

const START = at("2026-06-15T20:30:30Z"); // a Monday in New York, Tuesday in Tokyo
const END = START + 3_600_000;
const COUNT = 10_000;

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function fieldMatches(field: string, value: number): boolean {
  return field.split(",").some((part) => {
    if (part === "*") return true;
    const step = /^\*\/(\d+)$/.exec(part);
    if (step) return value % Number(step[1]) === 0;
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) return value >= Number(range[1]) && value <= Number(range[2]);
    return Number(part) === value;
  });
}

/** Whether minute `t` (epoch ms) matches a 5-field pattern (no day-of-month or month restrictions) in `timeZone`. */
function matchesAt(kind: Kind, t: number): boolean {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: kind.timezone, hourCycle: "h23", hour: "2-digit", minute: "2-digit", weekday: "short" }).formatToParts(t);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
  const [minute, hour, , , dow] = kind.cron.split(" ") as [string, string, string, string, string];
  return fieldMatches(minute, Number(get("minute"))) && fieldMatches(hour, Number(get("hour"))) && fieldMatches(dow, WEEKDAYS.indexOf(get("weekday")));
}

/** Slots S > START (schedules never run start from now) with S + delay ≤ END. */
function expectedFires(kind: Kind): number {
  let n = 0;
  for (let t = Math.ceil(START / 60_000) * 60_000; t + kind.delay * 1000 <= END; t += 60_000) if (matchesAt(kind, t)) n++;
  return n;
}

let h: Harness | undefined;
afterEach(() => h?.scheduler.stop());

describe("10,000 schedules", () => {
  it("builds the heap at start-up and fires exactly the expected slots over one simulated hour", async () => {
    h = harness(START);
    const defs = Array.from({ length: COUNT }, (_, i) => {
      const kind = KINDS[i % KINDS.length] ?? KINDS[0];
      return def(`s${String(i).padStart(5, "0")}`, kind?.cron ?? "", { timezone: kind?.timezone ?? "UTC", delay: kind?.delay ?? 0, priority: (i % 5) - 2 });
    });

    const t0 = performance.now();
    h.scheduler.setSchedules(defs);
    const startup = performance.now() - t0;
    expect(h.scheduler.size).toBe(COUNT);

    const perKind = KINDS.map(expectedFires);
    const expected = KINDS.reduce((sum, _, k) => sum + (perKind[k] ?? 0) * Math.ceil((COUNT - k) / KINDS.length), 0);

    void h.scheduler.start();
    const t1 = performance.now();
    await h.runTo(END);
    const hour = performance.now() - t1;
    console.log(
      `scheduler scale: start-up of ${COUNT} schedules ${startup.toFixed(1)} ms; one simulated hour, ${h.store.claims.length} fires, ${hour.toFixed(0)} ms (fires per kind: ${perKind.join(", ")})`,
    );

    expect(h.store.claims).toHaveLength(expected);
    expect(new Set(h.store.claims.map((c) => `${c.schedule}@${c.slot}`)).size).toBe(expected);
    expect(h.fired().every((e) => e.lateMs === 0)).toBe(true);
    expect(h.events.filter((e) => e.type === "skip" || e.type === "error")).toEqual([]);
  });

  it("reloads 10,000 unchanged schedules without asking the store again", () => {
    h = harness(START);
    const defs = Array.from({ length: COUNT }, (_, i) => def(`s${i}`, "*/5 * * * *"));
    h.scheduler.setSchedules(defs);
    const calls = h.store.lastSlotCalls;
    const t0 = performance.now();
    h.scheduler.setSchedules(defs);
    console.log(`scheduler scale: reload of ${COUNT} unchanged schedules ${(performance.now() - t0).toFixed(1)} ms`);
    expect(h.store.lastSlotCalls).toBe(calls);
    expect(h.scheduler.size).toBe(COUNT);
  });
});
