import { EventEmitter } from "node:events";
import type { ChildProcess } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../../src/clock.js";
import { IpcBudgets, serveChild, type ChildMessage, type ParentMessage } from "../../../src/daemon/ipc.js";
import { RateBudgets, type BudgetWait } from "../../../src/iterable/rate-budget.js";

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe("budget waits over IPC", () => {
  it("a job process is told how long the daemon's budget makes it wait, then granted", async () => {
    const clock = new FakeClock(0);
    const shared = new RateBudgets(clock, { export: { limit: 1, windowMs: 60_000, marginMs: 0 } });
    // The daemon's side of the channel and the job process's, wired back to back.
    const toChild = new EventEmitter();
    const child = Object.assign(new EventEmitter(), {
      connected: true,
      send: (m: ParentMessage) => toChild.emit("message", m),
    }) as unknown as ChildProcess;
    serveChild(child, shared, 7, { request: () => undefined, committed: () => undefined }, new AbortController().signal);
    const ipc = new IpcBudgets(
      new RateBudgets(clock),
      (m: ChildMessage) => child.emit("message", m),
      (on) => {
        toChild.on("message", on);
        return () => toChild.off("message", on);
      },
      7,
    );
    const waits: BudgetWait[] = [];
    await ipc.acquire("k", "export/data.json", undefined, (w) => waits.push(w));
    expect(waits).toEqual([]);
    let granted = false;
    void ipc.acquire("k", "export/data.json", undefined, (w) => waits.push(w)).then(() => (granted = true));
    await settle();
    expect(waits).toEqual([{ waitMs: 60_000, group: "export", limit: { limit: 1, windowMs: 60_000, marginMs: 0 } }]);
    expect(granted).toBe(false);
    clock.advance(60_000);
    await settle();
    expect(granted).toBe(true);
  });

  it("a pooled process's jobs share one channel: an answer for an earlier job never settles a request of the next, and each job's listener goes with it", async () => {
    const toChild = new EventEmitter();
    const sent: ChildMessage[] = [];
    const subscribe = (on: (m: ParentMessage) => void): (() => void) => {
      toChild.on("message", on);
      return () => toChild.off("message", on);
    };
    const clock = new FakeClock(0);
    const first = new IpcBudgets(new RateBudgets(clock), (m) => sent.push(m), subscribe, 1);
    const firstWaits = first.acquire("k", "export/data.json").catch((err: unknown) => `refused: ${String(err)}`);
    first.close();
    expect(await firstWaits).toMatch(/refused: .*job 1 is over/);
    expect(toChild.listenerCount("message")).toBe(0);
    const second = new IpcBudgets(new RateBudgets(clock), (m) => sent.push(m), subscribe, 2);
    let granted = false;
    void second.acquire("k", "export/data.json").then(() => (granted = true));
    expect(sent.map((m) => (m.t === "acquire" ? [m.jobId, m.id] : m.t))).toEqual([[1, 1], [2, 1]]);
    // The daemon's late answer to job 1's request 1: same request id, another job.
    toChild.emit("message", { t: "granted", jobId: 1, id: 1 } satisfies ParentMessage);
    await settle();
    expect(granted).toBe(false);
    toChild.emit("message", { t: "granted", jobId: 2, id: 1 } satisfies ParentMessage);
    await settle();
    expect(granted).toBe(true);
    second.close();
    expect(toChild.listenerCount("message")).toBe(0);
  });

  it("the daemon answers only the job it serves, and stops when that job is over (no budget spent for a job that ended)", async () => {
    const clock = new FakeClock(0);
    const shared = new RateBudgets(clock, { export: { limit: 1, windowMs: 60_000, marginMs: 0 } });
    const toChild: ParentMessage[] = [];
    const child = Object.assign(new EventEmitter(), { connected: true, send: (m: ParentMessage) => toChild.push(m) }) as unknown as ChildProcess;
    const over = new AbortController();
    serveChild(child, shared, 5, { request: () => undefined, committed: () => undefined }, over.signal);
    const before = child.listenerCount("message");
    child.emit("message", { t: "acquire", jobId: 4, id: 1, keyId: "k", endpoint: "export/data.json" } satisfies ChildMessage);
    await settle();
    expect(toChild).toEqual([]); // not its job
    child.emit("message", { t: "acquire", jobId: 5, id: 1, keyId: "k", endpoint: "export/data.json" } satisfies ChildMessage);
    await settle();
    expect(toChild).toEqual([{ t: "granted", jobId: 5, id: 1 }]);
    child.emit("message", { t: "acquire", jobId: 5, id: 2, keyId: "k", endpoint: "export/data.json" } satisfies ChildMessage);
    await settle();
    over.abort(); // the job ended while its request waited for the budget
    clock.advance(60_000);
    await settle();
    expect(toChild.filter((m) => m.t === "granted")).toHaveLength(1);
    expect(shared.inWindow("k", "export/data.json")).toBe(0); // the window moved on, and nothing was granted for it
    expect(child.listenerCount("message")).toBe(before - 1);
  });
});
