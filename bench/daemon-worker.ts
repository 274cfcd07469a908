/**
 * One daemon-firing measurement in its own process: the daemon's real firing
 * path (Scheduler + SlotCalculator + StateSlotStore over a real state.db, the
 * system clock) with 10,000 schedules, for DURATION seconds. Slots are queued
 * as jobs exactly as the daemon does; running them is the job processes'
 * business and is not part of this measurement.
 * Usage: node daemon-worker.js SCHEDULES SECONDS. Prints one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/clock.js";
import { Scheduler } from "../src/daemon/scheduler.js";
import { StateSlotStore } from "../src/daemon/slot-store.js";
import { SlotCalculator, type ScheduleDefinition } from "../src/schedule/index.js";
import { openStore } from "../src/store/index.js";
import { pattern, ZONES } from "./schedule-mix.js";

const count = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 120);
const home = mkdtempSync(join(tmpdir(), "itd-bench-daemon-"));
const store = openStore(home, systemClock);

const config = { in: { type: "iterable", api_key: "${ITERABLE_API_KEY}", data_type: "campaign" } };
const defs: ScheduleDefinition[] = [];
store.db.transaction(() => {
  for (let i = 0; i < count; i++) {
    const d = {
      name: `s${String(i).padStart(5, "0")}`, cron: pattern(i), timezone: ZONES[i % ZONES.length] as string, delay: 0,
      database: "bench_db", table: "bench_table", timeColumn: null, priority: (i % 5) - 2, catchup: "latest" as const, config, paused: false,
    };
    const { id } = store.schedules.create(d);
    defs.push({ ...d, id, source: "cli" });
  }
})();

const lateness: number[] = [];
const { token } = store.daemon.acquire({ pid: process.pid, host: "bench" }, 10_000, () => true) as { token: number };
const slotStore = new StateSlotStore(store, () => "in: {}\n", () => token);
const scheduler = new Scheduler({
  clock: systemClock,
  slots: new SlotCalculator(),
  store: slotStore,
  onEvent: (e) => {
    if (e.type === "fire") lateness.push(e.lateMs);
  },
});
global.gc?.();
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
slotStore.setDefinitions(defs);
scheduler.setSchedules(defs);
void scheduler.start();
const startupMs = performance.now() - t0;
const rssAfterStart = process.memoryUsage().rss;

// Idle CPU: the seconds between the minute's fires; total CPU over the run as well.
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
let peakRss = rssAfterStart;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(sampler);
const cpu = process.cpuUsage(cpu0);
const wallS = (performance.now() - wall0) / 1000;
scheduler.stop();
store.close();
rmSync(home, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({
    schedules: count, seconds: wallS, startupMs, rssStartMb: rssAfterStart / 2 ** 20, rssBaseMb: rssBefore / 2 ** 20, peakRssMb: peakRss / 2 ** 20,
    cpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / wallS, fires: lateness.length, lateness,
  }) + "\n",
);
