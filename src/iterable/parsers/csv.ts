/**
 * A streaming RFC 4180 CSV parser: quoted fields (with commas, newlines and
 * doubled quotes inside), CRLF or LF row ends, a final row without one.
 * Lenient where the RFC is strict but the meaning is clear (a quote inside an
 * unquoted field is a character; text after a closing quote is appended);
 * an unterminated quoted field at the end is an error (a truncated body).
 * Blank lines are skipped.
 */
import { StringDecoder } from "node:string_decoder";
import { MalformedInput } from "./malformed.js";

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Longest row accepted, characters (its fields together): past it the body is
 * broken, and a row of endless short fields would otherwise grow in memory.
 */
export const MAX_ROW_CHARS = 64 * 1024 * 1024;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** Just read a quote inside a quoted field: either an escaped quote or the closing one. */
  QuoteInQuoted,
}

export class CsvParser {
  readonly #decoder = new StringDecoder("utf8");
  #state: State = State.FieldStart;
  #field = "";
  #row: string[] = [];
  /** Characters in the fields of #row. */
  #rowChars = 0;
  readonly #maxRowChars: number;
  /** The previous text ended a row with CR: a leading LF belongs to it. */
  #afterCr = false;
  #started = false;
  /** Rows completed so far (for error messages). */
  #rows = 0;

  constructor(maxRowChars = MAX_ROW_CHARS) {
    this.#maxRowChars = maxRowChars;
  }

  /** Parses the bytes of a chunk, appending completed rows to `out`. */
  push(chunk: Buffer, out: string[][]): void {
    this.pushText(this.#decoder.write(chunk), out);
  }

  /** Parses decoded text. */
  pushText(input: string, out: string[][]): void {
    let text = input;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (this.#state === State.Quoted) {
        const q = text.indexOf('"', i);
        if (q === -1) {
          this.#field += text.slice(i);
          break;
        }
        this.#field += text.slice(i, q);
        this.#state = State.QuoteInQuoted;
        i = q + 1;
        continue;
      }
      if (this.#state === State.QuoteInQuoted) {
        if (text.charCodeAt(i) === QUOTE) {
          this.#field += '"';
          this.#state = State.Quoted;
          i++;
          continue;
        }
        this.#state = State.Unquoted;
      }
      if (this.#afterCr) {
        this.#afterCr = false;
        if (text.charCodeAt(i) === LF) {
          i++;
          continue;
        }
      }
      if (this.#state === State.FieldStart && text.charCodeAt(i) === QUOTE) {
        this.#state = State.Quoted;
        i++;
        continue;
      }
      let j = i;
      let c = 0;
      while (j < n) {
        c = text.charCodeAt(j);
        if (c === COMMA || c === LF || c === CR) break;
        j++;
      }
      this.#field += text.slice(i, j);
      if (j === n) {
        this.#state = State.Unquoted;
        break;
      }
      this.#row.push(this.#field);
      this.#rowChars += this.#field.length;
      this.#field = "";
      this.#state = State.FieldStart;
      if (c !== COMMA) {
        this.#endRow(out);
        this.#afterCr = c === CR;
      }
      i = j + 1;
    }
    if (this.#rowChars + this.#field.length > this.#maxRowChars) {
      throw new MalformedInput(`row ${this.#rows + 1} is longer than ${this.#maxRowChars} characters`, this.#rows + 1);
    }
  }

  /** Flushes the last row; throws on an unterminated quoted field. */
  end(out: string[][]): void {
    const rest = this.#decoder.end();
    if (rest !== "") this.pushText(rest, out);
    if (this.#state === State.Quoted) {
      throw new MalformedInput(`row ${this.#rows + 1} ends inside a quoted field (the body was cut short?)`, this.#rows + 1);
    }
    if (this.#state !== State.FieldStart || this.#row.length > 0) {
      this.#row.push(this.#field);
      this.#field = "";
      this.#state = State.FieldStart;
      this.#endRow(out);
    }
  }

  #endRow(out: string[][]): void {
    const row = this.#row;
    this.#row = [];
    this.#rowChars = 0;
    if (row.length === 1 && row[0] === "") return;
    this.#rows++;
    out.push(row);
  }
}

/** Parses a whole CSV text (small bodies such as campaign metrics). */
export function parseCsv(text: string): string[][] {
  const parser = new CsvParser();
  const rows: string[][] = [];
  parser.pushText(text, rows);
  parser.end(rows);
  return rows;
}

/** Turns rows into records keyed by the first row (the header); cells beyond the header are dropped. */
export class CsvRecords {
  #header: string[] | undefined;

  push(rows: readonly string[][], out: Record<string, string>[]): void {
    for (const row of rows) {
      const header = this.#header;
      if (header === undefined) {
        this.#header = row.map((h) => h.trim());
        continue;
      }
      const record: Record<string, string> = {};
      const n = Math.min(header.length, row.length);
      for (let k = 0; k < n; k++) record[header[k] as string] = row[k] as string;
      out.push(record);
    }
  }
}

/** data.csv as records, chunk by chunk (a ChunkParser for calls.ts). */
export class CsvRecordParser {
  readonly #csv: CsvParser;
  readonly #records = new CsvRecords();
  #rows: string[][] = [];

  constructor(maxRowChars = MAX_ROW_CHARS) {
    this.#csv = new CsvParser(maxRowChars);
  }

  push(chunk: Buffer, out: Record<string, string>[]): void {
    this.#csv.push(chunk, this.#rows);
    this.#flush(out);
  }

  end(out: Record<string, string>[]): void {
    this.#csv.end(this.#rows);
    this.#flush(out);
  }

  #flush(out: Record<string, string>[]): void {
    if (this.#rows.length === 0) return;
    this.#records.push(this.#rows, out);
    this.#rows = [];
  }
}
