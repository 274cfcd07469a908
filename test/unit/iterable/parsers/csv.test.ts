import { describe, expect, it } from "vitest";
import { CsvParser, CsvRecordParser, parseCsv } from "../../../../src/iterable/parsers/csv.js";

function parseInChunks(text: string, size: number): string[][] {
  const bytes = Buffer.from(text);
  const parser = new CsvParser();
  const out: string[][] = [];
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size), out);
  parser.end(out);
  return out;
}

describe("CsvParser", () => {
  it("parses plain rows", () => {
    expect(parseCsv("a,b,c\n1,2,3\n")).toEqual([
      ["a", "b", "c"],
      ["1", "2", "3"],
    ]);
  });

  it("keeps commas, CRLF and escaped quotes inside quoted fields", () => {
    expect(parseCsv('id,"Revenue, total","Say ""hi""","multi\r\nline"\r\n1,2,3,4\r\n')).toEqual([
      ["id", "Revenue, total", 'Say "hi"', "multi\r\nline"],
      ["1", "2", "3", "4"],
    ]);
  });

  it("keeps empty cells, including a trailing one", () => {
    expect(parseCsv('a,b,c\n1,,\n"",x,\n')).toEqual([
      ["a", "b", "c"],
      ["1", "", ""],
      ["", "x", ""],
    ]);
  });

  it("reads a last row without a newline, LF or CRLF", () => {
    expect(parseCsv("a,b\r\n1,2")).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });

  it("skips blank lines", () => {
    expect(parseCsv("a\n\n1\r\n\r\n2\n")).toEqual([["a"], ["1"], ["2"]]);
  });

  it("gives nothing for an empty body", () => {
    expect(parseCsv("")).toEqual([]);
  });

  it("drops a byte-order mark", () => {
    expect(parseCsv("\uFEFFid,x\n1,2\n")[0]).toEqual(["id", "x"]);
  });

  it("gives the same rows whatever the chunk size (quotes, CRLF and UTF-8 split across chunks)", () => {
    const text = 'id,"Label, ""quoted""",ü\r\n1,"a\r\nb",東京\r\n2,,🎉\r\n';
    const whole = parseCsv(text);
    expect(whole).toEqual([
      ["id", 'Label, "quoted"', "ü"],
      ["1", "a\r\nb", "東京"],
      ["2", "", "🎉"],
    ]);
    for (const size of [1, 2, 3, 5, 8]) expect(parseInChunks(text, size), `chunks of ${size}`).toEqual(whole);
  });

  it("treats a quote inside an unquoted field as a character", () => {
    expect(parseCsv('a,b\n5" screen,x\n')[1]).toEqual(['5" screen', "x"]);
  });

  it("refuses a body that ends inside a quoted field", () => {
    expect(() => parseCsv('a,b\n1,"never closed\n')).toThrow(/row 2 ends inside a quoted field/);
  });
});

describe("CsvRecordParser", () => {
  it("keys rows by the header", () => {
    const parser = new CsvRecordParser();
    const out: Record<string, string>[] = [];
    parser.push(Buffer.from("email,createdAt\na@x.com,2024-01-01\nb@x.com,"), out);
    parser.end(out);
    expect(out).toEqual([
      { email: "a@x.com", createdAt: "2024-01-01" },
      { email: "b@x.com", createdAt: "" },
    ]);
  });
});
