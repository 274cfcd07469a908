/**
 * Issue 15's settings: lookback, dedup_keys, mode upsert and primary_keys —
 * their rules in load.yml, the key each load gets, the records an upsert
 * refuses, the windows a lookback reads, and what guess proposes.
 */
import { describe, expect, it } from "vitest";
import { parseLoadConfig, type LoadConfig } from "../../../src/connector/config.js";
import { createRowConverter } from "../../../src/connector/convert.js";
import { defaultDedupKey, proposedOut, rowMatchOf } from "../../../src/connector/keys.js";
import { planExportWindows } from "../../../src/connector/plan.js";
import { EXPORT_DATA_TYPES } from "../../../src/iterable/types.js";

const ENV = { ITERABLE_API_KEY: "k" };
const HOUR = 3_600_000;

function yml(inLines: string[], outLines: string[] = []): string {
  return [
    "in:", "  type: iterable", "  api_key: ${ITERABLE_API_KEY}", ...inLines.map((l) => `  ${l}`),
    ...(outLines.length > 0 ? ["out:", ...outLines.map((l) => `  ${l}`)] : []), "",
  ].join("\n");
}

const parse = (text: string): LoadConfig => parseLoadConfig(text, "load.yml", ENV);

function problems(text: string): string[] {
  try {
    parse(text);
  } catch (err) {
    return (err as Error).message.split("\n");
  }
  throw new Error("expected the config to fail");
}

const EXPORT = ["data_type: export_data", "export_data_type: emailOpen", "start_time: '2026-01-01T00:00:00Z'"];
const COLUMNS = ["columns:", "- {name: created_at, type: timestamp}", "- {name: message_id, type: string}", "- {name: email, type: string}"];

describe("load.yml: lookback, dedup_keys, upsert", () => {
  it("reads lookback as a duration (0 = none) and refuses what is not one", () => {
    expect(parse(yml([...EXPORT, "incremental: true", "lookback: 6h"])).in.lookback).toBe(6 * HOUR);
    expect(parse(yml([...EXPORT, "incremental: true", "lookback: 90m"])).in.lookback).toBe(90 * 60_000);
    expect(parse(yml([...EXPORT, "incremental: true"])).in.lookback).toBe(0);
    expect(problems(yml([...EXPORT, "incremental: true", "lookback: soon"]))).toContain(
      'load.yml: in.lookback: expected a duration such as 30m, 6h or 2d (a whole number and ms, s, m, h, d or w), or 0; got "soon"',
    );
    expect(problems(yml([...EXPORT, "incremental: true", "lookback: 400d"])).join("\n")).toMatch(/in\.lookback: expected at most a year/);
  });

  it("allows lookback only for incremental export_data into an append or upsert table", () => {
    expect(problems(yml([...EXPORT, "lookback: 6h"])).join("\n")).toMatch(/in\.lookback: allowed only with incremental: true/);
    expect(problems(yml(["data_type: list", "list_id: 3", "lookback: 6h"])).join("\n")).toMatch(/in\.lookback: allowed only when data_type is export_data/);
    expect(problems(yml([...EXPORT, "incremental: true", "lookback: 6h"], ["mode: replace"])).join("\n")).toMatch(
      /in\.lookback: allowed only with out\.mode append or upsert \(mode replace re-reads everything anyway\)/,
    );
  });

  it("asks upsert for primary_keys, and primary_keys for upsert, as columns of the load", () => {
    expect(problems(yml(EXPORT, ["mode: upsert"])).join("\n")).toMatch(/out\.primary_keys: required when mode is upsert/);
    expect(problems(yml(EXPORT, ["primary_keys: [email]"])).join("\n")).toMatch(/out\.primary_keys: allowed only with mode: upsert \(mode is append\)/);
    expect(problems(yml([...EXPORT, ...COLUMNS], ["mode: upsert", "primary_keys: [mail]"])).join("\n")).toMatch(
      /out\.primary_keys: expected columns of in\.columns \(or time\); mail is not/,
    );
    expect(problems(yml([...EXPORT, ...COLUMNS], ["mode: upsert", "primary_keys: [email, email]"])).join("\n")).toMatch(/each once/);
    expect(problems(yml([...EXPORT, "dedup_keys: [message_id]"], ["mode: upsert", "primary_keys: [email]"])).join("\n")).toMatch(
      /in\.dedup_keys: allowed only with out\.mode append \(upsert matches rows by out\.primary_keys\)/,
    );
    expect(parse(yml([...EXPORT, ...COLUMNS], ["mode: upsert", "primary_keys: email"])).out.primary_keys).toEqual(["email"]);
  });

  it("gives each load its key: the type's default for a lookback, dedup_keys over it, primary_keys for upsert", () => {
    const cols = (c: LoadConfig) => c.in.columns ?? [];
    const lookback = parse(yml([...EXPORT, "incremental: true", "lookback: 2h", ...COLUMNS]));
    expect(rowMatchOf(lookback, cols(lookback))).toEqual({ kind: "skip_present", key: ["created_at", "message_id"], keep: true });
    // A key without the record's time gets it first (its index then grows at its end).
    const sends = parse(yml(["data_type: export_data", "export_data_type: emailSend", "start_time: '2026-01-01T00:00:00Z'", "incremental: true", "lookback: 2h", ...COLUMNS]));
    expect(rowMatchOf(sends, cols(sends))).toEqual({ kind: "skip_present", key: ["created_at", "message_id"], keep: true });
    const own = parse(yml([...EXPORT, "incremental: true", "lookback: 2h", "dedup_keys: [message_id]", ...COLUMNS]));
    expect(rowMatchOf(own, cols(own))).toEqual({ kind: "skip_present", key: ["message_id"] });
    const upsert = parse(yml([...EXPORT, ...COLUMNS], ["mode: upsert", "primary_keys: [email]"]));
    expect(rowMatchOf(upsert, cols(upsert))).toEqual({ kind: "upsert", key: ["email"] });
    const plain = parse(yml([...EXPORT, "incremental: true", ...COLUMNS]));
    expect(rowMatchOf(plain, cols(plain))).toEqual({ kind: "insert" });
    // A required key field without a column: refused, naming it.
    const lacking = parse(yml([...EXPORT, "incremental: true", "lookback: 2h", "columns:", "- {name: email, type: string}"]));
    expect(() => rowMatchOf(lacking, cols(lacking))).toThrow(/emailOpen's de-duplication key needs messageId, createdAt, which in\.columns does not read/);
  });

  it("has a default key for every export data type, each with a part that is not optional", () => {
    for (const type of EXPORT_DATA_TYPES) {
      const key = defaultDedupKey(type, true);
      expect(key.length, type).toBeGreaterThan(0);
      expect(key.some((p) => !p.endsWith("?")), type).toBe(true);
    }
    expect(defaultDedupKey("emailSend", true)).toEqual(["messageId"]);
    expect(defaultDedupKey("emailClick", true)).toEqual(["messageId", "createdAt", "url?", "hrefIndex?"]);
    // A messageId that may be null never stands alone: two bounces without one are two records.
    expect(defaultDedupKey("emailBounce", true)).toEqual(["messageId?", "createdAt", "email?", "userId?"]);
  });
});

describe("an upsert's key values", () => {
  const columns = [
    { name: "email", type: "string" as const },
    { name: "city", type: "string" as const },
  ];
  it("makes a record without one invalid: the job fails naming it, or skips it with skip_invalid_records", () => {
    const strict = createRowConverter({ columns, uploadTime: 1, skipInvalidRecords: false, requiredColumns: ["email"] });
    expect(strict.convert({ email: "a@x", city: "Oslo" }, 1)).toEqual(["a@x", "Oslo", 1]);
    expect(() => strict.convert({ city: "Oslo" }, 2)).toThrow("record 2: column email: the primary key needs a value; got none");
    const lenient = createRowConverter({ columns, uploadTime: 1, skipInvalidRecords: true, requiredColumns: ["email"] });
    expect(lenient.convert({ email: null, city: "Oslo" }, 3)).toBeUndefined();
    expect(lenient.skipped).toBe(1);
  });
});

describe("a lookback's windows", () => {
  const base = { start: 0, incremental: true, now: 100 * HOUR, sliceMs: Number.POSITIVE_INFINITY, lookbackMs: 3 * HOUR };
  it("start that much before the cursor, never before start_time", () => {
    expect(planExportWindows({ ...base, cursorStart: 10 * HOUR, scheduledTime: 11 * HOUR }).windows).toEqual([{ start: 7 * HOUR, end: 11 * HOUR }]);
    expect(planExportWindows({ ...base, start: 9 * HOUR, cursorStart: 10 * HOUR, scheduledTime: 11 * HOUR }).windows).toEqual([{ start: 9 * HOUR, end: 11 * HOUR }]);
  });
  it("are none for a run whose slot is not past its cursor (an older slot's catch-up reads nothing)", () => {
    expect(planExportWindows({ ...base, cursorStart: 10 * HOUR, scheduledTime: 10 * HOUR }).windows).toEqual([]);
    expect(planExportWindows({ ...base, cursorStart: 10 * HOUR, scheduledTime: 8 * HOUR }).windows).toEqual([]);
  });
});

describe("guess", () => {
  const seed = (out: string[] = []) =>
    parse(yml(["data_type: export_data", "export_data_type: user", "start_time: '2026-01-01T00:00:00Z'"], out));
  const columns = [
    { name: "email", type: "string" as const },
    { name: "user_id", type: "string" as const },
  ];
  it("takes the profile's update time as the upsert's time when the sample has it", () => {
    const withTime = [...columns, { name: "profile_updated_at", type: "timestamp" as const }];
    expect(proposedOut(seed(), withTime, [{ email: "a@x" }])).toEqual({ mode: "upsert", primary_keys: ["email"], time_column: "profile_updated_at" });
  });
  it("proposes upsert by email for the user export, by user_id when profiles have no email, and keeps a mode the seed chose", () => {
    expect(proposedOut(seed(), columns, [{ email: "a@x", userId: "u1" }])).toEqual({ mode: "upsert", primary_keys: ["email"] });
    expect(proposedOut(seed(), columns, [{ email: null, userId: "u1" }, { email: "b@x", userId: "u2" }])).toEqual({ mode: "upsert", primary_keys: ["user_id"] });
    expect(proposedOut(seed(["mode: append"]), columns, [{ email: "a@x" }])).toEqual({ mode: "append" });
    const events = parse(yml(EXPORT));
    expect(proposedOut(events, columns, [{ email: "a@x" }])).toEqual({ mode: "append" });
  });
});
