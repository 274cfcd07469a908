import { describe, expect, test } from "vitest";
import type { LoadColumn } from "../../../src/connector/config-schema.js";
import { createRowConverter, type RowConverterOptions } from "../../../src/connector/convert.js";
import { ConfigError, DataError } from "../../../src/errors.js";
import type { ColumnType } from "../../../src/warehouse/types.js";

const UPLOAD = 1_700_000_000;

function converter(columns: LoadColumn[], more: Partial<RowConverterOptions> = {}) {
  return createRowConverter({ columns, uploadTime: UPLOAD, skipInvalidRecords: false, ...more });
}

/** The stored value of one field converted as `type`. */
function one(type: ColumnType, value: unknown, format?: string): unknown {
  const col: LoadColumn = format === undefined ? { name: "v", type } : { name: "v", type, format };
  const row = converter([col]).convert({ v: value }, 1);
  return row?.[0];
}

function rejects(type: ColumnType, value: unknown): string {
  try {
    converter([{ name: "v", type }]).convert({ v: value }, 7);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused as ${type}`);
}

describe("values by type", () => {
  test.each([
    [true, 1],
    [false, 0],
    ["true", 1],
    ["FALSE", 0],
    [1, 1],
    [0, 0],
  ])("boolean %j → %j", (value, stored) => {
    expect(one("boolean", value)).toBe(stored);
  });

  test.each([
    [42, 42],
    [-7, -7],
    ["123", 123],
    [" 5 ", 5],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])("long %j → %j", (value, stored) => {
    expect(one("long", value)).toBe(stored);
  });

  test.each([
    [1.5, 1.5],
    [3, 3],
    ["2.25", 2.25],
    ["-1e3", -1000],
  ])("double %j → %j", (value, stored) => {
    expect(one("double", value)).toBe(stored);
  });

  test.each([
    ["abc", "abc"],
    [12, "12"],
    [1.5, "1.5"],
    [true, "true"],
    [{ a: 1 }, '{"a":1}'],
    [[1, "x"], '[1,"x"]'],
  ])("string %j → %j", (value, stored) => {
    expect(one("string", value)).toBe(stored);
  });

  test.each([
    [{ a: [1, { b: null }] }, '{"a":[1,{"b":null}]}'],
    [[1, 2], "[1,2]"],
    ["text", '"text"'],
    [5, "5"],
    [false, "false"],
  ])("json %j → %j", (value, stored) => {
    expect(one("json", value)).toBe(stored);
    expect(() => JSON.parse(stored)).not.toThrow();
  });

  test.each([
    ["2021-04-14 16:49:02 +00:00", "2021-04-14 16:49:02.000"],
    ["2021-04-14 16:49:02 +0000", "2021-04-14 16:49:02.000"],
    ["2021-04-14T16:48:01Z", "2021-04-14 16:48:01.000"],
    ["2021-04-14T16:48:01+00:00", "2021-04-14 16:48:01.000"],
    ["2021-04-14T16:48:01.123Z", "2021-04-14 16:48:01.123"],
    ["2021-04-14 16:48:01.123456 +00:00", "2021-04-14 16:48:01.123"],
    ["2021-04-14T22:43:34.134105.000Z", "2021-04-14 22:43:34.134"],
    ["2021-04-14 18:49:02 +02:00", "2021-04-14 16:49:02.000"],
    ["2021-04-14 01:00:00 -05:30", "2021-04-14 06:30:00.000"],
    ["2021-01-01 00:30:00 +01:00", "2020-12-31 23:30:00.000"],
    ["2021-04-14 16:49:02", "2021-04-14 16:49:02.000"],
    ["2024-02-29 12:00:00 +00:00", "2024-02-29 12:00:00.000"],
  ])("timestamp %j → %j", (value, stored) => {
    expect(one("timestamp", value)).toBe(stored);
  });

  test("timestamp numbers are epoch ms or seconds by magnitude, or as the format says", () => {
    expect(one("timestamp", 1_618_418_942_123)).toBe("2021-04-14 16:49:02.123");
    expect(one("timestamp", 1_618_418_942)).toBe("2021-04-14 16:49:02.000");
    expect(one("timestamp", 1_618_418_942, "epoch_ms")).toBe("1970-01-19 17:33:38.942");
    expect(one("timestamp", 1_618_418_942, "epoch_s")).toBe("2021-04-14 16:49:02.000");
    expect(() => one("timestamp", 1_618_418_942_123, "epoch_s")).toThrow("cannot convert 1618418942123");
    expect(one("timestamp", 0)).toBe("1970-01-01 00:00:00.000");
    expect(one("timestamp", -1000, "epoch_ms")).toBe("1969-12-31 23:59:59.000");
  });

  test("null and missing fields are null for every type", () => {
    const types: ColumnType[] = ["boolean", "long", "double", "string", "timestamp", "json"];
    const conv = converter(types.map((type, i) => ({ name: `c${i}`, type })));
    expect(conv.convert({ c0: null, c2: null, c4: null }, 1)).toEqual([null, null, null, null, null, null, UPLOAD]);
  });
});

describe("invalid values", () => {
  test.each([
    ["boolean", "yes", 'record 7: column v (boolean): cannot convert "yes"'],
    ["boolean", 2, "record 7: column v (boolean): cannot convert 2"],
    ["long", 1.5, "record 7: column v (long): cannot convert 1.5"],
    ["long", "12.0", 'record 7: column v (long): cannot convert "12.0"'],
    ["long", "12abc", 'record 7: column v (long): cannot convert "12abc"'],
    ["long", true, "record 7: column v (long): cannot convert true"],
    ["long", 2 ** 60, "record 7: column v (long): cannot convert 1152921504606847000"],
    ["long", "99999999999999999999", 'record 7: column v (long): cannot convert "99999999999999999999"'],
    ["long", { a: 1 }, 'record 7: column v (long): cannot convert {"a":1}'],
    ["double", "abc", 'record 7: column v (double): cannot convert "abc"'],
    ["double", "", 'record 7: column v (double): cannot convert ""'],
    ["double", [1], "record 7: column v (double): cannot convert [1]"],
    ["timestamp", "2021-13-14 16:49:02 +00:00", 'record 7: column v (timestamp): cannot convert "2021-13-14 16:49:02 +00:00"'],
    ["timestamp", "2021-02-30 16:49:02 +00:00", 'record 7: column v (timestamp): cannot convert "2021-02-30 16:49:02 +00:00"'],
    ["timestamp", "2021-04-14 24:00:00 +0000", 'record 7: column v (timestamp): cannot convert "2021-04-14 24:00:00 +0000"'],
    ["timestamp", "2021-04-14TXX:48:01Z", 'record 7: column v (timestamp): cannot convert "2021-04-14TXX:48:01Z"'],
    ["timestamp", "yesterday", 'record 7: column v (timestamp): cannot convert "yesterday"'],
    ["timestamp", true, "record 7: column v (timestamp): cannot convert true"],
  ] as const)("%s %j is refused", (type, value, message) => {
    expect(rejects(type, value)).toBe(message);
  });

  test("a long value is cut in the message", () => {
    const message = rejects("long", "x".repeat(500));
    expect(message.length).toBeLessThan(120);
    expect(message).toMatch(/\.\.\.$/);
  });

  test("with skipInvalidRecords, invalid records are skipped and counted", () => {
    const conv = converter([{ name: "n", type: "long" }], { skipInvalidRecords: true });
    expect(conv.convert({ n: "x" }, 1)).toBeUndefined();
    expect(conv.convert({ n: 2 }, 2)).toEqual([2, UPLOAD]);
    expect(conv.convert({ n: 1.5 }, 3)).toBeUndefined();
    expect(conv.skipped).toBe(2);
  });
});

describe("fields and columns", () => {
  test("camelCase and dotted fields fill the columns of their TD-style names, in column order", () => {
    const conv = converter([
      { name: "itbl_internal_email_domain", type: "string" },
      { name: "user_id", type: "string" },
      { name: "campaign_id", type: "long" },
    ]);
    expect(conv.convert({ campaignId: 5, userId: "u", "itblInternal.emailDomain": "d.com" }, 1)).toEqual(["d.com", "u", 5, UPLOAD]);
  });

  test("a config guessed before names dropped their invalid end still reads those fields (purchases_m_email_)", () => {
    const record = { "Purchases / M (Email)": 1.5, "Total Email Opens (filtered)": 16, "Total Email Sends": 20 };
    const old = converter([
      { name: "purchases_m_email_", type: "double" },
      { name: "total_email_opens_filtered_", type: "long" },
      { name: "total_email_sends", type: "long" },
    ]);
    expect(old.convert(record, 1)).toEqual([1.5, 16, 20, UPLOAD]);
    expect(old.unknownFields.size).toBe(0);
    const today = converter([
      { name: "purchases_m_email", type: "double" },
      { name: "total_email_opens_filtered", type: "double" },
      { name: "total_email_sends", type: "double" },
    ]);
    expect(today.convert(record, 1)).toEqual([1.5, 16, 20, UPLOAD]);
    expect(today.unknownFields.size).toBe(0);
  });

  test("src names the field a column reads", () => {
    const conv = converter([
      { name: "user_id", type: "string" },
      { name: "user_id_2", type: "long", src: "user_id" },
    ]);
    expect(conv.convert({ userId: "a", user_id: 9 }, 1)).toEqual(["a", 9, UPLOAD]);
    expect(conv.convert({ user_id: 9, userId: "a" }, 2)).toEqual(["a", 9, UPLOAD]);
  });

  test("a field named exactly like a column wins over a field that only normalises to it, whatever the order", () => {
    const conv = converter([{ name: "user_id", type: "string" }]);
    expect(conv.convert({ userId: "soft", user_id: "exact" }, 1)).toEqual(["exact", UPLOAD]);
    expect(conv.convert({ user_id: "exact", userId: "soft" }, 2)).toEqual(["exact", UPLOAD]);
    expect(conv.convert({ userId: "soft" }, 3)).toEqual(["soft", UPLOAD]);
  });

  test("unknown fields are counted by name and do not change the row", () => {
    const conv = converter([{ name: "email", type: "string" }]);
    expect(conv.convert({ email: "a", phoneNumber: "1", city: "x" }, 1)).toEqual(["a", UPLOAD]);
    conv.convert({ email: "b", phoneNumber: "2" }, 2);
    conv.convert({ email: "c" }, 3);
    expect([...conv.unknownFields]).toEqual([
      ["phoneNumber", 2],
      ["city", 1],
    ]);
  });

  test("the output columns carry name, type and format", () => {
    const conv = converter([
      { name: "at", type: "timestamp", format: "epoch_ms", src: "createdAt" },
      { name: "n", type: "long" },
    ]);
    expect(conv.columns).toEqual([
      { name: "at", type: "timestamp", format: "epoch_ms" },
      { name: "n", type: "long" },
    ]);
  });
});

describe("the time column", () => {
  const cols: LoadColumn[] = [
    { name: "created_at", type: "timestamp" },
    { name: "n", type: "long" },
    { name: "label", type: "string" },
  ];

  test("without a time column, time is the upload time", () => {
    expect(converter(cols).convert({ createdAt: "2021-04-14 16:49:02 +00:00", n: 1 }, 1)).toEqual([
      "2021-04-14 16:49:02.000",
      1,
      null,
      UPLOAD,
    ]);
  });

  test("a timestamp time_column gives time in unix seconds and stays a data column", () => {
    const conv = converter(cols, { timeColumn: "created_at" });
    expect(conv.columns.map((c) => c.name)).toEqual(["created_at", "n", "label"]);
    expect(conv.convert({ createdAt: "2021-04-14 16:49:02.999 +00:00", n: 1 }, 1)).toEqual([
      "2021-04-14 16:49:02.999",
      1,
      null,
      Date.UTC(2021, 3, 14, 16, 49, 2) / 1000,
    ]);
  });

  test("a long time_column is used as unix seconds", () => {
    expect(converter(cols, { timeColumn: "n" }).convert({ n: 1_600_000_000 }, 1)?.at(-1)).toBe(1_600_000_000);
  });

  test("a time_column of another type is refused with TD's message", () => {
    expect(() => converter(cols, { timeColumn: "label" })).toThrow(new ConfigError("Type of 'label' column must be long or timestamp"));
  });

  test("a missing time_column is refused with TD's message", () => {
    expect(() => converter(cols, { timeColumn: "nope" })).toThrow(new ConfigError("A specified time_column 'nope' does not exist"));
  });

  test("a null time value makes the record invalid", () => {
    const conv = converter(cols, { timeColumn: "created_at" });
    expect(() => conv.convert({ n: 1 }, 4)).toThrow(
      new DataError("record 4: column created_at (timestamp): cannot convert null: the time column needs a value"),
    );
    const skipping = converter(cols, { timeColumn: "created_at", skipInvalidRecords: true });
    expect(skipping.convert({ createdAt: null }, 1)).toBeUndefined();
    expect(skipping.skipped).toBe(1);
  });

  test("a data column named time of type long or timestamp is the time", () => {
    const conv = converter([
      { name: "time", type: "timestamp" },
      { name: "n", type: "long" },
    ]);
    expect(conv.columns.map((c) => c.name)).toEqual(["n"]);
    expect(conv.convert({ time: "1970-01-01 00:01:40 +00:00", n: 3 }, 1)).toEqual([3, 100]);
    const long = converter([{ name: "time", type: "long" }]);
    expect(long.convert({ time: 55 }, 1)).toEqual([55]);
    expect(converter([{ name: "time", type: "long" }], { timeColumn: "time" }).convert({ time: 56 }, 1)).toEqual([56]);
  });

  test("a data column named time that is not the time is renamed time_", () => {
    const conv = converter([
      { name: "time", type: "string" },
      { name: "n", type: "long" },
    ]);
    expect(conv.columns.map((c) => c.name)).toEqual(["time_", "n"]);
    expect(conv.convert({ time: "noon", n: 1 }, 1)).toEqual(["noon", 1, UPLOAD]);
    const copy = converter(
      [
        { name: "time", type: "long" },
        { name: "time_", type: "long" },
        { name: "at", type: "long" },
      ],
      { timeColumn: "at" },
    );
    expect(copy.columns.map((c) => c.name)).toEqual(["time__", "time_", "at"]);
    expect(copy.convert({ time: 1, time_: 2, at: 3 }, 1)).toEqual([1, 2, 3, 3]);
  });
});
