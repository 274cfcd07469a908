import { describe, expect, it } from "vitest";
import { LineChunker, TextLineParser } from "../../../../src/iterable/parsers/lines.js";

describe("TextLineParser", () => {
  it("yields one trimmed value per line and skips blank lines", () => {
    const parser = new TextLineParser();
    const out: string[] = [];
    parser.push(Buffer.from("a@example.com\r\n\r\n  \nb@example.com\n\n"), out);
    parser.push(Buffer.from("c@exa"), out);
    parser.push(Buffer.from("mple.com"), out);
    expect(out).toEqual(["a@example.com", "b@example.com"]);
    parser.end(out);
    expect(out).toEqual(["a@example.com", "b@example.com", "c@example.com"]);
  });
});

describe("LineChunker", () => {
  it("returns only whole lines and keeps the rest for the next chunk", () => {
    const chunker = new LineChunker();
    expect(chunker.push(Buffer.from("one\ntw"))).toBe("one\n");
    expect(chunker.push(Buffer.from("o"))).toBe("");
    expect(chunker.push(Buffer.from("\nthree"))).toBe("two\n");
    expect(chunker.end()).toBe("three");
  });

  it("never decodes half a character", () => {
    const bytes = Buffer.from("é\n");
    const chunker = new LineChunker();
    expect(chunker.push(bytes.subarray(0, 1))).toBe("");
    expect(chunker.push(bytes.subarray(1))).toBe("é\n");
  });
});
