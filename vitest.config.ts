import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 20_000 } },
      { test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 10 * 60_000, hookTimeout: 20 * 60_000 } },
      {
        test: {
          name: "vm",
          include: ["test/vm/**/*.test.ts"],
          // Real VMs under TCG: minutes, not milliseconds. One lab at a time on a 2-core machine.
          testTimeout: 45 * 60_000,
          hookTimeout: 30 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
