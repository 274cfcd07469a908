/**
 * An import's parse threads (issue 12). The job's thread reads the response
 * and cuts it into runs of whole lines (NdjsonRunSplitter); each run goes to
 * the least busy parse thread, which parses, converts and writes it into a
 * run table of its own scratch file; the slice adopts the runs in body order
 * and copies them into the table when it commits (SQLite's bulk transfer:
 * the run tables have the target's columns). So parsing, converting and
 * writing use every core while the job's thread only reads the network, and
 * the database is locked only for the commit's copy, as before.
 *
 * Bounded: at most `QUEUE_PER_THREAD` runs wait or run per thread, so memory
 * stays flat whatever the export's size (`submit` waits for room).
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { DataError, ItdError, StoreError } from "../errors.js";
import { RUN_BYTES, type NdjsonRun } from "../iterable/index.js";
import type { RunFiles, RunRef } from "../warehouse/index.js";
import type { RowConverterOptions } from "./convert.js";
import type { CheckpointThreadInit, FromThread, ImportThreadInit, ToThread } from "./import-protocol.js";

export const QUEUE_PER_THREAD = 2;

/**
 * Parse threads an import uses: `ITD_IMPORT_THREADS` (0: parse on the job's
 * own thread, as before issue 12), else 2 on a machine with two cores or
 * more (each thread is a V8 isolate, about 45 MB: more would pass the 250 MB
 * an import may hold; one core has nothing to share the work with).
 */
export function importThreads(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const text = env["ITD_IMPORT_THREADS"];
  if (text !== undefined && text !== "") {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 64) {
      throw new ItdError("config", `ITD_IMPORT_THREADS: expected a whole number from 0 to 64, got '${text}'`);
    }
    return n;
  }
  return cores >= 2 ? 2 : 0;
}

/**
 * The compiled thread entry: beside this module (dist/, the bundle), or, when
 * this module runs from its TypeScript source (the tests), the build's.
 * Undefined when there is none: imports parse on their own thread.
 */
export function importWorkerFile(): string | undefined {
  for (const rel of ["./import-worker.js", "../../dist/src/connector/import-worker.js"]) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** What one run became. */
export interface RunResult {
  seq: number;
  rows: number;
  records: number;
  skipped: number;
  unknown: [string, number][];
}

/** A run's failure, as the job reports it: a malformed response is Iterable's, the rest is the data's or the store's. */
export class RunFailure extends Error {
  constructor(
    readonly kind: "malformed" | "data" | "store" | "internal",
    message: string,
  ) {
    super(message);
    this.name = "RunFailure";
  }

  /** A data failure's `record N` (numbered within its run) as the job's record number, `before` records coming first. */
  renumbered(before: number): RunFailure {
    if (this.kind !== "data") return this;
    return new RunFailure(this.kind, this.message.replace(/^record (\d+):/, (_, n: string) => `record ${before + Number(n)}:`));
  }

  /** The error the job reports (`malformed`: the caller makes Iterable's error from the message). */
  asError(): Error {
    if (this.kind === "data") return new DataError(this.message);
    if (this.kind === "store") return new StoreError(`Writing rows failed: ${this.message}`);
    return new ItdError("internal", `An import thread failed: ${this.message}`);
  }
}

interface Pending {
  seq: number;
  thread: number;
  table: string;
  done: Promise<RunResult>;
}

interface Thread {
  worker: Worker;
  exited: boolean;
  busy: number;
  waiters: Map<number, { resolve: (r: RunResult) => void; reject: (e: Error) => void }>;
  drops: Map<number, () => void>;
}

export interface SliceRuns {
  runs: RunRef[];
  rows: number;
  records: number;
  skipped: number;
  unknown: Map<string, number>;
}

export class ImportPool {
  private readonly threads: Thread[] = [];
  private seq = 0;
  private dropId = 0;
  private slice: Pending[] = [];
  /** Lines framed in the current slice before the next run: its first line is `line + 1`. */
  private line = 0;
  private positionBase = 0;
  private dead: Error | undefined;
  private room: (() => void) | undefined;
  private onRan: ((r: RunResult) => void) | undefined;
  /** Runs' memory handed back by the threads, for the next runs. */
  private readonly free: ArrayBuffer[] = [];

  /** The checkpoint thread, and whether a checkpoint is running / asked for again meanwhile. */
  private readonly checkpointer: Thread;
  private checkpointing = false;
  private checkpointAgain = false;
  private checkpointed: (() => void) | undefined;

  private constructor(
    files: readonly string[],
    database: string,
    workerFile: string,
    init: Omit<ImportThreadInit, "file" | "role">,
  ) {
    const checkpointer = new Worker(workerFile, {
      workerData: { role: "checkpoint", database } satisfies CheckpointThreadInit,
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    this.checkpointer = { worker: checkpointer, exited: false, busy: 0, waiters: new Map(), drops: new Map() };
    checkpointer.on("message", (m: FromThread) => {
      if (m.t === "checkpointed") this.onCheckpointed();
    });
    // Not fatal: the load's own close checkpoints what is left.
    checkpointer.on("error", () => undefined);
    checkpointer.on("exit", () => {
      this.checkpointer.exited = true;
      this.checkpointAgain = false;
      this.onCheckpointed();
    });
    for (const file of files) {
      let worker: Worker;
      try {
        worker = new Worker(workerFile, { workerData: { ...init, role: "parse", file } satisfies ImportThreadInit });
      } catch (err) {
        // Those started go: a warm job process would keep them to its end.
        for (const t of [...this.threads, this.checkpointer]) void t.worker.terminate();
        throw new ItdError("internal", `Cannot start an import thread: ${(err as Error).message}`, { cause: err });
      }
      const thread: Thread = { worker, exited: false, busy: 0, waiters: new Map(), drops: new Map() };
      worker.on("message", (m: FromThread) => this.onMessage(thread, m));
      worker.on("error", (err) => this.die(new ItdError("internal", `An import thread failed: ${err.message}`, { cause: err })));
      worker.on("exit", (code) => {
        thread.exited = true;
        this.die(new ItdError("internal", `An import thread exited (code ${code})`));
      });
      this.threads.push(thread);
    }
  }

  /** Starts `threads` parse threads writing into run files of a load (`Load.runFiles`). */
  static open(runFiles: (count: number) => RunFiles, threads: number, workerFile: string, converter: RowConverterOptions): ImportPool {
    const files = runFiles(threads);
    return new ImportPool(files.files, files.database, workerFile, { columnsSql: files.columnsSql, insertColumns: files.insertColumns, converter });
  }

  /**
   * A new slice (or a new attempt of one): record positions continue from
   * `positionBase`; `onRan` is told each run as it is done (in any order).
   */
  beginSlice(positionBase: number, onRan?: (r: RunResult) => void): void {
    this.slice = [];
    this.line = 0;
    this.positionBase = positionBase;
    this.onRan = onRan;
  }

  /** Memory for a run of `bytes` (recycled: fresh memory per run cost page faults, measured as system time). */
  alloc(bytes: number): Uint8Array {
    const i = this.free.findIndex((b) => b.byteLength >= bytes);
    const buffer = i === -1 ? new ArrayBuffer(Math.max(bytes, RUN_BYTES + RUN_BYTES / 4)) : (this.free.splice(i, 1)[0] as ArrayBuffer);
    return new Uint8Array(buffer, 0, bytes);
  }

  /** Hands a run to the least busy thread; waits while every thread is full. */
  async submit(run: NdjsonRun): Promise<void> {
    for (;;) {
      if (this.dead !== undefined) throw this.dead;
      const thread = this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
      if (thread.busy < QUEUE_PER_THREAD) {
        this.send(thread, run);
        return;
      }
      await new Promise<void>((resolve) => (this.room = resolve));
    }
  }

  private send(thread: Thread, run: NdjsonRun): void {
    const seq = ++this.seq;
    const table = `r${seq}`;
    const index = this.threads.indexOf(thread);
    thread.busy++;
    const done = new Promise<RunResult>((resolve, reject) => thread.waiters.set(seq, { resolve, reject }));
    // Settled only through drain(); a failure seen by nobody yet must not be an unhandled rejection.
    done.catch(() => undefined);
    this.slice.push({ seq, thread: index, table, done });
    const message: ToThread = { t: "run", seq, table, bytes: run.bytes, firstLine: this.line + 1 };
    this.line += run.newlines;
    thread.worker.postMessage(message, [run.bytes.buffer as ArrayBuffer]);
  }

  /** Waits for every run of the slice; throws the first failing run's failure (in body order). */
  async drain(): Promise<SliceRuns> {
    const out: SliceRuns = { runs: [], rows: 0, records: 0, skipped: 0, unknown: new Map() };
    for (const p of this.slice) {
      let r: RunResult;
      try {
        r = await p.done;
      } catch (err) {
        throw err instanceof RunFailure ? err.renumbered(this.positionBase + out.records) : err;
      }
      if (r.rows > 0) out.runs.push({ file: p.thread, table: p.table, rows: r.rows });
      out.rows += r.rows;
      out.records += r.records;
      out.skipped += r.skipped;
      for (const [field, n] of r.unknown) out.unknown.set(field, (out.unknown.get(field) ?? 0) + n);
    }
    return out;
  }

  /** Drops the current slice's run tables (after its commit or rollback), once every run is done. */
  async endSlice(): Promise<void> {
    const slice = this.slice;
    this.slice = [];
    await Promise.allSettled(slice.map((p) => p.done));
    if (this.dead !== undefined) return;
    await Promise.all(
      this.threads.map((thread, i) => {
        const tables = slice.filter((p) => p.thread === i).map((p) => p.table);
        if (tables.length === 0) return undefined;
        const id = ++this.dropId;
        return new Promise<void>((resolve) => {
          thread.drops.set(id, resolve);
          thread.worker.postMessage({ t: "drop", id, tables } satisfies ToThread);
        });
      }),
    );
  }

  /** After a commit: the checkpoint thread copies the WAL into the database while the job goes on. */
  checkpoint(): void {
    if (this.checkpointing) {
      this.checkpointAgain = true;
      return;
    }
    if (this.checkpointer.exited) return;
    this.checkpointing = true;
    this.checkpointer.worker.postMessage({ t: "checkpoint" } satisfies ToThread);
  }

  private onCheckpointed(): void {
    this.checkpointing = false;
    if (this.checkpointAgain) {
      this.checkpointAgain = false;
      this.checkpoint();
      return;
    }
    const done = this.checkpointed;
    this.checkpointed = undefined;
    done?.();
  }

  /**
   * Ends the threads, after the checkpoint under way (their scratch files go
   * with the load; the load's close checkpoints what is left).
   */
  async close(): Promise<void> {
    this.checkpointAgain = false;
    if (this.checkpointing && this.dead === undefined) await new Promise<void>((resolve) => (this.checkpointed = resolve));
    this.dead ??= new ItdError("internal", "The import's threads are closed");
    await Promise.all(
      [...this.threads, this.checkpointer].map(async (t) => {
        if (t.exited) return;
        const exited = new Promise((resolve) => t.worker.once("exit", resolve));
        t.worker.postMessage({ t: "close" } satisfies ToThread);
        // A thread stuck in a statement is ended anyway.
        const timer = setTimeout(() => void t.worker.terminate(), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private onMessage(thread: Thread, m: FromThread): void {
    if (m.t === "checkpointed") return;
    if (m.t === "dropped") {
      thread.drops.get(m.id)?.();
      thread.drops.delete(m.id);
      return;
    }
    const waiter = thread.waiters.get(m.seq);
    thread.waiters.delete(m.seq);
    thread.busy--;
    // A run nobody waits for any more (the pool died meanwhile): its counts belong to no attempt.
    if (waiter === undefined) {
      this.wake();
      return;
    }
    if (m.t === "ran") {
      if (this.free.length < this.threads.length * QUEUE_PER_THREAD) this.free.push(m.buffer);
      const result: RunResult = { seq: m.seq, rows: m.rows, records: m.records, skipped: m.skipped, unknown: m.unknown };
      waiter.resolve(result);
      this.onRan?.(result);
    } else waiter.reject(new RunFailure(m.kind, m.message));
    this.wake();
  }

  private wake(): void {
    const room = this.room;
    this.room = undefined;
    room?.();
  }

  private die(err: Error): void {
    if (this.dead !== undefined) return;
    this.dead = err;
    for (const t of this.threads) {
      for (const w of t.waiters.values()) w.reject(err);
      t.waiters.clear();
      for (const d of t.drops.values()) d();
      t.drops.clear();
    }
    const room = this.room;
    this.room = undefined;
    room?.();
    this.checkpointAgain = false;
    this.onCheckpointed();
  }
}
