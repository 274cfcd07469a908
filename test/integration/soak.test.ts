/**
 * The short chaos soak (the long one is `npm run soak -- --minutes 30`): a real
 * daemon with every data type and mode (a lookback over late events and an
 * upsert of changing users among them), random Iterable faults, SIGKILLs of
 * the daemon and of job processes, concurrent CLI commands; then the oracle.
 */
import { describe, expect, it } from "vitest";
import { formatSummary, runSoak, soakPassed } from "../../soak/soak.js";

describe("chaos soak (short)", () => {
  it("loses, duplicates and invents nothing, and runs every slot exactly once, through faults and kills", async () => {
    const summary = await runSoak({ minutes: 1.25, seed: 4242, killEverySeconds: 12 });
    const text = formatSummary(summary);
    // The chaos happened…
    expect(summary.kills.daemonSigkill + summary.kills.daemonSigterm + summary.kills.jobSigkill, text).toBeGreaterThanOrEqual(2);
    expect(Object.values(summary.faults).reduce((a, b) => a + b, 0), text).toBeGreaterThan(0);
    expect(summary.jobs["success"] ?? 0, text).toBeGreaterThan(10);
    expect(summary.cli.runs, text).toBeGreaterThan(5);
    // …and the oracle found nothing wrong.
    expect(summary.problems, text).toEqual([]);
    expect(summary.cli.unexpected, text).toEqual([]);
    expect([summary.missing, summary.duplicated, summary.extra], text).toEqual([0, 0, 0]);
    // Every table got rows — unless every slot of its schedule ended in an injected fault's error (custom_append fires
    // once a minute: in 1.25 minutes one malformed response can be its only slot; the oracle counts that as it should).
    const allFailed = (schedule: string): boolean => {
      const v = summary.slots.find((s) => s.schedule === schedule);
      return v !== undefined && v.slots > 0 && (v.byStatus["error"] ?? 0) === v.slots;
    };
    expect(summary.tables.every((t) => t.expected > 0 || t.schedule.startsWith("tmp_") || allFailed(t.schedule)), text).toBe(true);
    expect(summary.tables.filter((t) => t.expected > 0).length, text).toBeGreaterThanOrEqual(summary.tables.length - 3);
    // The lookback and upsert schedules (issue 15) were held to their rules, with their jobs' key counts.
    expect(summary.tables.filter((t) => t.present !== undefined).map((t) => t.schedule).sort(), text).toEqual(["sends_lookback", "users_upsert"]);
    expect(soakPassed(summary), text).toBe(true);
  }, 420_000);
});
