import { describe, expect, it } from "vitest";
import { MalformedInput } from "../../../../src/iterable/parsers/malformed.js";
import { parseMetricsCsv } from "../../../../src/iterable/parsers/metrics.js";

describe("parseMetricsCsv", () => {
  it("keeps the labels as keys and turns cells into numbers", () => {
    const csv = 'id,Total Email Sends,"Revenue, USD","Purchases / M (Email)"\r\n101,1200,3456.78,1.5\r\n102,7,0,\r\n';
    expect(parseMetricsCsv(csv).rows).toEqual([
      { id: 101, "Total Email Sends": 1200, "Revenue, USD": 3456.78, "Purchases / M (Email)": 1.5 },
      { id: 102, "Total Email Sends": 7, "Revenue, USD": 0 },
    ]);
  });

  it("omits empty cells (a batch mixing mediums)", () => {
    const csv = "id,Total Email Sends,Total Pushes Sent\n1,10,\n2,,20\n";
    expect(parseMetricsCsv(csv).rows).toEqual([
      { id: 1, "Total Email Sends": 10 },
      { id: 2, "Total Pushes Sent": 20 },
    ]);
  });

  it("keeps labels with escaped quotes", () => {
    const csv = 'id,"The ""best"" metric"\n5,1\n';
    expect(parseMetricsCsv(csv).rows).toEqual([{ id: 5, 'The "best" metric': 1 }]);
  });

  it("gives no rows for a header-only or empty body", () => {
    expect(parseMetricsCsv("id,Total Email Sends\r\n").rows).toEqual([]);
    expect(parseMetricsCsv("").rows).toEqual([]);
  });

  it("leaves out cells that are not numbers and names their labels", () => {
    const result = parseMetricsCsv("id,Sends,Note\n1,5,n/a\n");
    expect(result.rows).toEqual([{ id: 1, Sends: 5 }]);
    expect(result.nonNumericLabels).toEqual(["Note"]);
  });

  it("names, in header order, the labels with a value written with a decimal point, which the numbers cannot show", () => {
    const csv = "id,Average Order Value,Revenue,Total Email Sends,Total Purchases\n1,0,0.0,16.0,3\n2,,19.99,7.0,\n";
    const result = parseMetricsCsv(csv);
    expect(result.rows).toEqual([
      { id: 1, "Average Order Value": 0, Revenue: 0, "Total Email Sends": 16, "Total Purchases": 3 },
      { id: 2, Revenue: 19.99, "Total Email Sends": 7 },
    ]);
    expect(result.decimalLabels).toEqual(["Revenue", "Total Email Sends"]);
    expect(parseMetricsCsv("id,Sends\n1,5\n").decimalLabels).toEqual([]);
  });

  it("refuses a body whose first column is not id", () => {
    expect(() => parseMetricsCsv("<html>oops</html>\n")).toThrow(MalformedInput);
  });
});
