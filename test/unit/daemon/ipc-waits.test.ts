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
});
