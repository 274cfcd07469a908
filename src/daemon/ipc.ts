/**
 * The daemon ↔ job-process protocol over Node's IPC channel. Jobs run in child
 * processes (a long import never delays the timer loop), but the rate budget
 * of an API key is one per daemon: children ask the parent before each request.
 *
 * A job process may be a pooled one that runs many jobs, one after another:
 * every message about a job carries its id, a job's listeners on either side
 * are removed when it ends, and an answer meant for an earlier job is never
 * taken for one of the current job's requests.
 */
import type { ChildProcess } from "node:child_process";
import type { BudgetWait, Endpoint, RateBudget, RateBudgets, RequestEvent } from "../iterable/index.js";
import type { ScheduleDefinition } from "../schedule/index.js";

/** A job process exits with this when the daemon went away while it ran a job (the next daemon recovers it). */
export const EXIT_DAEMON_GONE = 70;
/** A pooled job process exits with this when its job's end is not recorded: its pid dies, so recovery can end the job. */
export const EXIT_UNRECORDED = 75;
/** …and with this when it was also sent SIGTERM: the job was stopped on purpose (killed, not retried). */
export const EXIT_TERMINATED_UNRECORDED = 143;

/** How a job process reports a job it was handed is over (it has recorded the job's end, or could not). */
export interface DoneReport {
  jobId: number;
  /** The process's resident set size after the job (bytes). */
  rss: number;
  /** CPU time the job itself took in the process (user + system, ms). */
  cpuMs: number;
  /** Whether the job's row is final (this process recorded its end, or found it ended). */
  recorded: boolean;
  /** The process got SIGTERM (or SIGINT) during the job: it stopped it, and exits now. */
  terminated: boolean;
  /** The process declined the job before touching it (it was busy, or leaving): the job never started there. */
  refused: boolean;
  /** The process exits after this report (terminated, or its job's end is not recorded). */
  exiting: boolean;
}

export type ChildMessage =
  | { t: "acquire"; jobId: number; id: number; keyId: string; endpoint: Endpoint }
  | { t: "request"; jobId: number; event: Omit<RequestEvent, "durationMs"> & { durationMs: number } }
  /** Records just committed to the warehouse (visible in the table): an append slice's, or a replacing load's at its end. */
  | { t: "committed"; jobId: number; records: number }
  /** A pooled job process has loaded and waits for jobs. */
  | { t: "ready" }
  /** The job runs in this process from now on (it took the job over: its pid is recorded). `at`: epoch ms. */
  | { t: "started"; jobId: number; at: number }
  | ({ t: "done" } & DoneReport);

export type ParentMessage =
  | { t: "granted"; jobId: number; id: number }
  /** The request waits for the budget (told before "granted", so the job can say so). */
  | { t: "waiting"; jobId: number; id: number; wait: BudgetWait }
  | { t: "denied"; jobId: number; id: number; message: string }
  /**
   * Runs job `jobId`: the definition the daemon fired it from (the child must not re-read a file that may
   * have changed) and the stream lease the daemon took for it.
   */
  | { t: "definition"; jobId: number; definition: ScheduleDefinition | null; token: number };

/** In a job process: a budget that waits for the daemon's go-ahead, for one job. */
export class IpcBudgets implements RateBudget {
  private nextId = 1;
  private closed = false;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void; onWait?: ((wait: BudgetWait) => void) | undefined }>();
  private readonly unsubscribe: () => void;

  /** `subscribe` adds a listener of the daemon's messages and returns what removes it. */
  constructor(
    private readonly local: RateBudgets,
    private readonly send: (m: ChildMessage) => void,
    subscribe: (onMessage: (m: ParentMessage) => void) => () => void,
    private readonly jobId: number,
  ) {
    this.unsubscribe = subscribe((m) => {
      if (m.t === "definition" || m.jobId !== this.jobId) return;
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
    if (this.closed) return Promise.reject(new Error(`job ${this.jobId} is over: no more requests`));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, onWait });
      signal?.addEventListener("abort", () => {
        this.waiting.delete(id);
        reject(signal.reason);
      }, { once: true });
      this.send({ t: "acquire", jobId: this.jobId, id, keyId, endpoint });
    });
  }

  /** The job is over: its listener goes, and whatever still waits is refused. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const w of this.waiting.values()) w.reject(new Error(`job ${this.jobId} is over`));
    this.waiting.clear();
  }
}

/** What a job process tells the daemon besides asking for budget: its requests to Iterable and its commits. */
export interface ChildReports {
  request(e: (ChildMessage & { t: "request" })["event"]): void;
  committed(records: number): void;
}

/**
 * In the daemon: answers job `jobId`'s budget requests from the shared budgets, and passes on what it
 * reports, until `signal` aborts (the job ended, or the daemon let go). Returns what removes its listener.
 * Requests of other jobs (an earlier one of a pooled process) are not its business.
 */
export function serveChild(child: ChildProcess, budgets: RateBudget, jobId: number, reports: ChildReports, signal: AbortSignal): () => void {
  const send = (m: ParentMessage): void => {
    if (signal.aborted || !child.connected) return;
    try {
      child.send(m);
    } catch {
      // the channel closed meanwhile: the process's exit is handled elsewhere
    }
  };
  const onMessage = (raw: unknown): void => {
    const m = raw as ChildMessage;
    if (m.t !== "acquire" && m.t !== "request" && m.t !== "committed") return;
    if (m.jobId !== jobId || signal.aborted) return;
    if (m.t === "request") {
      reports.request(m.event);
      return;
    }
    if (m.t === "committed") {
      reports.committed(m.records);
      return;
    }
    const onWait = (wait: BudgetWait): void => send({ t: "waiting", jobId, id: m.id, wait });
    budgets.acquire(m.keyId, m.endpoint, signal, onWait).then(
      () => send({ t: "granted", jobId, id: m.id }),
      (err: unknown) => send({ t: "denied", jobId, id: m.id, message: String(err) }),
    );
  };
  child.on("message", onMessage);
  const stop = (): void => {
    child.off("message", onMessage);
  };
  signal.addEventListener("abort", stop, { once: true });
  return stop;
}
