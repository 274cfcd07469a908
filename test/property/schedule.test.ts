/**
 * Hostile cron patterns, time zones and schedule files: a spec, a canonical
 * zone, a loaded schedule, or a clear error; never a crash, hang or half-load.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { dump } from "js-yaml";
import { DateTime } from "luxon";
import { afterAll, describe, expect, it } from "vitest";
import { ItdError } from "../../src/errors.js";
import {
  loadScheduleFiles,
  nextSlot,
  nextSlots,
  parseCron,
  ScheduleError,
  slotsBetween,
  validateTimezone,
  type CronSpec,
} from "../../src/schedule/index.js";

const SEED = 20261129;

function tryCron(pattern: string): CronSpec | ScheduleError {
  const started = performance.now();
  try {
    return parseCron(pattern);
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    expect(err.message.startsWith("cron ")).toBe(true);
    return err;
  } finally {
    expect(performance.now() - started).toBeLessThan(10_000); // a hang guard (the quadratic bug took ~56 s), not a performance figure
  }
}

const ZONES = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "Pacific/Apia", "America/Santiago", "Asia/Tehran", "Africa/Casablanca"];

const num = fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: -5, max: 100_000 }), fc.constantFrom(2 ** 31, 2 ** 53, 1e21, -0));
const name = fc.constantFrom("jan", "FEB", "Mar", "dec", "sun", "MON", "sat", "xyz", "L", "W", "#", "?", "LW", "5L", "2#3");
const atom = fc.oneof(
  { weight: 3, arbitrary: num.map(String) },
  { weight: 1, arbitrary: name },
  { weight: 2, arbitrary: fc.constant("*") },
  { weight: 2, arbitrary: fc.tuple(num, num).map(([a, b]) => `${a}-${b}`) },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(fc.constant("*"), num.map(String), fc.tuple(num, num).map(([a, b]) => `${a}-${b}`)), num).map(([a, s]) => `${a}/${s}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 3 }) },
);
const field = fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join(","));
const nearValid = fc
  .tuple(fc.array(field, { minLength: 0, maxLength: 8 }), fc.constantFrom(" ", "  ", "\t", " \u00a0 ", "\n", "\u3000"))
  .map(([fields, sep]) => fields.join(sep));
const nickname = fc.constantFrom("@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight", "@reboot", "@HOURLY", "@", "@daily *");

/** Patterns that parse, each field drawn in range, with the matcher's own view of them. */
const validPattern = fc
  .record({
    sec: fc.constantFrom("", "0 ", "*/15 ", "30 "),
    minute: fc.oneof(fc.constant("*"), fc.integer({ min: 0, max: 59 }).map(String), fc.integer({ min: 1, max: 30 }).map((s) => `*/${s}`), fc.constant("0,30")),
    hour: fc.oneof(fc.constant("*"), fc.integer({ min: 0, max: 23 }).map(String), fc.constant("1,13"), fc.constant("2-3"), fc.integer({ min: 1, max: 12 }).map((s) => `*/${s}`)),
    dom: fc.oneof(fc.constant("*"), fc.integer({ min: 1, max: 31 }).map(String), fc.constant("1,15")),
    month: fc.oneof(fc.constant("*"), fc.integer({ min: 1, max: 12 }).map(String), fc.constant("3,11")),
    dow: fc.oneof(fc.constant("*"), fc.integer({ min: 0, max: 7 }).map(String), fc.constant("1-5")),
  })
  .map((p) => `${p.sec}${p.minute} ${p.hour} ${p.dom} ${p.month} ${p.dow}`);

/** Whether `n` is in a cron field as written (the simple forms validPattern draws). */
function inField(text: string, n: number, min: number, max: number): boolean {
  return text.split(",").some((part) => {
    if (part === "*") return true;
    const step = /^\*\/(\d+)$/.exec(part);
    if (step) return (n - min) % Number(step[1]) === 0;
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) return n >= Number(range[1]) && n <= Number(range[2]);
    const v = Number(part);
    return v === n || (max === 7 && v === 7 && n === 0);
  });
}

describe("cron patterns against hostile input", () => {
  it("random strings end in a spec or a ScheduleError quoting the pattern", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ maxLength: 10_000 })), (s) => {
        tryCron(s);
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it("near-valid patterns (field counts, out-of-range and huge numbers, step 0, names, backwards ranges, odd spaces) end in a spec or a ScheduleError", () => {
    let specs = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: nearValid }, { weight: 1, arbitrary: nickname }), (s) => {
        const r = tryCron(s);
        if (r instanceof ScheduleError) return;
        specs++;
        // a parsed spec must be usable: slots come fast and in order
        const started = performance.now();
        const slots = nextSlots(r, "UTC", Date.UTC(2026, 0, 1), 3);
        expect(performance.now() - started).toBeLessThan(10_000); // a hang guard (the quadratic bug took ~56 s), not a performance figure
        for (let i = 1; i < slots.length; i++) expect(slots[i]).toBeGreaterThan(slots[i - 1] as number);
      }),
      { numRuns: 2000, seed: SEED },
    );
    expect(specs).toBeGreaterThan(50);
  });

  it("valid patterns: 5 slots strictly increasing, after `from`, each matching the fields in the zone, and slotsBetween agrees", () => {
    fc.assert(
      fc.property(validPattern, fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2037, 0, 1) }), (pattern, tz, from) => {
        const spec = tryCron(pattern);
        if (spec instanceof ScheduleError) {
          expect(spec.message).toMatch(/never fires/); // e.g. day 31 of September
          return;
        }
        const slots = nextSlots(spec, tz, from, 5);
        const [sec, minute, hour, dom, month, dow] = pattern.split(" ").length === 6 ? pattern.split(" ") : ["0", ...pattern.split(" ")];
        let prev = from;
        for (const s of slots) {
          expect(s).toBeGreaterThan(prev);
          prev = s;
          const local = DateTime.fromMillis(s, { zone: tz });
          const fixed = !/[*/]/.test(`${minute}${hour}`) && !/[*/]/.test(sec ?? "");
          // fixed-time patterns may fire right after a DST gap instead of at a skipped wall time
          if (!fixed) {
            expect(inField(sec as string, local.second, 0, 59)).toBe(true);
            expect(inField(minute as string, local.minute, 0, 59)).toBe(true);
            expect(inField(hour as string, local.hour, 0, 23)).toBe(true);
          }
          expect(inField(month as string, local.month, 1, 12)).toBe(true);
          const domOk = inField(dom as string, local.day, 1, 31);
          const dowOk = inField(dow as string, local.weekday % 7, 0, 7);
          // cron: when both day fields are restricted, either may match
          if (dom !== "*" && dow !== "*") expect(domOk || dowOk).toBe(true);
          else expect(domOk && dowOk).toBe(true);
        }
        if (slots.length === 5) {
          const last = slots[4] as number;
          expect(slotsBetween(spec, tz, from, last, 10)).toEqual(slots);
          let t = from;
          const iterated: number[] = [];
          for (let i = 0; i < 5; i++) {
            const n = nextSlot(spec, tz, t);
            if (n === undefined) break;
            iterated.push(n);
            t = n;
          }
          expect(iterated).toEqual(slots);
        }
      }),
      { numRuns: 400, seed: SEED },
    );
  });
});

describe("time zones against hostile input", () => {
  function tryZone(tz: string): string | ScheduleError {
    try {
      const z = validateTimezone(tz);
      expect(new Intl.DateTimeFormat("en-US", { timeZone: z }).resolvedOptions().timeZone).toBeTruthy();
      return z;
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
      expect(err.message.length).toBeGreaterThan(0);
      return err;
    }
  }

  it("random strings, abbreviations, offsets, case variants and unicode end in an IANA name or a ScheduleError", () => {
    const variants = fc.constantFrom(...Intl.supportedValuesOf("timeZone"), "PST", "CST", "EST", "JST", "GMT", "Z", "UTC", "utc", "Etc/UTC", "etc/utc", "asia/kolkata", "+09:00", "-0530", "UTC+9", "GMT-3", "EST5EDT", "Asia/Tokyo\u0000", "Ａsia/Tokyo", "Asia//Tokyo", "../../etc/passwd", " Asia/Tokyo ");
    const mangled = fc.tuple(variants, fc.constantFrom("lower", "upper", "same", "pad")).map(([z, how]) => (how === "lower" ? z.toLowerCase() : how === "upper" ? z.toUpperCase() : how === "pad" ? ` ${z}\t` : z));
    fc.assert(
      fc.property(fc.oneof(mangled, fc.string(), fc.string({ unit: "grapheme" }), fc.string({ maxLength: 5000 })), (tz) => {
        const r = tryZone(tz);
        if (typeof r === "string") {
          expect(r).toBe(r.trim());
          expect(["PST", "CST", "EST", "JST"]).not.toContain(r.toUpperCase());
          // the canonical spelling, as the runtime writes it, whenever the runtime keeps the name
          const resolved = new Intl.DateTimeFormat("en-US", { timeZone: r }).resolvedOptions().timeZone;
          if (resolved.toLowerCase() === r.toLowerCase()) expect(r).toBe(resolved);
        }
      }),
      { numRuns: 2000, seed: SEED },
    );
  });
});

describe("schedule files against hostile input", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const checkConfig = (doc: unknown, label: string): void => {
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error(`${label}: expected a mapping`);
  };
  const goodFile = { name: "daily_sends", cron: "0 3 * * *", timezone: "Asia/Tokyo", delay: 0, database: "iterable", table: "sends", config: { in: { type: "iterable" } } };
  const value = fc.anything({ maxDepth: 3, withBigInt: false, withMap: false, withSet: false, withDate: false, withTypedArray: false, withBoxedValues: false, withSparseArray: false, withObjectString: false });
  const mutated = fc
    .array(fc.tuple(fc.constantFrom(...Object.keys(goodFile), "time_column", "priority", "catchup", "paused", "extra", "__proto__"), fc.option(value, { nil: undefined })), { maxLength: 4 })
    .map((edits) => {
      const doc: Record<string, unknown> = structuredClone(goodFile);
      for (const [k, v] of edits) {
        if (v === undefined) delete doc[k];
        else doc[k] = v;
      }
      return doc;
    });
  const fileText = fc.oneof(
    mutated.map((d) => dump(d, { skipInvalid: true })),
    mutated.map((d) => JSON.stringify(d)),
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.constant("a: &a [*a]\nname: x\n"),
    fc.constant(`config: !!binary x\n`),
  );

  it("loadScheduleFiles never throws, and every file is either loaded whole or reported", () => {
    let loaded = 0;
    let reported = 0;
    fc.assert(
      fc.property(fc.array(fileText, { minLength: 1, maxLength: 4 }), (texts) => {
        const dir = mkdtempSync(join(tmpdir(), "itd-prop-sched-"));
        dirs.push(dir);
        texts.forEach((t, i) => writeFileSync(join(dir, `s${i}.yml`), t));
        const started = performance.now();
        const r = loadScheduleFiles(dir, checkConfig);
        expect(performance.now() - started).toBeLessThan(10_000); // a hang guard (the quadratic bug took ~56 s), not a performance figure
        // one outcome per file: loaded or one problem (duplicates of a name are reported too)
        expect(r.schedules.length + r.problems.length).toBe(texts.length);
        for (const p of r.problems) expect(p.startsWith(dir)).toBe(true);
        for (const s of r.schedules) {
          expect(s.name).toBeTruthy();
          expect(s.source.startsWith(dir)).toBe(true);
          expect(() => JSON.stringify(s)).not.toThrow();
        }
        loaded += r.schedules.length;
        reported += r.problems.length;
        rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 300, seed: SEED },
    );
    expect(loaded).toBeGreaterThan(0);
    expect(reported).toBeGreaterThan(0);
  });

  it("an alias bomb or a cycle in a schedule file is reported, not loaded", () => {
    const dir = mkdtempSync(join(tmpdir(), "itd-prop-sched-"));
    dirs.push(dir);
    let bomb = "";
    for (let i = 1; i <= 30; i++) bomb += `  a${i}: &a${i} [*a${i - 1}, *a${i - 1}]\n`;
    writeFileSync(join(dir, "bomb.yml"), `name: bomb\ncron: "0 3 * * *"\ndatabase: iterable\ntable: sends\nconfig:\n  in: {type: iterable}\n  a0: &a0 [1]\n${bomb}`);
    writeFileSync(join(dir, "cycle.yml"), dump({ ...goodFile, name: "cyc" }).replace(/config:\n.*\n.*\n/s, "config: &c {in: *c}\n"));
    const r = loadScheduleFiles(dir, checkConfig);
    expect(r.schedules).toEqual([]);
    expect(r.problems).toEqual([
      `${join(dir, "bomb.yml")}: aliases expand to more than 1,000,000 values; write them out or use fewer aliases`,
      `${join(dir, "cycle.yml")}: an alias refers to a collection that contains it (a cycle)`,
    ]);
  });

  it("every error a user sees from these modules is an ItdError", () => {
    expect(new ScheduleError("x")).toBeInstanceOf(ItdError);
  });
});
