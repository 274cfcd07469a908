/**
 * One daemon's firing path in its own process, for the lateness benchmark
 * (lateness.ts): the daemon's Scheduler, SlotCalculator and StateSlotStore
 * over a state store (state.db, or a PostgreSQL several such processes
 * share), the system clock, the schedules the store holds; its own daemon
 * lease, renewed every 2 s as the daemon's heartbeat does. Slots become
 * queued jobs exactly as in the daemon; nothing runs them.
 * Usage: node fire-worker.js HOME STATE SECONDS (STATE: sqlite or a
 * postgresql:// URL). Prints one JSON line.
 */
import { hostname } from "node:os";
import { systemClock } from "../src/clock.js";
import type { StateSetting } from "../src/config/state.js";
import { Scheduler } from "../src/daemon/scheduler.js";
import { StateSlotStore } from "../src/daemon/slot-store.js";
import { SlotCalculator, type ScheduleDefinition } from "../src/schedule/index.js";
import { DAEMON_LEASE_MS, DAEMON_LEASE_RENEW_MS, openStore } from "../src/store/index.js";
import { parsePostgresUrl } from "../src/warehouse/index.js";

const [home = "", stateArg = "sqlite", secondsArg = "120"] = process.argv.slice(2);
const state: StateSetting = stateArg === "sqlite" ? { engine: "sqlite" } : { engine: "postgres", target: parsePostgresUrl(stateArg, {}, "bench") };
const seconds = Number(secondsArg);
const store = openStore(home, systemClock, { state });

const t0 = performance.now();
const defs: ScheduleDefinition[] = store.schedules.list().map((r) => ({ ...r, source: "cli" }));
/** The daemon lease, once taken (claims before it are refused). */
const lease: { token?: number } = {};
let leaseLost = 0;

const fires: { slot: number; lateMs: number }[] = [];
let duplicates = 0;
const errors: string[] = [];
const slotStore = new StateSlotStore(store, () => "in: {}\n", () => lease.token);
const scheduler = new Scheduler({
  clock: systemClock,
  slots: new SlotCalculator(),
  store: slotStore,
  onEvent: (e) => {
    if (e.type === "fire") fires.push({ slot: e.slot, lateMs: e.lateMs });
    else if (e.type === "duplicate") duplicates++;
    else if (e.type === "error" && errors.length < 10) errors.push(e.message);
  },
});
slotStore.setDefinitions(defs);
store.db.batch(() => scheduler.setSchedules(defs));
// The lease is taken after the schedules are loaded, not before as the daemon does: on PostgreSQL, loading
// 10,000 schedules outlasts the 10 s lease (measured apart: the daemon exits at its first heartbeat).
const taken = store.daemon.acquire({ pid: process.pid, host: hostname() }, DAEMON_LEASE_MS, () => true);
if ("busy" in taken) throw new Error("fire-worker: the home's daemon lease is taken");
const held = taken.token;
lease.token = held;
const beat = setInterval(() => {
  if (!store.daemon.beat(held)) leaseLost++;
  store.syncClock();
}, DAEMON_LEASE_RENEW_MS);
void scheduler.start();
const readyAt = Date.now();
const startupMs = performance.now() - t0;

await new Promise((r) => setTimeout(r, seconds * 1000));
scheduler.stop();
clearInterval(beat);
store.daemon.release(held);
store.close();
process.stdout.write(JSON.stringify({ pid: process.pid, schedules: defs.length, startupMs, readyAt, endAt: Date.now(), fires, duplicates, errors, leaseLost }) + "\n");
process.exit(0);
