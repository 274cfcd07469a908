import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { budgetKeyId, DEFAULT_RATE_LIMITS, marginOf, RateBudgets } from "../../../src/iterable/rate-budget.js";

/** Lets pending promise callbacks run (the budget's queue hops through a few). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function tracker(promise: Promise<void>): { done: () => boolean } {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  return { done: () => done };
}

const limits = { export: { limit: 2, windowMs: 1_000, marginMs: 0 } };

describe("RateBudgets", () => {
  it("grants up to the limit at once, then waits for the oldest grant to leave the window", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, limits);
    await budgets.acquire("k", "export/data.json");
    clock.advance(400);
    await budgets.acquire("k", "export/data.json");
    const third = tracker(budgets.acquire("k", "export/data.json"));
    await settle();
    expect(third.done()).toBe(false);
    clock.advance(599);
    await settle();
    expect(third.done()).toBe(false);
    clock.advance(1);
    await settle();
    expect(third.done()).toBe(true);
    expect(clock.now()).toBe(1_000);
  });

  it("slides: after a wait, the next request waits for the second-oldest grant", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, limits);
    await budgets.acquire("k", "export/data.json");
    clock.advance(400);
    await budgets.acquire("k", "export/data.json");
    clock.advance(600);
    await budgets.acquire("k", "export/data.json");
    const fourth = tracker(budgets.acquire("k", "export/data.json"));
    await settle();
    clock.advance(399);
    await settle();
    expect(fourth.done()).toBe(false);
    clock.advance(1);
    await settle();
    expect(fourth.done()).toBe(true);
  });

  it("setLimits applies to a key already in use, and to its request waiting", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, limits);
    await budgets.acquire("k", "export/data.json");
    await budgets.acquire("k", "export/data.json");
    budgets.setLimits({ export: { limit: 3, windowMs: 1_000, marginMs: 0 } });
    const third = tracker(budgets.acquire("k", "export/data.json"));
    await settle();
    expect(third.done()).toBe(true);
    const fourth = tracker(budgets.acquire("k", "export/data.json"));
    await settle();
    budgets.setLimits({ export: { limit: 1, windowMs: 2_000, marginMs: 0 } });
    clock.advance(1_000);
    await settle();
    expect(fourth.done()).toBe(false);
    clock.advance(1_000);
    await settle();
    expect(fourth.done()).toBe(true);
  });

  it("counts data.json and data.csv against one export budget", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, limits);
    await budgets.acquire("k", "export/data.json");
    await budgets.acquire("k", "export/data.csv");
    const third = tracker(budgets.acquire("k", "export/data.csv"));
    await settle();
    expect(third.done()).toBe(false);
  });

  it("gives each endpoint group its own budget", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, { ...limits, getUsers: { limit: 1, windowMs: 1_000, marginMs: 0 } });
    await budgets.acquire("k", "export/data.json");
    await budgets.acquire("k", "export/data.json");
    const users = tracker(budgets.acquire("k", "lists/getUsers"));
    await settle();
    expect(users.done()).toBe(true);
  });

  it("shares one budget between two clients of the same key and base URL", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, limits);
    const a = budgetKeyId("key-1", "https://api.iterable.com");
    const b = budgetKeyId("key-1", "https://api.iterable.com");
    await budgets.acquire(a, "export/data.json");
    await budgets.acquire(b, "export/data.json");
    const third = tracker(budgets.acquire(a, "export/data.json"));
    await settle();
    expect(third.done()).toBe(false);
    expect(budgets.inWindow(b, "export/data.json")).toBe(2);
  });

  it("keeps separate budgets for different keys", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, limits);
    const a = budgetKeyId("key-1", "https://api.iterable.com");
    const b = budgetKeyId("key-2", "https://api.iterable.com");
    expect(a).not.toBe(b);
    await budgets.acquire(a, "export/data.json");
    await budgets.acquire(a, "export/data.json");
    const other = tracker(budgets.acquire(b, "export/data.json"));
    await settle();
    expect(other.done()).toBe(true);
  });

  it("serves waiters first come, first served", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, { export: { limit: 1, windowMs: 100, marginMs: 0 } });
    const order: number[] = [];
    const all = [1, 2, 3].map((n) => budgets.acquire("k", "export/data.json").then(() => order.push(n)));
    for (let i = 0; i < 3; i++) {
      await settle();
      clock.advance(100);
    }
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3]);
  });

  it("rejects a waiting acquire on abort without spending a grant, and lets the next one through", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock, { export: { limit: 1, windowMs: 100, marginMs: 0 } });
    await budgets.acquire("k", "export/data.json");
    const controller = new AbortController();
    const aborted = budgets.acquire("k", "export/data.json", controller.signal);
    const next = tracker(budgets.acquire("k", "export/data.json"));
    controller.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    clock.advance(100);
    await settle();
    expect(next.done()).toBe(true);
    expect(budgets.inWindow("k", "export/data.json")).toBe(1);
  });

  it("adds a margin of 2% or 250 ms, whichever is larger, to minute windows", () => {
    expect(marginOf(DEFAULT_RATE_LIMITS.export)).toBe(1_200);
    expect(marginOf({ limit: 10, windowMs: 60_000 })).toBe(1_200);
    expect(marginOf({ limit: 10, windowMs: 10_000 })).toBe(200);
    expect(marginOf({ limit: 100, windowMs: 1_000 })).toBe(20);
  });

  it("waits the window plus the margin with Iterable's export limit", async () => {
    const clock = new FakeClock(0);
    const budgets = new RateBudgets(clock);
    for (let i = 0; i < 4; i++) await budgets.acquire("k", "export/data.json");
    const fifth = tracker(budgets.acquire("k", "export/data.json"));
    await settle();
    clock.advance(60_000);
    await settle();
    expect(fifth.done()).toBe(false);
    clock.advance(1_200);
    await settle();
    expect(fifth.done()).toBe(true);
  });

  it("does not stall when the clock jumps back", async () => {
    const clock = new FakeClock(1_000_000);
    const budgets = new RateBudgets(clock, { export: { limit: 1, windowMs: 100, marginMs: 0 } });
    await budgets.acquire("k", "export/data.json");
    clock.set(0);
    const next = tracker(budgets.acquire("k", "export/data.json"));
    await settle();
    clock.advance(100);
    await settle();
    expect(next.done()).toBe(true);
  });

  it("keys budgets by a short hash that does not contain the key", () => {
    const id = budgetKeyId("super-secret-key", "https://api.iterable.com");
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(budgetKeyId("super-secret-key", "https://api.eu.iterable.com")).not.toBe(id);
  });
});
