/**
 * Line framing for streamed bodies. A newline byte (0x0A) never occurs inside
 * a multi-byte UTF-8 character, so cutting the bytes at the last newline of a
 * chunk always yields whole characters: bytes after it wait for the next chunk
 * (a line may span any number of chunks) and only complete lines are decoded.
 */
import { MalformedInput } from "./malformed.js";

const NL = 0x0a;

/** Longest line accepted, bytes: a longer one means a broken response, not data. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export class LineChunker {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #maxLineBytes: number;

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** The text of every line this chunk completes, each ending in "\n"; "" when it completes none. */
  push(chunk: Buffer): string {
    const last = chunk.lastIndexOf(NL);
    if (last === -1) {
      this.#keep(chunk);
      return "";
    }
    let text: string;
    if (this.#pending.length === 0) {
      text = chunk.toString("utf8", 0, last + 1);
    } else {
      this.#pending.push(chunk.subarray(0, last + 1));
      text = Buffer.concat(this.#pending).toString("utf8");
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    if (last + 1 < chunk.length) this.#keep(chunk.subarray(last + 1));
    return text;
  }

  /** What is left after the last newline (a final line without one), or "". */
  end(): string {
    if (this.#pending.length === 0) return "";
    const text = Buffer.concat(this.#pending).toString("utf8");
    this.#pending = [];
    this.#pendingBytes = 0;
    return text;
  }

  #keep(bytes: Buffer): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes > this.#maxLineBytes) {
      throw new MalformedInput(`a line is longer than ${this.#maxLineBytes} bytes`);
    }
  }
}

/** Plain text, one value per line (lists/getUsers): trimmed, blank lines skipped. */
export class TextLineParser {
  readonly #chunker: LineChunker;

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    this.#chunker = new LineChunker(maxLineBytes);
  }

  push(chunk: Buffer, out: string[]): void {
    const text = this.#chunker.push(chunk);
    if (text !== "") splitTextLines(text, out);
  }

  end(out: string[]): void {
    const text = this.#chunker.end();
    if (text !== "") splitTextLines(text, out);
  }
}

function splitTextLines(text: string, out: string[]): void {
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf("\n", start);
    if (nl === -1) nl = text.length;
    const line = text.slice(start, nl).trim();
    if (line !== "") out.push(line);
    start = nl + 1;
  }
}
