/**
 * Line framing for streamed bodies. A newline byte (0x0A) never occurs inside
 * a multi-byte UTF-8 character, so cutting the bytes at the last newline of a
 * chunk always yields whole characters: bytes after it wait for the next chunk
 * (a line may span any number of chunks) and only complete lines are decoded.
 *
 * Completed lines are checked to be valid UTF-8 (a fast native pass): bytes
 * that are not would otherwise be stored as U+FFFD without a word. A line
 * that grows past the limit without a newline is refused, so a body that
 * trickles forever (the idle timeout only catches silence) cannot take all
 * the memory.
 */
import { isUtf8 } from "node:buffer";
import { MalformedInput } from "./malformed.js";

const NL = 0x0a;

/** Longest line accepted, bytes: a longer one means a broken response, not data. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export class LineChunker {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** 1-based index, in the text last returned, of its first line that was not valid UTF-8; 0 when none. */
  #invalidLine = 0;
  readonly #maxLineBytes: number;

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** The text of every line this chunk completes, each ending in "\n"; "" when it completes none. */
  push(chunk: Buffer): string {
    this.#invalidLine = 0;
    const last = chunk.lastIndexOf(NL);
    if (last === -1) {
      this.#keep(chunk);
      return "";
    }
    let bytes: Buffer;
    if (this.#pending.length === 0) {
      bytes = chunk.subarray(0, last + 1);
    } else {
      this.#pending.push(chunk.subarray(0, last + 1));
      bytes = Buffer.concat(this.#pending);
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    if (last + 1 < chunk.length) this.#keep(chunk.subarray(last + 1));
    return this.#decode(bytes);
  }

  /** What is left after the last newline (a final line without one), or "". */
  end(): string {
    this.#invalidLine = 0;
    if (this.#pending.length === 0) return "";
    const bytes = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    return this.#decode(bytes);
  }

  /** Which line of the text last returned (1-based) is the first that was not valid UTF-8; 0 when all were. */
  get invalidLine(): number {
    return this.#invalidLine;
  }

  /**
   * Throws when the unfinished line is longer than the limit. `line` is its
   * number, which only the caller knows; call it after the completed lines.
   */
  checkPending(line: number): void {
    if (this.#pendingBytes > this.#maxLineBytes) {
      throw new MalformedInput(
        `line ${line} is longer than ${this.#maxLineBytes} bytes (${this.#pendingBytes} bytes without a newline so far)`,
        line,
      );
    }
  }

  #keep(bytes: Buffer): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  #decode(bytes: Buffer): string {
    if (!isUtf8(bytes)) this.#invalidLine = firstInvalidLine(bytes);
    return bytes.toString("utf8");
  }
}

/** The 1-based number of the first line of `bytes` that is not valid UTF-8 (bytes known to hold one). */
function firstInvalidLine(bytes: Buffer): number {
  let start = 0;
  for (let line = 1; ; line++) {
    let nl = bytes.indexOf(NL, start);
    if (nl === -1) nl = bytes.length;
    if (!isUtf8(bytes.subarray(start, nl))) return line;
    if (nl >= bytes.length) return line;
    start = nl + 1;
  }
}

/** The error for a line that is not valid UTF-8. */
export function notUtf8(line: number): MalformedInput {
  return new MalformedInput(`line ${line} is not valid UTF-8`, line);
}

/**
 * Plain text, one value per line (lists/getUsers): trimmed, blank lines
 * skipped. A line holding a NUL byte or bytes that are not UTF-8 is refused:
 * no email or user id has them, and a binary body must not become members.
 */
export class TextLineParser {
  readonly #chunker: LineChunker;
  /** Lines seen so far (blank ones included), for error messages. */
  #line = 0;

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.#chunker = new LineChunker(maxLineBytes);
  }

  push(chunk: Buffer, out: string[]): void {
    const text = this.#chunker.push(chunk);
    if (text !== "") this.#split(text, out);
    this.#chunker.checkPending(this.#line + 1);
  }

  end(out: string[]): void {
    const text = this.#chunker.end();
    if (text !== "") this.#split(text, out);
  }

  #split(text: string, out: string[]): void {
    const invalid = this.#chunker.invalidLine;
    const first = this.#line;
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf("\n", start);
      if (nl === -1) nl = text.length;
      this.#line++;
      if (this.#line - first === invalid) throw notUtf8(this.#line);
      const line = text.slice(start, nl).trim();
      if (line.includes("\0")) throw new MalformedInput(`line ${this.#line} contains a NUL byte`, this.#line);
      if (line !== "") out.push(line);
      start = nl + 1;
    }
  }
}
