import { describe, expect, it } from "vitest";
import { flatten } from "../../../src/iterable/flatten.js";

async function* batches(log: string[]): AsyncGenerator<number[]> {
  try {
    yield [1, 2];
    yield [];
    yield [3];
    yield [4, 5, 6];
  } finally {
    log.push("source closed");
  }
}

describe("flatten", () => {
  it("yields every item of every batch in order, skipping empty batches", async () => {
    const log: string[] = [];
    const out: number[] = [];
    for await (const n of flatten(batches(log))) out.push(n);
    expect(out).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log).toEqual(["source closed"]);
  });

  it("closes the source when the consumer stops early", async () => {
    const log: string[] = [];
    for await (const n of flatten(batches(log))) if (n === 2) break;
    expect(log).toEqual(["source closed"]);
  });

  it("passes on the source's error", async () => {
    async function* failing(): AsyncGenerator<number[]> {
      yield [1];
      throw new Error("cut");
    }
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const n of flatten(failing())) out.push(n);
      })(),
    ).rejects.toThrow("cut");
    expect(out).toEqual([1]);
  });
});
