/**
 * Hostile daemon config files: the settings or a ConfigError whose every line
 * names the file; never a crash or a hang.
 */
import fc from "fast-check";
import { dump } from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseDaemonConfig, DAEMON_CONFIG_KEYS, type DaemonConfig } from "../../src/config/file.js";
import { ConfigError } from "../../src/errors.js";

const FILE = "itd.yml";
const SEED = 20261129;

function check(text: string): DaemonConfig | ConfigError {
  const started = performance.now();
  try {
    return parseDaemonConfig(text, FILE);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.message.split("\n")) expect(line.startsWith(FILE)).toBe(true);
    return err;
  } finally {
    expect(performance.now() - started).toBeLessThan(10_000); // a hang guard (the quadratic bug took ~56 s), not a performance figure
  }
}

const value = fc.anything({ maxDepth: 3, withBigInt: false, withMap: false, withSet: false, withDate: false, withTypedArray: false, withBoxedValues: false, withSparseArray: false, withObjectString: false });
const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom("10/s", "5/min", "0/s", "-1/s", "1e400/s", "30d", "0d", "99999999999999999999d", "all", "latest", "none", "127.0.0.1:0"));

describe("daemon config against hostile input", () => {
  it("random documents of known and unknown keys end in settings or a ConfigError naming the file", () => {
    const keys = fc.oneof(fc.constantFrom(...DAEMON_CONFIG_KEYS, "rate_limits", "__proto__"), fc.string());
    fc.assert(
      fc.property(fc.dictionary(keys, fc.oneof(scalar, value, fc.dictionary(fc.string(), scalar))), fc.boolean(), (doc, asJson) => {
        let text: string;
        try {
          text = asJson ? JSON.stringify(doc) : dump(doc, { skipInvalid: true });
        } catch {
          return;
        }
        check(text);
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it("random text ends in settings or a ConfigError naming the file", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(":", "-", " ", "\n", "&a", "*a", "---", "[", "{", "}", "home", "rate_limits", "#", "!!", "<<") })), (text) => {
        check(text);
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it("huge values, deep nesting, alias bombs and cycles end fast in a ConfigError", () => {
    const long = "x".repeat(1_000_000);
    expect(check(`${long}: 1\n`)).toBeInstanceOf(ConfigError);
    expect(check(`home: ${"[".repeat(1000)}${"]".repeat(1000)}\n`)).toBeInstanceOf(ConfigError);
    let bomb = "x:\n  a0: &a0 [1]\n";
    for (let i = 1; i <= 30; i++) bomb += `  a${i}: &a${i} [*a${i - 1}, *a${i - 1}]\n`;
    const r = check(bomb);
    expect(r).toBeInstanceOf(ConfigError);
    expect((r as ConfigError).message).toBe(`${FILE}: aliases expand to more than 1,000,000 values; write them out or use fewer aliases`);
    expect((check("rate_limits: &r {self: *r}\n") as ConfigError).message).toBe(`${FILE}: an alias refers to a collection that contains it (a cycle)`);
  });
});
