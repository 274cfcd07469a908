/** Hostile names at the pure level: guessed columns and user-given database/table names (property-based). */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { guessColumns } from "../../src/connector/guess.js";
import { ConfigError } from "../../src/errors.js";
import { checkDatabaseName, checkTableName, quoteIdent } from "../../src/warehouse/names.js";

let cases = 0;
afterAll(() => {
  console.info(`hostile names (pure): ${cases} cases run`);
});

const SAFE_COLUMN = /^[a-z_][a-z0-9_]{0,127}$/;

/** Keys as Iterable could send them: any UTF-16 (lone surrogates, NUL, controls), long ones, near-duplicates. */
const hostileKey = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("time", "TIME", "Time", "_itd_loads", "sqlite_master", "", "a.b", "a_b", "a__b", "_", "__", "9lives", '"; DROP TABLE x; --', "caf\u00e9", "cafe\u0301", "nul\u0000key", "rowid"),
  fc.integer({ min: 120, max: 10_000 }).map((n) => "k".repeat(n)),
  fc.integer({ min: 120, max: 300 }).map((n) => "K".repeat(n)),
);

describe("guessed columns", () => {
  it("are always safe, unique (also case-insensitively) and at most 128 characters, one per field (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(hostileKey, { maxLength: 30 }), (keys) => {
        cases++;
        const record = Object.fromEntries(keys.map((k, i) => [k, i]));
        const columns = guessColumns([record]);
        expect(columns.length).toBe(Object.keys(record).length);
        for (const c of columns) expect(c.name).toMatch(SAFE_COLUMN);
        expect(new Set(columns.map((c) => c.name.toLowerCase())).size).toBe(columns.length);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("database and table names", () => {
  it("are accepted exactly when they follow the rule, else refused with a ConfigError naming it (property)", () => {
    const name = fc.oneof(
      fc.string({ unit: "binary", maxLength: 140 }),
      fc.stringMatching(/^[a-z0-9_]{1,130}$/),
      fc.constantFrom("_itd_x", "sqlite_master", "sqlite_x", "x; DROP", "ok_name", "MyDb", "tablé", "../etc"),
    );
    fc.assert(
      fc.property(name, fc.constantFrom(checkDatabaseName, checkTableName), (n, check) => {
        cases++;
        const valid = /^[a-z0-9_]{3,128}$/.test(n) && !n.startsWith("_itd") && !n.startsWith("sqlite_");
        if (valid) {
          expect(check(n)).toBe(n);
        } else {
          let err: unknown;
          try {
            check(n);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as Error).message).toMatch(/3 to 128 characters of lowercase letters, digits and '_'|are reserved/);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("quoteIdent round-trips any string as one identifier (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        cases++;
        const q = quoteIdent(s);
        expect(q.startsWith('"') && q.endsWith('"')).toBe(true);
        expect(q.slice(1, -1).replaceAll('""', '"')).toBe(s);
        expect(q.slice(1, -1).replaceAll('""', "")).not.toContain('"');
      }),
      { numRuns: 1_000 },
    );
  });
});
