import { describe, expect, it } from "vitest";
import { decideSlot } from "../../../src/daemon/index.js";

const rules = { cap: 3, graceMs: 60_000 } as const;

describe("decideSlot", () => {
  it("fires the latest due slot when it is late by no more than the grace, whatever the policy", () => {
    for (const policy of ["all", "latest", "none"] as const) {
      expect(decideSlot({ ...rules, policy }, { isLast: true, lateMs: 60_000, caughtUp: 99 })).toEqual({ kind: "fire" });
    }
  });

  it("treats the latest due slot later than the grace as missed", () => {
    expect(decideSlot({ ...rules, policy: "none" }, { isLast: true, lateMs: 60_001, caughtUp: 0 })).toEqual({ kind: "skip", reason: "catchup: none" });
    expect(decideSlot({ ...rules, policy: "latest" }, { isLast: true, lateMs: 60_001, caughtUp: 0 })).toEqual({ kind: "catchup" });
  });

  it("under `all`, claims missed slots until the cap and skips the rest with the cap in the reason", () => {
    const all = { ...rules, policy: "all" } as const;
    expect(decideSlot(all, { isLast: false, lateMs: 0, caughtUp: 2 })).toEqual({ kind: "catchup" });
    expect(decideSlot(all, { isLast: false, lateMs: 0, caughtUp: 3 })).toEqual({ kind: "skip", reason: "catch-up cap 3 exceeded" });
  });

  it("under `latest`, skips every missed slot but the latest", () => {
    expect(decideSlot({ ...rules, policy: "latest" }, { isLast: false, lateMs: 0, caughtUp: 0 })).toEqual({ kind: "skip", reason: "catchup: latest" });
  });
});
