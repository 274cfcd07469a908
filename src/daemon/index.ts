/**
 * daemon/: the scheduler daemon. The scheduling core (a timer loop over a heap
 * of next slots) is pure apart from its injected Clock and SlotStore.
 */
export { Scheduler, type SchedulerEvent, type SchedulerOptions, type SlotStore } from "./scheduler.js";
export { decideSlot, type CatchupRules, type DueSlot, type SlotAction } from "./catchup.js";
export { SlotHeap, comesBefore, type HeapItem } from "./heap.js";
