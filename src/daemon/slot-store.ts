import { serializeLoadConfig } from "../connector/index.js";
import type { ScheduleDefinition } from "../schedule/index.js";
import { scheduleStream, type JobStore } from "../store/index.js";
import type { SlotStore } from "./scheduler.js";

/** The scheduler's SlotStore over state.db: a claimed slot is a queued job, a skipped one a `skipped` job. */
export class StateSlotStore implements SlotStore {
  private defs = new Map<string, ScheduleDefinition>();

  constructor(
    private readonly jobs: JobStore,
    private readonly configText: (def: ScheduleDefinition) => string,
  ) {}

  /** The definitions jobs are created from (kept in step with the scheduler's). */
  setDefinitions(defs: readonly ScheduleDefinition[]): void {
    this.defs = new Map(defs.map((d) => [d.name, d]));
  }

  lastSlot(schedule: string): number | undefined {
    return this.jobs.lastSlot(schedule);
  }

  firstSeen(schedule: string, now: number): number {
    return this.jobs.firstSeen(schedule, now);
  }

  claim(schedule: string, slot: number, priority: number): boolean {
    const def = this.defs.get(schedule);
    if (!def) return false;
    try {
      this.jobs.createJob({
        kind: "scheduled", schedule, scheduledTime: slot, database: def.database, table: def.table, priority,
        config: this.configText(def), stream: scheduleStream(schedule),
      });
      return true;
    } catch (err) {
      if (/UNIQUE/.test((err as Error).message)) return false;
      throw err;
    }
  }

  skip(schedule: string, slots: readonly number[], reason: string): void {
    const def = this.defs.get(schedule);
    if (!def) return;
    const config = this.configText(def);
    for (const slot of slots) {
      try {
        this.jobs.createJob({
          kind: "scheduled", schedule, scheduledTime: slot, database: def.database, table: def.table, priority: def.priority,
          config, stream: scheduleStream(schedule), status: "skipped", error: reason,
        });
      } catch (err) {
        if (!/UNIQUE/.test((err as Error).message)) throw err;
      }
    }
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
