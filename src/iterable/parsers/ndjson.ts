/**
 * NDJSON (the export API's application/x-json-stream): one JSON object per
 * line, blank lines skipped. This is the hot path of every export: per line it
 * does one indexOf, one slice and one JSON.parse, and nothing that allocates
 * beyond what JSON.parse makes (UTF-8 is checked per chunk, natively).
 */
import { LineChunker, MAX_LINE_BYTES, notUtf8 } from "./lines.js";
import type { JsonRecord } from "../types.js";
import { badLine } from "./malformed.js";

export class NdjsonParser {
  readonly #chunker: LineChunker;
  /** Lines seen so far (blank ones included), for error messages. */
  #line = 0;

  /** `firstLine`: the number of the body's line the first pushed byte begins (a run's parser starts mid-body). */
  constructor(maxLineBytes = MAX_LINE_BYTES, firstLine = 1) {
    this.#chunker = new LineChunker(maxLineBytes);
    this.#line = firstLine - 1;
  }

  /** Parses every line this chunk completes, appending the records to `out`. */
  push(chunk: Buffer, out: JsonRecord[]): void {
    const text = this.#chunker.push(chunk);
    if (text !== "") this.#parse(text, out);
    this.#chunker.checkPending(this.#line + 1);
  }

  /** Parses a final line that had no newline. */
  end(out: JsonRecord[]): void {
    const text = this.#chunker.end();
    if (text !== "") this.#parse(text, out);
  }

  /** Lines seen so far. */
  get lines(): number {
    return this.#line;
  }

  #parse(text: string, out: JsonRecord[]): void {
    const len = text.length;
    let start = 0;
    let line = this.#line;
    const invalid = this.#chunker.invalidLine === 0 ? -1 : line + this.#chunker.invalidLine;
    while (start < len) {
      let nl = text.indexOf("\n", start);
      if (nl === -1) nl = len;
      line++;
      if (line === invalid) {
        this.#line = line;
        throw notUtf8(line);
      }
      if (nl > start) {
        const s = text.slice(start, nl);
        let value: unknown;
        try {
          value = JSON.parse(s);
        } catch (err) {
          this.#line = line;
          if (s.trim() === "") {
            start = nl + 1;
            continue;
          }
          throw badLine(line, s, `is not valid JSON (${(err as Error).message})`);
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          this.#line = line;
          throw badLine(line, s, "is not a JSON object");
        }
        out.push(value as JsonRecord);
      }
      start = nl + 1;
    }
    this.#line = line;
  }
}
