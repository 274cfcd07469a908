import type { Clock } from "../clock.js";
import { errorMessage, ItdError } from "../errors.js";
import {
  describeCallEvent,
  MalformedInput,
  parseRun,
  waitReason,
  type AttemptFailure,
  type CallEvent,
  type IterableClient,
  type NdjsonRun,
} from "../iterable/index.js";
import type { Logger } from "../log.js";
import { comparePositions, ORIGIN, type CursorStore, type JobStore, type Position } from "../store/index.js";
import { writesInPlace, type Load, type Row, type Slice, type SliceCounts, type Warehouse } from "../warehouse/index.js";
import type { LoadConfig } from "./config.js";
import { createRowConverter, type RowConverter } from "./convert.js";
import { describeMatch, requiredColumnsOf, rowMatchOf } from "./keys.js";
import { ImportPool, importThreads, importWorkerFile, RunFailure, type SliceRuns } from "./import-pool.js";
import { SliceGuard, SplitSlice } from "./slice-guard.js";
import { estimateRemainingMs, type StreamDensity } from "./slicing.js";
import { sourceFor, type SliceReadOptions, type Source, type SourceRecord } from "./sources/index.js";
import { formatRfc3339, parseRfc3339 } from "./timestamp.js";

export interface LoadJobDeps {
  client: IterableClient;
  warehouse: Warehouse;
  jobs: JobStore;
  cursors: CursorStore;
  clock: Clock;
  logger: Logger;
}

export interface LoadJobSpec {
  jobId: number;
  config: LoadConfig;
  database: string;
  table: string;
  /** `--time-column`, over `out.time_column`. */
  timeColumn?: string | undefined;
  /** The cursor owner: `scheduleStream(id)`, or `issueStreamFor(...)`. */
  stream: string;
  /** The stream's name before schedule ids (`schedule:NAME`): ledger rows of databases written then. */
  legacyStream?: string | undefined;
  /** The stream's lease this job holds: its fencing token, and whether it still holds it. */
  lease: { token: number; holds: () => boolean };
  /** A scheduled run's slot (epoch ms). */
  scheduledTime?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: LoadProgress) => void) | undefined;
  /**
   * Told the records that became visible in the table, as they do: an append
   * slice's at its commit, a staging load's at the swap that ends it.
   */
  onCommitted?: ((records: number) => void) | undefined;
  /** Told every job log line as it is written (the CLI shows them). */
  onLog?: ((level: "info" | "warn" | "error", message: string) => void) | undefined;
}

export interface LoadProgress {
  records: number;
  skipped: number;
  /** Of the records, those already in the table (a lookback's re-read, issue 15) and those that updated a row (upsert). */
  present: number;
  updated: number;
  bytes: number;
  /** The slice being read (or waited for). */
  slice: string;
  slicesDone: number;
  /** Slices in all: done plus left (an estimate unless `slicesExact`: export windows are sized as the data shows). */
  slicesTotal: number;
  slicesExact: boolean;
  /** Time left, from the slices left, the rate budget's spacing and the slices so far. */
  etaMs: number;
  /** What the job waits for now (the rate budget, a retry), and until when (epoch ms). */
  wait: { reason: string; until: number } | undefined;
  elapsedMs: number;
}

export interface LoadOutcome {
  status: "success" | "error" | "killed";
  records: number;
  skipped: number;
  /** Records not added because the table already held them (by the key), and records that updated a row (upsert). */
  present: number;
  updated: number;
  bytes: number;
  error?: string;
  /** The stream's cursor after this run (null when the source has none). */
  configDiff: unknown;
  unknownFields: ReadonlyMap<string, number>;
}

export interface Committed {
  diff: unknown;
  jobId: number | null;
  position: Position;
  /** Where the winner was found. */
  from: "ledger" | "state";
}

/**
 * Where a run starts (design §6b): the newest committed position of its
 * stream, wherever it was committed — the target database's ledger (written
 * with the rows) or the state store (written just after, or an explicit
 * rewind, whose new epoch wins over everything before it). A ledger left
 * behind by a rename, a database switch or a rewind is older, not newer.
 * Ledger rows written before positions existed count as the origin, newer
 * than a state cursor of the origin only when committed after it was saved.
 */
export function newestCommitted(
  ledger: { cursor: unknown; jobId: string; committedAt: number; position: Position | undefined } | undefined,
  state: { configDiff: unknown; jobId: number | null; updatedAt: number; position: Position } | undefined,
): Committed | undefined {
  const fromLedger = ledger && ledger.cursor !== null && ledger.cursor !== undefined
    ? { diff: ledger.cursor, jobId: Number(ledger.jobId), position: ledger.position ?? ORIGIN, from: "ledger" as const }
    : undefined;
  const fromState = state ? { diff: state.configDiff, jobId: state.jobId, position: state.position, from: "state" as const } : undefined;
  if (!fromLedger || !fromState) return fromLedger ?? fromState;
  const order = comparePositions(fromLedger.position, fromState.position);
  if (order !== 0) return order > 0 ? fromLedger : fromState;
  // Level: both legacy (or the same commit). The later write wins; the state cursor is written after the ledger.
  return ledger?.position === undefined && (ledger?.committedAt ?? 0) > (state?.updatedAt ?? 0) ? fromLedger : fromState;
}

/** Budget waits at least this long go to the job log (shorter ones only to the progress line). */
export const LONG_WAIT_MS = 5_000;

/** A response that never started: Iterable gave no headers within the response timeout. */
function isHeadersTimeout(f: AttemptFailure): boolean {
  return f.iterableCode === "Timeout" && (f.recordsYielded ?? 0) === 0 && (f.cause as { code?: unknown } | undefined)?.code === "UND_ERR_HEADERS_TIMEOUT";
}

/** The stream's remembered density; a hint, so a busy or odd state store only costs requests. */
function rememberedDensity(deps: LoadJobDeps, stream: string): StreamDensity | undefined {
  try {
    return deps.cursors.densityOf(stream);
  } catch {
    return undefined;
  }
}

function remember(deps: LoadJobDeps, stream: string, density: StreamDensity | undefined): void {
  if (density === undefined) return;
  try {
    deps.cursors.rememberDensity(stream, density);
  } catch {
    // state.db busy: the next commit tries again
  }
}

function startOf(diff: unknown): number | undefined {
  const text = (diff as { in?: { start_time?: unknown } } | null)?.in?.start_time;
  return typeof text === "string" ? parseRfc3339(text) : undefined;
}

/**
 * Incremental runs always continue from the committed cursor. Other runs start
 * over, except an append run whose predecessor on the stream failed after
 * committing some slices: it continues where that one stopped, so nothing is
 * imported twice.
 */
function shouldResume(jobs: JobStore, config: LoadConfig, cursorJobId: number | null, thisJob: number): boolean {
  if (config.in.incremental) return true;
  if (!writesInPlace(config.out.mode) || cursorJobId === null || cursorJobId === thisJob) return false;
  try {
    return jobs.getJob(cursorJobId).status !== "success";
  } catch {
    return false; // its history was pruned: it finished long ago
  }
}

/**
 * Runs one load job to its end and records it: the source's slices, each
 * converted and committed with its ledger row, the cursor advanced after each
 * commit. Never throws for a failed job: the outcome says `error` and why.
 */
export async function runLoadJob(deps: LoadJobDeps, spec: LoadJobSpec): Promise<LoadOutcome> {
  const { jobs, clock } = deps;
  const log = (level: "info" | "warn" | "error", message: string): void => {
    jobs.appendLog(spec.jobId, level, message);
    deps.logger[level]({ jobId: spec.jobId, stream: spec.stream }, message);
    spec.onLog?.(level, message);
  };
  const startedAt = clock.now();
  let records = 0;
  let skipped = 0;
  let bytes = 0;
  /** What the table's key did to the committed slices' records (issue 15); only committed slices count. */
  const matched: SliceCounts = { present: 0, updated: 0 };
  let configDiff: unknown = null;
  /** Counts of the slices committed so far: what a job that fails or is killed reports (not its rolled-back slice). */
  let committed = { records: 0, skipped: 0 };
  const unknownFields = new Map<string, number>();
  const outcome = (status: LoadOutcome["status"], error?: string): LoadOutcome => {
    const o: LoadOutcome = { status, records, skipped, present: matched.present, updated: matched.updated, bytes, configDiff, unknownFields };
    if (error !== undefined) o.error = error;
    return o;
  };

  let load: Load | undefined;
  /** The parse threads (issue 12), started by the first slice that reads runs. */
  let pool: ImportPool | undefined;
  try {
    const config = spec.config;
    const columns = config.in.columns;
    if (columns === undefined || columns.length === 0) {
      throw new ItdError("config", `${config.source}: in.columns: missing; run 'itd connector:guess' to write them`);
    }
    const match = rowMatchOf(config, columns);
    const converterOptions = {
      columns,
      timeColumn: spec.timeColumn ?? config.out.time_column,
      uploadTime: Math.floor(startedAt / 1000),
      skipInvalidRecords: config.in.skip_invalid_records,
      requiredColumns: requiredColumnsOf(match),
    };
    const probe = createRowConverter(converterOptions);
    // Fences the stream in the target database first, so no older holder commits after the cursor is read.
    load = await deps.warehouse.beginLoad({
      database: spec.database,
      table: spec.table,
      mode: config.out.mode,
      columns: probe.columns,
      jobId: String(spec.jobId),
      stream: spec.stream,
      fence: spec.lease.token,
      match,
    });
    const opened = load;
    const ledger = (await opened.lastCommitted(spec.stream)) ?? (spec.legacyStream !== undefined ? await opened.lastCommitted(spec.legacyStream) : undefined);
    const previous = newestCommitted(ledger, deps.cursors.get(spec.stream));
    let at: Position = previous?.position ?? ORIGIN;
    if (previous?.from === "ledger") {
      // The last run committed its slice and stopped before the state store heard of it: catch the state store up.
      deps.cursors.advance(spec.stream, previous.diff, previous.position, previous.jobId, spec.lease.token);
    }
    let cursorStart: number | undefined;
    if (previous && shouldResume(deps.jobs, config, previous.jobId, spec.jobId)) {
      configDiff = previous.diff;
      cursorStart = startOf(previous.diff);
      if (cursorStart !== undefined) {
        log("info", `continuing from the committed cursor start_time ${formatRfc3339(cursorStart)} (job ${previous.jobId ?? "?"})`);
      }
    }
    const density = rememberedDensity(deps, spec.stream);
    const source: Source = sourceFor(config, deps.client, { now: clock.now(), scheduledTime: spec.scheduledTime, cursorStart, density });
    log("info", `${source.description} into ${spec.database}.${spec.table} (mode ${config.out.mode})`);
    const matching = describeMatch(match);
    if (matching !== undefined) log("info", matching);
    const holdsLease = (): void => {
      if (!spec.lease.holds()) {
        throw new ItdError("conflict", `the stream's lease was lost (another run took it over); slice not committed`);
      }
    };
    const onBytes = (n: number): void => {
      bytes += n;
    };
    // The embedded engine's parse threads write runs of rows into files of their own (issue 12); PostgreSQL
    // takes rows by COPY, parsing them on a core of its own.
    const runFiles = opened.runFiles;
    const threads = runFiles === undefined ? 0 : importThreads();
    const workerFile = threads > 0 ? importWorkerFile() : undefined;
    const plan = source.slices;
    const spacingMs = deps.client.spacingOf(source.endpoint);
    let slicesDone = 0;
    /** When work on the current slice began: the last commit (a split's shorter window goes on from there), or the start. */
    let sliceStartedAt = startedAt;
    let label = "";
    let wait: LoadProgress["wait"];
    let guard: SliceGuard | undefined;
    const report = (): void => {
      if (spec.onProgress === undefined) return;
      const left = plan.remaining();
      const now = clock.now();
      const meanSliceMs = slicesDone > 0 ? (sliceStartedAt - startedAt) / slicesDone : undefined;
      const etaMs = estimateRemainingMs({ slicesLeft: left, spacingMs, meanSliceMs, currentMs: now - sliceStartedAt });
      spec.onProgress({ records, skipped, present: matched.present, updated: matched.updated, bytes, slice: label, slicesDone, slicesTotal: slicesDone + left, slicesExact: plan.exact, etaMs, wait, elapsedMs: now - startedAt });
    };
    const onEvent = (e: CallEvent): void => {
      if (e.type === "sent") {
        wait = undefined;
        guard?.sent();
        return;
      }
      const reason = waitReason(e) as string;
      wait = { reason, until: clock.now() + e.waitMs };
      if (e.type === "retry") {
        guard?.paused();
        log("warn", `slice ${label}: ${describeCallEvent(e) as string}`);
        // Iterable did not even start answering in time: a window too large for it, not a hiccup.
        if (isHeadersTimeout(e.failure)) {
          guard?.tooSlow(`no response headers in time (${e.failure.detail})`);
        }
      } else if (e.waitMs >= LONG_WAIT_MS) {
        log("info", describeCallEvent(e) as string);
      }
      report();
    };

    for (let slice = plan.next(); slice !== undefined; slice = plan.next()) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      label = slice.label;
      report();
      const before = { records, skipped };
      let converter: RowConverter = probe;
      let sliceSkipped = 0;
      let sliceCounts: SliceCounts = { present: 0, updated: 0 };
      let sliceUnknown: ReadonlyMap<string, number> = new Map();
      const current = slice;
      /**
       * One attempt of the slice as runs of lines: a response of one run (under 1 MB) is parsed on the job's
       * own thread, as before; a bigger one goes to the parse threads (started by the first such slice), which
       * parse, convert and write its runs while this thread reads on.
       */
      const readByRuns = async (readRuns: NonNullable<typeof current.readRuns>): Promise<SliceRuns> => {
        records = before.records;
        skipped = before.skipped;
        const open = await (load as NonNullable<typeof load>).beginSlice(current.id);
        const signal = guard ? guard.attempt(spec.signal) : spec.signal;
        let threadsPool: ImportPool | undefined;
        let held: NdjsonRun | undefined;
        const startThreads = (): ImportPool => {
          if (pool === undefined) {
            pool = ImportPool.open(runFiles as NonNullable<typeof runFiles>, threads, workerFile as string, converterOptions);
            log("info", `parsing, converting and writing on ${threads} parse thread${threads === 1 ? "" : "s"}`);
          }
          pool.beginSlice(before.records + before.skipped, (r) => {
            records += r.rows;
            skipped += r.skipped;
            report();
          });
          return pool;
        };
        try {
          try {
            const alloc = (n: number): Uint8Array => pool?.alloc(n) ?? new Uint8Array(n);
            const onLines = (lines: number, last: SourceRecord | undefined): void => guard?.sawLines(lines, last);
            const readOptions = signal ? { signal, onBytes, onEvent, alloc, onLines } : { onBytes, onEvent, alloc, onLines };
            for await (const runs of readRuns(readOptions)) {
              for (const run of runs) {
                if (threadsPool === undefined && held === undefined) {
                  held = run;
                  continue;
                }
                threadsPool ??= startThreads();
                if (held !== undefined) {
                  await threadsPool.submit(held);
                  held = undefined;
                }
                await threadsPool.submit(run);
              }
            }
            let got: SliceRuns;
            if (threadsPool === undefined) {
              got = await parseHere(held, open);
            } else {
              got = await threadsPool.drain();
              // The guard abandons an attempt by its signal: the reading may have ended before it noticed.
              if (signal?.aborted) throw signal.reason;
              for (const run of got.runs) open.addRun(run);
            }
            holdsLease();
            sliceCounts = await open.commit(current.cursor, { epoch: at.epoch, seq: at.seq + 1 });
            pool?.checkpoint();
            return got;
          } catch (err) {
            await open.rollback();
            if (!(err instanceof RunFailure)) throw err;
            if (err.kind !== "malformed") throw err.asError();
            throw deps.client.malformedResponse(source.endpoint, err.message, records - before.records);
          }
        } finally {
          await threadsPool?.endSlice();
        }
      };
      /** A response of one run, on this thread: parsed, converted and inserted as the record path does. */
      const parseHere = async (run: NdjsonRun | undefined, open: Slice): Promise<SliceRuns> => {
        converter = createRowConverter(converterOptions);
        const got: SliceRuns = { runs: [], rows: 0, records: 0, skipped: 0, unknown: new Map() };
        if (run !== undefined) {
          let position = before.records + before.skipped;
          const rows: Row[] = [];
          try {
            parseRun(run.bytes, 1, (parsed) => {
              for (const record of parsed) {
                const row = converter.convert(record, ++position);
                if (row !== undefined) rows.push(row);
              }
              got.records += parsed.length;
            });
          } catch (err: unknown) {
            if (err instanceof MalformedInput) throw new RunFailure("malformed", err.message);
            throw err;
          }
          await open.insert(rows);
          got.rows = rows.length;
        }
        got.skipped = converter.skipped;
        got.unknown = new Map(converter.unknownFields);
        records = before.records + got.rows;
        skipped = before.skipped + got.skipped;
        return got;
      };
      const limits = current.limits;
      guard = limits === undefined ? undefined : new SliceGuard(clock, limits, current.timeOf);
      let sliceRows: number;
      let responseMs = 0;
      try {
        const readRuns = workerFile === undefined || runFiles === undefined ? undefined : current.readRuns?.bind(current);
        sliceRows = await deps.client.retryStream(
          source.endpoint,
          async () => {
            if (readRuns !== undefined) {
              const got = await readByRuns(readRuns);
              sliceSkipped = got.skipped;
              sliceUnknown = got.unknown;
              return got.rows;
            }
            records = before.records;
            skipped = before.skipped;
            converter = createRowConverter(converterOptions);
            const open = await (load as NonNullable<typeof load>).beginSlice(current.id);
            let rows = 0;
            let position = before.records + before.skipped;
            try {
              const signal = guard ? guard.attempt(spec.signal) : spec.signal;
              const readOptions: SliceReadOptions = signal ? { signal, onBytes, onEvent } : { onBytes, onEvent };
              for await (const batch of current.read(readOptions)) {
                guard?.saw(batch);
                const converted = [];
                for (const record of batch) {
                  const row = converter.convert(record, ++position);
                  if (row !== undefined) converted.push(row);
                }
                await open.insert(converted);
                rows += converted.length;
                records = before.records + rows;
                skipped = before.skipped + converter.skipped;
                report();
              }
              holdsLease();
              sliceCounts = await open.commit(current.cursor, { epoch: at.epoch, seq: at.seq + 1 });
              sliceSkipped = converter.skipped;
              sliceUnknown = converter.unknownFields;
              return rows;
            } catch (err) {
              await open.rollback();
              throw err;
            }
          },
          spec.signal ? { signal: spec.signal, onEvent } : { onEvent },
        );
        responseMs = guard?.responseMs() ?? 0;
      } catch (err) {
        if (!(err instanceof SplitSlice) || spec.signal?.aborted) throw err;
        // Nothing of the window was committed (its slice rolled back): read a shorter one instead.
        records = before.records;
        skipped = before.skipped;
        const next = plan.split(current, err.info);
        log("info", `slice ${current.label}: ${err.message}; reading ${next.label} first`);
        continue;
      } finally {
        const stopping = guard;
        guard = undefined;
        await stopping?.stop();
      }
      plan.committed(current, { records: sliceRows + sliceSkipped, responseMs });
      for (const [field, count] of sliceUnknown) unknownFields.set(field, (unknownFields.get(field) ?? 0) + count);
      slicesDone++;
      sliceStartedAt = clock.now();
      at = { epoch: at.epoch, seq: at.seq + 1 };
      const inPlace = writesInPlace(load.mode);
      if (current.cursor !== null) {
        configDiff = current.cursor;
        if (inPlace) deps.cursors.advance(spec.stream, current.cursor, at, spec.jobId, spec.lease.token);
      }
      remember(deps, spec.stream, plan.density());
      matched.present += sliceCounts.present;
      matched.updated += sliceCounts.updated;
      // (In replace/truncate modes nothing is visible before the load finishes: a failed one committed nothing.)
      if (inPlace) committed = { records, skipped };
      // The job row holds what is visible: whoever ends this job from outside (recovery, the daemon after a crash or
      // a timeout, job:kill) copies it, so a replacing load's staged rows must not count before its swap.
      jobs.recordProgress(spec.jobId, {
        records: committed.records,
        skippedRecords: committed.skipped,
        presentRecords: matched.present,
        updatedRecords: matched.updated,
        bytes,
      });
      if (inPlace) spec.onCommitted?.(sliceRows - sliceCounts.present);
      const keyed = [
        sliceSkipped ? `${sliceSkipped} invalid skipped` : "",
        sliceCounts.present ? `${sliceCounts.present} already in the table` : "",
        sliceCounts.updated ? `${sliceCounts.updated} updated a row` : "",
      ].filter((x) => x !== "");
      log("info", `slice ${current.label}: ${sliceRows} records committed${keyed.length > 0 ? `, ${keyed.join(", ")}` : ""}`);
      report();
    }
    await pool?.close();
    pool = undefined;
    if (!writesInPlace(load.mode)) holdsLease();
    const mode = load.mode;
    const result = await load.finish();
    load = undefined;
    committed = { records, skipped };
    if (!writesInPlace(mode) && result.replaced) spec.onCommitted?.(result.rows);
    for (const w of result.warnings) log("warn", w);
    if (configDiff !== null) deps.cursors.advance(spec.stream, configDiff, at, spec.jobId, spec.lease.token);
    if (result.replaced) log("info", `table ${spec.database}.${spec.table} replaced by this run's ${result.rows} rows`);
    if (unknownFields.size > 0) {
      const list = [...unknownFields].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} (${n})`);
      log("warn", `fields not in in.columns were not imported: ${list.join(", ")}; run 'itd connector:guess' to add them`);
    }
    if (skipped > 0) log("warn", `${skipped} invalid records skipped (in.skip_invalid_records)`);
    if (matched.present > 0) log("info", `${matched.present} records were already in the table (not added again)`);
    if (matched.updated > 0) log("info", `${matched.updated} records updated an existing row`);
    log("info", `done: ${records} records in ${((clock.now() - startedAt) / 1000).toFixed(1)} s`);
    return outcome("success");
  } catch (err) {
    await pool?.close().catch(() => undefined);
    await load?.abort();
    ({ records, skipped } = committed);
    const killed = spec.signal?.aborted === true;
    const message = killed ? `killed: ${errorMessage(spec.signal?.reason)}` : errorMessage(err);
    log("error", message);
    return outcome(killed ? "killed" : "error", message);
  }
}
