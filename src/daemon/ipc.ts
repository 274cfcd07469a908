/**
 * The daemon ↔ job-process protocol over Node's IPC channel. Jobs run in child
 * processes (a long import never delays the timer loop), but the rate budget
 * of an API key is one per daemon: children ask the parent before each request.
 */
import type { ChildProcess } from "node:child_process";
import type { BudgetWait, Endpoint, RateBudget, RateBudgets, RequestEvent } from "../iterable/index.js";
import type { ScheduleDefinition } from "../schedule/index.js";

export type ChildMessage =
  | { t: "acquire"; id: number; keyId: string; endpoint: Endpoint }
  | { t: "request"; event: Omit<RequestEvent, "durationMs"> & { durationMs: number } }
  /** Records just committed to the warehouse (visible in the table): an append slice's, or a replacing load's at its end. */
  | { t: "committed"; records: number };

export type ParentMessage =
  | { t: "granted"; id: number }
  /** The request waits for the budget (told before "granted", so the job can say so). */
  | { t: "waiting"; id: number; wait: BudgetWait }
  | { t: "denied"; id: number; message: string }
  /** The definition the daemon fired the job from (the child must not re-read a file that may have changed). */
  | { t: "definition"; definition: ScheduleDefinition | null; token: number };

/** In a job process: a budget that waits for the daemon's go-ahead. */
export class IpcBudgets implements RateBudget {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void; onWait?: ((wait: BudgetWait) => void) | undefined }>();

  constructor(
    private readonly local: RateBudgets,
    private readonly send: (m: ChildMessage) => void,
    subscribe: (onMessage: (m: ParentMessage) => void) => void,
  ) {
    subscribe((m) => {
      if (m.t === "definition") return;
      const w = this.waiting.get(m.id);
      if (!w) return;
      if (m.t === "waiting") {
        try {
          w.onWait?.(m.wait);
        } catch {
          // a listener's trouble is not the budget's
        }
        return;
      }
      this.waiting.delete(m.id);
      if (m.t === "granted") w.resolve();
      else w.reject(new Error(m.message));
    });
  }

  /** Same limits as the daemon's (spacing after a 429 without Retry-After). */
  spacingOf(endpoint: Endpoint): number {
    return this.local.spacingOf(endpoint);
  }

  acquire(keyId: string, endpoint: Endpoint, signal?: AbortSignal, onWait?: (wait: BudgetWait) => void): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, onWait });
      signal?.addEventListener("abort", () => {
        this.waiting.delete(id);
        reject(signal.reason);
      }, { once: true });
      this.send({ t: "acquire", id, keyId, endpoint });
    });
  }
}

/** What a job process tells the daemon besides asking for budget: its requests to Iterable and its commits. */
export interface ChildReports {
  request(e: (ChildMessage & { t: "request" })["event"]): void;
  committed(records: number): void;
}

/** In the daemon: answers a child's budget requests from the shared budgets, and passes on what it reports. */
export function serveChild(child: ChildProcess, budgets: RateBudgets, reports: ChildReports, signal: AbortSignal): void {
  child.on("message", (raw: unknown) => {
    const m = raw as ChildMessage;
    if (m.t === "request") {
      reports.request(m.event);
      return;
    }
    if (m.t === "committed") {
      reports.committed(m.records);
      return;
    }
    if (m.t !== "acquire") return;
    const onWait = (wait: BudgetWait): void => {
      if (child.connected) child.send({ t: "waiting", id: m.id, wait } satisfies ParentMessage);
    };
    budgets.acquire(m.keyId, m.endpoint, signal, onWait).then(
      () => child.connected && child.send({ t: "granted", id: m.id } satisfies ParentMessage),
      (err: unknown) => child.connected && child.send({ t: "denied", id: m.id, message: String(err) } satisfies ParentMessage),
    );
  });
}
