import { describe, expect, it } from "vitest";
import { campaignRow, listRows, newestFirst } from "../../../src/cli/iterable-rows.js";
import type { Campaign, IterableList } from "../../../src/iterable/index.js";

const list = (id: unknown, more: Record<string, unknown> = {}): IterableList =>
  ({ id, name: `L${String(id)}`, createdAt: Date.UTC(2024, 0, 2, 3, 4, 5), listType: "Standard", ...more }) as IterableList;

const campaign = (id: unknown, more: Record<string, unknown> = {}): Campaign =>
  ({ id, name: `C${String(id)}`, type: "Blast", campaignState: "Finished", messageMedium: "Email", createdAt: 0, updatedAt: 0, createdByUserId: "a@b.c", ...more }) as Campaign;

describe("iterable:lists rows", () => {
  it("sorts lists by id and prints createdAt as TD's UTC time", () => {
    const rows = listRows([list(30), list(4, { description: "d" }), list(200)]);
    expect(rows.map((r) => r[0])).toEqual([4, 30, 200]);
    expect(rows[0]).toEqual([4, "L4", "Standard", "2024-01-02 03:04:05 +0000", "d"]);
    expect(rows[1]?.[4]).toBe("");
  });

  it("shows odd fields as blank or JSON and puts lists without a numeric id last", () => {
    const rows = listRows([list("x", { createdAt: "yesterday", name: { en: "N" } }), list(7, { createdAt: null, listType: undefined })]);
    expect(rows).toEqual([
      [7, "L7", "", "", ""],
      ["x", '{"en":"N"}', "Standard", "yesterday", ""],
    ]);
  });
});

describe("iterable:campaigns rows", () => {
  it("puts the highest id first, non-numeric ids last, and cuts at the limit", () => {
    const rows = [campaign(5), campaign(null), campaign(900), campaign(17)].map(campaignRow);
    expect(newestFirst(rows).map((r) => r[0])).toEqual([900, 17, 5, ""]);
    expect(newestFirst(rows, 2).map((r) => r[0])).toEqual([900, 17]);
  });

  it("has id, name, type, medium, state and created, with a missing medium blank", () => {
    const [row] = newestFirst([campaignRow(campaign(1, { messageMedium: undefined, createdAt: Date.UTC(2025, 11, 31, 23, 59, 59) }))]);
    expect(row).toEqual([1, "C1", "Blast", "", "Finished", "2025-12-31 23:59:59 +0000"]);
  });
});
