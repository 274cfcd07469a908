import type { Endpoint, IterableClient, TimeWindow } from "../../iterable/index.js";
import { planExportWindows } from "../plan.js";
import type { LoadConfig } from "../config.js";

/** A record as a source yields it: Iterable's fields, before conversion. */
export type SourceRecord = Record<string, unknown>;

/**
 * One unit of exactly-once work: its rows and its ledger row commit in one
 * transaction, then the cursor moves to `cursor`.
 */
export interface SourceSlice {
  /** Unique within the job, stable for the same work (e.g. the window). */
  id: string;
  /** What a progress line shows (e.g. `2026-01-01 00:00 → 2026-01-02 00:00`). */
  label: string;
  /** The config diff once this slice is committed, or null when the source has no cursor. */
  cursor: unknown;
  /** Reads the slice's records in batches; a fresh read per attempt. */
  read(options: { signal?: AbortSignal; onBytes?: (n: number) => void }): AsyncIterable<SourceRecord[]>;
}

export interface Source {
  /** The endpoint whose retries a slice attempt counts against. */
  endpoint: Endpoint;
  slices: SourceSlice[];
  /** Campaign and list metadata carry epoch-ms times (guess turns `*At` into timestamps). */
  epochMillisFields: boolean;
  /**
   * Fields guess types double whatever numbers the sample holds (campaign
   * metrics written as decimals, or naming money or a ratio); filled as the
   * slices are read.
   */
  doubleFields?: ReadonlySet<string>;
  /** One line for the job log, e.g. `export emailSend 2026-01-01T00:00:00Z → …, 3 slices`. */
  description: string;
}

/** What a run knows beyond the config: when it is, and where the last one stopped. */
export interface RunContext {
  now: number;
  /** A scheduled run's slot (epoch ms); its window ends there. */
  scheduledTime?: number | undefined;
  /**
   * start_time of the committed cursor to continue from (epoch ms): set for
   * incremental runs after the first, and for a run resuming a failed one.
   */
  cursorStart?: number | undefined;
}

export type SourceFactory = (config: LoadConfig, client: IterableClient, run: RunContext) => Source;

/** The run's windows of `in` (start/end, the cursor, the slot, now), cut into `sliceMs` slices. */
export function windowsOf(c: LoadConfig["in"], run: RunContext, sliceMs: number): TimeWindow[] {
  return planExportWindows({
    start: c.start_time,
    end: c.end_time,
    // A resumed run (cursorStart set) continues from the cursor even when not incremental.
    incremental: c.incremental || run.cursorStart !== undefined,
    cursorStart: run.cursorStart,
    scheduledTime: run.scheduledTime,
    now: run.now,
    sliceMs,
  }).windows;
}
