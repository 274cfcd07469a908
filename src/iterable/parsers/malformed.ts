/**
 * A body the parsers cannot read. Parsers are pure and know nothing of
 * endpoints; the client turns this into an IterableApiError
 * (code MalformedResponse) naming the request.
 */
import { excerpt } from "../error-body.js";

export class MalformedInput extends Error {
  /** 1-based line (NDJSON, text) or row (CSV) where the problem is, when known. */
  readonly line: number | undefined;

  constructor(message: string, line?: number) {
    super(message);
    this.name = "MalformedInput";
    this.line = line;
  }
}

/** `line 1234 is not valid JSON (Unexpected token …): "{"a":…"` */
export function badLine(line: number, text: string, problem: string): MalformedInput {
  return new MalformedInput(`line ${line} ${problem}: ${JSON.stringify(excerpt(text))}`, line);
}
