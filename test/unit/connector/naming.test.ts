import { describe, expect, test } from "vitest";
import { columnName, legacyColumnName, MAX_COLUMN_NAME_LENGTH, uniqueNames } from "../../../src/connector/naming.js";

describe("columnName", () => {
  test.each([
    ["profileUpdatedAt", "profile_updated_at"],
    ["itblUserId", "itbl_user_id"],
    ["userId", "user_id"],
    ["user_id", "user_id"],
    ["email", "email"],
    ["ip", "ip"],
    ["userIDs", "user_ids"],
    ["messageID", "message_id"],
    ["HTMLParser", "html_parser"],
    ["emailListIds", "email_list_ids"],
    ["v2Id", "v2_id"],
    ["itblInternal.emailDomain", "itbl_internal_email_domain"],
    ["itblInternal.documentCreatedAt", "itbl_internal_document_created_at"],
    ["itblDS.score", "itbl_ds_score"],
    ["Total Email Sends", "total_email_sends"],
    ["Purchases / M (Email)", "purchases_m_email"],
    ["Total Email Opens (filtered)", "total_email_opens_filtered"],
    ['Total In-App Closes ("X", back)', "total_in_app_closes_x_back"],
    ["Revenue / M (Web Push) ", "revenue_m_web_push"],
    ["a_", "a_"],
    ["2fa", "_2fa"],
    ["123", "_123"],
    ["", "_"],
    ["名前", "_"],
    ["café", "cafe"],
    ["Ünïcödé Field", "unicode_field"],
    ["\"; DROP TABLE x; --", "_drop_table_x"],
    ["a__b", "a_b"],
    ["_id", "_id"],
    ["time", "time"],
  ])("%j → %j", (key, name) => {
    expect(columnName(key)).toBe(name);
  });

  test("a name never ends in an _ that stood for a character it could not hold", () => {
    for (const key of ["Opens (filtered)", "x.", "Revenue / M (SMS)", "Purchases / M (In-App)", "名前 (x)", "a b ?"]) {
      expect(columnName(key), key).not.toMatch(/._$/);
    }
  });

  test("every name is lowercase [a-z0-9_], does not start with a digit, and is at most 128 characters", () => {
    const keys = ["A".repeat(300), "x.".repeat(100), "日本語キー", "1.2.3", "😀 smile", "a-b-c", "tab\there", "CamelCASEKey"];
    for (const key of keys) {
      const name = columnName(key);
      expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
      expect(name.length).toBeLessThanOrEqual(MAX_COLUMN_NAME_LENGTH);
    }
  });
});

describe("legacyColumnName", () => {
  test.each([
    ["Purchases / M (Email)", "purchases_m_email_"],
    ["Total Email Opens (filtered)", "total_email_opens_filtered_"],
    ["Total Email Sends", "total_email_sends"],
    ["profileUpdatedAt", "profile_updated_at"],
  ])("%j → %j, the name given before invalid ends were dropped", (key, name) => {
    expect(legacyColumnName(key)).toBe(name);
  });
});

describe("uniqueNames", () => {
  test("userId and user_id get unique names in first-seen order", () => {
    expect(uniqueNames(["userId", "user_id"])).toEqual(["user_id", "user_id_2"]);
  });

  test("suffixes count up and skip names that other fields have naturally", () => {
    expect(uniqueNames(["a", "A", "a_2", "a.", "A_"])).toEqual(["a", "a_3", "a_2", "a_4", "a_"]);
  });

  test("names of only underscores get a suffix too", () => {
    expect(uniqueNames(["", "?", "名"])).toEqual(["_", "_2", "_3"]);
  });

  test("names already taken are never produced", () => {
    expect(uniqueNames(["time", "email"], ["time"])).toEqual(["time_2", "email"]);
  });

  test("the result is deterministic", () => {
    const keys = ["x", "X", "x_2", "xX", "x_x", "x.x"];
    expect(uniqueNames(keys)).toEqual(uniqueNames(keys));
    expect(new Set(uniqueNames(keys)).size).toBe(keys.length);
  });

  test("a suffixed long name still fits in 128 characters", () => {
    const long = "a".repeat(200);
    const [first, second] = uniqueNames([long, long.toUpperCase()]);
    expect(first).toHaveLength(128);
    expect(second).toHaveLength(128);
    expect(second?.endsWith("_2")).toBe(true);
  });
});
