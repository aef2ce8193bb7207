// The networking labs through the real engine on QEMU, each in a namespace of its own: `up` with
// every check green, a second `up` that does nothing, breakages that must make `up` (or the
// verify command) fail naming the check, the repair, and a destroy that leaves nothing. The VM
// suite runs two files at a time, so the labs are split over two files (lab-network-*.test.ts),
// each on a namespace link of its own.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostBridgeName } from "../../plan/bridge.js";
import { changed, cleanStale, type EngineLab, openEngineLab } from "./engineLab.js";
import { labPlan } from "./labs.js";
import { namespaceLinks } from "./netns.js";

const suite = (stack: string) => stack.replace(/^net-/, "");

/** The posts' labs use VirtualBox and Ubuntu; here QEMU boots a Debian image the lab builds. */
const onQemu = (raw: Record<string, any>) => {
  raw.hypervisor = { kind: "qemu", accel: "auto" };
  raw.image = { build: { distro: "debian", release: "bookworm" } };
};

/** A breakage the lab's checks must catch: by config (then `up` fails) or by hand (then verify fails). */
interface Breakage {
  readonly what: string;
  readonly check: string;
  readonly expected: string;
  break(lab: EngineLab): void;
  repair(lab: EngineLab): void;
  readonly byHand?: boolean;
}

/** Sets `values` on the raw config items that `which` picks. */
const setOn = (items: any[], which: (item: any) => boolean, values: Record<string, unknown>) => {
  for (const item of items.filter(which)) Object.assign(item, values);
};

const hostBridge = (lab: EngineLab, network: number) => {
  const plan = labPlan(lab.raw, lab.stack.name);
  return hostBridgeName(plan.name, plan.networks[network]);
};

const breakages: Record<string, Breakage> = {
  "net-lab4": {
    what: "the host gets an address on the internal network",
    check: "3-host-ping-host",
    expected: "ping 192.168.50.4 from the lab host: answered, but it must be isolated",
    byHand: true,
    break: (lab) => execFileSync("ip", ["-n", lab.ns.name, "addr", "add", "192.168.50.1/24", "dev", hostBridge(lab, 1)]),
    repair: (lab) => execFileSync("ip", ["-n", lab.ns.name, "addr", "del", "192.168.50.1/24", "dev", hostBridge(lab, 1)]),
  },
  // Breakages the model accepts (it refuses a check naming a VLAN a box lacks, or a VNI the peer
  // does not share, before anything is built): only the wire can tell.
  "net-lab8": {
    what: "boxB's VLAN 200 device becomes VLAN 201 in the config",
    check: "2-ping-boxc",
    expected: "ping 192.168.70.5 from boxC: no answer",
    break: (lab) => setOn(lab.raw.guest.vlans, (v) => v.node === "boxB" && v.id === 200, { id: 201 }),
    repair: (lab) => setOn(lab.raw.guest.vlans, (v) => v.node === "boxB" && v.id === 201, { id: 200 }),
  },
  "net-lab9": {
    what: "boxB's VXLAN listens on UDP 4790 in the config",
    check: "1-ping-boxa",
    expected: "ping 192.168.60.5 from boxA: no answer",
    break: (lab) => setOn(lab.raw.guest.vxlans, (v) => v.node === "boxB", { port: 4790 }),
    repair: (lab) => setOn(lab.raw.guest.vxlans, (v) => v.node === "boxB", { port: 4789 }),
  },
};

export function networkLabSuite(labs: readonly string[], link: number): void {
  beforeAll(() => labs.forEach((stack) => cleanStale(suite(stack), link)));

  describe.sequential.each(labs)("%s through the engine", (stack) => {
    let lab: EngineLab;
    let started: number;

    beforeAll(async () => {
      started = performance.now();
      lab = await openEngineLab(suite(stack), stack, link, onQemu);
    });
    afterAll(() => lab?.close());

    const verify = () => lab.inNamespace(["bash", "scripts/verify.sh", stack], lab.env);

    it("comes up with every check green", async () => {
      const up = await lab.up();
      expect(up.summary.result).toBe("succeeded");
      const checks = (await lab.stack.outputs()).checks.value as Record<string, string>;
      expect(Object.keys(checks)).toHaveLength(lab.raw.checks.length);
      for (const [name, out] of Object.entries(checks)) expect(out, name).toMatch(/^ok: /m);
    });

    it("a second up changes nothing", async () => {
      expect(changed(await lab.up())).toEqual({});
    });

    const breakage = breakages[stack];
    if (breakage !== undefined) {
      it(`fails naming check ${breakage.check} when ${breakage.what}, and recovers`, async () => {
        breakage.break(lab);
        let failure: string;
        if (breakage.byHand) {
          const r = verify();
          expect(r.status).not.toBe(0);
          failure = r.stdout + r.stderr;
        } else {
          lab.writeConfig();
          failure = await lab.up().then(
            () => "up succeeded",
            (e: Error) => e.message,
          );
        }
        expect(failure).toContain(`${stack}-check-${breakage.check}`);
        expect(failure).toContain(breakage.expected);
        breakage.repair(lab);
        if (breakage.byHand) expect(verify().status).toBe(0);
        else {
          lab.writeConfig();
          expect((await lab.up()).summary.result).toBe("succeeded");
        }
      });
    }

    if (stack === "net-lab5") {
      it("verify repairs a bridge taken down by hand inside boxB", () => {
        const down = lab.onNode(2200, "sudo ip link set myBridge down");
        expect(down.status, down.stderr).toBe(0);
        const r = verify();
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain("brought up myBridge");
      });
    }

    it("destroy leaves nothing behind", async () => {
      await lab.destroy();
      expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
      expect(namespaceLinks(lab.ns)).toEqual([]);
      expect(existsSync(lab.stateDir)).toBe(false);
      expect((await lab.stack.exportStack()).deployment.resources ?? []).toEqual([]);
      console.log(
        JSON.stringify({
          figure: `network_lab_${stack}`,
          value: Math.round((performance.now() - started) / 100) / 10,
          unit: "s",
          note: "whole test, breakages included",
        }),
      );
    });
  });
}
