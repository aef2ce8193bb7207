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
          // Real VMs under TCG: minutes, not milliseconds. Two files at a time: much of a lab's
          // time is waiting (SSH, boots, checks' timeouts), and every file has its own namespace
          // link; image builds, the engine build and the accelerator probe take host-wide locks.
          testTimeout: 45 * 60_000,
          hookTimeout: 30 * 60_000,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
