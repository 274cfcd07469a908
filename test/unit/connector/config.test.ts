import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  IN_KEY_ALIASES,
  inFields,
  inSectionSchema,
  outFields,
  retryOptionsOf,
  timeoutOptionsOf,
} from "../../../src/connector/config-schema.js";
import { LoadConfigError } from "../../../src/connector/config-errors.js";
import {
  loadConfigWarnings,
  mergeConfigDiff,
  parseLoadConfig,
  readLoadConfigFile,
  serializeLoadConfig,
  setConfigKeys,
  type LoadConfig,
} from "../../../src/connector/config.js";
import { ConfigError } from "../../../src/errors.js";
import { DEFAULT_RETRY, EXPORT_DATA_TYPES } from "../../../src/iterable/types.js";

const SECRET = "s3cr3t-api-key-value-0123456789";
const ENV = { ITERABLE_API_KEY: SECRET };

/** A load.yml with the given `in` lines (indented by the helper) and optional extra top-level text. */
function yml(inLines: string, rest = ""): string {
  const body = inLines
    .trim()
    .split("\n")
    .map((l) => `  ${l.trim()}`)
    .join("\n");
  return `in:\n  type: iterable\n  api_key: \${ITERABLE_API_KEY}\n${body}\n${rest}`;
}

function parse(text: string, env: Record<string, string | undefined> = ENV): LoadConfig {
  return parseLoadConfig(text, "load.yml", env);
}

/** The problem lines of a config that must fail. */
function problems(text: string, env: Record<string, string | undefined> = ENV): string[] {
  try {
    parse(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(LoadConfigError);
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as LoadConfigError;
    expect(e.message).toBe(e.problems.join("\n"));
    return [...e.problems];
  }
  throw new Error("expected the config to be rejected");
}

const EXPORT = "data_type: export_data\nexport_data_type: emailSend\nstart_time: 2024-01-01T00:00:00Z";

describe("load.yml keys and defaults", () => {
  test("a minimal campaign config gets every default", () => {
    const c = parse(yml(""));
    expect(c.in).toEqual({
      type: "iterable",
      api_key: SECRET,
      region: "us",
      data_type: "campaign",
      campaign_ids: [],
      prefer_user_id: false,
      incremental: false,
      number_of_ids_for_each_request: 20,
      use_date_range: false,
      date_range: "today",
      omit_fields: [],
      only_fields: [],
      retry_limit: DEFAULT_RETRY.retryLimit,
      initial_retry_wait: DEFAULT_RETRY.initialRetryWait,
      max_retry_wait: DEFAULT_RETRY.maxRetryWait,
      skip_invalid_records: false,
      lookback: 0,
      max_slice_records: 1_000_000,
      max_slice_seconds: 600,
    });
    expect(c.out).toEqual({ mode: "append" });
    expect(c.exec).toEqual({});
    expect(c.filters).toEqual([]);
    expect(c.apiKeyEnv).toBe("ITERABLE_API_KEY");
  });

  test("every key of an export_data config is read", () => {
    const c = parse(
      yml(`
        region: eu
        base_url: http://127.0.0.1:8080/
        data_type: export_data
        export_data_type: emailOpen
        incremental: true
        start_time: '2024-01-01T08:51:00Z'
        end_time: '2024-12-01T08:51:00.123456789Z'
        omit_fields: 'ip, userAgent'
        campaign_id: '42'
        retry_limit: 0
        initial_retry_wait: 100
        max_retry_wait: 200
        columns:
        - {name: created_at, type: timestamp, format: 'yyyy-MM-dd HH:mm:ss xxx'}
        - {name: email, type: string, src: email}
        skip_invalid_records: true
        slice_hours: 6
        connect_timeout: 10
        response_timeout: 60
        idle_timeout: 30`),
    );
    expect(c.in).toMatchObject({
      region: "eu",
      base_url: "http://127.0.0.1:8080",
      data_type: "export_data",
      export_data_type: "emailOpen",
      incremental: true,
      start_time: Date.UTC(2024, 0, 1, 8, 51),
      end_time: Date.UTC(2024, 11, 1, 8, 51, 0, 123),
      omit_fields: ["ip", "userAgent"],
      only_fields: [],
      campaign_id: 42,
      retry_limit: 0,
      initial_retry_wait: 100,
      max_retry_wait: 200,
      columns: [
        { name: "created_at", type: "timestamp", format: "yyyy-MM-dd HH:mm:ss xxx" },
        { name: "email", type: "string", src: "email" },
      ],
      skip_invalid_records: true,
      slice_hours: 6,
      connect_timeout: 10,
      response_timeout: 60,
      idle_timeout: 30,
    });
    expect(retryOptionsOf(c.in)).toEqual({ retryLimit: 0, initialRetryWait: 100, maxRetryWait: 200 });
    expect(timeoutOptionsOf(c.in)).toEqual({ connect: 10_000, headers: 60_000, idle: 30_000 });
  });

  test("a campaign config reads campaign_ids and number_of_ids_for_each_request", () => {
    const c = parse(yml("campaign_ids: '1, 2,3'\nnumber_of_ids_for_each_request: 5"));
    expect(c.in.campaign_ids).toEqual([1, 2, 3]);
    expect(c.in.number_of_ids_for_each_request).toBe(5);
  });

  test("a list config reads list_id as a number or a numeric string, and prefer_user_id", () => {
    expect(parse(yml("data_type: list\nlist_id: 123")).in.list_id).toBe(123);
    const c = parse(yml("data_type: list\nlist_id: '456'\nprefer_user_id: true"));
    expect(c.in.list_id).toBe(456);
    expect(c.in.prefer_user_id).toBe(true);
  });

  test("campaign_ids accepts a list, one number, a blank value or nothing", () => {
    expect(parse(yml("campaign_ids: [7, '8']")).in.campaign_ids).toEqual([7, 8]);
    expect(parse(yml("campaign_ids: 9")).in.campaign_ids).toEqual([9]);
    expect(parse(yml("campaign_ids: ''")).in.campaign_ids).toEqual([]);
    expect(parse(yml("campaign_ids:")).in.campaign_ids).toEqual([]);
  });

  test("campaign_ids with something that is not an id is refused", () => {
    expect(problems(yml("campaign_ids: '1,x'"))).toEqual([
      'load.yml: in.campaign_ids: expected campaign ids: a comma-separated string or a list of positive integers; got "1,x"',
    ]);
    expect(problems(yml("campaign_ids: [1, -2]"))).toHaveLength(1);
  });

  test("only_fields accepts a list and omit_fields a comma string", () => {
    const c = parse(yml(`${EXPORT}\nonly_fields: [email, createdAt]`));
    expect(c.in.only_fields).toEqual(["email", "createdAt"]);
    expect(parse(yml(`${EXPORT}\nomit_fields: 'a,,b '`)).in.omit_fields).toEqual(["a", "b"]);
  });

  test("date_range accepts TD's and Iterable's spellings", () => {
    const range = (v: string): string => parse(yml(`${EXPORT.split("\nstart_time")[0]}\nuse_date_range: true\ndate_range: ${v}`)).in.date_range;
    expect(range("today")).toBe("today");
    expect(range("Yesterday")).toBe("yesterday");
    expect(range("BeforeToday")).toBe("before_today");
    expect(range("before_today")).toBe("before_today");
    expect(range("All")).toBe("all");
    expect(problems(yml("date_range: tomorrow"))).toEqual([
      'load.yml: in.date_range: expected one of today, yesterday, before_today, all; got "tomorrow"',
    ]);
  });

  test("every Iterable export type is accepted, and emailUnsubscribe means emailUnSubscribe", () => {
    for (const t of EXPORT_DATA_TYPES) {
      expect(parse(yml(`data_type: export_data\nexport_data_type: ${t}\nuse_date_range: true`)).in.export_data_type).toBe(t);
    }
    const c = parse(yml("data_type: export_data\nexport_data_type: emailUnsubscribe\nuse_date_range: true"));
    expect(c.in.export_data_type).toBe("emailUnSubscribe");
  });

  test("an unknown export type lists the valid ones and suggests the closest", () => {
    const [line, ...more] = problems(yml("data_type: export_data\nexport_data_type: emailOpne\nuse_date_range: true"));
    expect(more).toEqual([]);
    expect(line).toMatch(/^load\.yml: in\.export_data_type: expected one of Iterable's export data types: emailSend, emailOpen, /);
    expect(line).toContain("whatsAppUsageInfo (did you mean emailOpen?)");
    expect(line).toMatch(/; got "emailOpne"$/);
  });

  test("start_date and end_date are aliases of start_time and end_time", () => {
    const c = parse(yml("data_type: export_data\nexport_data_type: user\nstart_date: 2024-01-01T00:00:00Z\nend_date: 2024-02-01T00:00:00Z"));
    expect(c.in.start_time).toBe(Date.UTC(2024, 0, 1));
    expect(c.in.end_time).toBe(Date.UTC(2024, 1, 1));
    expect(c.in).not.toHaveProperty("start_date");
    expect(c.in).not.toHaveProperty("end_date");
    expect(Object.keys(IN_KEY_ALIASES)).toEqual(["start_date", "end_date"]);
  });

  test("giving both names of one time is an error", () => {
    expect(problems(yml(`${EXPORT}\nstart_date: 2024-01-01T00:00:00Z`))).toEqual([
      'load.yml: in.start_date: not allowed together with start_time (its alias): give one; got "2024-01-01T00:00:00Z"',
    ]);
    expect(problems(yml(`${EXPORT}\nend_time: 2024-03-01T00:00:00Z\nend_date: 2024-03-01T00:00:00Z`))).toEqual([
      'load.yml: in.end_date: not allowed together with end_time (its alias): give one; got "2024-03-01T00:00:00Z"',
    ]);
  });

  test.each([
    ["2024-01-01T08:51:00Z", Date.UTC(2024, 0, 1, 8, 51)],
    ["2024-01-01T08:51:00.5Z", Date.UTC(2024, 0, 1, 8, 51, 0, 500)],
    ["2024-01-01T08:51:00.123456789Z", Date.UTC(2024, 0, 1, 8, 51, 0, 123)],
    ["2014-10-02T15:01:23", Date.UTC(2014, 9, 2, 15, 1, 23)],
    ["2024-01-01T09:51:00+01:00", Date.UTC(2024, 0, 1, 8, 51)],
    ["2024-01-01", Date.UTC(2024, 0, 1)],
  ])("start_time %s is read as UTC epoch ms", (text, ms) => {
    expect(parse(yml(`data_type: export_data\nexport_data_type: user\nstart_time: '${text}'`)).in.start_time).toBe(ms);
  });

  test.each(["2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "yesterday", "2024-01-01T00:00:00.1234567890Z", "1704067200"])(
    "start_time %s is refused",
    (text) => {
      expect(problems(yml(`data_type: export_data\nexport_data_type: user\nstart_time: '${text}'`))).toEqual([
        `load.yml: in.start_time: expected an RFC 3339 UTC time such as 2024-01-01T08:51:00Z; got "${text}"`,
      ]);
    },
  );

  test("number_of_ids_for_each_request must be an integer from 1 to 20", () => {
    expect(problems(yml("number_of_ids_for_each_request: 21"))).toEqual([
      "load.yml: in.number_of_ids_for_each_request: expected an integer from 1 to 20; got 21",
    ]);
    expect(problems(yml("number_of_ids_for_each_request: 0"))).toHaveLength(1);
    expect(problems(yml("number_of_ids_for_each_request: 2.5"))).toEqual([
      "load.yml: in.number_of_ids_for_each_request: expected an integer from 1 to 20; got 2.5",
    ]);
    expect(parse(yml("number_of_ids_for_each_request: 1")).in.number_of_ids_for_each_request).toBe(1);
  });

  test("the describe() of number_of_ids_for_each_request explains the default of 20", () => {
    expect(inFields.number_of_ids_for_each_request.description).toMatch(/10 metrics requests per minute/);
  });

  test("every in and out key has a description", () => {
    for (const [key, schema] of [...Object.entries(inFields), ...Object.entries(outFields)]) {
      expect(schema.description, key).toMatch(/\w/);
    }
  });

  test("slice_hours must be from 1 to 8760", () => {
    expect(problems(yml("slice_hours: 0"))).toEqual(["load.yml: in.slice_hours: expected an integer from 1 to 8760; got 0"]);
    expect(parse(yml("slice_hours: 8760")).in.slice_hours).toBe(8760);
  });

  test("slice_hours is unset by default (windows sized to the data); max_slice_records and max_slice_seconds are bounded", () => {
    expect(parse(yml("")).in.slice_hours).toBeUndefined();
    expect(problems(yml("max_slice_records: 0"))).toEqual(["load.yml: in.max_slice_records: expected an integer from 1 to 1000000000; got 0"]);
    expect(problems(yml("max_slice_seconds: 86401"))).toEqual(["load.yml: in.max_slice_seconds: expected an integer from 1 to 86400; got 86401"]);
    expect(parse(yml("max_slice_records: 5000\nmax_slice_seconds: 30")).in).toMatchObject({ max_slice_records: 5000, max_slice_seconds: 30 });
  });

  test("retry waits: max_retry_wait below initial_retry_wait is an error, also against the default", () => {
    expect(problems(yml("initial_retry_wait: 500\nmax_retry_wait: 100"))).toEqual([
      "load.yml: in.max_retry_wait: expected at least initial_retry_wait (500); got 100",
    ]);
    expect(problems(yml("initial_retry_wait: 200000"))).toEqual([
      `load.yml: in.max_retry_wait: expected at least initial_retry_wait (200000); got nothing`,
    ]);
    expect(problems(yml("retry_limit: -1"))).toEqual(["load.yml: in.retry_limit: expected an integer of at least 0; got -1"]);
  });

  test("region must be us or eu", () => {
    expect(problems(yml("region: asia"))).toEqual(['load.yml: in.region: expected one of us, eu; got "asia"']);
  });

  test("base_url must be an http(s) URL", () => {
    expect(problems(yml("base_url: ftp://example.com"))).toEqual([
      'load.yml: in.base_url: expected an http(s) URL; got "ftp://example.com"',
    ]);
    expect(parse(yml("base_url: https://proxy.example.com/iterable")).in.base_url).toBe("https://proxy.example.com/iterable");
  });

  test("type must be iterable and is required", () => {
    expect(problems("in:\n  type: s3\n  api_key: x\n")).toEqual(['load.yml: in.type: expected iterable; got "s3"']);
    expect(problems("in:\n  api_key: x\n")).toEqual(["load.yml: in.type: expected iterable; got nothing"]);
  });

  test("booleans must be true or false", () => {
    expect(problems(yml("incremental: 'yes'"))).toEqual(['load.yml: in.incremental: expected true or false; got "yes"']);
  });

  test("an unknown key lists the allowed keys and suggests the closest", () => {
    const [line] = problems(yml("regoin: eu"));
    expect(line).toMatch(/^load\.yml: in\.regoin: unknown key \(did you mean region\?\); allowed keys: type, api_key, region, /);
    expect(problems(yml("dataType: list"))[0]).toContain("(did you mean data_type?)");
    expect(problems(yml("zzzzzzzz: 1"))[0]).toMatch(/^load\.yml: in\.zzzzzzzz: unknown key; allowed keys: /);
    expect(problems(yml("toString: 1\nconstructor: 2"))).toHaveLength(2);
  });
});

describe("the in section schema on its own", () => {
  test("applies defaults, folds aliases and checks the cross-field rules", () => {
    const ok = inSectionSchema.parse({ type: "iterable", api_key: "k", data_type: "export_data", export_data_type: "user", start_date: "2024-01-01" });
    expect(ok.start_time).toBe(Date.UTC(2024, 0, 1));
    expect(ok).not.toHaveProperty("start_date");
    const bad = inSectionSchema.safeParse({ type: "iterable", api_key: "k", data_type: "list" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["list_id", "required when data_type is list; expected a list id (a positive integer)"],
    ]);
  });
});

describe("in.columns", () => {
  test("columns need unique [a-z0-9_] names and a known type", () => {
    expect(
      problems(
        yml(`
          columns:
          - {name: id, type: long}
          - {name: id, type: string}`),
      ),
    ).toEqual(['load.yml: in.columns[1].name: expected a name no other column has (columns[0] has it); got "id"']);
    expect(problems(yml("columns:\n- {name: Id, type: long}"))).toEqual([
      'load.yml: in.columns[0].name: expected a column name of [a-z0-9_]; got "Id"',
    ]);
    expect(problems(yml("columns:\n- {name: id, type: int}"))).toEqual([
      'load.yml: in.columns[0].type: expected one of boolean, long, double, string, timestamp, json; got "int"',
    ]);
  });

  test("two columns may not read the same field", () => {
    expect(problems(yml("columns:\n- {name: a, type: long, src: x}\n- {name: b, type: string, src: x}"))).toEqual([
      'load.yml: in.columns[1].src: expected a field no other column reads (columns[0] reads it); got "x"',
    ]);
  });

  test("an empty column list is refused, a missing one is fine", () => {
    expect(problems(yml("columns: []"))).toEqual([
      "load.yml: in.columns: expected at least one column (or no columns: key, to guess them); got an empty list",
    ]);
    expect(parse(yml("")).in.columns).toBeUndefined();
  });

  test("a column with an unknown key is refused", () => {
    expect(problems(yml("columns:\n- {name: a, type: long, colour: red}"))[0]).toMatch(/^load\.yml: in\.columns\[0\]: /);
  });
});

describe("cross-field rules", () => {
  test("export_data needs export_data_type", () => {
    const [line] = problems(yml("data_type: export_data\nuse_date_range: true"));
    expect(line).toMatch(/^load\.yml: in\.export_data_type: required when data_type is export_data; expected one of Iterable's export data types: emailSend, .*; got nothing$/);
  });

  test("list needs list_id", () => {
    expect(problems(yml("data_type: list"))).toEqual([
      "load.yml: in.list_id: required when data_type is list; expected a list id (a positive integer); got nothing",
    ]);
  });

  test("export_data without use_date_range needs start_time", () => {
    expect(problems(yml("data_type: export_data\nexport_data_type: user"))).toEqual([
      "load.yml: in.start_time: required when data_type is export_data and use_date_range is false; expected an RFC 3339 UTC time such as 2024-01-01T08:51:00Z; got nothing",
    ]);
  });

  test("incremental campaign loads need start_time", () => {
    expect(problems(yml("incremental: true"))).toEqual([
      "load.yml: in.start_time: required when incremental is true; expected an RFC 3339 UTC time such as 2024-01-01T08:51:00Z; got nothing",
    ]);
  });

  test("read for its connection only, a seed may lack the keys its data_type needs but not hold a wrong one", () => {
    const only = { connectionOnly: true };
    expect(parseLoadConfig(yml("data_type: list\nregion: eu"), "seed.yml", ENV, only).in).toMatchObject({ data_type: "list", region: "eu", api_key: SECRET });
    expect(parseLoadConfig(yml("data_type: export_data"), "seed.yml", ENV, only).in.data_type).toBe("export_data");
    expect(parseLoadConfig(yml("incremental: true"), "seed.yml", ENV, only).in.incremental).toBe(true);
    expect(() => parseLoadConfig(yml("data_type: list\nregion: mars"), "seed.yml", ENV, only)).toThrow('seed.yml: in.region: expected one of us, eu; got "mars"');
    expect(() => parseLoadConfig(yml("data_type: list\nlist_id: 5\nstart_time: 2024-01-01T00:00:00Z"), "seed.yml", ENV, only)).toThrow(
      "in.start_time: allowed only when data_type is export_data or campaign",
    );
    expect(() => parseLoadConfig(yml("data_type: list"), "seed.yml", {}, only)).toThrow(
      "seed.yml: in.api_key: expected environment variable ITERABLE_API_KEY to hold the API key; got it unset",
    );
  });

  test("use_date_range with start_time or end_time is refused", () => {
    expect(problems(yml(`${EXPORT}\nend_date: 2024-02-01T00:00:00Z\nuse_date_range: true`))).toEqual([
      'load.yml: in.start_time: not allowed with use_date_range: true (Iterable does not say whether a range or dates win); remove it or set use_date_range: false; got "2024-01-01T00:00:00Z"',
      'load.yml: in.end_date: not allowed with use_date_range: true (Iterable does not say whether a range or dates win); remove it or set use_date_range: false; got "2024-02-01T00:00:00Z"',
    ]);
  });

  test("incremental with use_date_range is refused", () => {
    expect(problems(yml("data_type: export_data\nexport_data_type: user\nuse_date_range: true\nincremental: true"))).toEqual([
      "load.yml: in.incremental: not allowed with use_date_range: true (incremental loads need start_time windows); got true",
    ]);
  });

  test("start_time must be before end_time", () => {
    expect(problems(yml(`${EXPORT}\nend_time: 2024-01-01T00:00:00Z`))).toEqual([
      'load.yml: in.end_time: expected a time after start_time; got "2024-01-01T00:00:00Z"',
    ]);
  });

  test("omit_fields and only_fields together are refused", () => {
    expect(problems(yml(`${EXPORT}\nomit_fields: a\nonly_fields: b`))).toEqual([
      'load.yml: in.only_fields: not allowed together with omit_fields: give one of them; got "b"',
    ]);
  });

  test.each([
    ["campaign_ids: 1,2", "list_id: 5\ndata_type: list", 'in.campaign_ids: allowed only when data_type is campaign (data_type is list); got "1,2"'],
    ["list_id: 5", "", "in.list_id: allowed only when data_type is list (data_type is campaign); got 5"],
    ["export_data_type: user", "", 'in.export_data_type: allowed only when data_type is export_data (data_type is campaign); got "user"'],
    ["use_date_range: true", "", "in.use_date_range: allowed only when data_type is export_data (data_type is campaign); got true"],
    ["omit_fields: a", "", 'in.omit_fields: allowed only when data_type is export_data (data_type is campaign); got "a"'],
    ["only_fields: a", "", 'in.only_fields: allowed only when data_type is export_data (data_type is campaign); got "a"'],
    ["campaign_id: 3", "", "in.campaign_id: allowed only when data_type is export_data (data_type is campaign); got 3"],
    ["prefer_user_id: true", "", "in.prefer_user_id: allowed only when data_type is list (data_type is campaign); got true"],
    ["start_time: 2024-01-01T00:00:00Z", "data_type: list\nlist_id: 5", 'in.start_time: allowed only when data_type is export_data or campaign (data_type is list); got "2024-01-01T00:00:00Z"'],
    ["incremental: true", "data_type: list\nlist_id: 5", "in.incremental: allowed only when data_type is export_data or campaign (data_type is list); got true"],
  ])("%s is refused for another data type", (key, others, line) => {
    expect(problems(yml(`${others}\n${key}`))).toEqual([`load.yml: ${line}`]);
  });

  test("a key that failed validation does not also trigger the rules that depend on it", () => {
    expect(problems(yml("data_type: lists\nlist_id: 3"))).toEqual([
      'load.yml: in.data_type: expected one of campaign, list, export_data; got "lists"',
    ]);
    expect(problems(yml("data_type: list\nlist_id: abc"))).toEqual([
      'load.yml: in.list_id: expected a list id (a positive integer); got "abc"',
    ]);
  });
});

describe("out, exec and filters", () => {
  test.each(["append", "replace", "truncate", "replace_on_new_data"])("out.mode %s is accepted", (mode) => {
    expect(parse(yml("", `out:\n  mode: ${mode}\n`)).out.mode).toBe(mode);
  });

  test("an unknown out.mode gets TD's message", () => {
    expect(problems(yml("", "out:\n  mode: merge\n"))).toEqual([
      "load.yml: out.mode: Unknown mode 'merge'. Supported modes are [append, replace, truncate, replace_on_new_data, upsert]",
    ]);
  });

  test("out.time_column is kept and out.type td or sqlite is tolerated", () => {
    const c = parse(yml("", "out: {type: td, mode: replace, time_column: created_at}\n"));
    expect(c.out).toEqual({ type: "td", mode: "replace", time_column: "created_at" });
    expect(problems(yml("", "out: {type: postgresql}\n"))).toEqual([
      'load.yml: out.type: expected one of td, sqlite; got "postgresql"',
    ]);
  });

  test("an unknown out key is refused", () => {
    expect(problems(yml("", "out: {mdoe: append}\n"))[0]).toMatch(/^load\.yml: out\.mdoe: unknown key \(did you mean mode\?\); allowed keys: mode, primary_keys, time_column, type$/);
  });

  test("exec and filters are kept as written", () => {
    const c = parse(yml("", "exec: {max_threads: 4}\nfilters:\n- {type: rename}\n"));
    expect(c.exec).toEqual({ max_threads: 4 });
    expect(c.filters).toEqual([{ type: "rename" }]);
    expect(loadConfigWarnings(c)).toEqual(["load.yml: filters: itd does not apply Embulk filters; 1 ignored"]);
  });

  test("filters must be a list and exec a mapping", () => {
    expect(problems(yml("", "exec: [1]\nfilters: {type: rename}\n"))).toEqual([
      "load.yml: exec: expected a mapping; got a list",
      "load.yml: filters: expected a list; got a mapping",
    ]);
  });
});

describe("normalisation as TD", () => {
  test("a file whose only key is config is unwrapped", () => {
    const c = parse(`config:\n  in:\n    type: iterable\n    api_key: k\n  out: {mode: replace}\n`);
    expect(c.in.api_key).toBe("k");
    expect(c.out.mode).toBe("replace");
    expect(problems(`config:\n  in:\n    type: iterable\n    api_key: k\n    region: mars\n`)).toEqual([
      'load.yml: config.in.region: expected one of us, eu; got "mars"',
    ]);
  });

  test("a key next to config is an error", () => {
    expect(problems(`config:\n  in: {type: iterable, api_key: k}\ndatabase: db\ntable: t\n`)).toEqual([
      "load.yml: config: expected as the only top-level key (its content is the configuration); got it next to database, table",
    ]);
  });

  test("a file without in is wholly the in section", () => {
    const c = parse("type: iterable\napi_key: k\ndata_type: list\nlist_id: 9\n");
    expect(c.in.data_type).toBe("list");
    expect(c.out).toEqual({ mode: "append" });
    expect(c.raw.in).toEqual({ type: "iterable", api_key: "k", data_type: "list", list_id: 9 });
    expect(problems("type: iterable\napi_key: k\nregion: asia\n")).toEqual(['load.yml: region: expected one of us, eu; got "asia"']);
  });

  test("a top-level key other than in, out, exec, filters is an error", () => {
    expect(problems(yml("", "ouy: {mode: append}\n"))).toEqual([
      "load.yml: ouy: unknown top-level key (did you mean out?); allowed: in, out, exec, filters",
    ]);
  });

  test("JSON is read too", () => {
    const c = parse(JSON.stringify({ in: { type: "iterable", api_key: "k", region: "eu" }, out: { mode: "truncate" } }));
    expect(c.in.region).toBe("eu");
    expect(c.out.mode).toBe("truncate");
  });

  test("a document that is not a mapping, or an empty file, is refused", () => {
    expect(problems("- a\n- b\n")).toEqual(["load.yml: expected a mapping with in:, out:, exec:, filters:; got a list"]);
    expect(problems("  \n")).toEqual(["load.yml: the file is empty; expected a mapping with in:, out:, exec:, filters:"]);
    expect(problems("in: [1]\n")).toEqual(["load.yml: in: expected a mapping; got a list"]);
  });
});

describe("errors", () => {
  test("every problem of a file is reported, one line each", () => {
    const lines = problems(`in:
  type: s3
  api_key: k
  region: asia
  data_type: list
  number_of_ids_for_each_request: 50
out: {mode: merge}
`);
    expect(lines).toEqual([
      'load.yml: in.type: expected iterable; got "s3"',
      'load.yml: in.region: expected one of us, eu; got "asia"',
      "load.yml: in.number_of_ids_for_each_request: expected an integer from 1 to 20; got 50",
      "load.yml: in.list_id: required when data_type is list; expected a list id (a positive integer); got nothing",
      "load.yml: out.mode: Unknown mode 'merge'. Supported modes are [append, replace, truncate, replace_on_new_data, upsert]",
    ]);
  });

  test("a YAML syntax error shows the line and column", () => {
    expect(problems("in:\n  type: iterable\n  region: eu: x\n")).toEqual(["load.yml:3:13: bad indentation of a mapping entry"]);
    expect(problems("in:\n  type: iterable\n  type: iterable\n")).toEqual(["load.yml:3:3: duplicated mapping key"]);
  });

  test("a JSON syntax error shows the line and column", () => {
    expect(problems('{\n  "in": {"type": "iterable" "x": 1}\n}')).toEqual(["load.yml:2:29: missed comma between flow collection entries"]);
  });

  test("a missing file says configuration file: PATH not found", async () => {
    await expect(readLoadConfigFile("/nonexistent/load.yml", ENV)).rejects.toThrow(
      "configuration file: /nonexistent/load.yml not found",
    );
  });
});

describe("the API key", () => {
  test("${ENV} is replaced by the variable's value", () => {
    const c = parse(yml(""));
    expect(c.in.api_key).toBe(SECRET);
    expect(c.raw.in.api_key).toBe("${ITERABLE_API_KEY}");
  });

  test("an unset or empty variable is a clear error", () => {
    expect(problems(yml(""), {})).toEqual([
      "load.yml: in.api_key: expected environment variable ITERABLE_API_KEY to hold the API key; got it unset",
    ]);
    expect(problems(yml(""), { ITERABLE_API_KEY: " " })).toEqual([
      "load.yml: in.api_key: expected environment variable ITERABLE_API_KEY to hold the API key; got it empty",
    ]);
  });

  test("a malformed reference is refused", () => {
    expect(problems("in:\n  type: iterable\n  api_key: ${lower-case}\n")).toEqual([
      "load.yml: in.api_key: expected the API key or a whole ${ENV_NAME} reference (letters, digits, `_`); got a string",
    ]);
  });

  test("the key's value never appears in any error", () => {
    const cases = [
      `in:\n  type: iterable\n  api_key: ${SECRET}\n  region: asia\n  data_type: list\n`,
      `in:\n  type: iterable\n  api_kye: ${SECRET}\n`,
      `in:\n  type: iterable\n  api_key: [${SECRET}]\n`,
      `in:\n  type: iterable\n  api_key: '${SECRET}\n`,
      `in:\n  type: iterable\n  api_key: ${SECRET}: x\n`,
      `in:\n  type: iterable\n  api_key: "${SECRET}\${"\n`,
      `{"in": {"type": "iterable", "api_key": "${SECRET}",}`,
      `in:\n  type: iterable\n  api_key: \${ITERABLE_API_KEY}\n  region: '${SECRET}'\n`.replace(`'${SECRET}'`, "asia"),
    ];
    for (const text of cases) {
      const lines = problems(text, ENV);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).not.toContain(SECRET.slice(0, 10));
    }
  });

  test("serialising keeps a ${ENV} reference and redacts a literal key", () => {
    const literal = parse(`in:\n  type: iterable\n  api_key: ${SECRET}\n`);
    expect(serializeLoadConfig(literal, { redact: true })).not.toContain(SECRET);
    expect(serializeLoadConfig(literal, { redact: true })).toContain('api_key: "***"');
    expect(serializeLoadConfig(literal, { redact: false })).toContain(`api_key: ${SECRET}`);
    const ref = parse(yml(""));
    expect(serializeLoadConfig(ref, { redact: true })).toContain('api_key: "${ITERABLE_API_KEY}"');
    expect(serializeLoadConfig(ref, { redact: false })).not.toContain(SECRET);
  });
});

describe("compact YAML output", () => {
  const text = yml(`
    data_type: export_data
    region: eu
    export_data_type: user
    use_date_range: false
    incremental: true
    start_time: '2024-01-01T08:51:00Z'
    end_time: '2024-12-01T08:51:00Z'
    campaign_ids:
    omit_fields: 'a, b'
    columns:
    - {name: signup_date, type: timestamp, format: 'yyyy-MM-dd HH:mm:ss xxx'}
    - {name: user_id, type: long}
    - {name: user_id_2, type: string, src: user_id}`);

  test("is TD's compact form: scalar-only maps in flow style, sections in order in, out, exec, filters", () => {
    const c = parse(`out: {mode: replace}\n${text}exec: {}\n`);
    expect(serializeLoadConfig(c, { redact: true })).toBe(`in:
  type: iterable
  api_key: "\${ITERABLE_API_KEY}"
  data_type: export_data
  region: eu
  export_data_type: user
  use_date_range: false
  incremental: true
  start_time: '2024-01-01T08:51:00Z'
  end_time: '2024-12-01T08:51:00Z'
  omit_fields: a, b
  columns:
  - {name: signup_date, type: timestamp, format: 'yyyy-MM-dd HH:mm:ss xxx'}
  - {name: user_id, type: long}
  - {name: user_id_2, type: string, src: user_id}
out: {mode: replace}
exec: {}
filters: []
`);
  });

  test("round-trips through the parser", () => {
    const c = parse(text);
    const again = parse(serializeLoadConfig(c, { redact: false }));
    expect(again.in).toEqual(c.in);
    expect(again.out).toEqual(c.out);
    expect(again.raw).toEqual(c.raw);
  });

  test("strings that YAML would read as something else are quoted and read back as strings", () => {
    const awkward = ["yes", "no", "on", "null", "~", "123", "1e3", "0x1F", "2024-01-01", "a: b", "x #y", "", " lead", "trail ", "it's", "*star", "&amp", "!tag", "%p", "@at", "`tick", "-", "- a", "? q", "a\nb", "tab\there", "{x}", "[y]", "a,b", "ünï", "12:30", "1,2,3", "1_000", ".5", "+1"];
    const c = parse(yml("", `exec:\n  values: ${JSON.stringify(awkward)}\n  flow: ${JSON.stringify(Object.fromEntries(awkward.map((v, i) => [`k${i}`, v])))}\n`));
    const again = parse(serializeLoadConfig(c, { redact: false }));
    expect(again.exec).toEqual(c.exec);
    expect(again.exec.values).toEqual(awkward);
  });

  test("a comma-separated id list is quoted, since Ruby's YAML would read 1,2,3 as a number", () => {
    expect(serializeLoadConfig(parse(yml("campaign_ids: '1,2,3'")), { redact: false })).toContain("campaign_ids: '1,2,3'}");
  });

  test("nested lists and block mappings inside lists round-trip", () => {
    const c = parse(yml("", "filters:\n- type: rename\n  rules:\n  - {rule: upper_to_lower}\n  - [1, [2, true]]\n  on: true\n- []\n- {}\n"));
    const out = serializeLoadConfig(c, { redact: false });
    expect(out).toContain("filters:\n- type: rename\n  rules:\n  - {rule: upper_to_lower}\n  - - 1\n    - - 2\n      - true\n  'on': true\n- []\n- {}\n");
    expect(parse(out).filters).toEqual(c.filters);
  });

  test("JSON output is the same document", () => {
    const c = parse(text);
    const json = JSON.parse(serializeLoadConfig(c, { redact: true, format: "json" })) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(["in", "out", "exec", "filters"]);
    expect(parse(JSON.stringify(json)).in).toEqual(c.in);
  });
});

describe("config diffs", () => {
  const base = (): LoadConfig =>
    parse(yml("data_type: export_data\nexport_data_type: user\nincremental: true\nstart_date: 2024-01-01T00:00:00Z"));

  test("a diff's start_time replaces the start, even when it was written as start_date", () => {
    const c = mergeConfigDiff(base(), { in: { start_time: "2024-03-01T00:00:00Z" } });
    expect(c.in.start_time).toBe(Date.UTC(2024, 2, 1));
    expect(c.raw.in).not.toHaveProperty("start_date");
    expect(c.in.api_key).toBe(SECRET);
    expect(c.raw.in.api_key).toBe("${ITERABLE_API_KEY}");
    expect(c.source).toBe("load.yml");
  });

  test("maps merge recursively, lists by index, scalars are replaced", () => {
    const c = parse(yml("columns:\n- {name: a, type: long}\n- {name: b, type: string}", "out: {mode: append}\n"));
    const merged = mergeConfigDiff(c, { in: { columns: [{ type: "double" }] }, out: { mode: "replace" } });
    expect(merged.in.columns).toEqual([
      { name: "a", type: "double" },
      { name: "b", type: "string" },
    ]);
    expect(merged.out.mode).toBe("replace");
    const longer = mergeConfigDiff(c, { in: { columns: [{}, {}, { name: "c", type: "json" }] } });
    expect(longer.in.columns?.map((col) => col.name)).toEqual(["a", "b", "c"]);
  });

  test("a merged config is validated again", () => {
    expect(() => mergeConfigDiff(base(), { in: { start_time: "soon" } })).toThrow(
      'load.yml + config diff: in.start_time: expected an RFC 3339 UTC time such as 2024-01-01T08:51:00Z; got "soon"',
    );
    expect(() => mergeConfigDiff(base(), [1])).toThrow("load.yml + config diff: expected a mapping");
  });

  test("setConfigKeys replaces a list wholesale and null removes a key", () => {
    const c = parse(yml("columns:\n- {name: a, type: long}\n- {name: b, type: string}"));
    const next = setConfigKeys(c, { in: { columns: [{ name: "z", type: "json" }] }, out: { time_column: "z" } });
    expect(next.in.columns).toEqual([{ name: "z", type: "json" }]);
    expect(next.out.time_column).toBe("z");
    expect(setConfigKeys(next, { in: { columns: null } }).in.columns).toBeUndefined();
  });
});

describe("readLoadConfigFile", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "itd-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("reads and validates a file, naming it by the path given", async () => {
    const path = join(dir, "load.yml");
    await writeFile(path, yml("region: eu"));
    expect((await readLoadConfigFile(path, ENV)).in.region).toBe("eu");
    await writeFile(path, yml("region: mars"));
    await expect(readLoadConfigFile(path, ENV)).rejects.toThrow(`${path}: in.region: expected one of us, eu; got "mars"`);
  });

  test("a directory is not a configuration file", async () => {
    await expect(readLoadConfigFile(dir, ENV)).rejects.toThrow(`configuration file: ${dir} is a directory`);
  });
});
