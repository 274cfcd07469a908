/**
 * Writing a response body: in ~64 KB chunks, honouring backpressure
 * (`write` returning false waits for 'drain'), noticing a client that went
 * away, and playing the body faults: a slow first byte, a stall mid-body, a
 * connection cut after N bytes, and (through `malformed`) a broken line that
 * the handler places.
 */
import type { ServerResponse } from "node:http";
import type { StatsRecorder } from "./stats.js";

/** Bytes (UTF-16 units, near enough) gathered before a chunk is written. */
export const CHUNK_SIZE = 64 * 1024;

export interface BodyFaults {
  slowMs?: number;
  stallMs?: number;
  cutAfterBytes?: number;
  malformed?: boolean;
}

export class ResponseWriter {
  private sent = 0;
  private gone = false;
  private stallPending: boolean;
  /** Where the body is cut (the `cut` fault), if anywhere. */
  private cutAt: number | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly res: ServerResponse,
    private readonly faults: BodyFaults,
    private readonly stats: StatsRecorder,
    private readonly endpoint: string,
  ) {
    this.stallPending = faults.stallMs !== undefined;
    this.cutAt = faults.cutAfterBytes;
    res.on("error", () => this.markGone());
    res.on("close", () => this.markGone());
  }

  /** True once the client disconnected, the body was cut, or the response ended. */
  get closed(): boolean {
    return this.gone;
  }

  /** Whether the handler should put a broken line in the body. */
  get malformed(): boolean {
    return this.faults.malformed === true;
  }

  private markGone(): void {
    this.gone = true;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Waits `ms` (or until the client goes away). */
  private sleep(ms: number): Promise<void> {
    if (this.gone || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Sends the status and headers (after the `slow` delay, if any). */
  async start(status: number, headers: Record<string, string>): Promise<void> {
    if (this.faults.slowMs !== undefined) await this.sleep(this.faults.slowMs);
    if (this.gone) return;
    this.res.writeHead(status, headers);
  }

  /** Writes raw bytes; resolves once they may be followed by more (drained, or handed to the OS when `flush`). */
  private async raw(text: Buffer | string, flush: boolean): Promise<boolean> {
    if (this.gone) return false;
    // Encode once here (the byte count needs it) rather than again inside write().
    const data = typeof text === "string" ? Buffer.from(text, "utf8") : text;
    this.sent += data.length;
    this.stats.bytes(this.endpoint, data.length);
    if (flush) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.waiters.delete(done);
          resolve();
        };
        this.waiters.add(done);
        this.res.write(data, done);
      });
      return !this.gone;
    }
    if (this.res.write(data)) {
      // Let other requests and socket events in between chunks of a fast stream.
      await new Promise<void>((resolve) => setImmediate(resolve));
    } else if (!this.gone) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.res.off("drain", done);
          this.waiters.delete(done);
          resolve();
        };
        this.res.on("drain", done);
        this.waiters.add(done);
      });
    }
    return !this.gone;
  }

  /** Sends headers and `bytes` of body already sent, then destroys the socket. */
  private async cut(head: Buffer): Promise<false> {
    await this.raw(head, true);
    this.res.socket?.destroy();
    this.markGone();
    return false;
  }

  /** Writes a piece of body; false means stop producing (client gone or body cut). */
  async write(text: string): Promise<boolean> {
    if (this.gone) return false;
    const cutAt = this.cutAt;
    if (!this.stallPending && cutAt === undefined) return this.raw(text, false);
    let data = Buffer.from(text);
    if (this.stallPending) {
      this.stallPending = false;
      const half = Math.max(1, data.length >> 1);
      if (cutAt === undefined || this.sent + half < cutAt) {
        if (!(await this.raw(data.subarray(0, half), true))) return false;
        await this.sleep(this.faults.stallMs ?? 0);
        data = data.subarray(half);
      }
    }
    if (cutAt !== undefined && this.sent + data.length >= cutAt) return this.cut(data.subarray(0, Math.max(0, cutAt - this.sent)));
    return this.raw(data, false);
  }

  /** Ends the body (a pending cut destroys the socket instead, so the body is always incomplete). */
  async end(): Promise<void> {
    if (this.gone) return;
    if (this.stallPending) {
      this.stallPending = false;
      await this.sleep(this.faults.stallMs ?? 0);
    }
    if (this.cutAt !== undefined) {
      await this.cut(Buffer.alloc(0));
      return;
    }
    if (!this.gone) this.res.end();
  }

  /**
   * A whole small body with a Content-Length (not chunked, as Iterable sends
   * campaigns, lists and errors): start, write, end. With `malformed`, only its
   * first half is sent (then a proper end, the length saying that half). A cut
   * past the end falls on its last byte, so the body is still incomplete.
   */
  async send(status: number, contentType: string, body: string): Promise<void> {
    let text = body;
    if (this.malformed && text.length > 1) {
      let half = text.length >> 1;
      if (/[\ud800-\udbff]/.test(text.charAt(half - 1))) half--;
      text = text.slice(0, half);
    }
    const length = Buffer.byteLength(text, "utf8");
    if (this.cutAt !== undefined) this.cutAt = Math.min(this.cutAt, Math.max(0, length - 1));
    await this.start(status, { "content-type": contentType, "content-length": String(length) });
    if (text.length > 0) await this.write(text);
    await this.end();
  }
}
