/**
 * What to do with one due slot of a schedule: fire it, claim it as a missed
 * slot (catch-up), or record it as skipped. Pure.
 *
 * A slot is on time when it is the latest due slot of its schedule and its
 * lateness is within the grace (a daemon restart of a few seconds, a busy
 * tick). Every other due slot was missed — the daemon was down, the machine
 * asleep, the clock jumped forward — and its schedule's catch-up policy
 * decides: `all` claims missed slots in order up to the cap, `latest` only the
 * latest, `none` none. What is not claimed is skipped with a reason: nothing
 * vanishes silently.
 */
import type { Catchup } from "../schedule/index.js";

export type SlotAction = { readonly kind: "fire" } | { readonly kind: "catchup" } | { readonly kind: "skip"; readonly reason: string };

export interface CatchupRules {
  readonly policy: Catchup;
  /** Missed slots claimed per catch-up under `all`. */
  readonly cap: number;
  /** How late the latest due slot may be and still count as on time. */
  readonly graceMs: number;
}

export interface DueSlot {
  /** No later slot of the schedule is due yet. */
  readonly isLast: boolean;
  /** now − the slot's due time. */
  readonly lateMs: number;
  /** Missed slots of this schedule claimed so far in the current catch-up. */
  readonly caughtUp: number;
}

const FIRE: SlotAction = { kind: "fire" };
const CATCHUP: SlotAction = { kind: "catchup" };

export function decideSlot(rules: CatchupRules, slot: DueSlot): SlotAction {
  if (slot.isLast && slot.lateMs <= rules.graceMs) return FIRE;
  switch (rules.policy) {
    case "all":
      return slot.caughtUp < rules.cap ? CATCHUP : { kind: "skip", reason: `catch-up cap ${rules.cap} exceeded` };
    case "latest":
      return slot.isLast ? CATCHUP : { kind: "skip", reason: "catchup: latest" };
    case "none":
      return { kind: "skip", reason: "catchup: none" };
    default: {
      const never: never = rules.policy;
      throw new Error(`scheduler: unknown catch-up policy ${String(never)}`);
    }
  }
}
