import Table from "cli-table3";
import fc from "fast-check";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseFormat, renderRows, writeRows, type Cell } from "../../../src/cli/output.js";

/** What renderRows drew before it drew in pieces: one cli-table3 table of every row (quadratic, fine for a few hundred). */
function oneTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (v: Cell): string => (v === null || v === undefined ? "" : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : String(v));
  const table = new Table({
    head: [...headers],
    chars: {
      top: "-", "top-mid": "+", "top-left": "+", "top-right": "+", bottom: "-", "bottom-mid": "+", "bottom-left": "+", "bottom-right": "+",
      left: "|", "left-mid": "", mid: "", "mid-mid": "", right: "|", "right-mid": "", middle: "|",
    },
    style: { head: [], border: [], "padding-left": 1, "padding-right": 1, compact: true },
  });
  for (const row of rows) table.push(row.map(text));
  const lines = table.toString().split("\n");
  lines.splice(2, 0, lines[0] ?? "");
  return `${lines.join("\n")}\n${rows.length === 1 ? "1 row in set" : `${rows.length} rows in set`}\n`;
}

/** Cells that make widths hard: wide (CJK), emoji, combining marks, ANSI colour, line breaks, tabs, bytes, big numbers. */
const HARD_CELLS: Cell[] = [
  "東京都", "👩‍💻 dev", "e\u0301te\u0301", "\u001b[31mred\u001b[0m", "two\nlines", "a\tb", new Uint8Array([0, 255, 7]), 12345678901234567890n,
  null, undefined, true, 3.25, "", "Zürich", "x".repeat(40),
];

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

  it("draws a long listing in pieces exactly as one cli-table3 table of all its rows", () => {
    const headers = ["id", "text", "note"];
    const rows = Array.from({ length: 340 }, (_, i) => [i, HARD_CELLS[i % HARD_CELLS.length], HARD_CELLS[(i * 7) % HARD_CELLS.length]] as Cell[]);
    rows[333] = [333, "the widest cell of all, far down the listing", "東京"];
    const drawn = renderRows("table", headers, rows);
    expect(drawn).toBe(oneTable(headers, rows));
    expect(drawn.split("\n")[0]).toBe(drawn.split("\n").at(-3)); // one width from top to bottom, set by row 333
  });

  it("draws any table as one cli-table3 table would (random cells and sizes across piece boundaries)", () => {
    const cell = fc.oneof(fc.string({ maxLength: 12, unit: "grapheme" }), fc.constantFrom(...HARD_CELLS), fc.integer(), fc.constant(null));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 230 }), fc.context(), (width, height, ctx) => {
        const headers = Array.from({ length: width }, (_, i) => `c${i}`);
        const rows = fc.sample(fc.array(cell, { minLength: width, maxLength: width }), { numRuns: height, seed: height * 31 + width });
        ctx.log(`${width} x ${height}`);
        expect(renderRows("table", headers, rows)).toBe(rows.length === 0 ? "0 rows in set\n" : oneTable(headers, rows));
      }),
      { numRuns: 12, seed: 20261204 },
    );
  });

  it("renders long csv, tsv and json listings whole, across their pieces", () => {
    const headers = ["n", "s"];
    const rows: Cell[][] = Array.from({ length: 2_345 }, (_, i) => [i, i % 3 === 0 ? null : `v,"${i}"\n\t`]);
    const objects = rows.map(([n, s]) => ({ n, s: s ?? null }));
    expect(renderRows("json", headers, rows)).toBe(JSON.stringify(objects, null, 2) + "\n");
    expect(renderRows("json", headers, [])).toBe("[]\n");
    const csv = renderRows("csv", headers, rows).split("\n");
    expect(csv.length).toBe(1 + 2 * 2_345 - Math.ceil(2_345 / 3) + 1); // a quoted line break in every row with text
    expect(renderRows("csv", headers, [])).toBe("n,s\n");
    const tsv = renderRows("tsv", headers, rows).split("\n");
    expect(tsv).toHaveLength(2 + 2_345);
    expect(tsv[2_345]).toBe("2344\tv,\"2344\"\\n\\t");
  });
});

describe("writeRows", () => {
  function sink(onWrite: (written: string) => void = () => undefined): { out: Writable; text: () => string } {
    let text = "";
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        onWrite(text);
        done();
      },
    });
    return { out, text: () => text };
  }
  const headers = ["id", "name"];
  const rows: Cell[][] = Array.from({ length: 1_000 }, (_, i) => [i, `name ${i}`]);

  it("writes what renderRows renders, in every format", async () => {
    for (const format of ["table", "csv", "tsv", "json"] as const) {
      const s = sink();
      await writeRows({ stdout: s.out, signal: new AbortController().signal }, format, headers, rows);
      expect(s.text()).toBe(renderRows(format, headers, rows));
    }
  });

  it("stops at the next piece once aborted and throws the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error("interrupted by SIGTERM");
    let writes = 0;
    const s = sink(() => {
      if (++writes === 2) controller.abort(reason);
    });
    await expect(writeRows({ stdout: s.out, signal: controller.signal }, "table", headers, rows)).rejects.toBe(reason);
    expect(writes).toBe(2);
    expect(s.text()).not.toContain("rows in set");
    expect(renderRows("table", headers, rows).startsWith(s.text())).toBe(true);
  });
});
