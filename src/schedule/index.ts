/**
 * schedule/: cron patterns, time zones and slots, pure. Shared by the CLI
 * (`schedule:next`, `connector:create`) and the scheduler daemon.
 */
export { CronSpec, parseCron, type CronFields } from "./cron.js";
export { ScheduleError } from "./errors.js";
export { validateTimezone } from "./timezone.js";
export { ZoneCache, ZoneRules, type Segment, type Transition } from "./zone-rules.js";
export { nextSlot, nextSlots, slotsBetween } from "./slots.js";
export { SlotCalculator, type SlotCalculatorOptions } from "./calculator.js";
export { describeSlot, type SlotDescription } from "./describe.js";
export {
  CATCHUPS,
  checkCatchup,
  checkCron,
  checkDefinition,
  checkDelay,
  checkPriority,
  checkScheduleName,
  type Catchup,
  type ScheduleDefinition,
  type FileScheduleDefinition,
} from "./definition.js";
export { loadScheduleFiles, readScheduleFile, type LoadedScheduleFiles } from "./files.js";
