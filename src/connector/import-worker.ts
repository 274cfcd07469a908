/**
 * An import's threads (issue 12; started by import-pool.ts, never imported).
 *
 * A parse thread takes runs of NDJSON lines, parses and converts them, and
 * writes each run's rows into a table of its own scratch file with its own
 * SQLite connection; the load copies the run tables into the target when the
 * slice commits. It never touches the target database.
 *
 * The checkpoint thread copies the target's WAL into the database after each
 * commit (the job's connection leaves that to it), while the job reads on.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import Database from "better-sqlite3";
import { DataError, errorMessage } from "../errors.js";
import { MalformedInput } from "../iterable/parsers/malformed.js";
import { parseRun } from "../iterable/parsers/ndjson-runs.js";
import type { Row } from "../warehouse/types.js";
import { RowWriter } from "../warehouse/writer.js";
import { createRowConverter } from "./convert.js";
import type { CheckpointThreadInit, FromThread, ImportThreadInit, ToThread } from "./import-protocol.js";


/** Page cache of the threads' connections, KiB (negative: SQLite's unit for a size in KiB). */
const SMALL_CACHE = -2048;

function checkpointThread(port: MessagePort, init: CheckpointThreadInit): void {
  const conn = new Database(init.database, { fileMustExist: true, timeout: 5_000 });
  conn.pragma(`cache_size = ${SMALL_CACHE}`);
  port.on("message", (m: ToThread) => {
    if (m.t === "checkpoint") {
      try {
        // PASSIVE: never in a writer's or a reader's way; what it cannot copy now, the next one does.
        conn.pragma("wal_checkpoint(PASSIVE)");
        port.postMessage({ t: "checkpointed" } satisfies FromThread);
      } catch (err) {
        port.postMessage({ t: "checkpointed", error: errorMessage(err) } satisfies FromThread);
      }
    } else if (m.t === "close") {
      conn.close();
      port.close();
    }
  });
}

function parseThread(port: MessagePort, init: ImportThreadInit): void {
  const db = new Database(init.file, { fileMustExist: true, timeout: 120_000 });
  // Disposable data: big pages (measured: 300k rows written in 0.74 s, not 1.17 s with 4 KB pages), no fsync,
  // the journal in memory, a small page cache (rows are only appended; better-sqlite3's default is 16 MB a
  // connection, which the job's threads would multiply).
  db.pragma("page_size = 65536");
  db.pragma("journal_mode = MEMORY");
  db.pragma(`cache_size = ${SMALL_CACHE}`);
  db.pragma("synchronous = OFF");
  const converter = createRowConverter(init.converter);
  let writer: RowWriter | undefined;
  let reportedSkipped = 0;
  const reportedUnknown = new Map<string, number>();

  const unknownDelta = (): [string, number][] => {
    const out: [string, number][] = [];
    for (const [field, count] of converter.unknownFields) {
      const before = reportedUnknown.get(field) ?? 0;
      if (count > before) out.push([field, count - before]);
      reportedUnknown.set(field, count);
    }
    return out;
  };

  const runOne = (m: Extract<ToThread, { t: "run" }>): Extract<FromThread, { t: "ran" }> => {
    // Rows go into the table `run`, renamed to the run's own name once written: the writer's statements are
    // prepared once (SQLite re-prepares them for each new `run`); a new writer per run kept every run's
    // statements alive until a GC (measured: ~20 MB per thread on a one-day import).
    // Records are numbered within the run; the pool adds the records before it (blank lines are no records).
    let position = 0;
    let records = 0;
    let written = 0;
    const rows: Row[] = [];
    db.exec("BEGIN");
    try {
      db.exec(`CREATE TABLE "run" ${init.columnsSql}`);
      const out = (writer ??= new RowWriter(db, "run", init.insertColumns));
      // Converted and written a piece at a time.
      parseRun(m.bytes, m.firstLine, (parsed) => {
        for (const record of parsed) {
          const row = converter.convert(record, ++position);
          if (row !== undefined) rows.push(row);
        }
        records += parsed.length;
        if (rows.length > 0) out.write(rows);
        written += rows.length;
        rows.length = 0;
      });
      db.exec(`ALTER TABLE "run" RENAME TO "${m.table}"`);
      db.exec("COMMIT");
    } catch (err) {
      // SQLite may have rolled back already (a full disk): the original error is the one to tell.
      if (db.inTransaction) db.exec("ROLLBACK");
      throw err;
    }
    const skipped = converter.skipped - reportedSkipped;
    reportedSkipped = converter.skipped;
    return { t: "ran", seq: m.seq, rows: written, records, skipped, unknown: unknownDelta(), buffer: m.bytes.buffer as ArrayBuffer };
  };

  const failure = (seq: number, err: unknown): FromThread => {
    if (err instanceof MalformedInput) return { t: "failed", seq, kind: "malformed", message: err.message };
    if (err instanceof DataError) return { t: "failed", seq, kind: "data", message: err.message };
    const code = (err as { code?: unknown }).code;
    return { t: "failed", seq, kind: typeof code === "string" && code.startsWith("SQLITE_") ? "store" : "internal", message: errorMessage(err) };
  };

  port.on("message", (m: ToThread) => {
    if (m.t === "run") {
      let reply: FromThread;
      try {
        reply = runOne(m);
      } catch (err) {
        reply = failure(m.seq, err);
      }
      // The run's memory goes back to the reader for the next run (no fresh allocation, no page faults).
      port.postMessage(reply, reply.t === "ran" ? [reply.buffer] : []);
    } else if (m.t === "drop") {
      try {
        for (const table of m.tables) db.exec(`DROP TABLE IF EXISTS "${table}"`);
        port.postMessage({ t: "dropped", id: m.id } satisfies FromThread);
      } catch (err) {
        port.postMessage({ t: "dropped", id: m.id, error: errorMessage(err) } satisfies FromThread);
      }
    } else if (m.t === "close") {
      db.close();
      port.close();
    }
  });
}

if (parentPort === null) throw new Error("import-worker.js runs as a worker thread");
const init = workerData as ImportThreadInit | CheckpointThreadInit;
if (init.role === "checkpoint") checkpointThread(parentPort, init);
else parseThread(parentPort, init);
