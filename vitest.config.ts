import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    // The JSON report lets .ci/run print `N passed, N failed`.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
