import { describe, expect, test } from "vitest";
import { findNewFields, guessColumns } from "../../../src/connector/guess.js";

const users = [
  {
    email: "ann@example.com",
    userId: "u1",
    itblUserId: "b3c1",
    signupDate: "2021-04-14 16:49:02 +00:00",
    signupSource: "ListAPI",
    profileUpdatedAt: "2021-04-14 16:49:02 +00:00",
    "itblInternal.emailDomain": "example.com",
    emailListIds: [1, 2],
    unsubscribedChannelIds: [],
    preferUserId: false,
    mergeNestedObjects: true,
    score: 3,
    address: { city: "Lyon" },
  },
  {
    email: "bob@example.com",
    userId: null,
    itblUserId: "b3c2",
    signupDate: "2022-01-02 03:04:05 +00:00",
    signupSource: "Import",
    profileUpdatedAt: "2022-01-02 03:04:05 +00:00",
    "itblInternal.emailDomain": "example.com",
    emailListIds: [3],
    unsubscribedChannelIds: [4],
    preferUserId: true,
    mergeNestedObjects: false,
    score: 4.5,
    address: null,
    user_id: 17,
  },
];

describe("guessColumns", () => {
  test("user records: names TD-style, dotted keys flattened, arrays as json, timestamps detected", () => {
    expect(guessColumns(users)).toEqual([
      { name: "email", type: "string" },
      { name: "user_id", type: "string" },
      { name: "itbl_user_id", type: "string" },
      { name: "signup_date", type: "timestamp", format: "yyyy-MM-dd HH:mm:ss xxx" },
      { name: "signup_source", type: "string" },
      { name: "profile_updated_at", type: "timestamp", format: "yyyy-MM-dd HH:mm:ss xxx" },
      { name: "itbl_internal_email_domain", type: "string" },
      { name: "email_list_ids", type: "json" },
      { name: "unsubscribed_channel_ids", type: "json" },
      { name: "prefer_user_id", type: "boolean" },
      { name: "merge_nested_objects", type: "boolean" },
      { name: "score", type: "double" },
      { name: "address", type: "json" },
      { name: "user_id_2", type: "long", src: "user_id" },
    ]);
  });

  test("campaign records: epoch-ms *At fields become timestamps with format epoch_ms", () => {
    const campaigns = [
      { id: 1, name: "Welcome", createdAt: 1_618_418_942_000, updatedAt: 1_618_418_943_000, startAt: 1_618_500_000_000, sendSize: 10, listIds: [5], labels: ["a"] },
      { id: 2, name: "Promo", createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_001, endedAt: 1_700_000_500_000, templateId: 9 },
    ];
    expect(guessColumns(campaigns, { epochMillisFields: true })).toEqual([
      { name: "id", type: "long" },
      { name: "name", type: "string" },
      { name: "created_at", type: "timestamp", format: "epoch_ms" },
      { name: "updated_at", type: "timestamp", format: "epoch_ms" },
      { name: "start_at", type: "timestamp", format: "epoch_ms" },
      { name: "send_size", type: "long" },
      { name: "list_ids", type: "json" },
      { name: "labels", type: "json" },
      { name: "ended_at", type: "timestamp", format: "epoch_ms" },
      { name: "template_id", type: "long" },
    ]);
  });

  test("campaign metrics: doubleFields are double even when the sample holds only whole numbers", () => {
    const records = [
      { id: 1, createdAt: 1_618_418_942_000, "Total Email Sends": 16, Revenue: 0, "Average Order Value": 0, "Total Purchases": 0 },
      { id: 2, createdAt: 1_618_418_943_000, "Total Email Sends": 7, Revenue: 0, "Total Purchases": 2 },
    ];
    const doubleFields = new Set(["Total Email Sends", "Revenue", "Average Order Value"]);
    expect(guessColumns(records, { epochMillisFields: true, doubleFields })).toEqual([
      { name: "id", type: "long" },
      { name: "created_at", type: "timestamp", format: "epoch_ms" },
      { name: "total_email_sends", type: "double" },
      { name: "revenue", type: "double" },
      { name: "average_order_value", type: "double" },
      { name: "total_purchases", type: "long" },
    ]);
    expect(guessColumns(records, { epochMillisFields: true }).find((c) => c.name === "revenue")).toEqual({ name: "revenue", type: "long" });
  });

  test("doubleFields do not turn a field holding strings or booleans into a number", () => {
    const doubleFields = new Set(["a", "b", "c"]);
    expect(guessColumns([{ a: "x", b: true, c: null }, { a: 1 }], { doubleFields })).toEqual([
      { name: "a", type: "string" },
      { name: "b", type: "boolean" },
      { name: "c", type: "string" },
    ]);
  });

  test("without epochMillisFields, epoch-ms integers stay long", () => {
    expect(guessColumns([{ createdAt: 1_618_418_942_000 }])).toEqual([{ name: "created_at", type: "long" }]);
  });

  test("an *At field with a value that is not 13 digits stays long", () => {
    expect(guessColumns([{ createdAt: 1_618_418_942_000 }, { createdAt: 5 }], { epochMillisFields: true })).toEqual([
      { name: "created_at", type: "long" },
    ]);
  });

  test.each([
    ["2021-04-14 16:49:02 +00:00", "yyyy-MM-dd HH:mm:ss xxx"],
    ["2021-04-14 16:49:02 +0000", "yyyy-MM-dd HH:mm:ss xx"],
    ["2021-04-14T16:48:01+00:00", "yyyy-MM-dd'T'HH:mm:ssxxx"],
    ["2021-04-14T16:48:01Z", "yyyy-MM-dd'T'HH:mm:ssXXX"],
    ["2021-04-14T16:48:01.123Z", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"],
    ["2021-04-14 16:48:01.123456 +00:00", "yyyy-MM-dd HH:mm:ss.SSSSSS xxx"],
  ])("the timestamp %s is detected with format %s", (value, format) => {
    expect(guessColumns([{ at: value }])).toEqual([{ name: "at", type: "timestamp", format }]);
  });

  test.each([
    ["only nulls", [null, null], "string"],
    ["booleans", [true, false], "boolean"],
    ["integers", [1, -2, 3], "long"],
    ["integers and decimals", [1, 2.5], "double"],
    ["integers beyond 2^53", [2 ** 60], "double"],
    ["numbers and strings", [1, "a"], "string"],
    ["booleans and numbers", [true, 1], "string"],
    ["timestamps and other strings", ["2021-04-14 16:49:02 +00:00", "soon"], "string"],
    ["dates without time", ["2021-04-14"], "string"],
    ["objects and arrays", [{ a: 1 }, [1]], "json"],
    ["objects and strings", [{ a: 1 }, "x"], "string"],
    ["numeric strings", ["1", "2"], "string"],
  ])("%s → %s", (_label, values, type) => {
    expect(guessColumns(values.map((v) => ({ f: v })))[0]?.type).toBe(type);
  });

  test("fields keep first-seen order across records and nulls are ignored for the type", () => {
    const cols = guessColumns([{ b: null }, { a: 1, b: true }, { c: "x", b: null }]);
    expect(cols).toEqual([
      { name: "b", type: "boolean" },
      { name: "a", type: "long" },
      { name: "c", type: "string" },
    ]);
  });

  test("an empty sample gives no columns", () => {
    expect(guessColumns([])).toEqual([]);
  });
});

describe("findNewFields", () => {
  test("does not report a field that a column of a config guessed before reads by its legacy name", () => {
    const old = [{ name: "purchases_m_email_", type: "double" }, { name: "id", type: "long" }] as const;
    expect(findNewFields(old, [{ id: 1, "Purchases / M (Email)": 0, "Revenue / M (Email)": 0 }])).toEqual(["Revenue / M (Email)"]);
  });

  test("lists fields no column reads, in first-seen order", () => {
    const columns = guessColumns(users);
    expect(findNewFields(columns, users)).toEqual([]);
    expect(findNewFields(columns, [{ email: "x", phoneNumber: "1", "itblInternal.emailDomain": "d" }, { city: "Paris", phoneNumber: "2" }])).toEqual([
      "phoneNumber",
      "city",
    ]);
  });

  test("a column with src covers that field only, a column without src covers fields of its name", () => {
    const columns = [
      { name: "user_id", type: "string" as const },
      { name: "uid", type: "long" as const, src: "user_id" },
    ];
    expect(findNewFields(columns, [{ userId: "a", user_id: 1, uid: 2 }])).toEqual(["uid"]);
  });
});
