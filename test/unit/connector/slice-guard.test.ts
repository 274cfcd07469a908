import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { SliceGuard, SplitSlice } from "../../../src/connector/slice-guard.js";

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const T0 = Date.UTC(2026, 0, 1);
const at = (minutes: number): { createdAt: string } => ({
  createdAt: new Date(T0 + minutes * 60_000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " +00:00"),
});
const timeOf = (r: Record<string, unknown>): number | undefined => Date.parse(String(r["createdAt"]).replace(" +00:00", "Z").replace(" ", "T"));

describe("the watch on an adaptive slice's response", () => {
  it("abandons a response that runs past the limit after its request went out, not while it waited", async () => {
    const clock = new FakeClock(T0);
    const guard = new SliceGuard(clock, { maxRecords: 1_000, maxResponseMs: 10_000 }, timeOf);
    const signal = guard.attempt(undefined);
    // Waiting for the budget (no request out yet) is not slowness.
    clock.advance(60_000);
    await settle();
    expect(signal.aborted).toBe(false);
    guard.sent();
    await settle();
    guard.saw([at(1), at(5)]);
    clock.advance(9_999);
    await settle();
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    await settle();
    expect(signal.aborted).toBe(true);
    const reason = signal.reason as SplitSlice;
    expect(reason).toBeInstanceOf(SplitSlice);
    expect(reason.info).toEqual({ reason: "time", records: 2, newest: T0 + 5 * 60_000 });
    expect(reason.message).toBe("no complete response within 10 s (max_slice_seconds)");
    await guard.stop();
  });

  it("a retry's backoff pauses the deadline; the retried request gets a whole one", async () => {
    const clock = new FakeClock(T0);
    const guard = new SliceGuard(clock, { maxRecords: 1_000, maxResponseMs: 10_000 });
    const signal = guard.attempt(undefined);
    guard.sent();
    await settle();
    clock.advance(8_000);
    await settle();
    guard.paused();
    await settle();
    clock.advance(30_000);
    await settle();
    expect(signal.aborted).toBe(false);
    guard.sent();
    await settle();
    clock.advance(9_000);
    await settle();
    expect(signal.aborted).toBe(false);
    expect(guard.responseMs()).toBe(9_000);
    await guard.stop();
    clock.advance(60_000);
    await settle();
    expect(signal.aborted).toBe(false);
  });

  it("throws once a response holds more records than the cap, saying how far it got", () => {
    const clock = new FakeClock(T0);
    const guard = new SliceGuard(clock, { maxRecords: 3, maxResponseMs: 10_000 }, timeOf);
    guard.attempt(undefined);
    guard.saw([at(0), at(1)]);
    guard.saw([at(2)]);
    let thrown: unknown;
    try {
      guard.saw([at(3), at(7)]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SplitSlice);
    expect((thrown as SplitSlice).info).toEqual({ reason: "records", records: 5, newest: T0 + 7 * 60_000 });
    // a new attempt counts from zero
    guard.attempt(undefined);
    expect(() => guard.saw([at(0), at(1), at(2)])).not.toThrow();
    void guard.stop();
  });

  it("an outer abort still reaches the attempt's reads", async () => {
    const clock = new FakeClock(T0);
    const guard = new SliceGuard(clock, { maxRecords: 3, maxResponseMs: 10_000 });
    const outer = new AbortController();
    const signal = guard.attempt(outer.signal);
    outer.abort(new Error("killed"));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe("killed");
    await guard.stop();
  });
});
