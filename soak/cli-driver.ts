/**
 * The soak's CLI drivers: two lanes that every 1–4 s run a random command for
 * a random schedule while the daemons run — listings and shows, priority
 * changes, manual and foreground runs, renames and back, a switch to another
 * database and back, prunes of the whole history, short-lived schedules
 * created, changed and deleted — and, on the schedules kept by a key
 * (lookback, upsert), rewinds with `--config-diff` and deletes followed by a
 * create of the same name on the same table. One lane leaves a schedule alone
 * while the other renames, moves, rewinds or re-creates it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Rng } from "../src/fake-iterable/prng.js";
import { startOf } from "./oracle.js";
import type { SoakSchedule } from "./plan.js";
import type { SoakState } from "./state.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A short-lived schedule a driver created (and maybe deleted). */
export interface Transient {
  name: string;
  table: string;
  created: number;
  deleting?: boolean;
  deleted?: number;
}

export interface CliDriverDeps {
  rng: Rng;
  running: () => boolean;
  /** Waits `ms`, or less when the soak ends. */
  pause: (ms: number) => Promise<void>;
  say: (line: string) => void;
  /** Runs a command; a non-zero exit not allowed by `allowed` (stderr) or `allowedOut` (stdout) is a finding. */
  cli: (args: string[], allowed?: RegExp, allowedOut?: RegExp) => Promise<CliResult>;
  /** Counts an operation that is no command of its own (the prune). */
  count: (label: string) => void;
  unexpected: string[];
  /** Prunes every finished job, keeping what it deleted for the oracle; returns how many went. */
  pruneToZero: () => number;
  state: SoakState;
  /** The schedules created by `connector:create` (the drivers' targets); their seeds' guessed configs are `DIR/NAME.yml`. */
  plan: readonly SoakSchedule[];
  dir: string;
  /** The database the switch moves a schedule to for a while. */
  altDatabase: string;
  /** The schedules the switch may move: each record once across the two databases (lookback and upsert: per table). */
  switchable: readonly string[];
  /** The schedules that may be rewound, and deleted and created again (their tables' keys make both harmless). */
  keyed: readonly string[];
  /** No rewind or re-creation after this moment: a run must follow it before the soak ends. */
  lastChange: number;
  transients: Transient[];
  /** The schedules deleted and created again (their slots are checked per stream). */
  recreated: Set<string>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export class CliDrivers {
  /** Schedules one lane is renaming, moving, rewinding or re-creating: the other lane leaves them alone meanwhile. */
  private readonly busy = new Set<string>();

  constructor(private readonly d: CliDriverDeps) {}

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.d.rng.float() * xs.length)] as T;
  }

  /** Runs `f` on `name` unless the other lane is at it. */
  private async exclusive(name: string, f: () => Promise<void>): Promise<void> {
    if (this.busy.has(name)) return;
    this.busy.add(name);
    try {
      await f();
    } finally {
      this.busy.delete(name);
    }
  }

  /** One lane, until the soak ends. */
  async lane(lane: number): Promise<void> {
    const { rng, cli, pause, running, transients, unexpected } = this.d;
    const names = this.d.plan.filter((s) => !s.file).map((s) => s.name);
    let n = 0;
    while (running()) {
      await pause(1000 + rng.float() * 3000);
      if (!running()) break;
      const name = this.pick(names);
      if (this.busy.has(name)) continue;
      const roll = rng.float();
      if (roll >= 0.5 && roll < 0.56) {
        // Rename away and back, the daemon running meanwhile: the schedule keeps its stream and its place.
        await this.exclusive(name, async () => {
          await cli(["connector:update", name, "-n", `${name}_renamed`]);
          await pause(1000 + rng.float() * 5000);
          await cli(["connector:update", `${name}_renamed`, "-n", name]);
        });
        continue;
      }
      if (roll >= 0.56 && roll < 0.6) {
        // Switch a schedule to another database and back: each record once across the two (oracle.ts, oracle-keyed.ts).
        const moved = this.pick(this.d.switchable);
        await this.exclusive(moved, async () => {
          const home = this.d.plan.find((s) => s.name === moved)?.database as string;
          await cli(["connector:update", moved, "-d", this.d.altDatabase, "--auto-create-table"]);
          await pause(15_000 + rng.float() * 25_000);
          await cli(["connector:update", moved, "-d", home, "--auto-create-table"]);
        });
        continue;
      }
      if (roll >= 0.6 && roll < 0.63) {
        this.d.count("job:prune (to zero)");
        this.d.say(`soak: pruned ${this.d.pruneToZero()} jobs`);
        continue;
      }
      if (roll >= 0.63 && roll < 0.7) {
        // A foreground run beside the daemon: refused while the daemon runs the schedule, else a manual run here.
        const at = Math.floor(Date.now() / 1000) * 1000 - Math.floor(rng.float() * 30) * 1000 - 500;
        await cli(["connector:run", name, String(at), "--foreground"], /is running \(job \d+\)|already has job/, /Job \d+: (error|killed),/);
        continue;
      }
      if (roll >= 0.9 && roll < 0.94) {
        const keyed = this.pick(this.d.keyed);
        await this.exclusive(keyed, () => this.rewind(keyed));
        continue;
      }
      if (roll >= 0.94 && roll < 0.96) {
        const keyed = this.pick(this.d.keyed);
        await this.exclusive(keyed, () => this.recreate(keyed));
        continue;
      }
      if (roll < 0.2) {
        const r = await cli(["connector:history", name, "-n", "50", "-f", "json"]);
        if (r.code === 0) {
          try {
            JSON.parse(r.stdout);
          } catch {
            unexpected.push(`connector:history ${name} -f json printed invalid JSON`);
          }
        }
      } else if (roll < 0.3) await cli(["connector:list"]);
      else if (roll < 0.36) await cli(["connector:show", name]);
      else if (roll < 0.43) await cli(["job:list", "-l", "20"]);
      else if (roll < 0.5) await cli(["connector:update", name, "--priority", String(Math.floor(rng.float() * 5) - 2)]);
      else if (roll < 0.75) {
        // A manual run at a half second: never a cron slot, so slot checks stay exact.
        const at = Math.floor(Date.now() / 1000) * 1000 - Math.floor(rng.float() * 30) * 1000 - 500;
        await cli(["connector:run", name, String(at)]);
      } else if (roll < 0.82) {
        const live = transients.filter((t) => t.deleted === undefined && t.deleting !== true);
        if (live.length < 3) {
          const t = { name: `tmp_${lane}_${n++}`, table: `t_${lane}_${n}`, created: Date.now() };
          const r = await cli(["connector:create", t.name, "*/15 * * * * *", "soak_tmp", t.table, "transient.yml", "--auto-create-table"]);
          if (r.code === 0) transients.push(t);
        } else {
          const t = this.pick(live);
          // Claimed like a delete: the other lane does not delete it under this update.
          t.deleting = true;
          await cli(["connector:update", t.name, "-s", rng.float() < 0.5 ? "*/20 * * * * *" : "*/15 * * * * *"]);
          t.deleting = false;
        }
      } else if (roll < 0.9) {
        // Claimed before the command runs: the two drivers never delete the same schedule.
        const t = transients.find((x) => x.deleted === undefined && x.deleting !== true);
        if (t) {
          t.deleting = true;
          const r = await cli(["connector:delete", t.name]);
          if (r.code === 0) t.deleted = Date.now();
          else t.deleting = false;
        }
      } else {
        await cli(["query", "-d", "soak_events", "SELECT count(*) FROM opens"], /does not exist|not found|no such/i);
      }
    }
  }

  /**
   * Rewinds a schedule's cursor (`--config-diff`, a new epoch) to a moment between its start_time and where it
   * stands: now and then all the way back (a replay of everything), else up to five minutes back. Refused while a
   * run of it goes on. Its key makes the re-read change nothing (oracle-keyed.ts).
   */
  private async rewind(name: string): Promise<void> {
    const s = this.d.plan.find((x) => x.name === name);
    if (s === undefined || !("start" in s.expect) || Date.now() > this.d.lastChange) return;
    const view = await this.d.state.read();
    let cursor: number | undefined;
    try {
      const stream = view.streamOf(name);
      cursor = stream === undefined ? undefined : startOf(view.cursor(stream)?.configDiff);
    } finally {
      view.close();
    }
    const start = s.expect.start;
    if (cursor === undefined || cursor <= start) return;
    const to = this.d.rng.float() < 0.25 ? start : Math.max(start, cursor - Math.floor(this.d.rng.float() * 300) * 1000);
    const file = join(this.d.dir, `${name}.rewind.yml`);
    writeFileSync(file, `in: {start_time: '${iso(to)}'}\n`);
    const r = await this.d.cli(["connector:update", name, "--config-diff", file], /is running \(job \d+\)/);
    if (r.code === 0) this.d.say(`soak: rewound ${name} from ${iso(cursor)} to ${iso(to)}`);
  }

  /**
   * Deletes a schedule and, 2–8 s later, creates one of the same name on the same table from the same load.yml: a
   * new stream that imports from its start_time again into a table that holds those rows.
   */
  private async recreate(name: string): Promise<void> {
    const s = this.d.plan.find((x) => x.name === name);
    if (s === undefined || Date.now() > this.d.lastChange) return;
    const deleted = await this.d.cli(["connector:delete", name]);
    if (deleted.code !== 0) return;
    this.d.recreated.add(name);
    this.d.say(`soak: deleted ${name}; creating it again`);
    // Not `pause`: the schedule must exist again even when the soak ends meanwhile.
    await sleep(2000 + this.d.rng.float() * 6000);
    for (let attempt = 0; attempt < 10; attempt++) {
      const created = await this.d.cli(["connector:create", name, s.cron, s.database, s.table, `${name}.yml`, "--catchup", s.catchup, "--auto-create-table"]);
      if (created.code === 0) return;
      await sleep(2000);
    }
    this.d.unexpected.push(`${name}: deleted, and not created again in 10 attempts`);
  }
}
