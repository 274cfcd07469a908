/**
 * The short chaos soak with three daemons on one PostgreSQL state store
 * (issue 14): each daemon a home (a host) of its own, the same schedules
 * directory, state and PostgreSQL warehouse; random daemons SIGKILLed,
 * SIGTERMed and stalled past their lease (the stalled one must wake fenced
 * and exit), job processes of any daemon SIGKILLed, CLI commands for random
 * homes; then the oracle, reading jobs and cursors from PostgreSQL.
 */
import { describe, expect, it } from "vitest";
import { formatSummary, runSoak, soakPassed } from "../../soak/soak.js";

describe("chaos soak (short) with three daemons on one PostgreSQL state", () => {
  it("loses, duplicates and invents nothing, and runs every slot exactly once, while daemons are killed and stalled", async () => {
    const summary = await runSoak({ minutes: 0.8, seed: 1414, killEverySeconds: 8, daemons: 3, state: "postgres" });
    const text = formatSummary(summary);
    expect(summary.daemons, text).toBe(3);
    expect(summary.warehouse, text).toBe("postgres");
    // Daemons were killed (or stalled), and each was started again after it.
    const disrupted = summary.perDaemon.reduce((a, d) => a + d.sigkill + d.sigterm + d.stall, 0);
    expect(disrupted, text).toBeGreaterThanOrEqual(2);
    for (const d of summary.perDaemon) expect(d.starts, text).toBe(1 + d.sigkill + d.sigterm + d.stall + d.hostDown);
    expect(summary.jobs["success"] ?? 0, text).toBeGreaterThan(10);
    expect(summary.cli.runs, text).toBeGreaterThan(5);
    expect(summary.problems, text).toEqual([]);
    expect(summary.cli.unexpected, text).toEqual([]);
    expect([summary.missing, summary.duplicated, summary.extra], text).toEqual([0, 0, 0]);
    expect(summary.rows, text).toBeGreaterThan(0);
    expect(soakPassed(summary), text).toBe(true);
  }, 420_000);
});
