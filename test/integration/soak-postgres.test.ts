/**
 * The short chaos soak with the PostgreSQL warehouse (issue 13): the same
 * daemon, drivers, faults and kills as soak.test.ts, every import going into
 * a PostgreSQL the soak starts; the oracle reads the tables there.
 */
import { describe, expect, it } from "vitest";
import { formatSummary, runSoak, soakPassed } from "../../soak/soak.js";

describe("chaos soak (short) on the PostgreSQL warehouse", () => {
  it("loses, duplicates and invents nothing, and runs every slot exactly once, through faults and kills", async () => {
    const summary = await runSoak({ minutes: 0.85, seed: 4343, killEverySeconds: 10, warehouse: "postgres" });
    const text = formatSummary(summary);
    expect(summary.kills.daemonSigkill + summary.kills.daemonSigterm + summary.kills.jobSigkill, text).toBeGreaterThanOrEqual(2);
    expect(summary.jobs["success"] ?? 0, text).toBeGreaterThan(10);
    expect(summary.cli.runs, text).toBeGreaterThan(5);
    expect(summary.problems, text).toEqual([]);
    expect(summary.cli.unexpected, text).toEqual([]);
    expect([summary.missing, summary.duplicated, summary.extra], text).toEqual([0, 0, 0]);
    // The tables are in PostgreSQL, and hold rows.
    expect(summary.rows, text).toBeGreaterThan(0);
    expect(soakPassed(summary), text).toBe(true);
  }, 420_000);
});
