import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { effectivePriority, pickJobs, PRIORITY_AGING_MS, scheduleKey } from "../../../src/daemon/pick.js";
import type { Job } from "../../../src/store/index.js";

let nextId = 1;
function job(schedule: string | null, slot: number, priority = 0): Job {
  const id = nextId++;
  return {
    id, kind: "scheduled", schedule, scheduledTime: slot, status: "queued", database: "d", table: "t", priority, config: "",
    stream: schedule === null ? `issue:${id}` : `schedule:${schedule}`, records: 0, skippedRecords: 0, presentRecords: 0, updatedRecords: 0, bytes: 0, createdAt: 0, startAt: null, endAt: null, error: null,
    configDiff: null, pid: null, scheduleId: null, host: null, runAt: null, catchup: false,
  };
}

/** Queue order as the store gives it: priority desc, slot asc, id asc. */
function queue(...jobs: Job[]): Job[] {
  return [...jobs].sort((a, b) => b.priority - a.priority || (a.scheduledTime ?? 0) - (b.scheduledTime ?? 0) || a.id - b.id);
}

describe("pickJobs", () => {
  it("never starts a second slot of a schedule that is running: the slot waits (overlap)", () => {
    const q = queue(job("daily", 2), job("other", 1));
    expect(pickJobs(q, new Set(["schedule:daily"]), 4).map((j) => j.schedule)).toEqual(["other"]);
  });

  it("starts one slot per schedule at a time, the earliest first", () => {
    const a1 = job("a", 100);
    const a2 = job("a", 200);
    const picked = pickJobs(queue(a2, a1, job("b", 150)), new Set(), 4);
    expect(picked.map((j) => [j.schedule, j.scheduledTime])).toEqual([["a", 100], ["b", 150]]);
  });

  it("orders by priority when the concurrency limit is reached", () => {
    const low = job("low", 1, -2);
    const high = job("high", 5, 2);
    const mid = job("mid", 3, 0);
    expect(pickJobs(queue(low, high, mid), new Set(), 2).map((j) => j.schedule)).toEqual(["high", "mid"]);
  });

  it("keeps a schedule's slot order even when a later slot was queued with a higher priority", () => {
    const later = job("s", 200, 2);
    const earlier = job("s", 100, 0);
    expect(pickJobs(queue(later, earlier), new Set(), 1).map((j) => j.scheduledTime)).toEqual([100]);
  });

  it("starts nothing without a free slot", () => {
    expect(pickJobs(queue(job("a", 1)), new Set(), 0)).toEqual([]);
  });
});

describe("pickJobs: aging", () => {
  const aged = (schedule: string, slot: number, priority: number, createdAt: number): Job => ({ ...job(schedule, slot, priority), createdAt });

  it("a low-priority job that waited long enough overtakes fresh high-priority ones (no starvation)", () => {
    const now = 10 * PRIORITY_AGING_MS;
    const low = aged("low", 1, -2, now - 5 * PRIORITY_AGING_MS); // -2 + 5 = 3
    const high = aged("high", 2, 2, now); // 2
    expect(pickJobs(queue(high, low), new Set(), 1, now).map((j) => j.schedule)).toEqual(["low"]);
    // Before it has waited that long, priority wins.
    expect(pickJobs(queue(high, low), new Set(), 1, now - 2 * PRIORITY_AGING_MS).map((j) => j.schedule)).toEqual(["high"]);
  });

  it("one level per PRIORITY_AGING_MS waited, never less than the job's own priority", () => {
    const j = aged("a", 1, -1, 1_000);
    expect(effectivePriority(j, 1_000)).toBe(-1);
    expect(effectivePriority(j, 1_000 + PRIORITY_AGING_MS - 1)).toBe(-1);
    expect(effectivePriority(j, 1_000 + PRIORITY_AGING_MS)).toBe(0);
    expect(effectivePriority(j, 0)).toBe(-1); // a clock behind createdAt
  });

  it("a queue that keeps getting fresh high-priority work still runs every low job within a bounded wait", () => {
    // Simulate a saturated daemon: one free runner per minute, a fresh priority-2 job every minute.
    let queued: Job[] = [aged("low", 0, -2, 0)];
    let lowStartedAt: number | undefined;
    for (let minute = 0; minute < 20 && lowStartedAt === undefined; minute++) {
      const now = minute * PRIORITY_AGING_MS;
      queued.push(aged(`hot${minute}`, minute, 2, now));
      const [picked] = pickJobs(queue(...queued), new Set(), 1, now);
      if (picked?.schedule === "low") lowStartedAt = minute;
      queued = queued.filter((q) => q !== picked);
    }
    expect(lowStartedAt).toBeDefined();
    expect(lowStartedAt as number).toBeLessThanOrEqual(5);
  });

  it("picks exactly what the first version did (each pick scanning the whole queue), on random queues", () => {
    /** pickJobs as it was before it found each schedule's earliest slot once. */
    function reference(queued: readonly Job[], running: ReadonlySet<string>, free: number, now: number): Job[] {
      const picked: Job[] = [];
      const taken = new Set<string>();
      const order = queued
        .map((j) => ({ j, rank: effectivePriority(j, now) }))
        .sort((a, b) => b.rank - a.rank || (a.j.scheduledTime ?? 0) - (b.j.scheduledTime ?? 0) || a.j.id - b.j.id)
        .map((x) => x.j);
      for (const j of order) {
        if (picked.length >= free) break;
        const key = scheduleKey(j);
        if (running.has(key) || taken.has(key)) continue;
        taken.add(key);
        picked.push(queued.filter((x) => scheduleKey(x) === key).reduce((a, b) => ((b.scheduledTime ?? 0) < (a.scheduledTime ?? 0) ? b : a), j));
      }
      return picked;
    }
    const arbJob = fc.record({ s: fc.integer({ min: 0, max: 4 }), slot: fc.integer({ min: 0, max: 6 }), priority: fc.integer({ min: -2, max: 2 }), age: fc.integer({ min: 0, max: 5 }) });
    fc.assert(
      fc.property(fc.array(arbJob, { maxLength: 25 }), fc.integer({ min: 1, max: 5 }), fc.subarray(["schedule:s0", "schedule:s1"]), (specs, free, running) => {
        const now = 10 * PRIORITY_AGING_MS;
        const q = queue(...specs.map((x) => ({ ...job(`s${x.s}`, x.slot, x.priority), createdAt: now - x.age * PRIORITY_AGING_MS })));
        const want = reference(q, new Set(running), free, now).map((j) => j.id);
        expect(pickJobs(q, new Set(running), free, now).map((j) => j.id)).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});
