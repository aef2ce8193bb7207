// Every networking lab for real on QEMU, each in its own private network namespace: up, the
// lab's guest devices, the posts' checks, a second run that changes nothing, isolation broken on
// purpose where the lab is about isolation (the check must turn red), and destroy leaving nothing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Lab } from "../../components/model/schema.js";
import { bridgeEnvironment } from "../../components/plan/host.js";
import { openNamespacedLab, type NamespacedLab } from "../helpers/namespacedLab.js";
import { namespaceLinks, type Namespace } from "../helpers/netns.js";
import { changes, StepFailure, type QemuLab } from "../helpers/qemuLab.js";

/** Breaks a lab's isolation on purpose; the named check must then fail. */
interface Breakage {
  readonly what: string;
  readonly check: string;
  readonly expected: string;
  break(lab: QemuLab): Promise<void>;
  repair(lab: QemuLab): Promise<void>;
}

const moveToVlan = (lab: Lab, node: string, from: number, to: number): Lab => ({
  ...lab,
  guest: { ...lab.guest, vlans: lab.guest.vlans.map((v) => (v.node === node && v.id === from ? { ...v, id: to } : v)) },
});

const breakages: Record<string, Breakage> = {
  "net-lab4": {
    what: "the host gets an address on the internal network",
    check: "3-host-ping-host",
    expected: "ping 192.168.50.4 from the lab host: answered, but it must be isolated",
    async break(lab) {
      const dev = bridgeEnvironment(lab.labName, lab.lab.networks[1]).DEVICE;
      execFileSync("ip", ["-n", lab.ns.name, "addr", "add", "192.168.50.1/24", "dev", dev]);
    },
    async repair(lab) {
      const dev = bridgeEnvironment(lab.labName, lab.lab.networks[1]).DEVICE;
      execFileSync("ip", ["-n", lab.ns.name, "addr", "del", "192.168.50.1/24", "dev", dev]);
    },
  },
  "net-lab5": {
    what: "boxB's bridge goes down",
    check: "1-ping-boxa",
    expected: "ping 192.168.60.4 from boxA: no answer",
    async break(lab) {
      await lab.ssh(lab.lab.nodes[1], "sudo ip link set myBridge down");
    },
    async repair(lab) {
      await lab.configureNetwork();
    },
  },
  "net-lab8": {
    what: "boxC is put on VLAN 100",
    check: "3-l2-boxa",
    expected: "ARP for 192.168.70.6 on ens4.100: answered, but it must be isolated",
    async break(lab) {
      await lab.configureNetwork(moveToVlan(lab.lab, "boxC", 200, 100));
    },
    async repair(lab) {
      await lab.configureNetwork();
    },
  },
  "net-lab9": {
    what: "boxB uses VNI 101",
    check: "1-ping-boxa",
    expected: "ping 192.168.60.5 from boxA: no answer",
    async break(lab) {
      await lab.configureNetwork({ ...lab.lab, guest: { ...lab.lab.guest, vxlans: lab.lab.guest.vxlans.map((v) => (v.node === "boxB" ? { ...v, id: 101 } : v)) } });
    },
    async repair(lab) {
      await lab.configureNetwork();
    },
  },
};

const LABS = ["net-lab1", "net-lab2", "net-lab3", "net-lab4", "net-lab5", "net-lab6", "net-lab7", "net-lab8", "net-lab9", "net-lab10", "net-tunnels"];

describe.sequential.each(LABS)("%s on QEMU", (stack) => {
  let run: NamespacedLab;
  let lab: QemuLab;
  let ns: Namespace;
  let stateDir: string;

  beforeAll(async () => {
    run = await openNamespacedLab(stack, 3, (raw) => (raw.hypervisor = { kind: "qemu", accel: "auto" }));
    ({ lab, ns, stateDir } = run);
  });
  afterAll(() => run?.close());

  it("comes up, builds its devices and passes every check", async () => {
    await lab.up();
    await lab.configureNetwork();
    const results = await lab.networkChecks();
    expect(Object.keys(results)).toHaveLength(lab.lab.checks.length);
    for (const [name, r] of Object.entries(results)) expect(r.stdout, name).toMatch(/^ok: /m);
  });

  it("a second run changes nothing and the checks still pass", async () => {
    const again = await lab.configureNetwork();
    expect(changes(again.map((r) => r.stdout).join("\n"))).toEqual([]);
    await lab.networkChecks();
  });

  const breakage = breakages[stack];
  if (breakage !== undefined) {
    it(`turns its check red when ${breakage.what}`, async () => {
      await breakage.break(lab);
      const failure = await lab.runCheck(breakage.check).then(() => undefined, (e) => e);
      expect(failure).toBeInstanceOf(StepFailure);
      expect(failure.message).toContain(breakage.expected);
      await breakage.repair(lab);
      await lab.runCheck(breakage.check);
    });
  }

  it("destroy leaves nothing behind", async () => {
    await lab.destroy();
    expect(spawnSync("pgrep", ["-f", stateDir]).status).toBe(1);
    expect(namespaceLinks(ns)).toEqual([]);
    expect(existsSync(join(stateDir, "vms"))).toBe(false);
    expect(spawnSync("pgrep", ["-f", "http.server"]).status).toBe(1);
  });
});
