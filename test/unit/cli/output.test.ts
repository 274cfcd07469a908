import { describe, expect, it } from "vitest";
import { parseFormat, renderRows } from "../../../src/cli/output.js";

describe("renderRows", () => {
  const headers = ["Name", "Cron"];
  const rows = [
    ["daily_import", "10 0 * * *"],
    ["hourly", null],
  ];

  it("draws TD's table: border, header, border, rows, border and a row count", () => {
    expect(renderRows("table", headers, rows)).toBe(
      [
        "+--------------+------------+",
        "| Name         | Cron       |",
        "+--------------+------------+",
        "| daily_import | 10 0 * * * |",
        "| hourly       |            |",
        "+--------------+------------+",
        "2 rows in set",
        "",
      ].join("\n"),
    );
  });

  it("says '1 row in set' for one row and prints only the count for none", () => {
    expect(renderRows("table", headers, [["a", "b"]])).toMatch(/\n1 row in set\n$/);
    expect(renderRows("table", headers, [])).toBe("0 rows in set\n");
  });

  it("quotes csv fields that hold commas, quotes or newlines", () => {
    expect(renderRows("csv", ["a", "b"], [['x,y', 'say "hi"'], ["line\nbreak", 3]])).toBe(
      'a,b\n"x,y","say ""hi"""\n"line\nbreak",3\n',
    );
  });

  it("escapes tabs and newlines in tsv", () => {
    expect(renderRows("tsv", ["a"], [["x\ty\nz"]])).toBe("a\nx\\ty\\nz\n");
  });

  it("renders json as an array of objects keyed by header, nulls kept", () => {
    expect(JSON.parse(renderRows("json", headers, rows))).toEqual([
      { Name: "daily_import", Cron: "10 0 * * *" },
      { Name: "hourly", Cron: null },
    ]);
  });

  it("refuses an unknown format by name", () => {
    expect(() => parseFormat("yaml")).toThrow(/--format: expected one of table, tsv, csv, json; got "yaml"/);
    expect(parseFormat(undefined)).toBe("table");
  });
});
