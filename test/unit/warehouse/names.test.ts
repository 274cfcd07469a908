import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { checkDatabaseName, checkTableName, quoteIdent } from "../../../src/warehouse/index.js";
import { stagingTableName } from "../../../src/warehouse/names.js";

describe("warehouse names", () => {
  it("accepts TD names of 3 to 128 lowercase letters, digits and underscores", () => {
    expect(checkDatabaseName("abc")).toBe("abc");
    expect(checkTableName("a_1")).toBe("a_1");
    expect(checkTableName("x".repeat(128))).toBe("x".repeat(128));
  });

  it.each(["ab", "x".repeat(129), "Events", "my-db", "a b", "db.t", "", "naïve", 'x"; DROP TABLE t; --'])(
    "refuses %j with a ConfigError naming it and the rule",
    (name) => {
      expect(() => checkTableName(name)).toThrow(ConfigError);
      expect(() => checkTableName(name)).toThrow(`Invalid table name '${name}'`);
      expect(() => checkDatabaseName(name)).toThrow(/3 to 128 characters of lowercase letters, digits and '_'/);
    },
  );

  it("reserves names starting with _itd and sqlite_", () => {
    expect(() => checkTableName("_itd_loads")).toThrow(/reserved/);
    expect(() => checkDatabaseName("_itdx")).toThrow(/reserved/);
    expect(() => checkTableName("sqlite_master")).toThrow(/reserved/);
  });

  it("quotes identifiers by doubling inner double quotes", () => {
    expect(quoteIdent("plain")).toBe('"plain"');
    expect(quoteIdent('"; DROP TABLE x; --')).toBe('"""; DROP TABLE x; --"');
  });

  it("builds staging table names from a job id of any shape", () => {
    expect(stagingTableName("Job-42/a", "events")).toBe("_itd_stage_job_42_a_events");
  });
});
