import { describe, expect, it } from "vitest";
import { makeRedactor } from "../../../src/iterable/redact.js";

describe("makeRedactor", () => {
  it("replaces the key anywhere in a text, raw or URL-encoded", () => {
    const redact = makeRedactor("ab+cd/ef=0123");
    expect(redact("key ab+cd/ef=0123 in url ?k=ab%2Bcd%2Fef%3D0123&x=xab+cd/ef=0123y")).toBe("key *** in url ?k=***&x=x***y");
  });

  it("replaces a short key only where it stands alone, so ordinary words survive", () => {
    const redact = makeRedactor("k");
    expect(redact('jiwoo.nowak569@example.net api-key: k, "k"')).toBe('jiwoo.nowak569@example.net api-key: ***, "***"');
  });
});
