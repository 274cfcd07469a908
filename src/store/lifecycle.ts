/**
 * A job's life, in one place (design §6b): queue (a slot's job, once), start
 * (queued → running and the stream's lease, atomically), heartbeat, finish
 * (and the lease released), recover (a job whose process is gone: error, and
 * its slot queued again in the same transaction). `connector:issue`,
 * `connector:run --foreground`, job processes and the daemon all go through
 * here; answers are typed results, never error texts to match.
 */
import type { Db } from "./db.js";
import type { Job, JobKind, JobStore, NewJob } from "./jobs.js";
import { DAEMON_LEASE_MS, leaseLive, type Holder, type LeaseStore, type StreamLease } from "./leases.js";
import type { PgSyncDb } from "./postgres/sync-db.js";
import type { DaemonRegistry, ScheduleStore } from "./schedules.js";

export type QueueResult =
  | { status: "queued"; job: Job }
  /** The slot already has a live job (or, for a cron claim, lies at or before the schedule's mark). */
  | { status: "taken"; job: Job | undefined };

export type StartResult =
  | { status: "started"; job: Job; token: number }
  /** Another live job holds the stream. */
  | { status: "busy"; lease: StreamLease }
  /** The job is no longer queued (another process took it, or it was skipped). */
  | { status: "gone"; job: Job }
  /** The daemon that asked no longer holds the home's lease. */
  | { status: "fenced" };

export interface SlotJob {
  scheduleId: number;
  /** The schedule's name (a label in history). */
  schedule: string;
  slot: number;
  kind: Extract<JobKind, "scheduled" | "run">;
  database: string;
  table: string;
  priority: number;
  config: string;
  stream: string;
  /** Not started before this instant. */
  runAt?: number | undefined;
  /** A missed slot claimed by the catch-up policy (recorded in its job). */
  catchup?: boolean | undefined;
}

export interface JobEnd {
  status: "success" | "error" | "killed";
  records: number;
  skippedRecords: number;
  /** Issue 15's counts; left as progress recorded them when not given. */
  presentRecords?: number | undefined;
  updatedRecords?: number | undefined;
  bytes: number;
  error?: string | null;
  configDiff?: string | null;
}

export interface LifecycleDeps {
  db: Db;
  jobs: JobStore;
  leases: LeaseStore;
  schedules: ScheduleStore;
  daemon: DaemonRegistry;
  now: () => number;
  /** This process. */
  holder: Holder;
  isAlive: (pid: number) => boolean;
}

/** A slot whose job's process died this many times is not queued again (its last end says why). */
export const MAX_INTERRUPTIONS = 3;

export class JobLifecycle {
  constructor(private readonly d: LifecycleDeps) {}

  /**
   * Queues a slot's job. A cron claim (`kind: scheduled`) also moves the
   * schedule's fired-through mark to the slot, in the same transaction, and
   * is refused for a slot at or before the mark; a manual run leaves the
   * mark where it is.
   */
  queueSlot(spec: SlotJob, daemonToken?: number): QueueResult {
    const { db, jobs, schedules } = this.d;
    return db.transaction((): QueueResult => {
      if (daemonToken !== undefined && !this.d.daemon.holds(daemonToken)) return { status: "taken", job: undefined };
      // Shared by several daemons (PostgreSQL): they all fire the slot; its schedule's row, locked here, lets one
      // claim it at a time, and the others find the mark past it.
      if (db.engine === "postgres") db.prepare(`SELECT 1 FROM schedule_state WHERE id = ? FOR UPDATE`).get(spec.scheduleId);
      // A schedule deleted meanwhile (the daemon's definitions are up to a second old) gets no more jobs.
      if (!this.scheduleLives(spec.scheduleId)) return { status: "taken", job: undefined };
      const existing = jobs.slotJob(spec.scheduleId, spec.slot);
      if (spec.kind === "scheduled") {
        const mark = schedules.firedThrough(spec.scheduleId);
        schedules.pass(spec.scheduleId, spec.slot);
        if (existing || (mark !== undefined && spec.slot <= mark)) return { status: "taken", job: existing };
      } else if (existing) {
        return { status: "taken", job: existing };
      }
      const job = jobs.createJob({
        kind: spec.kind, schedule: spec.schedule, scheduleId: spec.scheduleId, scheduledTime: spec.slot, database: spec.database,
        table: spec.table, priority: spec.priority, config: spec.config, stream: spec.stream, runAt: spec.runAt ?? null,
        catchup: spec.catchup === true,
      });
      return { status: "queued", job };
    }).immediate();
  }

  /**
   * Queues many slots' cron claims (`kind: scheduled`), each as queueSlot
   * would, in order: a daemon's due slots of one tick. On PostgreSQL one round
   * trip (the schema's claim_slots), where a schedule another daemon is
   * claiming at this instant answers `busy` (ask again shortly); on state.db
   * one transaction.
   */
  queueSlots(specs: readonly Omit<SlotJob, "kind" | "runAt">[], daemonToken: number): ("queued" | "taken" | "busy")[] {
    const { db } = this.d;
    if (specs.length === 0) return [];
    if (db.engine === "postgres") {
      const pg = db as PgSyncDb;
      const col = <K extends keyof (typeof specs)[number]>(k: K) => specs.map((s) => s[k]);
      const rows = pg.readCommitted(
        () =>
          pg.query(`SELECT outcome FROM claim_slots($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
            daemonToken, DAEMON_LEASE_MS, this.d.now(), col("scheduleId"), col("schedule"), col("slot"), col("priority"),
            col("database"), col("table"), col("config"), col("stream"), specs.map((s) => (s.catchup === true ? 1 : 0)),
          ]).rows as { outcome: "queued" | "taken" | "busy" | "fenced" }[],
      );
      return rows.map((r) => (r.outcome === "fenced" ? "taken" : r.outcome));
    }
    return db.batch(() => specs.map((s) => this.queueSlot({ ...s, kind: "scheduled" }, daemonToken).status));
  }

  /**
   * Records slots not run (`skipped`, with the reason) and moves the mark past them, in one transaction.
   * `daemonToken`: only while that daemon holds the home, as for queueSlot — a daemon woken from a stall
   * after another took the home must not pass slots the new one has yet to fire.
   */
  skipSlots(spec: Omit<SlotJob, "slot" | "kind" | "runAt">, slots: readonly number[], reason: string, daemonToken?: number): void {
    const { db, jobs, schedules } = this.d;
    if (slots.length === 0) return;
    db.transaction(() => {
      if (daemonToken !== undefined && !this.d.daemon.holds(daemonToken)) return;
      if (db.engine === "postgres") db.prepare(`SELECT 1 FROM schedule_state WHERE id = ? FOR UPDATE`).get(spec.scheduleId);
      if (!this.scheduleLives(spec.scheduleId)) return;
      const mark = schedules.firedThrough(spec.scheduleId);
      for (const slot of slots) {
        // Dealt with already (a daemon that lost its lease may still be skipping): never a second record.
        if ((mark !== undefined && slot <= mark) || jobs.slotJob(spec.scheduleId, slot)) continue;
        jobs.createJob({
          kind: "scheduled", schedule: spec.schedule, scheduleId: spec.scheduleId, scheduledTime: slot, database: spec.database,
          table: spec.table, priority: spec.priority, config: spec.config, stream: spec.stream, status: "skipped", error: reason,
        });
      }
      schedules.pass(spec.scheduleId, Math.max(...slots));
    }).immediate();
  }

  /** queued → running with the stream's lease, atomically; `daemonToken`: only while that daemon holds the home. */
  start(jobId: number, daemonToken?: number): StartResult {
    const { db, jobs } = this.d;
    return db.transaction((): StartResult => {
      if (daemonToken !== undefined && !this.d.daemon.holds(daemonToken)) return { status: "fenced" };
      // Several daemons may pick the same queued job: the first locks it, the others pass it by at once.
      if (db.engine === "postgres" && db.prepare(`SELECT 1 FROM jobs WHERE id = ? AND status = 'queued' FOR UPDATE SKIP LOCKED`).get(jobId) === undefined) {
        return { status: "gone", job: jobs.getJob(jobId) };
      }
      const job = jobs.getJob(jobId);
      if (job.status !== "queued") return { status: "gone", job };
      if (job.scheduleId !== null && !this.scheduleLives(job.scheduleId)) {
        db.prepare(`UPDATE jobs SET status = 'skipped', error = ?, end_at = ? WHERE id = ?`)
          .run("skipped: the schedule was deleted before this run started", this.d.now(), job.id);
        return { status: "gone", job: jobs.getJob(job.id) };
      }
      return this.takeAndRun(job);
    }).immediate();
  }

  /**
   * A job made and started in one step (`connector:issue`, `connector:run
   * --foreground`). A slot that already has a queued job starts that job; a
   * slot that has a running or finished one is `taken`.
   */
  startNew(spec: NewJob): StartResult | { status: "taken"; job: Job } {
    const { db, jobs } = this.d;
    return db.transaction((): StartResult | { status: "taken"; job: Job } => {
      const lease = this.liveLease(spec.stream);
      if (lease) return { status: "busy", lease };
      if (spec.scheduleId != null && spec.scheduledTime != null) {
        const existing = jobs.slotJob(spec.scheduleId, spec.scheduledTime);
        if (existing && existing.status !== "queued") return { status: "taken", job: existing };
        if (existing) return this.takeAndRun(existing);
      }
      return this.takeAndRun(jobs.createJob({ ...spec, status: "queued" }));
    }).immediate();
  }

  private takeAndRun(job: Job): StartResult {
    const taken = this.d.leases.take(job.stream, job.id, this.d.holder, this.d.isAlive);
    if ("busy" in taken) return { status: "busy", lease: taken.busy };
    this.d.db
      .prepare(`UPDATE jobs SET status = 'running', start_at = ?, pid = ?, host = ? WHERE id = ?`)
      .run(this.d.now(), this.d.holder.pid, this.d.holder.host, job.id);
    return { status: "started", job: this.d.jobs.getJob(job.id), token: taken.token };
  }

  /** The live lease of a stream, if any. */
  liveLease(stream: string): StreamLease | undefined {
    const lease = this.d.leases.get(stream);
    return lease && leaseLive(lease, this.d.now(), this.d.holder, this.d.isAlive) ? lease : undefined;
  }

  /** Streams held by live leases (the daemon starts none of their queued jobs). */
  liveStreams(): Set<string> {
    const now = this.d.now();
    return new Set(this.d.leases.list().filter((l) => leaseLive(l, now, this.d.holder, this.d.isAlive)).map((l) => l.stream));
  }

  /**
   * Undoes a start that will not go on (the daemon found its lease gone before
   * it launched the job process): the job is queued again and the stream freed.
   */
  unstart(job: Pick<Job, "id" | "stream">, token: number): void {
    this.d.db.transaction(() => {
      this.d.db.prepare(`UPDATE jobs SET status = 'queued', start_at = NULL, pid = NULL, host = NULL WHERE id = ? AND status = 'running'`).run(job.id);
      this.d.leases.release(job.stream, token);
    }).immediate();
  }

  /** The process running the job is `holder` from now on (the daemon's job processes). */
  handOver(job: Job, token: number, holder: Holder): boolean {
    return this.d.db.transaction(() => {
      this.d.db.prepare(`UPDATE jobs SET pid = ?, host = ? WHERE id = ?`).run(holder.pid, holder.host, job.id);
      return this.d.leases.renew(job.stream, token, holder);
    }).immediate();
  }

  /** Renews the job's lease; false when it was lost (expired and taken, or the job recovered). */
  heartbeat(stream: string, token: number): boolean {
    return this.d.leases.renew(stream, token);
  }

  /** Whether the job still holds its stream. */
  holds(stream: string, token: number): boolean {
    return this.d.leases.holds(stream, token);
  }

  /**
   * Writes a job's end and releases its lease, in one transaction. Only a
   * running job ends here: one recovered or stopped meanwhile keeps the end
   * it was given. `requeue`: the job lost its lease before it could finish,
   * so its slot is queued again.
   */
  finish(job: Pick<Job, "id" | "stream">, token: number | undefined, end: JobEnd, options: { requeue?: boolean } = {}): Job {
    const { db, jobs } = this.d;
    return db.transaction(() => {
      const current = jobs.getJob(job.id);
      if (current.status === "running") {
        jobs.finishJob(job.id, end);
        if (options.requeue) this.requeue(current);
      }
      if (token !== undefined) this.d.leases.release(job.stream, token);
      return jobs.getJob(job.id);
    }).immediate();
  }

  /**
   * Jobs left `running` by a process that is gone (on this host: its pid is
   * dead; elsewhere: its lease expired) end `error` (interrupted), and the
   * slot of each is queued again, in the same transaction as the mark. Safe
   * to call from any process, any number of times. `notRunIn`: the caller
   * knows that this job's recorded process, alive, does not run it (a
   * daemon's warm job process that has gone on to other work).
   */
  recover(notRunIn?: (job: Job) => boolean): Job[] {
    const { db, jobs, leases, holder, isAlive } = this.d;
    const now = this.d.now();
    const recovered: Job[] = [];
    for (const job of jobs.listRunning()) {
      const lease = leases.get(job.stream);
      const mine = lease !== undefined && lease.jobId === job.id;
      const gone = notRunIn?.(job) === true ||
        ((job.host === null || job.host === holder.host) ? job.pid === null || !isAlive(job.pid) : !(mine && leaseLive(lease, now, holder, isAlive)));
      if (!gone) continue;
      const ended = db.transaction((): Job | undefined => {
        const current = jobs.getJob(job.id);
        if (current.status !== "running") return undefined;
        db.prepare(`UPDATE jobs SET status = 'error', end_at = ?, error = 'interrupted: the process running this job died' WHERE id = ?`).run(now, job.id);
        db.prepare(`DELETE FROM leases WHERE job_id = ?`).run(job.id);
        this.requeue(current);
        return jobs.getJob(job.id);
      }).immediate();
      if (ended) recovered.push(ended);
    }
    return recovered;
  }

  /** Whether a schedule id is still alive (not deleted). */
  private scheduleLives(id: number): boolean {
    return this.d.db.prepare(`SELECT 1 FROM schedule_state WHERE id = ? AND ended_at IS NULL`).get(id) !== undefined;
  }

  /**
   * Inside a transaction: queues the slot of an interrupted job again (when it
   * has one, its schedule lives, and it was not interrupted MAX_INTERRUPTIONS
   * times already: a job that kills its process every time must not loop).
   */
  private requeue(job: Job): Job | undefined {
    if (job.kind === "issue" || job.scheduleId === null || job.scheduledTime === null) return undefined;
    if (!this.scheduleLives(job.scheduleId) || this.d.jobs.slotJob(job.scheduleId, job.scheduledTime)) return undefined;
    const tries = this.d.db
      .prepare(`SELECT count(*) AS n FROM jobs WHERE schedule_id = ? AND scheduled_time = ? AND status IN ('error', 'killed')`)
      .get(job.scheduleId, job.scheduledTime) as { n: number };
    if (tries.n >= MAX_INTERRUPTIONS) return undefined;
    return this.d.jobs.createJob({
      kind: job.kind, schedule: job.schedule, scheduleId: job.scheduleId, scheduledTime: job.scheduledTime, database: job.database,
      table: job.table, priority: job.priority, config: job.config, stream: job.stream,
    });
  }

  /** Ends a deleted schedule's queued jobs as skipped. */
  skipQueued(scheduleId: number, reason: string): number {
    return this.d.jobs.skipQueued(scheduleId, reason);
  }
}

