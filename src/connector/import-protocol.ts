/** Messages between an import and its parse threads (import-pool.ts, import-worker.ts). */
import type { RowConverterOptions } from "./convert.js";

export interface ImportThreadInit {
  role: "parse";
  /** The thread's scratch file (made by the load). */
  file: string;
  /** A run table's column definitions (the target's). */
  columnsSql: string;
  /** The columns rows are written to, in row order. */
  insertColumns: readonly string[];
  converter: RowConverterOptions;
}

/**
 * The thread that checkpoints the target database's WAL after each commit:
 * a checkpoint waits on the disk (fsync), so it has a thread of its own
 * (measured: on a parse thread, 1M records in 24 slices took 5.3 s, not 4.4 s).
 */
export interface CheckpointThreadInit {
  role: "checkpoint";
  database: string;
}

export type ToThread =
  | {
      t: "run";
      seq: number;
      /** The run table to make (`r` + digits). */
      table: string;
      bytes: Uint8Array;
      /** The body's line number of the run's first line (a malformed line is named by its number in the body). */
      firstLine: number;
    }
  | { t: "drop"; id: number; tables: readonly string[] }
  | { t: "checkpoint" }
  | { t: "close" };

export type FromThread =
  | {
      t: "ran";
      seq: number;
      /** Rows written (records less skipped ones). */
      rows: number;
      /** Records parsed. */
      records: number;
      /** Records skipped as invalid in this run. */
      skipped: number;
      /** Fields no column reads, with the records of this run they appeared in. */
      unknown: [string, number][];
      /** The run's memory, handed back for reuse. */
      buffer: ArrayBuffer;
    }
  /** `data`: the message names the record by its number within the run (`record N: …`); the pool renumbers it. */
  | { t: "failed"; seq: number; kind: "malformed" | "data" | "store" | "internal"; message: string }
  | { t: "dropped"; id: number; error?: string }
  | { t: "checkpointed"; error?: string };
