import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeCopyBuffer, encodeCopyRows, type CopyKind } from "../../../src/warehouse/postgres/copy.js";
import type { CellValue, Row } from "../../../src/warehouse/types.js";

const KINDS: CopyKind[] = ["other", "boolean", "timestamptz", "jsonb", "other"];

describe("COPY text", () => {
  it("escapes backslash, tab, newline and carriage return, writes \\N for null and t/f for booleans", () => {
    const rows: Row[] = [
      ["a\\b\tc\nd\re", 1, "2026-06-01 00:00:00.000", '{"a":"x\\\\y"}', 12n],
      [null, 0, null, null, 1.5],
    ];
    const text = 'a\\\\b\\tc\\nd\\re\tt\t2026-06-01 00:00:00.000+00\t{"a":"x\\\\\\\\y"}\t12\n\\N\tf\t\\N\t\\N\t1.5\n';
    expect(encodeCopyRows(rows, KINDS)).toBe(text);
    expect(encodeCopyBuffer(rows, KINDS).toString("utf8")).toBe(text);
  });

  it("the bytes are the text's UTF-8, whatever the rows (multi-byte, lone surrogates, NUL, rows far over the first buffer)", () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.bigInt(),
      fc.string({ unit: "binary" }),
      fc.string({ unit: "binary", minLength: 300, maxLength: 3000 }),
      fc.constantFrom("2026-06-01 12:34:56.789", "x\0y", "\uD800", "é\t€\n😀", '{"k":"\\\\u0000"}'),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value, value, value, value), { maxLength: 40 }), (tuples) => {
        const rows = tuples.map((t) => t as CellValue[]);
        expect(encodeCopyBuffer(rows, KINDS).equals(Buffer.from(encodeCopyRows(rows, KINDS), "utf8"))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("an empty chunk is no bytes", () => {
    expect(encodeCopyBuffer([], KINDS).length).toBe(0);
  });
});
