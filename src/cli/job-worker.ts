/**
 * The loop of a warm job process (`itd __jobs`): it says it is ready, then runs
 * the jobs the daemon hands it, one at a time, and reports each one done (with
 * its RSS) before it takes the next. Nothing of a job outlives it: each gets
 * its own AbortController, services and budget listener (see `run`).
 *
 * - Never two jobs at once: a job handed while one runs is declined.
 * - SIGTERM (job:kill, job_timeout, shutdown, an operator) stops the job
 *   running (when idle, the process leaves with 143: a job handed to it
 *   while it still loaded, and not yet seen, ends killed), which records its end (`killed`), and the process exits after
 *   reporting it: it never takes another job with an aborted signal. Before
 *   it reports a job done it lets the signals already sent to it be handled,
 *   so a SIGTERM meant for that job (job:kill signals only while the job's
 *   end is not yet written) is never taken for the next one; one that comes
 *   after a job is handed and before it starts is that job's: it is reported
 *   stopped (the daemon ends it `killed`, as for a fresh process).
 * - A job whose end could not be recorded (state.db busy) leaves the process:
 *   it exits after reporting, so its pid dies and recovery can end the job.
 * - The daemon gone (IPC disconnected): it exits at once, as `__job` does, so
 *   the next daemon's recovery finds the job's pid dead.
 */
import { EXIT_DAEMON_GONE, EXIT_TERMINATED_UNRECORDED, EXIT_UNRECORDED, type DoneReport, type ParentMessage } from "../daemon/ipc.js";
import type { DaemonLink, HandedJob, JobRun } from "./job-process.js";

export interface JobWorkerDeps {
  link: DaemonLink;
  /** Aborted on SIGTERM or SIGINT. */
  terminate: AbortSignal;
  /** Runs one handed job to its end; `signal` aborts it (it then ends `killed`). */
  run(handed: HandedJob, signal: AbortSignal): Promise<JobRun>;
  /** This process's resident set size (bytes). */
  rss(): number;
  exit(code: number): void;
  /** Resolves once the signals already sent to this process have been handled. */
  settle(): Promise<void>;
}

export class JobWorker {
  /** The job running, if any. */
  private current: number | undefined;
  /** It takes no more jobs (it leaves, now or after the job running). */
  private leaving = false;
  private left = false;

  constructor(private readonly d: JobWorkerDeps) {}

  /** Listens for jobs and says it is ready. */
  start(): void {
    const { link, terminate } = this.d;
    link.subscribe((m) => {
      if (m.t === "definition") void this.take(m);
    });
    // Idle: nothing to stop, leave now. Busy: the job's own signal stops it, and `take` leaves after it.
    // Idle here may still mean a job is on its way: the daemon hands jobs to a process that is still loading, and
    // job:kill signals the pid the job names as soon as the daemon has handed it over. So the exit says
    // "stopped by SIGTERM" (as a fresh process dies of it): such a job ends killed, never interrupted and retried.
    const onTerminate = (): void => {
      if (this.current === undefined) this.leave(EXIT_TERMINATED_UNRECORDED);
    };
    if (terminate.aborted) onTerminate();
    else terminate.addEventListener("abort", onTerminate, { once: true });
    if (!this.leaving) link.send({ t: "ready" });
  }

  /** The daemon is gone: leave at once. A job running stays `running` with this dead pid; the next daemon recovers it. */
  disconnected(): void {
    this.leave(this.current === undefined ? 0 : EXIT_DAEMON_GONE);
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  private async take(m: Extract<ParentMessage, { t: "definition" }>): Promise<void> {
    const { link, terminate } = this.d;
    const done = (r: Omit<DoneReport, "jobId" | "rss">): Promise<void> => link.flush({ t: "done", jobId: m.jobId, rss: this.d.rss(), ...r });
    if (this.current !== undefined || this.leaving) {
      await done({ cpuMs: 0, recorded: false, terminated: terminate.aborted, refused: true, exiting: this.leaving });
      return;
    }
    this.current = m.jobId;
    await this.d.settle();
    if (terminate.aborted) {
      // A SIGTERM for this job (job:kill, the daemon's stop) before it started: as for a fresh process killed before
      // it recorded anything, the daemon ends it `killed`. (One meant for the previous job was seen before that
      // job was reported done: see below.)
      this.current = undefined;
      this.leaving = true;
      await done({ cpuMs: 0, recorded: false, terminated: true, refused: false, exiting: true });
      this.leave(EXIT_TERMINATED_UNRECORDED);
      return;
    }
    const stop = new AbortController();
    const onTerminate = (): void => stop.abort(terminate.reason);
    terminate.addEventListener("abort", onTerminate, { once: true });
    let result: JobRun;
    try {
      result = await this.d.run({ jobId: m.jobId, definition: m.definition, token: m.token }, stop.signal);
    } catch {
      result = { recorded: false, cpuMs: 0 };
    } finally {
      terminate.removeEventListener("abort", onTerminate);
    }
    // A SIGTERM sent while the job still ran (job:kill signals only then, holding state.db's write lock, so before
    // the job's end was written) is handled before the job is reported done: the process then leaves, and the
    // daemon hands it no other job.
    await this.d.settle();
    this.current = undefined;
    const terminated = terminate.aborted;
    const exiting = terminated || !result.recorded;
    if (exiting) this.leaving = true;
    await done({ cpuMs: result.cpuMs, recorded: result.recorded, terminated, refused: false, exiting });
    if (exiting) this.leave(result.recorded ? 0 : terminated ? EXIT_TERMINATED_UNRECORDED : EXIT_UNRECORDED);
  }

  private leave(code: number): void {
    this.leaving = true;
    if (this.left) return;
    this.left = true;
    this.d.exit(code);
  }
}
