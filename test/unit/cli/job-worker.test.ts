/**
 * The loop of a warm job process (`itd __jobs`), with a fake channel to the
 * daemon and a fake job runner: one job at a time, a fresh signal per job,
 * SIGTERM stops the job and the process leaves after reporting it, a SIGTERM
 * already pending when a job comes declines that job, and the process leaves
 * when its job's end is not recorded or the daemon is gone.
 */
import { fork, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EXIT_DAEMON_GONE, EXIT_TERMINATED_UNRECORDED, EXIT_UNRECORDED, type ChildMessage, type ParentMessage } from "../../../src/daemon/ipc.js";
import type { HandedJob, JobRun } from "../../../src/cli/job-process.js";
import { JobWorker } from "../../../src/cli/job-worker.js";

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

function harness() {
  const sent: ChildMessage[] = [];
  const listeners = new Set<(m: ParentMessage) => void>();
  const exits: number[] = [];
  const terminate = new AbortController();
  const runs: { handed: HandedJob; signal: AbortSignal; finish: Deferred<JobRun> }[] = [];
  /** What a pending SIGTERM does when the loop lets signals be handled (set by a test). */
  let pendingSignal: (() => void) | undefined;
  const worker = new JobWorker({
    link: {
      send: (m) => sent.push(m),
      flush: async (m) => {
        sent.push(m);
      },
      subscribe: (on) => {
        listeners.add(on);
        return () => listeners.delete(on);
      },
    },
    terminate: terminate.signal,
    run: (handed, signal) => {
      const finish = deferred<JobRun>();
      runs.push({ handed, signal, finish });
      return finish.promise;
    },
    rss: () => 100 * 2 ** 20,
    exit: (code) => exits.push(code),
    settle: async () => {
      pendingSignal?.();
      pendingSignal = undefined;
      await Promise.resolve();
    },
  });
  const hand = (jobId: number): void => {
    for (const on of listeners) on({ t: "definition", jobId, definition: null, token: 10 + jobId });
  };
  const done = (): (ChildMessage & { t: "done" })[] => sent.filter((m): m is ChildMessage & { t: "done" } => m.t === "done");
  return {
    worker, sent, exits, terminate, runs, hand, done,
    signalPending: (fn: () => void) => (pendingSignal = fn),
  };
}

describe("a warm job process's loop", () => {
  it("says it is ready, runs the jobs it is handed one after another, each with a signal of its own, and stays", async () => {
    const h = harness();
    h.worker.start();
    expect(h.sent).toEqual([{ t: "ready" }]);
    h.hand(1);
    await settle();
    expect(h.runs.map((r) => r.handed)).toEqual([{ jobId: 1, definition: null, token: 11 }]);
    h.runs[0]?.finish.resolve({ recorded: true, cpuMs: 12 });
    await settle();
    expect(h.done()).toEqual([{ t: "done", jobId: 1, rss: 100 * 2 ** 20, cpuMs: 12, recorded: true, terminated: false, refused: false, exiting: false }]);
    h.hand(2);
    await settle();
    expect(h.runs).toHaveLength(2);
    expect(h.runs[1]?.signal).not.toBe(h.runs[0]?.signal);
    expect(h.runs[1]?.signal.aborted).toBe(false);
    h.runs[1]?.finish.resolve({ recorded: true, cpuMs: 3 });
    await settle();
    expect(h.done().map((d) => d.jobId)).toEqual([1, 2]);
    expect(h.exits).toEqual([]);
  });

  it("never runs two jobs at once: a job handed while one runs is declined untouched", async () => {
    const h = harness();
    h.worker.start();
    h.hand(1);
    await settle();
    h.hand(2);
    await settle();
    expect(h.runs.map((r) => r.handed.jobId)).toEqual([1]);
    expect(h.done()).toEqual([expect.objectContaining({ jobId: 2, refused: true, exiting: false })]);
    h.runs[0]?.finish.resolve({ recorded: true, cpuMs: 1 });
    await settle();
    expect(h.done().map((d) => [d.jobId, d.refused])).toEqual([[2, true], [1, false]]);
  });

  it("stops the job running on SIGTERM, reports it (terminated) and leaves, never taking another job", async () => {
    const h = harness();
    h.worker.start();
    h.hand(1);
    await settle();
    const run = h.runs[0];
    h.terminate.abort(new Error("interrupted by SIGTERM"));
    expect(run?.signal.aborted).toBe(true);
    expect(h.exits).toEqual([]); // not before the job has recorded its end
    run?.finish.resolve({ recorded: true, cpuMs: 5 });
    await settle();
    expect(h.done()).toEqual([expect.objectContaining({ jobId: 1, recorded: true, terminated: true, exiting: true, refused: false })]);
    expect(h.exits).toEqual([0]);
    h.hand(2);
    await settle();
    expect(h.runs).toHaveLength(1);
    expect(h.done().at(-1)).toMatchObject({ jobId: 2, refused: true });
  });

  it("stops a job whose SIGTERM came before it started (job:kill right after the hand-over): reported terminated, never run, and leaves", async () => {
    const h = harness();
    h.worker.start();
    // The SIGTERM reaches the process before job 2 starts (the loop lets pending signals be handled first).
    h.signalPending(() => h.terminate.abort(new Error("interrupted by SIGTERM")));
    h.hand(2);
    await settle();
    expect(h.runs).toEqual([]);
    // Not declined (that would queue it again): the daemon ends it killed, as for a fresh process.
    expect(h.done()).toEqual([expect.objectContaining({ jobId: 2, refused: false, recorded: false, terminated: true, exiting: true })]);
    expect(h.exits).toEqual([EXIT_TERMINATED_UNRECORDED]);
  });

  it("sees a SIGTERM that came while its job ran before it reports the job done, so it is never taken for the next job", async () => {
    const h = harness();
    h.worker.start();
    h.hand(1);
    await settle();
    // job:kill signalled while job 1 still ran; the signal is handled only once the job has ended.
    h.signalPending(() => h.terminate.abort(new Error("interrupted by SIGTERM")));
    h.runs[0]?.finish.resolve({ recorded: true, cpuMs: 2 });
    await settle();
    expect(h.done()).toEqual([expect.objectContaining({ jobId: 1, recorded: true, terminated: true, exiting: true })]);
    expect(h.exits).toEqual([0]);
    h.hand(2);
    await settle();
    expect(h.runs).toHaveLength(1);
  });

  it("leaves at once on SIGTERM when idle (143: stopped), and when the daemon is gone (70 in the middle of a job, as __job does)", async () => {
    const idle = harness();
    idle.worker.start();
    idle.terminate.abort(new Error("interrupted by SIGTERM"));
    // 143, "stopped by SIGTERM": a job the daemon handed it meanwhile (not seen yet) ends killed, not retried.
    expect(idle.exits).toEqual([EXIT_TERMINATED_UNRECORDED]);

    const early = harness();
    early.terminate.abort(new Error("interrupted by SIGTERM")); // before it listened for jobs (still loading)
    early.worker.start();
    expect(early.exits).toEqual([EXIT_TERMINATED_UNRECORDED]);
    expect(early.sent).toEqual([]);

    const busy = harness();
    busy.worker.start();
    busy.hand(1);
    await settle();
    busy.worker.disconnected();
    expect(busy.exits).toEqual([EXIT_DAEMON_GONE]);

    const quiet = harness();
    quiet.worker.start();
    quiet.worker.disconnected();
    expect(quiet.exits).toEqual([0]);
  });

  it("leaves after a job whose end it could not record, so its pid dies and recovery can end the job (75; 143 after a SIGTERM)", async () => {
    const h = harness();
    h.worker.start();
    h.hand(1);
    await settle();
    h.runs[0]?.finish.resolve({ recorded: false, cpuMs: 1 });
    await settle();
    expect(h.done()).toEqual([expect.objectContaining({ jobId: 1, recorded: false, exiting: true, terminated: false })]);
    expect(h.exits).toEqual([EXIT_UNRECORDED]);

    const t = harness();
    t.worker.start();
    t.hand(1);
    await settle();
    t.terminate.abort(new Error("interrupted by SIGTERM"));
    t.runs[0]?.finish.resolve({ recorded: false, cpuMs: 1 });
    await settle();
    expect(t.exits).toEqual([EXIT_TERMINATED_UNRECORDED]);
  });

  it("counts a job runner that throws as unrecorded, and leaves", async () => {
    const h = harness();
    h.worker.start();
    h.hand(1);
    await settle();
    const run = h.runs[0];
    run?.finish.resolve(Promise.reject(new Error("state.db is locked")) as unknown as JobRun);
    await settle();
    expect(h.done()).toEqual([expect.objectContaining({ jobId: 1, recorded: false, exiting: true })]);
    expect(h.exits).toEqual([EXIT_UNRECORDED]);
  });
});

describe("itd __jobs as a process (the built bin)", () => {
  const bin = fileURLToPath(new URL("../../../bin/itd", import.meta.url));
  /** Starts `itd __jobs`, with an IPC channel the parent closes at once or none; its exit code and stderr. */
  async function start(ipc: boolean): Promise<{ code: number | null; stderr: string }> {
    const home = mkdtempSync(join(tmpdir(), "itd-jobs-"));
    try {
      const env = { ...process.env, ITD_HOME: home };
      const child = ipc
        ? fork(bin, ["__jobs"], { stdio: ["ignore", "ignore", "pipe", "ipc"], env })
        : spawn(process.execPath, [bin, "__jobs"], { stdio: ["ignore", "ignore", "pipe"], env });
      let stderr = "";
      child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
      if (ipc) child.disconnect(); // let go while it loads, as a stopping daemon does with its spare
      // Its exit (a disconnected channel can keep "close" from ever coming), then what it wrote to stderr.
      const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
      await new Promise<void>((r) => {
        if (child.stderr === null || child.stderr.readableEnded) r();
        else {
          child.stderr.once("end", r);
          setTimeout(r, 1_000);
        }
      });
      return { code, stderr };
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }

  it("started by the daemon and let go while it loads, it leaves quietly with 0 (no usage error in the daemon's log)", async () => {
    expect(await start(true)).toEqual({ code: 0, stderr: "" });
  });

  it("started by hand (no channel to a daemon), it says it is not for use by hand and exits 2", async () => {
    const r = await start(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("it is not for use by hand");
  });
});
