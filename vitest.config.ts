import { defineConfig } from "vitest/config";

// Real VMs under TCG: minutes, not milliseconds. Two files at a time: much of a lab's time is
// waiting (SSH, boots, checks' timeouts), and every file has its own namespace link; image
// builds, the engine build and the accelerator probe take host-wide locks.
const vm = { testTimeout: 45 * 60_000, hookTimeout: 30 * 60_000, fileParallelism: true, maxWorkers: 2 };

// What CI boots (`npm test`). On CI's 2 cores without KVM every boot is emulated: all the VM suites
// take over an hour there, and lab-openstack alone (a lab of the previous release upgraded, then
// stopped, started, checkpointed, changed, repaired and rebooted: a dozen boots and resumes of
// three nodes) half an hour, past CI's 40 minutes with the set-up. So CI boots one lab of each
// kind through the paths a learner takes first: the README's first run (the OpenStack lab of this
// release, its next steps, verify, destroy), the droplet, the networking labs with the everyday
// commands, and the host scripts. `npm run test:vm:full` runs every suite (docs/testing.md says
// when).
const CI_VM = [
  "test/vm/first-run.test.ts",
  "test/vm/lab-droplet.test.ts",
  "test/vm/lab-network-everyday.test.ts",
  "test/vm/hardening-host.test.ts",
  "test/vm/hostbridge.test.ts",
  "test/vm/guest-network.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 20_000 } },
      { test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 10 * 60_000, hookTimeout: 20 * 60_000 } },
      { test: { name: "vm", include: CI_VM, ...vm } },
      { test: { name: "vm-full", include: ["test/vm/**/*.test.ts"], ...vm } },
    ],
  },
});
