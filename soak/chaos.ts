/**
 * The soak's chaos on daemons and job processes, at random moments (a mean
 * of `meanMs` apart): SIGKILL or SIGTERM a daemon and start it again, stall
 * one past its lease (SIGSTOP … SIGCONT), SIGKILL a running job's process.
 *
 * One daemon (`oneDaemon`): its stall has a second daemon start on the same
 * home, and exactly one of the two must keep it. Several (`severalDaemons`):
 * each disruption strikes a random daemon and runs beside the loop, so
 * different daemons' disruptions overlap; a stalled one must find itself
 * fenced when it wakes, launch nothing, and exit non-zero.
 */
import type { Rng } from "../src/fake-iterable/prng.js";
import { childrenOf, exited, isGone, type DaemonFleet, type SoakDaemon } from "./daemons.js";
import type { SoakState } from "./state.js";

export interface ChaosDeps {
  fleet: DaemonFleet;
  rng: Rng;
  state: SoakState;
  meanMs: number;
  running: () => boolean;
  /** Waits `ms`, or less when the soak ends. */
  pause: (ms: number) => Promise<void>;
  say: (line: string) => void;
  /** Findings (the summary's problems). */
  problems: string[];
  kills: { daemonSigkill: number; daemonSigterm: number; jobSigkill: number; daemonStall: number };
  /** Daemon stalls: how many began, and how many are going on (a command may find the state locked meanwhile). */
  stalls: { started: number; active: number };
  /** Processes SIGKILLed (a foreground run is a job process too). */
  killedPids: Set<number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Chaos {
  /** Disruptions running beside the loop (several daemons): a stall, a restart. */
  private readonly disruptions = new Set<Promise<void>>();

  constructor(private readonly d: ChaosDeps) {}

  /** Resolves when every disruption begun is over. */
  async settled(): Promise<void> {
    while (this.disruptions.size > 0) await Promise.all([...this.disruptions]);
  }

  /** SIGKILLs a running job process (a daemon's, or a foreground run): the daemon must record it and go on. */
  private async killJob(): Promise<void> {
    const { fleet, rng, kills, killedPids, say } = this.d;
    // Jobs are short: wait up to 15 s for one to be running.
    let pids: number[] = [];
    for (let tries = 0; tries < 60 && this.d.running() && pids.length === 0; tries++) {
      pids = (await this.d.state.runningPids()).filter((pid) => !fleet.isDaemonPid(pid));
      if (pids.length === 0) await sleep(250);
    }
    const victim = pids[Math.floor(rng.float() * pids.length)];
    if (victim !== undefined && !fleet.isDaemonPid(victim)) {
      const owner = fleet.parentOf(victim);
      try {
        process.kill(victim, "SIGKILL");
        killedPids.add(victim);
        kills.jobSigkill++;
        if (owner) owner.kills.jobSigkill++;
        const several = fleet.daemons.length > 1;
        say(`chaos: SIGKILL job process ${victim}${several ? ` (${owner ? `of daemon #${owner.index}` : "not a daemon's"})` : ""}`);
      } catch {
        // it had just finished
      }
    }
  }

  /** One daemon: SIGKILL, SIGTERM, or a stall past its lease with a second daemon on its home (which must end with one). */
  async oneDaemon(): Promise<void> {
    const { fleet, rng, kills, stalls, problems, say } = this.d;
    const d0 = fleet.daemons[0] as SoakDaemon;
    while (this.d.running()) {
      await this.d.pause(this.d.meanMs * (0.4 + 1.2 * rng.float()));
      if (!this.d.running()) break;
      const roll = rng.float();
      if (roll < 0.2) {
        await this.killJob();
        continue;
      }
      const current = d0.child;
      if (!current) continue;
      if (roll < 0.32) {
        // A stall longer than the daemon's lease (a VM pause, a stuck event loop) while a second daemon starts:
        // the second takes the home; the first must launch nothing more when it wakes, and exit non-zero.
        current.kill("SIGSTOP");
        stalls.started++;
        stalls.active++;
        kills.daemonStall++;
        d0.kills.stall++;
        say(`chaos: SIGSTOP daemon ${current.pid ?? "?"} for 15 s, a second daemon starts after 11 s`);
        await sleep(11_000);
        const second = fleet.start(0);
        await sleep(4_000);
        current.kill("SIGCONT");
        stalls.active--;
        // Exactly one of the two keeps the home: the second, when it took the expired lease (the first must
        // then exit non-zero, having launched nothing), or the first, when it had stopped in the middle of a
        // write to state.db and the second could only take the lease after it woke (the second then exits).
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && !(isGone(current) || isGone(second))) await sleep(200);
        if (isGone(current) && current.exitCode === 0) problems.push("a daemon that lost its lease exited 0");
        if (isGone(current) && current.exitCode !== 0) d0.kills.fenced++;
        if (!isGone(current) && !isGone(second)) {
          problems.push("two daemons on one home both still running 30 s after a stall");
          second.kill("SIGKILL");
          await exited(second);
        }
        if (isGone(current) && isGone(second)) fleet.start(0);
        else d0.child = isGone(current) ? second : current;
        continue;
      }
      const signal = roll < 0.85 ? "SIGKILL" : "SIGTERM";
      current.kill(signal);
      if (signal === "SIGKILL") {
        kills.daemonSigkill++;
        d0.kills.sigkill++;
      } else {
        kills.daemonSigterm++;
        d0.kills.sigterm++;
      }
      say(`chaos: ${signal} daemon ${current.pid ?? "?"}`);
      await exited(current);
      await sleep(200 + rng.float() * 4000);
      fleet.start(0);
    }
  }

  /**
   * Several daemons: a random one (not under a disruption, and started) is SIGKILLed, SIGTERMed or stalled
   * past its lease, then started again; or a job process of any daemon is SIGKILLed.
   */
  async severalDaemons(): Promise<void> {
    const { fleet, rng } = this.d;
    while (this.d.running()) {
      await this.d.pause(this.d.meanMs * (0.4 + 1.2 * rng.float()));
      if (!this.d.running()) break;
      const roll = rng.float();
      if (roll < 0.2) {
        await this.killJob();
        continue;
      }
      const free = fleet.daemons.filter((x) => !x.busy && x.child !== undefined && !isGone(x.child) && x.startedAt !== undefined);
      const d = free[Math.floor(rng.float() * free.length)];
      if (d === undefined) continue;
      const downMs = 200 + rng.float() * 4000;
      if (roll < 0.32) this.disrupt(d, () => this.stall(d, 12_000 + rng.float() * 4_000, downMs));
      // Daemons on hosts of their own: a host dies now and then, and stays down past its jobs' stream leases, so
      // the others must take its slots over by the leases alone (they cannot see its processes).
      else if (d.hostname !== undefined && roll < 0.42) this.disrupt(d, () => this.hostDown(d, 35_000 + rng.float() * 10_000));
      else this.disrupt(d, () => this.kill(d, roll < 0.85 ? "SIGKILL" : "SIGTERM", downMs));
    }
  }

  /** Runs a disruption of one daemon beside the loop; the daemon is left alone until it is over. */
  private disrupt(d: SoakDaemon, f: () => Promise<void>): void {
    d.busy = true;
    const p = f()
      .catch((err: unknown) => void this.d.problems.push(`soak: disrupting daemon #${d.index}: ${String(err)}`))
      .finally(() => {
        d.busy = false;
        this.disruptions.delete(p);
      });
    this.disruptions.add(p);
  }

  /** Starts daemon `d` again after `ms`, unless the soak is over (the drain starts every daemon that is down). */
  private async restartAfter(d: SoakDaemon, ms: number): Promise<void> {
    await sleep(ms);
    if (this.d.running()) this.d.fleet.start(d.index);
  }

  private async kill(d: SoakDaemon, signal: "SIGKILL" | "SIGTERM", downMs: number): Promise<void> {
    const child = d.child;
    if (!child) return;
    d.expectExit = true;
    child.kill(signal);
    if (signal === "SIGKILL") {
      this.d.kills.daemonSigkill++;
      d.kills.sigkill++;
    } else {
      this.d.kills.daemonSigterm++;
      d.kills.sigterm++;
    }
    this.d.say(`chaos: ${signal} daemon #${d.index} (pid ${String(child.pid)})`);
    await exited(child);
    await this.restartAfter(d, downMs);
  }

  /** The daemon's host dies: the daemon and its job processes SIGKILLed at once; back after `downMs`. */
  private async hostDown(d: SoakDaemon, downMs: number): Promise<void> {
    const child = d.child;
    if (!child?.pid) return;
    d.expectExit = true;
    const jobs = childrenOf(child.pid);
    for (const pid of [child.pid, ...jobs]) {
      try {
        process.kill(pid, "SIGKILL");
        this.d.killedPids.add(pid);
      } catch {
        // gone already
      }
    }
    d.kills.hostDown++;
    this.d.kills.daemonSigkill++;
    this.d.say(`chaos: host of daemon #${d.index} down (SIGKILL daemon ${child.pid} and ${jobs.length} job process(es)) for ${(downMs / 1000).toFixed(0)} s`);
    await exited(child);
    await this.restartAfter(d, downMs);
  }

  /** A stall past the daemon's 10 s lease: the others carry on; when it wakes it must exit non-zero (fenced). */
  private async stall(d: SoakDaemon, stallMs: number, downMs: number): Promise<void> {
    const { kills, stalls, problems, say } = this.d;
    const child = d.child;
    if (!child) return;
    const s = (stallMs / 1000).toFixed(1);
    d.expectExit = true;
    child.kill("SIGSTOP");
    stalls.started++;
    stalls.active++;
    kills.daemonStall++;
    d.kills.stall++;
    say(`chaos: SIGSTOP daemon #${d.index} (pid ${String(child.pid)}) for ${s} s`);
    await sleep(stallMs);
    child.kill("SIGCONT");
    stalls.active--;
    const until = Date.now() + 30_000;
    while (Date.now() < until && !isGone(child)) await sleep(200);
    if (!isGone(child)) {
      problems.push(`daemon #${d.index} (pid ${String(child.pid)}) woke from a ${s} s stall (past its 10 s lease) and still ran 30 s later`);
      child.kill("SIGKILL");
      await exited(child);
    } else if (child.exitCode === 0) {
      problems.push(`daemon #${d.index} (pid ${String(child.pid)}) woke from a stall past its lease and exited 0`);
    } else {
      d.kills.fenced++;
      say(`chaos: daemon #${d.index} woke fenced and exited ${child.signalCode ?? String(child.exitCode)}`);
    }
    await this.restartAfter(d, downMs);
  }
}
