/**
 * Hostile load.yml documents: every input ends in a valid config or a
 * LoadConfigError whose every line names the file; never a crash, a hang or
 * the API key in a message.
 */
import fc from "fast-check";
import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import { inFields, LoadConfigError, parseLoadConfig, type LoadConfig } from "../../src/connector/index.js";

const FILE = "load.yml";
const SEED = 20261129;

/** A valid load.yml such as connector:guess writes. */
const VALID = `in:
  type: iterable
  api_key: \${ITERABLE_API_KEY}
  base_url: http://127.0.0.1:9999
  data_type: export_data
  export_data_type: emailSend
  start_time: '2026-06-01T00:00:00Z'
  end_time: '2026-06-02T00:00:00Z'
  incremental: true
  columns:
    - {name: email, type: string}
    - {name: created_at, type: timestamp, format: '%Y-%m-%d %H:%M:%S %:z'}
    - {name: campaign_id, type: long}
out:
  mode: append
exec: {}
filters: []
`;
const ENV = { ITERABLE_API_KEY: "k-123" };

/** Runs parseLoadConfig and checks the invariant; returns the config or the error lines. */
function check(text: string, env: Record<string, string | undefined> = ENV): LoadConfig | readonly string[] {
  const started = performance.now();
  let result: LoadConfig | readonly string[];
  try {
    result = parseLoadConfig(text, FILE, env);
    expect(result.source).toBe(FILE);
    expect(typeof result.in.api_key).toBe("string");
  } catch (err) {
    if (!(err instanceof LoadConfigError)) throw err;
    expect(err.problems.length).toBeGreaterThan(0);
    for (const line of err.message.split("\n")) expect(line.startsWith(FILE)).toBe(true);
    result = err.problems;
  }
  expect(performance.now() - started).toBeLessThan(10_000); // a hang guard (the quadratic bug took ~56 s), not a performance figure
  return result;
}

/** The error lines for a text that must be refused. */
function problemsOf(text: string): readonly string[] {
  const r = check(text);
  if (!Array.isArray(r)) throw new Error("expected a LoadConfigError");
  return r as readonly string[];
}

const key = fc.oneof(
  fc.constantFrom("in", "out", "exec", "filters", "config", "type", "api_key", "data_type", "columns", "mode", "__proto__", "constructor", "toString", "<<"),
  fc.string(),
  fc.string({ unit: "grapheme" }),
);
const anyValue = fc.anything({ key, maxDepth: 4, withNullPrototype: true, withBigInt: false, withMap: false, withSet: false, withObjectString: false, withBoxedValues: false, withTypedArray: false, withSparseArray: false, withDate: false });

describe("load.yml against hostile input", () => {
  it("an unknown key or value a million characters long is reported fast and short (regression: the did-you-mean hint was quadratic, ~50 s, and the key was printed whole)", () => {
    const long = "x".repeat(1_000_000);
    const started = performance.now();
    expect(problemsOf(VALID.replace("emailSend", long))[0]).toMatch(/^load\.yml: in\.export_data_type: expected one of Iterable's export data types/);
    expect(problemsOf(`${long}: 1\n`)[0]).toBe(`load.yml: ${"x".repeat(57)}...: unknown key; allowed keys: ${Object.keys(inFields).join(", ")}`);
    expect(performance.now() - started).toBeLessThan(10_000); // a hang guard (the quadratic bug took ~56 s), not a performance figure
  });

  it("random documents (as YAML and JSON) end in a config or a ConfigError naming the file", () => {
    let cases = 0;
    fc.assert(
      fc.property(anyValue, fc.boolean(), (doc, asJson) => {
        cases++;
        let text: string;
        try {
          text = asJson ? JSON.stringify(doc) ?? "null" : dump(doc, { skipInvalid: true });
        } catch {
          return; // not representable
        }
        check(text);
      }),
      { numRuns: 1500, seed: SEED },
    );
    expect(cases).toBe(1500);
  });

  it("random section contents under in/out/exec/filters end in a config or a ConfigError naming the file", () => {
    fc.assert(
      fc.property(fc.record({ in: anyValue, out: anyValue, exec: anyValue, filters: anyValue }, { requiredKeys: ["in"] }), (doc) => {
        check(JSON.stringify(doc));
      }),
      { numRuns: 800, seed: SEED },
    );
  });

  it("no message line is longer than a few hundred characters, whatever the keys and values", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 0, maxLength: 5000 }), fc.oneof(fc.string({ maxLength: 5000 }), anyValue)), fc.constantFrom("in", "out", "top"), (section, where) => {
        const doc = where === "top" ? { in: { type: "iterable", api_key: "k" }, ...section } : { in: { type: "iterable", api_key: "k" }, [where]: section };
        const r = check(JSON.stringify(doc));
        if (Array.isArray(r)) for (const line of r as string[]) expect(line.length).toBeLessThan(2000);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it("random text ends in a config or a ConfigError naming the file", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(":", "-", " ", "\n", "&a", "*a", "[", "]", "{", "}", "!", "'", '"', "#", "|", ">", "%", "@", "`", "in", "?", "\t", "<<") })), (text) => {
        check(text);
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it("a valid load.yml with random keys deleted or replaced ends in a config or a ConfigError naming the file", () => {
    const base = parseLoadConfig(VALID, FILE, ENV).raw as unknown as Record<string, Record<string, unknown>>;
    const inKeys = Object.keys(base.in ?? {});
    const edit = fc.record({
      section: fc.constantFrom("in", "out", "exec", "filters", "in", "in"),
      key: fc.oneof(fc.constantFrom(...inKeys, "mode", "region", "list_id", "campaign_ids", "omit_fields", "only_fields", "date_range", "use_date_range", "retry_limit", "number_of_ids_for_each_request", "start_date", "end_date", "max_retry_wait", "initial_retry_wait", "prefer_user_id", "campaign_id"), fc.string()),
      value: fc.oneof(fc.constant(undefined), anyValue, fc.string(), fc.integer(), fc.double(), fc.constantFrom("${UNSET}", "${EMPTY}", "", "2026-13-01T00:00:00Z", "us", "eu", "campaign", "list", "export_data", "all")),
    });
    let valid = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 5 }), fc.boolean(), (edits, asJson) => {
        const doc = structuredClone(base) as Record<string, unknown>;
        for (const e of edits) {
          const section = doc[e.section];
          if (typeof section !== "object" || section === null || Array.isArray(section)) {
            doc[e.section] = e.value;
            continue;
          }
          if (e.value === undefined) delete (section as Record<string, unknown>)[e.key];
          else (section as Record<string, unknown>)[e.key] = e.value;
        }
        let text: string;
        try {
          text = asJson ? JSON.stringify(doc) : dump(doc, { skipInvalid: true });
        } catch {
          return;
        }
        const r = check(text, { ...ENV, EMPTY: "" });
        if (!Array.isArray(r)) valid++;
      }),
      { numRuns: 1500, seed: SEED },
    );
    expect(valid).toBeGreaterThan(0);
  });

  it("a ${NAME} api_key that is unset or empty never shows the key's value or another secret in the message", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/), fc.constantFrom("unset", "empty", "blank"), (secret, name, how) => {
        const env: Record<string, string | undefined> = { OTHER_SECRET: secret };
        if (how === "empty") env[name] = "";
        if (how === "blank") env[name] = "  \t";
        if (name === "OTHER_SECRET") return;
        const text = VALID.replace("${ITERABLE_API_KEY}", `"\${${name}}"`);
        const r = check(text, env);
        expect(Array.isArray(r)).toBe(true);
        expect((r as string[]).join("\n")).not.toContain(secret);
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it("a literal api_key never appears in any message, whatever else is wrong", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 6 }).filter((s) => s.trim().length >= 6), anyValue, (secret, junk) => {
        const doc = { in: { type: "iterable", api_key: secret, region: junk, data_type: junk, columns: junk }, out: { mode: junk } };
        const r = check(JSON.stringify(doc));
        if (Array.isArray(r)) expect(r.join("\n")).not.toContain(secret);
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it("huge values: long strings, ~1000-level nesting and big lists end fast in a config or a ConfigError", () => {
    const long = "x".repeat(1_000_000);
    check(VALID.replace("emailSend", long));
    check(`in:\n  type: iterable\n  api_key: "${long}"\n`);
    check(`${long}: 1\n`);
    let deep = "1";
    for (let i = 0; i < 1000; i++) deep = `[${deep}]`;
    check(`in: ${deep}\n`);
    check(`${"[".repeat(1000)}${"]".repeat(1000)}`);
    check(`${"{a: ".repeat(1000)}1${"}".repeat(1000)}`);
    let block = "in:\n";
    for (let i = 0; i < 1000; i++) block += `${" ".repeat(i + 2)}k${i}:\n`;
    check(block);
    check(VALID.replace("  columns:\n", `  columns:\n${"    - {name: c, type: string}\n".repeat(10_000)}`));
    check(JSON.stringify({ in: { type: "iterable", api_key: "k", campaign_ids: Array.from({ length: 200_000 }, (_, i) => i + 1) } }));
  });
});

describe("load.yml alias bombs", () => {
  /** `levels` anchors, each a list of `width` aliases to the one before: width^levels values once expanded. */
  function bomb(levels: number, width: number, indent: string): string {
    let text = `${indent}a0: &a0 ["lol"]\n`;
    for (let i = 1; i <= levels; i++) text += `${indent}a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(", ")}]\n`;
    return text;
  }
  const HEAD = "in: {type: iterable, api_key: k, data_type: campaign}\nout: {mode: append}\n";

  it("a billion-laughs list in filters (kept as is) is refused before anything expands it", () => {
    const r = check(`${HEAD}filters:\n  - \n${bomb(9, 10, "    ")}`);
    expect(r).toEqual(["load.yml: aliases expand to more than 1,000,000 values; write them out or use fewer aliases"]);
  });

  it("a narrow bomb (2 aliases a level, 40 levels: 2^40 values) is refused too", () => {
    const r = check(`${HEAD}exec:\n${bomb(40, 2, "  ")}`);
    expect(r).toEqual(["load.yml: aliases expand to more than 1,000,000 values; write them out or use fewer aliases"]);
  });

  it("more than 100 aliases are refused by the parser with the position", () => {
    const r = check(`${HEAD}exec:\n  a: &a 1\n  b: [${Array.from({ length: 101 }, () => "*a").join(", ")}]\n`);
    expect(r).toEqual([expect.stringMatching(/^load\.yml:\d+:\d+: aliases exceeded maxAliases \(100\)$/)]);
  });

  it("a self-referencing alias (a cycle) is refused instead of crashing whoever walks it", () => {
    expect(check(`${HEAD}filters: &f [*f]\n`)).toEqual(["load.yml: an alias refers to a collection that contains it (a cycle)"]);
    expect(check(`${HEAD}exec: &e {self: *e}\n`)).toEqual(["load.yml: an alias refers to a collection that contains it (a cycle)"]);
  });

  it("a few ordinary anchors and aliases, shared by several keys, are still accepted", () => {
    const text = `in:\n  type: iterable\n  api_key: k\n  data_type: campaign\n  campaign_ids: &ids [1, 2, 3]\nout: &out {mode: append}\nexec: {a: *out, b: *out, ids: *ids}\n`;
    const r = check(text);
    expect(Array.isArray(r)).toBe(false);
  });
});
