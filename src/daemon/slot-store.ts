import { serializeLoadConfig } from "../connector/index.js";
import type { ScheduleDefinition } from "../schedule/index.js";
import { scheduleStream, type Store } from "../store/index.js";
import type { SlotStore } from "./scheduler.js";

/**
 * The scheduler's SlotStore over state.db. The scheduler knows schedules by
 * name; everything stored belongs to the schedule's id (its mark, its jobs),
 * so a rename, a re-create or pruned history change nothing here. A claimed
 * slot is a queued job and the schedule's fired-through mark moves with it,
 * in one transaction (JobLifecycle.queueSlot); a skipped slot likewise. Both
 * only while this daemon holds the home (its lease token).
 */
export class StateSlotStore implements SlotStore {
  private defs = new Map<string, ScheduleDefinition>();

  /** On a shared store (PostgreSQL), a tick's claims go in one round trip; on state.db one by one, as ever. */
  readonly claimMany: ((claims: readonly { schedule: string; slot: number; priority: number; catchup: boolean }[]) => ("queued" | "taken" | "busy")[]) | undefined;

  constructor(
    private readonly store: Store,
    private readonly configText: (def: ScheduleDefinition) => string,
    /** The daemon's lease token: claims are refused once another daemon holds the home. */
    private readonly daemonToken: () => number | undefined,
  ) {
    this.claimMany = store.db.engine === "postgres" ? (claims) => this.claimAll(claims) : undefined;
  }

  private claimAll(claims: readonly { schedule: string; slot: number; priority: number; catchup: boolean }[]): ("queued" | "taken" | "busy")[] {
    const token = this.daemonToken();
    const specs: Parameters<Store["lifecycle"]["queueSlots"]>[0][number][] = [];
    const at: number[] = [];
    claims.forEach((c, i) => {
      const def = this.defs.get(c.schedule);
      if (!def || token === undefined) return;
      specs.push({ ...this.spec(def), priority: c.priority, slot: c.slot, catchup: c.catchup });
      at.push(i);
    });
    const out: ("queued" | "taken" | "busy")[] = claims.map(() => "taken");
    if (token === undefined || specs.length === 0) return out;
    this.store.lifecycle.queueSlots(specs, token).forEach((o, k) => (out[at[k] as number] = o));
    return out;
  }

  /** The definitions jobs are created from (kept in step with the scheduler's). */
  setDefinitions(defs: readonly ScheduleDefinition[]): void {
    this.defs = new Map(defs.map((d) => [d.name, d]));
  }

  lastSlot(schedule: string): number | undefined {
    const def = this.defs.get(schedule);
    return def ? this.store.schedules.firedThrough(def.id) : undefined;
  }

  firstSeen(schedule: string, now: number): number {
    const def = this.defs.get(schedule);
    return def ? this.store.schedules.firstSeen(def.id, now) : now;
  }

  private spec(def: ScheduleDefinition) {
    return {
      scheduleId: def.id, schedule: def.name, database: def.database, table: def.table, priority: def.priority,
      config: this.configText(def), stream: scheduleStream(def.id),
    };
  }

  claim(schedule: string, slot: number, priority: number, catchup = false): boolean {
    const def = this.defs.get(schedule);
    if (!def) return false;
    const token = this.daemonToken();
    if (token === undefined) return false;
    return this.store.lifecycle.queueSlot({ ...this.spec(def), priority, slot, kind: "scheduled", catchup }, token).status === "queued";
  }

  batch<T>(fn: () => T): T {
    return this.store.db.batch(fn);
  }

  skip(schedule: string, slots: readonly number[], reason: string): void {
    const def = this.defs.get(schedule);
    if (!def) return;
    const token = this.daemonToken();
    if (token === undefined) return;
    this.store.lifecycle.skipSlots(this.spec(def), slots, reason, token);
  }
}

/**
 * The stored (redacted) config text of a definition's jobs; never throws (a
 * broken config fails its job instead). Worked out once per definition object:
 * slots fire far more often than definitions change.
 */
export function redactedConfigText(check: (doc: unknown, label: string) => Parameters<typeof serializeLoadConfig>[0]): (def: ScheduleDefinition) => string {
  const cache = new WeakMap<ScheduleDefinition, string>();
  return (def) => {
    let text = cache.get(def);
    if (text === undefined) {
      try {
        text = serializeLoadConfig(check(def.config, def.source), { redact: true });
      } catch (err) {
        text = `# invalid config: ${(err as Error).message}\n`;
      }
      cache.set(def, text);
    }
    return text;
  };
}
