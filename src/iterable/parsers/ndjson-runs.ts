/**
 * NDJSON cut into runs for parsing elsewhere (issue 12): the calling thread
 * only frames the body — whole lines gathered into runs of about `runBytes`
 * — counts its lines and parses one line per network chunk (its last, for
 * the slice guard: how many records and how far in time the response got).
 * Everything else (UTF-8, JSON, records) is the import's parse threads' work,
 * which name a bad line by its number in the body.
 */
import type { JsonRecord } from "../types.js";
import { MAX_LINE_BYTES } from "./lines.js";
import { MalformedInput } from "./malformed.js";
import { NdjsonParser } from "./ndjson.js";

/** Size of a run: big enough that its message costs nothing, small enough that threads share a slice and memory stays low (1 MB measured as fast as 2 MB, ~10 MB less at peak). */
export const RUN_BYTES = 1024 * 1024;

const NL = 0x0a;

/**
 * Bytes of a run decoded at a time by whoever parses it: V8 makes strings
 * from bytes an order of magnitude slower past ~128 KB (measured: 139 MB
 * decoded in 2 MB pieces 628 ms, in 64 KB pieces 24 ms).
 */
export const DECODE_BYTES = 64 * 1024;

/** Whole lines of a body, in body order. */
export interface NdjsonRun {
  /** The run's bytes (its own copy): whole lines; the body's last one may lack its newline. */
  bytes: Uint8Array;
  /** Newlines in the run: its records, but for blank lines and a final line without one. */
  newlines: number;
}

export interface RunSplitterOptions {
  runBytes?: number;
  maxLineBytes?: number;
  /** Memory for a run of n bytes (a reader may recycle runs' memory); default a new array. */
  alloc?: (bytes: number) => Uint8Array;
  /**
   * Told, per chunk that completes lines, how many it completed and the last
   * of them as a record (undefined when it does not parse as an object, or
   * began in an earlier chunk): the response's progress, before any thread
   * has parsed it.
   */
  onLines?: (lines: number, last: JsonRecord | undefined) => void;
}

export class NdjsonRunSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes since the last newline. */
  #lineBytes = 0;
  /** Newlines in the pending bytes. */
  #newlines = 0;
  /** Newlines framed in all. */
  #seen = 0;

  private readonly runBytes: number;
  private readonly maxLineBytes: number;
  private readonly alloc: (bytes: number) => Uint8Array;
  private readonly onLines: RunSplitterOptions["onLines"];

  constructor(options: RunSplitterOptions = {}) {
    this.runBytes = options.runBytes ?? RUN_BYTES;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.alloc = options.alloc ?? ((n) => new Uint8Array(n));
    this.onLines = options.onLines;
  }

  push(chunk: Buffer, out: NdjsonRun[]): void {
    const carried = this.#lineBytes;
    const nl = chunk.lastIndexOf(NL);
    if (nl === -1) {
      this.#lineBytes += chunk.length;
      if (this.#lineBytes > this.maxLineBytes) {
        throw new MalformedInput(`a line is longer than ${this.maxLineBytes} bytes (${this.#lineBytes} bytes without a newline so far)`);
      }
      this.#take(chunk);
      return;
    }
    this.#lineBytes = chunk.length - nl - 1;
    let lines = 0;
    let previous = -1;
    for (let i = chunk.indexOf(NL); i !== -1 && i <= nl; i = chunk.indexOf(NL, i + 1)) {
      lines++;
      if (i < nl) previous = i;
    }
    this.#newlines += lines;
    this.#seen += lines;
    // The chunk's last line, when it begins in this chunk.
    if (this.onLines !== undefined) this.onLines(lines, previous >= 0 || carried === 0 ? recordOf(chunk, previous + 1, nl) : undefined);
    if (this.#pendingBytes + nl + 1 >= this.runBytes) {
      this.#take(chunk.subarray(0, nl + 1));
      out.push(this.#cut());
      this.#take(chunk.subarray(nl + 1));
    } else {
      this.#take(chunk);
    }
  }

  end(out: NdjsonRun[]): void {
    if (this.#pendingBytes > 0) out.push(this.#cut());
  }

  /** Records framed so far, in runs or pending (their newlines): told to `onLines` already. */
  seen(): number {
    return this.#seen;
  }

  /** Records the runs hold, as far as the framing tells (their newlines). */
  count(runs: readonly NdjsonRun[]): number {
    let n = 0;
    for (const r of runs) n += r.newlines;
    return n;
  }

  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  #cut(): NdjsonRun {
    // One copy the run owns (a chunk's memory may be a shared pool's), transferable to a thread.
    const bytes = this.alloc(this.#pendingBytes);
    let at = 0;
    for (const b of this.#pending) {
      bytes.set(b, at);
      at += b.length;
    }
    const newlines = this.#newlines;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#newlines = 0;
    return { bytes, newlines };
  }
}

function recordOf(bytes: Buffer, start: number, end: number): JsonRecord | undefined {
  const line = bytes.toString("utf8", start, end).trim();
  if (line === "") return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as JsonRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses a run's lines in DECODE_BYTES pieces, handing `take` each piece's
 * records (the same array, emptied after each call: what is alive at once
 * stays small). `firstLine`: the body's number of the run's first line, for
 * the MalformedInput it throws.
 */
export function parseRun(run: Uint8Array, firstLine: number, take: (records: JsonRecord[]) => void): void {
  const parser = new NdjsonParser(MAX_LINE_BYTES, firstLine);
  const bytes = Buffer.from(run.buffer, run.byteOffset, run.byteLength);
  const parsed: JsonRecord[] = [];
  for (let at = 0; at < bytes.length; at += DECODE_BYTES) {
    parser.push(bytes.subarray(at, at + DECODE_BYTES), parsed);
    take(parsed);
    parsed.length = 0;
  }
  parser.end(parsed);
  take(parsed);
}
