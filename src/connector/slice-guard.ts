/**
 * The watch on one adaptive slice's response (issue 18): it counts the
 * records read and abandons the response, by throwing (or aborting with)
 * SplitSlice, once it holds more than the cap or runs longer than allowed
 * since its request went out. Waiting for the rate budget or for a retry is
 * not slowness: the deadline runs only while a request is out. The runner
 * rolls the slice back and reads a shorter window: nothing of an abandoned
 * response is ever committed.
 */
import type { Clock } from "../clock.js";
import type { SplitInfo } from "./slicing.js";

export class SplitSlice extends Error {
  constructor(readonly info: SplitInfo, message: string) {
    super(message);
    this.name = "SplitSlice";
  }
}

export interface GuardLimits {
  maxRecords: number;
  maxResponseMs: number;
}

/** Resolves when `signal` aborts (never rejects). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

export class SliceGuard {
  #records = 0;
  #newest: number | undefined;
  #sentAt: number | undefined;
  #attempt: AbortController | undefined;
  #kick = new AbortController();
  readonly #stop = new AbortController();
  readonly #watch: Promise<void>;

  constructor(
    private readonly clock: Clock,
    private readonly limits: GuardLimits,
    private readonly timeOf?: ((record: Record<string, unknown>) => number | undefined) | undefined,
  ) {
    this.#watch = this.#run();
  }

  /** A fresh attempt of the slice: counts start over; its reads use the signal returned. */
  attempt(outer: AbortSignal | undefined): AbortSignal {
    this.#records = 0;
    this.#newest = undefined;
    this.#attempt = new AbortController();
    return outer === undefined ? this.#attempt.signal : AbortSignal.any([outer, this.#attempt.signal]);
  }

  /** A request of the slice went out: its deadline starts. */
  sent(): void {
    this.#sentAt = this.clock.now();
    this.#kick.abort();
  }

  /** The slice waits (a retry's backoff): no deadline meanwhile. */
  paused(): void {
    this.#sentAt = undefined;
    this.#kick.abort();
  }

  /** Counts a batch of records; throws SplitSlice once there are more than the cap. */
  saw(batch: readonly Record<string, unknown>[]): void {
    this.#records += batch.length;
    // The last of each batch: Iterable streams in time order, and parsing one time per chunk costs nothing.
    const last = batch[batch.length - 1];
    const t = last === undefined ? undefined : this.timeOf?.(last);
    if (t !== undefined && (this.#newest === undefined || t > this.#newest)) this.#newest = t;
    if (this.#records > this.limits.maxRecords) {
      throw new SplitSlice(this.#info("records"), `more than ${this.limits.maxRecords.toLocaleString("en-US")} records (max_slice_records)`);
    }
  }

  /**
   * Counts lines as the response's reader frames them (their parsing is
   * another thread's): past the cap, abandons the attempt as `tooSlow` does
   * (no throw: this runs inside the reading).
   */
  sawLines(lines: number, last: Record<string, unknown> | undefined): void {
    this.#records += lines;
    const t = last === undefined ? undefined : this.timeOf?.(last);
    if (t !== undefined && (this.#newest === undefined || t > this.#newest)) this.#newest = t;
    if (this.#records > this.limits.maxRecords) {
      this.#attempt?.abort(new SplitSlice(this.#info("records"), `more than ${this.limits.maxRecords.toLocaleString("en-US")} records (max_slice_records)`));
    }
  }

  /** Abandons the current attempt as too slow (a response timeout, or the deadline). */
  tooSlow(why: string): void {
    this.#attempt?.abort(new SplitSlice(this.#info("time"), why));
  }

  /** How long the current response has taken since its request went out, ms (0 when none is out). */
  responseMs(): number {
    return this.#sentAt === undefined ? 0 : this.clock.now() - this.#sentAt;
  }

  /** Ends the watch. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#watch;
  }

  #info(reason: SplitInfo["reason"]): SplitInfo {
    return { reason, records: this.#records, newest: this.#newest };
  }

  async #run(): Promise<void> {
    const seconds = Math.round(this.limits.maxResponseMs / 1000);
    while (!this.#stop.signal.aborted) {
      this.#kick = new AbortController();
      const wake = AbortSignal.any([this.#stop.signal, this.#kick.signal]);
      const sentAt = this.#sentAt;
      if (sentAt === undefined) {
        await aborted(wake);
        continue;
      }
      const left = sentAt + this.limits.maxResponseMs - this.clock.now();
      if (left <= 0) {
        this.#sentAt = undefined;
        this.tooSlow(`no complete response within ${seconds} s (max_slice_seconds)`);
        continue;
      }
      try {
        await this.clock.sleep(left, wake);
      } catch {
        // woken: a new request, a pause, or the end
      }
    }
  }
}
