import type { CallEvent, Endpoint, IterableClient, NdjsonRun, RunCallOptions, TimeWindow } from "../../iterable/index.js";
import { planExportWindows } from "../plan.js";
import type { LoadConfig } from "../config.js";
import type { SplitInfo, StreamDensity } from "../slicing.js";

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
  read(options: SliceReadOptions): AsyncIterable<SourceRecord[]>;
  /**
   * The same response as runs of unparsed NDJSON lines, for the import's
   * parse threads (issue 12); absent when the source's body is not NDJSON.
   */
  readRuns?(options: SliceReadOptions & Pick<RunCallOptions, "alloc" | "onLines">): AsyncIterable<NdjsonRun[]>;
  /**
   * A slice that may be split: a response with more records, or slower, is
   * abandoned before it commits and a shorter window read instead. Absent:
   * the slice is read whole, however big.
   */
  limits?: { maxRecords: number; maxResponseMs: number };
  /** A record's time (epoch ms), to tell how far an abandoned response got. */
  timeOf?: (record: SourceRecord) => number | undefined;
}

export interface SliceReadOptions {
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  onEvent?: (event: CallEvent) => void;
}

/**
 * A run's slices, one at a time: fixed up front (campaigns, a list, a date
 * range), or export windows sized as the data shows itself. `next()` answers
 * the same slice until it is `committed()` (or, for a slice with limits,
 * `split()`).
 */
export interface SlicePlan {
  next(): SourceSlice | undefined;
  /** The slice's rows are committed: `records` read in a response of `responseMs`. */
  committed(slice: SourceSlice, outcome: { records: number; responseMs: number }): void;
  /** The slice's response was too big or too slow; nothing of it was committed. Returns the slice to read instead. */
  split(slice: SourceSlice, info: SplitInfo): SourceSlice;
  /** Slices left, the next one included (an estimate unless `exact`). */
  remaining(): number;
  readonly exact: boolean;
  /** What the stream's data looked like, to remember for its next run (undefined: nothing learnt). */
  density(): StreamDensity | undefined;
}

/** A plan of slices known up front. */
export function fixedPlan(slices: readonly SourceSlice[]): SlicePlan {
  let i = 0;
  return {
    next: () => slices[i],
    committed(slice) {
      if (slices[i] === slice) i++;
    },
    split(slice) {
      throw new Error(`slice ${slice.id} cannot be split`);
    },
    remaining: () => slices.length - i,
    exact: true,
    density: () => undefined,
  };
}

export interface Source {
  /** The endpoint whose retries a slice attempt counts against. */
  endpoint: Endpoint;
  slices: SlicePlan;
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
  /** What the stream's data looked like in its last committed window (sizes export windows). */
  density?: StreamDensity | undefined;
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
    // A lookback (issue 15) re-reads before the cursor; the table's key skips what is there.
    lookbackMs: c.lookback,
    scheduledTime: run.scheduledTime,
    now: run.now,
    sliceMs,
  }).windows;
}
