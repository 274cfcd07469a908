/**
 * The scheduler's batched claims (SlotStore.claimMany, a state store shared
 * by several daemons over the network): a tick's due slots go in one call,
 * a slot another daemon is dealing with (`busy`) is asked again shortly, and
 * a failed call puts every slot back — every slot still claimed once, in
 * order, none lost.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { at, def, harness, iso, MemorySlotStore, type Harness } from "./helpers.js";

/** A store that takes a tick's claims at once; `busy` answers for a schedule's slot as another daemon holding it would. */
class BatchingStore extends MemorySlotStore {
  readonly batches: number[] = [];
  busy: (schedule: string, slot: number) => boolean = () => false;
  failBatch = (): boolean => false;

  readonly claimMany = (claims: readonly { schedule: string; slot: number; priority: number; catchup: boolean }[]): ("queued" | "taken" | "busy")[] => {
    this.batches.push(claims.length);
    if (this.failBatch()) throw new Error("the PostgreSQL state store went away");
    const busy = new Set<string>();
    return claims.map((c) => {
      if (busy.has(c.schedule) || this.busy(c.schedule, c.slot)) {
        busy.add(c.schedule);
        return "busy";
      }
      return this.claim(c.schedule, c.slot, c.priority, c.catchup) ? "queued" : "taken";
    });
  };
}

let h: Harness | undefined;
afterEach(() => h?.scheduler.stop());

/** Claims of each schedule are in slot order, each slot once. */
function inOrderOnce(store: MemorySlotStore, schedule: string): string[] {
  const claimed = store.claimed(schedule);
  expect([...claimed].sort()).toEqual(claimed);
  expect(new Set(claimed).size).toBe(claimed.length);
  return claimed;
}

describe("batched claims", () => {
  it("claims every due slot of a tick in one call, each once", async () => {
    const store = new BatchingStore();
    h = harness(at("2026-01-10T10:00:30Z"), { store });
    h.scheduler.setSchedules(Array.from({ length: 50 }, (_, i) => def(`s${i}`, "* * * * *")));
    void h.scheduler.start();
    await h.runTo(at("2026-01-10T10:05:30Z"));
    expect(store.batches).toEqual([50, 50, 50, 50, 50]);
    for (let i = 0; i < 50; i++) expect(inOrderOnce(store, `s${i}`)).toHaveLength(5);
    expect(h.fired()).toHaveLength(250);
  });

  it("asks again for a slot another daemon is claiming, and never claims past it meanwhile", async () => {
    const store = new BatchingStore();
    let busyAsks = 0;
    store.busy = (schedule, slot) => schedule === "a" && iso(slot) === "2026-01-10T10:01:00.000Z" && busyAsks++ < 2;
    h = harness(at("2026-01-10T10:00:30Z"), { store });
    h.scheduler.setSchedules([def("a", "* * * * *"), def("b", "* * * * *")]);
    void h.scheduler.start();
    await h.walkTo(at("2026-01-10T10:03:30Z"), 250);
    expect(busyAsks).toBe(3);
    expect(inOrderOnce(store, "a")).toEqual(["2026-01-10T10:01:00.000Z", "2026-01-10T10:02:00.000Z", "2026-01-10T10:03:00.000Z"]);
    expect(inOrderOnce(store, "b")).toHaveLength(3);
    // Asked again after a second, twice, then claimed (still within the grace: fired, not caught up).
    const late = h.fired("a")[0]?.lateMs ?? -1;
    expect(late).toBeGreaterThanOrEqual(2_000);
    expect(late).toBeLessThan(5_000);
  });

  it("finds the slot claimed by the daemon that held it, and fires nothing twice", async () => {
    const store = new BatchingStore();
    let once = true;
    store.busy = (schedule, slot) => {
      if (!once || schedule !== "a") return false;
      once = false;
      store.seed("a", slot); // the other daemon claims it and commits
      return true;
    };
    h = harness(at("2026-01-10T10:00:30Z"), { store });
    h.scheduler.setSchedules([def("a", "* * * * *")]);
    void h.scheduler.start();
    await h.walkTo(at("2026-01-10T10:02:30Z"), 250);
    expect(inOrderOnce(store, "a")).toEqual(["2026-01-10T10:02:00.000Z"]);
    expect(h.events.filter((e) => e.type === "duplicate").map((e) => "slot" in e && iso(e.slot))).toEqual(["2026-01-10T10:01:00.000Z"]);
  });

  it("puts every slot of a failed call back and claims them after retryMs", async () => {
    const store = new BatchingStore();
    let failures = 2;
    store.failBatch = () => failures-- > 0;
    h = harness(at("2026-01-10T10:00:30Z"), { store, retryMs: 5_000 });
    h.scheduler.setSchedules([def("a", "* * * * *"), def("b", "*/2 * * * *")]);
    void h.scheduler.start();
    await h.walkTo(at("2026-01-10T10:04:30Z"), 500);
    expect(inOrderOnce(store, "a")).toEqual(["01", "02", "03", "04"].map((m) => `2026-01-10T10:${m}:00.000Z`));
    expect(inOrderOnce(store, "b")).toEqual(["02", "04"].map((m) => `2026-01-10T10:${m}:00.000Z`));
    expect(h.events.filter((e) => e.type === "error")).toHaveLength(2);
  });

  it("catches up missed slots in order, each once, with the catch-up event", async () => {
    const store = new BatchingStore();
    store.seed("a", at("2026-01-10T09:00:00Z"));
    h = harness(at("2026-01-10T10:00:30Z"), { store });
    h.scheduler.setSchedules([def("a", "*/10 * * * *", { catchup: "all" })]);
    void h.scheduler.start();
    await h.settle();
    expect(inOrderOnce(store, "a")).toHaveLength(6);
    const catchup = h.events.filter((e) => e.type === "catchup");
    expect(catchup).toHaveLength(1);
    // The missed ones are recorded as catch-up in their jobs; the latest, within the grace, fires on time.
    expect(store.caughtUp.map((c) => iso(c.slot))).toEqual(["09:10", "09:20", "09:30", "09:40", "09:50"].map((t) => `2026-01-10T${t}:00.000Z`));
  });

  it("loses and doubles no slot whatever the store answers busy or fails, and the clock steps (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 20, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 20 }),
        fc.integer({ min: 100, max: 300_000 }),
        fc.integer({ min: 1, max: 4 }),
        async (busyPlan, failPlan, step, cap) => {
          const store = new BatchingStore();
          let b = 0;
          let f = 0;
          store.busy = () => busyPlan[b++ % busyPlan.length] === true && b < 400;
          store.failBatch = () => failPlan[f++ % failPlan.length] === true && f < 60;
          // Steps of minutes make slots late: the catch-up cap then skips some after claiming others in one tick.
          const local = harness(at("2026-01-10T10:00:30Z"), { store, retryMs: 3_000, catchupCap: cap });
          try {
            local.scheduler.setSchedules([def("a", "* * * * *"), def("b", "*/3 * * * *"), def("c", "30 * * * * *")]);
            void local.scheduler.start();
            await local.walkTo(at("2026-01-10T10:20:30Z"), step);
            // Long enough after the last slot for every retry: no more busy answers nor failures.
            store.busy = () => false;
            store.failBatch = () => false;
            await local.walkTo(at("2026-01-10T10:21:30Z"), 1_000);
            const a = inOrderOnce(store, "a");
            const bb = inOrderOnce(store, "b");
            const c = inOrderOnce(store, "c");
            // Every slot from the first to 10:21:30 is dealt with: claimed, or skipped by the catch-up policy — never both, never neither.
            const dealt = (name: string, every: number, offset: number): void => {
              const all = [...(store.slots.get(name)?.keys() ?? [])].sort((x, y) => x - y);
              const first = at("2026-01-10T10:00:30Z");
              const expected: number[] = [];
              for (let t = Math.ceil((first - offset) / every) * every + offset; t <= at("2026-01-10T10:21:30Z"); t += every) if (t > first) expected.push(t);
              expect(all.map(iso)).toEqual(expected.map(iso));
            };
            dealt("a", 60_000, 0);
            dealt("b", 180_000, 0);
            dealt("c", 60_000, 30_000);
            return a.length + bb.length + c.length > 0;
          } finally {
            local.scheduler.stop();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
