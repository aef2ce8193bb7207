// plan/lab.ts: the one plan of a lab on VMs (networks with the host's address, nodes with their
// NICs as the guest names them, the lab's folders on its host, the APT proxy), the same wherever
// Pulumi runs.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { qemuSpec } from "../../../plan/hypervisors/qemu.js";
import { virtualboxSpec } from "../../../plan/hypervisors/virtualbox.js";
import { macAddress, planLab, stateDirOf } from "../../../plan/lab.js";
import type { LabPlan } from "../../../plan/types.js";
import { openstackModel } from "../../../stacks/openstack/model.js";
import { labPlan, ROOT, stackLab } from "../../helpers/labs.js";

const nicsOf = (plan: LabPlan, node: string) =>
  plan.node(node).nics.map((n) => [n.index, n.network.name, n.kind, n.device, n.ip ?? null, n.prefix ?? null, n.promiscuous, n.sshPort ?? null]);

describe("networks", () => {
  it("carry the host's address with the network's prefix, when the host has one", () => {
    const plan = labPlan(stackLab("dev"));
    expect(plan.networks.map((n) => [n.name, n.kind, n.hostCidr])).toEqual([
      ["nat", "nat", undefined],
      ["management", "hostonly", "192.168.1.1/24"],
      ["guest", "hostonly", "172.16.0.1/24"],
    ]);
    expect(labPlan(stackLab("net-lab7"), "net-lab7").network("mybridge").hostCidr).toBe("192.168.50.1/24");
    expect(labPlan(stackLab("net-lab4"), "net-lab4").network("mynetwork").hostCidr).toBeUndefined();
    expect(plan.management?.name).toBe("management");
    expect(labPlan(stackLab("net-lab4"), "net-lab4").management).toBeUndefined();
  });

  it("are found by name, and a name the lab lacks is an error naming the lab", () => {
    const plan = labPlan(stackLab("dev"));
    expect(plan.network("guest")).toBe(plan.networks[2]);
    expect(() => plan.network("provider")).toThrow("no network provider in lab dev");
    expect(plan.node("compute1")).toBe(plan.nodes[1]);
    expect(() => plan.node("compute3")).toThrow("no node compute3 in lab dev");
  });
});

describe("NICs", () => {
  it("plan the seed's layout with the names VirtualBox's guests give them", () => {
    expect(nicsOf(labPlan(stackLab("openstack-lab"), "openstack-lab"), "controller")).toEqual([
      [0, "nat", "nat", "enp0s3", null, null, false, 8222],
      [1, "management", "hostonly", "enp0s8", "192.168.1.11", 24, true, null],
      [2, "guest", "hostonly", "enp0s9", null, null, true, null],
    ]);
  });

  it("are named as the posts name them (VirtualBox's slots) on both hypervisors, for every slot", () => {
    expect(nicsOf(labPlan(stackLab("dev")), "compute1").map((n) => n[3])).toEqual(["enp0s3", "enp0s8", "enp0s9"]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(virtualboxSpec.guestDevice)).toEqual([
      "enp0s3",
      "enp0s8",
      "enp0s9",
      "enp0s10",
      "enp0s16",
      "enp0s17",
      "enp0s18",
      "enp0s19",
    ]);
    expect([0, 1, 2, 7].map(qemuSpec.guestDevice)).toEqual(["enp0s3", "enp0s8", "enp0s9", "enp0s19"]);
    // The plan asks the lab's hypervisor, whose names are the posts'.
    const raw = stackLab("openstack-lab");
    raw.hypervisor = { kind: "qemu" };
    expect(
      labPlan(raw, "openstack-lab")
        .node("controller")
        .nics.map((n) => n.device),
    ).toEqual(["enp0s3", "enp0s8", "enp0s9"]);
  });

  it("get stable, distinct, locally administered MACs of their own lab", () => {
    expect(macAddress("dev", "controller", 1)).toBe(macAddress("dev", "controller", 1));
    expect(macAddress("dev", "controller", 1)).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    const macs = new Set(["controller", "compute1", "compute2"].flatMap((n) => [0, 1, 2].map((i) => macAddress("dev", n, i))));
    expect(macs.size).toBe(9);
    expect(macAddress("dev", "controller", 1)).not.toBe(macAddress("other", "controller", 1));
    const plan = labPlan(stackLab("dev"));
    expect(plan.nodes.flatMap((n) => n.nics.map((nic) => nic.mac))).toEqual(
      ["controller", "compute1", "compute2"].flatMap((n) => [0, 1, 2].map((i) => macAddress("dev", n, i))),
    );
  });
});

describe("nodes", () => {
  it("are reached on their SSH forward, at their management address", () => {
    const plan = labPlan(stackLab("dev"));
    expect(plan.nodes.map((n) => [n.name, n.sshPort, n.address])).toEqual([
      ["controller", 8222, "192.168.1.11"],
      ["compute1", 8200, "192.168.1.21"],
      ["compute2", 8201, "192.168.1.22"],
    ]);
  });

  it("without a management network, at their first static address, or none", () => {
    const raw = stackLab("net-lab5");
    expect(labPlan(raw, "net-lab5").nodes.map((n) => [n.name, n.address])).toEqual([
      ["boxA", "192.168.50.4"],
      ["boxB", undefined],
      ["boxC", "192.168.60.4"],
    ]);
    expect(labPlan(stackLab("net-lab1"), "net-lab1").node("boxA").address).toBeUndefined();
  });

  it("keep their VM's files under the lab's state folder, ~/ left for the host to expand", () => {
    expect(labPlan(stackLab("dev")).nodes.map((n) => n.vmDir)).toEqual([
      "~/.local/share/labstack/dev/vms/controller",
      "~/.local/share/labstack/dev/vms/compute1",
      "~/.local/share/labstack/dev/vms/compute2",
    ]);
    const raw = stackLab("dev");
    raw.host = { kind: "ssh", address: "lab.example", stateDir: "/srv/labs/dev/" };
    expect(labPlan(raw).node("compute2").vmDir).toBe("/srv/labs/dev/vms/compute2");
  });
});

describe("the lab's folders on its host", () => {
  it("are the user's locally and system-wide on a remote host, named from the stack alone", () => {
    expect(stateDirOf({ host: { kind: "local" } }, "dev")).toBe("~/.local/share/labstack/dev");
    expect(stateDirOf({ host: { kind: "ssh", address: "h", port: 22, user: "lab" } }, "dev")).toBe("/var/lib/labstack/dev");
    const droplet = stackLab("openstack-do");
    expect(labPlan(droplet, "openstack-do").stateDir).toBe("/var/lib/labstack/openstack-do");
    expect(stateDirOf({ host: { kind: "local", stateDir: "/srv/lab" } }, "dev")).toBe("/srv/lab");
    expect(stateDirOf({ host: { kind: "local", stateDir: "~/labs/dev" } }, "dev")).toBe("~/labs/dev");
  });

  it("keep the credentials in the state folder unless the lab names another", () => {
    expect(labPlan(stackLab("dev")).credentialsDir).toBe("~/.local/share/labstack/dev/credentials");
    expect(labPlan(stackLab("openstack-lab"), "openstack-lab").credentialsDir).toBe("~/.os_credentials");
    const raw = stackLab("dev");
    raw.host.stateDir = "/srv/lab";
    expect(labPlan(raw).credentialsDir).toBe("/srv/lab/credentials");
  });
});

describe("the APT proxy", () => {
  it("is the cache on the management network's host address, when the lab has one", () => {
    expect(labPlan(stackLab("dev")).aptProxy).toBe("http://192.168.1.1:3142");
    const raw = stackLab("dev");
    raw.aptCache = { port: 3200 };
    expect(labPlan(raw).aptProxy).toBe("http://192.168.1.1:3200");
    raw.aptCache = { enabled: false };
    expect(labPlan(raw).aptProxy).toBeUndefined();
    expect(labPlan(stackLab("net-lab3"), "net-lab3").aptProxy).toBeUndefined();
  });
});

describe("the config", () => {
  it("is planned as it is, never rewritten", () => {
    const lab = openstackModel.parse(stackLab("openstack-lab"), { hypervisors: [virtualboxSpec, qemuSpec], facts: {} });
    const before = structuredClone(lab);
    const plan = planLab(lab, "openstack-lab", virtualboxSpec);
    expect(plan.config).toBe(lab);
    expect(lab).toEqual(before);
    expect(plan.name).toBe("openstack-lab");
    expect(plan.hypervisor).toBe(virtualboxSpec);
    expect(plan.nodes.map((n) => n.config)).toEqual(lab.nodes);
    expect(plan.networks.map((n) => n.config)).toEqual(lab.networks);
  });
});

// What every layer above reads of a lab, computed in a Node of its own with the given HOME and
// working folder: the plan, every host step, every node's steps and VM parameters, and the bundles
// that carry them.
const run = promisify(execFile);
const PLANNER = `
const at = (path) => import(${JSON.stringify(pathToFileURL(ROOT).href)} + "/" + path);
const { labPlan, stackLab } = await at("test/helpers/labs.ts");
const { prepareStep } = await at("plan/prepare.ts");
const { imageStep } = await at("plan/image.ts");
const { labPreflight } = await at("plan/preflight.ts");
const { aptCacheStep } = await at("plan/aptCache.ts");
const { renderSeed } = await at("plan/cloudinit.ts");
const { bundle } = await at("plan/scripts.ts");
const { nodeStdin } = await at("plan/steps.ts");
const { planOpenStack, openstackBake } = await at("stacks/openstack/plan.ts");
const { planChecks, guestNetworkStep, hostServices } = await at("stacks/network/plan.ts");
const out = {};
for (const stack of ["dev", "openstack-lab", "openstack-do", "net-lab5", "net-lab1"]) {
  const plan = labPlan(stackLab(stack), stack);
  const openstack = plan.config.kind === "openstack";
  const bake = openstack ? openstackBake(plan.config) : undefined;
  const hostSteps = [prepareStep(plan, bake), imageStep(plan, bake), labPreflight(plan, 4096), aptCacheStep(plan), plan.hypervisor.hostSetup?.(plan)]
    .filter((s) => s !== undefined);
  const nodeSteps = openstack
    ? planOpenStack(plan).nodes.flatMap((n) => [n.base, ...n.services.map((s) => s.step), ...n.checks.map((c) => c.step)])
    : [...planChecks(plan).map((c) => c.step), ...plan.nodes.flatMap((n) => guestNetworkStep(plan, n.name) ?? []), ...hostServices(plan).map((s) => s.step)];
  const credentials = { mariadbRootPassword: "m", rabbitmqPassword: "r" };
  const machines = plan.nodes.map((node) => {
    const seed = renderSeed({ hostname: node.name, user: plan.config.user, sshPublicKey: "ssh-ed25519 AAAA k", nics: node.nics });
    const devices = Object.fromEntries(plan.networks.map((n) => [n.name, "dev-" + n.name]));
    return plan.hypervisor.machineEnvironment({ plan, node, seed, baseImage: "/images/base.qcow2", devices });
  });
  out[stack] = {
    plan,
    hostSteps,
    nodeSteps,
    machines,
    bundles: [
      ...hostSteps.map((s) => bundle(s.script, s.environment)),
      ...nodeSteps.map((s) => nodeStdin(s, credentials)),
      ...machines.map((env) => bundle(plan.hypervisor.vmScript, env)),
    ],
  };
}
process.stdout.write(JSON.stringify(out));
`;

describe("wherever Pulumi runs", () => {
  const scratch = mkdtempSync(join(tmpdir(), "labstack-plan-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  async function planOn(name: string, cwd?: string): Promise<string> {
    const home = join(scratch, `home-${name}`);
    mkdirSync(home);
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, USER: `learner-${name}`, LANG: "C.UTF-8" };
    const { stdout } = await run(process.execPath, ["--import", import.meta.resolve("tsx"), "--input-type=module", "-e", PLANNER], {
      cwd: cwd ?? mkdtempSync(join(scratch, `cwd-${name}-`)),
      env,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  }

  it("plans the same values, whatever the home and the working folder", { timeout: 60_000 }, async () => {
    const [a, b] = await Promise.all([planOn("a"), planOn("b", ROOT)]);
    const [planA, planB] = [JSON.parse(a), JSON.parse(b)];
    expect(planA).toHaveProperty("dev.plan.stateDir", "~/.local/share/labstack/dev");
    expect(Object.keys(planB)).toEqual(Object.keys(planA));
    for (const stack of Object.keys(planA)) expect(planB[stack], stack).toEqual(planA[stack]);
    for (const machineValue of [scratch, "learner-a"]) expect(a.includes(machineValue), machineValue).toBe(false);
    // The scripts travel by content: no bundle or parameter names the checkout.
    for (const stack of Object.keys(planA)) {
      const { bundles, hostSteps, nodeSteps, machines } = planA[stack];
      expect(bundles.length, stack).toBeGreaterThan(3);
      const inputs = JSON.stringify({ bundles, machines, env: [...hostSteps.map((s: any) => s.environment), ...nodeSteps.map((s: any) => s.env)] });
      expect(inputs.includes(ROOT), stack).toBe(false);
    }
  });
});
