import { describe, expect, it } from "vitest";
import { MalformedInput } from "../../../../src/iterable/parsers/malformed.js";
import { NdjsonParser } from "../../../../src/iterable/parsers/ndjson.js";
import type { JsonRecord } from "../../../../src/iterable/types.js";

/** Feeds `bytes` to a parser in chunks of `size` bytes. */
function parseInChunks(bytes: Buffer, size: number): JsonRecord[] {
  const parser = new NdjsonParser();
  const out: JsonRecord[] = [];
  for (let i = 0; i < bytes.length; i += size) parser.push(bytes.subarray(i, i + size), out);
  parser.end(out);
  return out;
}

const records = [
  { email: "a@example.com", n: 1 },
  { email: "ünïcødé@example.com", city: "東京", emoji: "🎉🎉" },
  { nested: { a: [1, 2, 3] }, text: "line\nbreak inside a string" },
];
const body = Buffer.from(`${records.map((r) => JSON.stringify(r)).join("\n")}\n`);

describe("NdjsonParser", () => {
  it("parses one object per line", () => {
    expect(parseInChunks(body, body.length)).toEqual(records);
  });

  it("gives the same records whatever the chunk size, even one byte at a time (lines and UTF-8 characters split across chunks)", () => {
    for (const size of [1, 2, 3, 5, 7, 16, 64]) expect(parseInChunks(body, size), `chunks of ${size}`).toEqual(records);
  });

  it("splits a four-byte character between two chunks", () => {
    const line = Buffer.from(`${JSON.stringify({ e: "🎉" })}\n`);
    const cut = line.indexOf(0xf0) + 2;
    const parser = new NdjsonParser();
    const out: JsonRecord[] = [];
    parser.push(line.subarray(0, cut), out);
    expect(out).toEqual([]);
    parser.push(line.subarray(cut), out);
    expect(out).toEqual([{ e: "🎉" }]);
  });

  it("parses a final line without a newline", () => {
    expect(parseInChunks(Buffer.from('{"a":1}\n{"b":2}'), 3)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("skips blank lines, whitespace-only lines and CRLF endings", () => {
    expect(parseInChunks(Buffer.from('\n{"a":1}\r\n\r\n   \n{"b":2}\n\n'), 4)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("gives nothing for an empty body", () => {
    expect(parseInChunks(Buffer.alloc(0), 1)).toEqual([]);
  });

  it("names the line number and the start of a line that is not JSON", () => {
    const text = '{"a":1}\n\n{"b":2}\n{"c": oops ' + "x".repeat(500) + "\n";
    let error: unknown;
    try {
      parseInChunks(Buffer.from(text), 5);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MalformedInput);
    const e = error as MalformedInput;
    expect(e.line).toBe(4);
    expect(e.message).toContain("line 4 is not valid JSON");
    expect(e.message).toContain('{\\"c\\": oops');
    expect(e.message.length).toBeLessThan(400);
  });

  it("refuses a line that is JSON but not an object", () => {
    for (const line of ["[1,2]", "42", '"text"', "null"]) {
      expect(() => parseInChunks(Buffer.from(`{"ok":1}\n${line}\n`), 64), line).toThrow(/line 2 is not a JSON object/);
    }
  });

  it("refuses a line longer than its limit instead of buffering it", () => {
    const parser = new NdjsonParser(16);
    const out: JsonRecord[] = [];
    parser.push(Buffer.from('{"a":"0123'), out);
    expect(() => parser.push(Buffer.from('456789abcdef"'), out)).toThrow(/longer than 16 bytes/);
  });
});
