/** Shared helpers for the fake Iterable's tests. */
import { request } from "node:http";
import { startFakeIterable, type FakeIterable, type FakeIterableOptions } from "../../../src/fake-iterable/index.js";

export const KEY = "test-key";
/** A frozen "now" for tests: 2025-06-01T12:00:00Z. */
export const NOW = Date.UTC(2025, 5, 1, 12);
export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export const BASE_OPTIONS: FakeIterableOptions = { apiKey: KEY, now: NOW, rateLimits: false, seed: 7 };

export async function withFake<T>(opts: FakeIterableOptions, body: (fake: FakeIterable) => Promise<T>): Promise<T> {
  const fake = await startFakeIterable({ ...BASE_OPTIONS, ...opts });
  try {
    return await body(fake);
  } finally {
    await fake.close();
  }
}

export type Query = Record<string, string | number | readonly (string | number)[]>;

export function url(fake: FakeIterable, path: string, query: Query = {}): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const item of Array.isArray(v) ? v : [v]) sp.append(k, String(item));
  }
  const qs = sp.toString();
  return `${fake.url}${path}${qs ? `?${qs}` : ""}`;
}

export interface Reply {
  status: number;
  type: string;
  text: string;
  headers: Headers;
}

/** A GET with the test key (or `key`; null sends no Api-Key header). */
export async function get(fake: FakeIterable, path: string, query: Query = {}, key: string | null = KEY): Promise<Reply> {
  const res = await fetch(url(fake, path, query), { headers: key === null ? {} : { "Api-Key": key } });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", text, headers: res.headers };
}

/** The NDJSON lines of a body, parsed. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** `yyyy-MM-dd HH:mm:ss` in UTC (Iterable's export parameter form). */
export function iterableDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

export function exportQuery(dataTypeName: string, start: number, end: number, extra: Query = {}): Query {
  return { dataTypeName, startDateTime: iterableDate(start), endDateTime: iterableDate(end), ...extra };
}

/** A strict RFC 4180 parser (quoted fields, doubled quotes, line breaks inside quotes). */
export function parseCsv(text: string, delimiter = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && text[i] !== delimiter && text[i] !== "\n") throw new Error(`junk after a closing quote at ${i}`);
        continue;
      }
      cell += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (cell.length > 0) throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (ch === delimiter) {
      row.push(cell);
      cell = "";
    } else if (ch === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else {
      cell += ch;
    }
    i++;
  }
  if (quoted) throw new Error("unterminated quoted field");
  if (cell.length > 0 || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The error that ended the body early (a cut connection), if any. */
  error: Error | undefined;
  /** ms from sending to the response headers, to the first body byte, and to the end. */
  headersAt: number;
  firstByteAt: number;
  endAt: number;
}

/** A GET through node:http, keeping whatever bytes arrive before an error and when they arrived. */
export function rawGet(target: string, key: string = KEY): Promise<RawReply> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(target, { headers: { "Api-Key": key } }, (res) => {
      const headersAt = performance.now() - t0;
      const chunks: Buffer[] = [];
      let firstByteAt = -1;
      let settled = false;
      const finish = (error: Error | undefined): void => {
        if (settled) return;
        settled = true;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          error,
          headersAt,
          firstByteAt,
          endAt: performance.now() - t0,
        });
      };
      res.on("data", (c: Buffer) => {
        if (firstByteAt < 0) firstByteAt = performance.now() - t0;
        chunks.push(c);
      });
      res.on("end", () => finish(undefined));
      res.on("error", (e) => finish(e));
      res.on("aborted", () => finish(new Error("aborted")));
      res.on("close", () => finish(res.complete ? undefined : new Error("closed before the end")));
    });
    req.on("error", reject);
    req.end();
  });
}
