import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MalformedInput } from "../../../../src/iterable/parsers/malformed.js";
import { NdjsonParser } from "../../../../src/iterable/parsers/ndjson.js";
import { NdjsonRunSplitter, type NdjsonRun, type RunSplitterOptions } from "../../../../src/iterable/parsers/ndjson-runs.js";
import type { JsonRecord } from "../../../../src/iterable/types.js";

function split(body: Buffer, chunk: number, runBytes: number, more: RunSplitterOptions = {}): NdjsonRun[] {
  const s = new NdjsonRunSplitter({ runBytes, ...more });
  const out: NdjsonRun[] = [];
  for (let i = 0; i < body.length; i += chunk) s.push(body.subarray(i, i + chunk), out);
  s.end(out);
  return out;
}

/** Parses runs as the parse threads do: each on its own, from its first line's number. */
function parseRuns(runs: readonly NdjsonRun[]): JsonRecord[] {
  const out: JsonRecord[] = [];
  let line = 1;
  for (const r of runs) {
    const p = new NdjsonParser(undefined, line);
    p.push(Buffer.from(r.bytes), out);
    p.end(out);
    line += r.newlines;
  }
  return out;
}

const record = fc.record({ email: fc.emailAddress(), n: fc.integer(), text: fc.string({ unit: "binary" }) });

describe("NdjsonRunSplitter", () => {
  it("cuts any body, however chunked, into runs of whole lines that parse to the body's records", () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 60 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.boolean(),
        (records, chunk, runBytes, finalNewline) => {
          const text = records.map((r) => JSON.stringify(r)).join("\n") + (finalNewline && records.length > 0 ? "\n" : "");
          const body = Buffer.from(text);
          const told: { lines: number; last: JsonRecord | undefined }[] = [];
          const runs = split(body, chunk, runBytes, { onLines: (lines, last) => told.push({ lines, last }) });
          // Nothing lost, nothing added, in order.
          expect(Buffer.concat(runs.map((r) => Buffer.from(r.bytes))).equals(body)).toBe(true);
          // Every run but the last ends a line; each is at least runBytes unless it is the last.
          runs.slice(0, -1).forEach((r) => {
            expect(r.bytes[r.bytes.length - 1]).toBe(0x0a);
            expect(r.bytes.length).toBeGreaterThanOrEqual(Math.min(runBytes, r.bytes.length));
          });
          expect(runs.reduce((n, r) => n + r.newlines, 0)).toBe(text.split("\n").length - 1);
          expect(parseRuns(runs)).toEqual(records);
          // Progress as read: every newline told, and each record told is a record of the body, in order.
          expect(told.reduce((n, t) => n + t.lines, 0)).toBe(text.split("\n").length - 1);
          const lastTold = told.map((t) => t.last).filter((r) => r !== undefined);
          let at = 0;
          for (const r of lastTold) {
            const found = records.findIndex((x, i) => i >= at && JSON.stringify(x) === JSON.stringify(r));
            expect(found).toBeGreaterThanOrEqual(at);
            at = found;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("takes each run's memory from alloc (so a reader can recycle it)", () => {
    const body = Buffer.from(Array.from({ length: 50 }, (_, i) => JSON.stringify({ i })).join("\n") + "\n");
    const asked: number[] = [];
    const runs = split(body, 7, 40, {
      alloc: (n) => {
        asked.push(n);
        return new Uint8Array(new ArrayBuffer(n + 100), 0, n);
      },
    });
    expect(asked).toEqual(runs.map((r) => r.bytes.length));
    expect(runs.every((r) => r.bytes.buffer.byteLength === r.bytes.length + 100)).toBe(true);
  });

  it("refuses a line longer than the limit without waiting for its end", () => {
    const s = new NdjsonRunSplitter({ runBytes: 1024, maxLineBytes: 100 });
    const out: NdjsonRun[] = [];
    s.push(Buffer.from('{"a":1}\n'), out);
    s.push(Buffer.alloc(60, 0x41), out);
    expect(() => s.push(Buffer.alloc(60, 0x41), out)).toThrow(MalformedInput);
    expect(() => s.push(Buffer.alloc(60, 0x41), out)).toThrow(/longer than 100 bytes/);
  });

  it("counts a broken-off response's records by its runs' newlines", () => {
    const s = new NdjsonRunSplitter({ runBytes: 10 });
    const out: NdjsonRun[] = [];
    s.push(Buffer.from('{"a":1}\n{"a":2}\n{"a":3}\n{"a"'), out);
    expect(s.count(out)).toBe(3);
  });

  it("tells each chunk's lines and its last record as the response arrives (the slice guard's view)", () => {
    const told: [number, unknown][] = [];
    const s = new NdjsonRunSplitter({ runBytes: 1 << 20, onLines: (n, last) => told.push([n, last]) });
    const out: NdjsonRun[] = [];
    s.push(Buffer.from('{"t":1}\n{"t":2}\n{"t"'), out);
    s.push(Buffer.from(':3}\n'), out); // its only line began in the chunk before
    s.push(Buffer.from('{"t":4}\n'), out); // a whole line
    s.push(Buffer.from('not json\n'), out);
    expect(told).toEqual([
      [2, { t: 2 }],
      [1, undefined],
      [1, { t: 4 }],
      [1, undefined],
    ]);
    expect(out).toEqual([]);
  });

  it("parses a bad line in a run under its body-wide number", () => {
    const body = Buffer.from(['{"a":1}', '{"a":2}', '{"a":3}', '{"a":', '{"a":5}'].join("\n") + "\n");
    const runs = split(body, 3, 8);
    expect(runs.length).toBeGreaterThan(1);
    expect(() => parseRuns(runs)).toThrow(/^line 4 is not valid JSON/);
  });
});
