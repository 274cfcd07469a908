/**
 * A job the daemon started and handed to this process — a fresh `itd __job`
 * or a warm `itd __jobs` one — run here with the services of this job alone:
 * its budgets ask the daemon over IPC (listener removed when the job ends),
 * its pid is recorded, and the daemon is told when it runs.
 */
import { thisHost } from "../pid.js";
import { runScheduleJob } from "../connector/index.js";
import { IpcBudgets, type ChildMessage, type ParentMessage } from "../daemon/ipc.js";
import { errorMessage } from "../errors.js";
import { RateBudgets } from "../iterable/index.js";
import type { ScheduleDefinition } from "../schedule/index.js";
import type { Job } from "../store/index.js";
import { loadCatalog } from "./schedule-catalog.js";
import type { Services } from "./services.js";

/** This process's channel to the daemon that forked it. */
export interface DaemonLink {
  /** Sends without waiting (a failure means the daemon is gone: `onSendFailed` of `processLink`). */
  send(m: ChildMessage): void;
  /** Sends and resolves once the message is written (or could not be). */
  flush(m: ChildMessage): Promise<void>;
  /** Adds a listener of the daemon's messages; returns what removes it. */
  subscribe(on: (m: ParentMessage) => void): () => void;
}

/** The IPC channel of this process, if it has one (it was forked by the daemon). */
export function processLink(onSendFailed: () => void): DaemonLink | undefined {
  const send = process.send?.bind(process);
  if (send === undefined) return undefined;
  return {
    send: (m) => {
      if (!process.connected) return;
      send(m, undefined, {}, (err) => {
        if (err) onSendFailed();
      });
    },
    flush: (m) =>
      new Promise<void>((resolve) => {
        if (!process.connected) {
          resolve();
          return;
        }
        send(m, undefined, {}, () => resolve());
      }),
    subscribe: (on) => {
      const fn = (m: unknown): void => on(m as ParentMessage);
      process.on("message", fn);
      return () => {
        process.off("message", fn);
      };
    },
  };
}

/** What the daemon hands a job process with a job: the definition that fired it and the lease it took for it. */
export interface HandedJob {
  jobId: number;
  definition: ScheduleDefinition | null;
  token: number;
}

export interface JobRun {
  /** The job's row is final afterwards (its end recorded here, or it was not running). */
  recorded: boolean;
  /** CPU time this process spent on the job (ms). */
  cpuMs: number;
}

/**
 * Runs `job` (started by the daemon, or by no one when run by hand) to its end with the services `s`, which
 * belong to this job alone. Its outcome is in the store; the result says whether it got there.
 */
export async function runHandedJob(
  s: Services,
  env: NodeJS.ProcessEnv,
  job: Job,
  handed: HandedJob | undefined,
  link: DaemonLink | undefined,
  signal: AbortSignal,
): Promise<JobRun> {
  const cpu0 = process.cpuUsage();
  let budgets: IpcBudgets | undefined;
  let onCommitted: ((records: number) => void) | undefined;
  if (link !== undefined) {
    const local = new RateBudgets(s.clock, s.rateLimits);
    budgets = new IpcBudgets(local, link.send, link.subscribe, job.id);
    s.budgets = budgets;
    s.onRequest = (event) => link.send({ t: "request", jobId: job.id, event });
    onCommitted = (records) => link.send({ t: "committed", jobId: job.id, records });
  }
  let token: number | undefined;
  try {
    // By id, never by name: a schedule deleted and made again under its name is another schedule.
    const def = handed?.definition ?? (await loadCatalog(s, env)).schedules.find((d) => d.id === job.scheduleId);
    if (def === undefined) throw new Error(`the schedule of job ${job.id} (${job.schedule}) no longer exists`);
    const lease = s.store.leases.get(job.stream);
    token = handed?.token ?? (lease?.jobId === job.id ? lease.token : undefined);
    if (token === undefined) throw new Error(`job ${job.id} holds no lease on its stream ${job.stream}`);
    // This process holds the job and its lease now. The daemon records it as it hands the job over; written here
    // only when that did not get through (one write less on every job's way in).
    const mine = (p: number | null | undefined, h: string | null | undefined): boolean => p === process.pid && h === thisHost();
    if (!(mine(job.pid, job.host) && lease?.jobId === job.id && lease.token === token && mine(lease.pid, lease.host))) {
      try {
        s.store.lifecycle.handOver(job, token, { pid: process.pid, host: thisHost() });
      } catch {
        // state.db busy: the daemon's record stands; the lease is renewed by token either way
      }
    }
    link?.send({ t: "started", jobId: job.id, at: s.clock.now() });
    await runScheduleJob(
      {
        clientFor: (config) => s.iterableClient(config), warehouse: s.warehouse, jobs: s.store.jobs, cursors: s.store.cursors, clock: s.clock,
        logger: s.logger, env, lifecycle: s.store.lifecycle, legacyStream: s.store.schedules.legacyStream(def.id),
      },
      def,
      job,
      token,
      { signal, onCommitted },
    );
  } catch (err) {
    try {
      s.store.lifecycle.finish(job, token, { status: "error", records: 0, skippedRecords: 0, bytes: 0, error: errorMessage(err) });
    } catch {
      // state.db busy: the row stays running; the check below says so, and the daemon ends it
    }
  } finally {
    budgets?.close();
  }
  let recorded: boolean;
  try {
    recorded = s.store.jobs.getJob(job.id).status !== "running";
  } catch {
    recorded = false;
  }
  const cpu = process.cpuUsage(cpu0);
  return { recorded, cpuMs: (cpu.user + cpu.system) / 1000 };
}
