/** What a route handler gets, and the line pump that streams bodies. */
import type { FakeEndpoint } from "./endpoints.js";
import type { GeneratorConfig } from "./options.js";
import { CHUNK_SIZE, type ResponseWriter } from "./response.js";
import type { StatsRecorder } from "./stats.js";

export interface RouteContext {
  endpoint: FakeEndpoint;
  /** The generator configuration with this request's `now`. */
  cfg: GeneratorConfig;
  now: number;
  params: URLSearchParams;
  /** `http://host:port` as the client addressed the server. */
  baseUrl: string;
  writer: ResponseWriter;
  stats: StatsRecorder;
}

export type Route = (ctx: RouteContext) => Promise<void>;

/** A CSV line no strict parser accepts: a quote inside an unquoted field, and the wrong number of cells. */
export const CSV_GARBAGE = 'BROKEN"ROW';

export interface PumpOptions {
  /** Lines written before the records (a CSV header); not counted as records. */
  head?: string;
  /** With a malformed fault: the broken line, given the record line it precedes ("" at the end). */
  garbage?: (next: string) => string;
  /** Index of the record the broken line precedes (default: after the first record). */
  garbageAt?: number;
}

/** Streams `produce`'s lines (until it returns undefined), one per line, in ~64 KB chunks. */
export async function pumpLines(ctx: RouteContext, produce: () => string | undefined, opts: PumpOptions = {}): Promise<void> {
  const { writer, stats, endpoint } = ctx;
  const garbage = writer.malformed ? (opts.garbage ?? (() => "\u0000garbage")) : undefined;
  const garbageAt = opts.garbageAt ?? 1;
  let buf = opts.head === undefined ? "" : `${opts.head}\n`;
  let pending = 0;
  let index = 0;
  let broken = garbage === undefined;
  for (let line = produce(); line !== undefined; line = produce()) {
    if (!broken && index >= garbageAt) {
      buf += `${(garbage as (n: string) => string)(line)}\n`;
      broken = true;
    }
    buf += `${line}\n`;
    index++;
    pending++;
    if (buf.length >= CHUNK_SIZE) {
      stats.records(endpoint, pending);
      pending = 0;
      if (!(await writer.write(buf))) return;
      buf = "";
    }
  }
  if (!broken) buf += `${(garbage as (n: string) => string)("")}\n`;
  stats.records(endpoint, pending);
  if (buf.length > 0 && !(await writer.write(buf))) return;
  await writer.end();
}
