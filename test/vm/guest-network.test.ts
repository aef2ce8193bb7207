// network/guest-network.sh as a node runs it (the plan's step as a bundle on stdin, `bash -s
// ACTION`), inside a namespace the test makes with veth devices standing in for the node's NICs.
// This kernel has bridges but no VLAN, VXLAN, GRE or Geneve: those run in the networking labs' VMs.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeStdin } from "../../plan/steps.js";
import type { LabPlan } from "../../plan/types.js";
import type { NetworkLabConfig } from "../../stacks/network/model.js";
import { guestNetworkStep } from "../../stacks/network/plan.js";
import { labPlan, stackLab } from "../helpers/labs.js";
import { removeStaleNamespace } from "../helpers/netns.js";

// A fixed name is the suite's marker: a killed run's namespace is removed at the next start.
const NS = "lsh-guestnet";
const raw = stackLab("net-lab5");
raw.hypervisor = { kind: "qemu" };
const plan = labPlan(raw, "net-lab5") as LabPlan<NetworkLabConfig>;
const step = guestNetworkStep(plan, "boxB")!;
// boxB's NICs as its guest names them: NAT, then networka and networkb, the bridge's ports.
const [nat, portA, portB] = plan.node("boxB").nics.map((n) => n.device);
const inNs = (argv: string[], input?: string) => spawnSync("ip", ["netns", "exec", NS, ...argv], { encoding: "utf8", input });
const run = (action: "up" | "status" = "up") => inNs(["bash", "-s", action], nodeStdin(step));

beforeAll(() => {
  removeStaleNamespace(NS);
  expect(spawnSync("ip", ["netns", "add", NS]).status).toBe(0);
  // veth pairs: this kernel has no dummy devices.
  for (const nic of [nat, portA, portB]) expect(inNs(["ip", "link", "add", nic, "type", "veth", "peer", "name", `${nic}-peer`]).status).toBe(0);
  expect(inNs(["ip", "addr", "add", "192.168.50.9/24", "dev", portA]).status).toBe(0);
});
afterAll(() => spawnSync("ip", ["netns", "del", NS]));

describe("network/guest-network.sh", () => {
  it("builds the lab's bridge from the plan's records, then changes nothing", () => {
    expect(plan.node("boxB").nics.map((n) => n.network.name)).toEqual(["nat", "networka", "networkb"]);
    expect(step.env.BRIDGES).toBe(`name=myBridge ports=${portA},${portB}`);
    // Before the first run, `status` names what is not as planned, and changes nothing.
    const before = run("status");
    expect(before.status).toBe(3);
    expect(before.stdout.trim().split("\n")).toEqual(["myBridge is missing or not as planned"]);
    expect(inNs(["ip", "link", "show", "dev", "myBridge"]).status).not.toBe(0);
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain("labstack: changed created myBridge");
    expect(first.stdout).toContain(`labstack: changed flushed addresses of ${portA}`);
    for (const port of [portA, portB]) expect(inNs(["ip", "-o", "link", "show", "dev", port]).stdout).toContain("master myBridge");
    expect(inNs(["ip", "-o", "link", "show", "dev", "myBridge"]).stdout).toContain(",UP");
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).not.toContain("labstack: changed");
  });

  it("status is quiet while the bridge is as planned, names a bridge a learner took down, and up repairs it", () => {
    const healthy = run("status");
    expect(healthy.status, healthy.stdout + healthy.stderr).toBe(0);
    expect(healthy.stdout).toBe("");
    expect(inNs(["ip", "link", "set", "dev", "myBridge", "down"]).status).toBe(0);
    const drifted = run("status");
    expect(drifted.status).toBe(3);
    expect(drifted.stdout.trim().split("\n")).toEqual(["myBridge is down"]);
    // status changed nothing: the bridge is still down.
    expect(inNs(["ip", "-o", "link", "show", "dev", "myBridge"]).stdout).not.toContain(",UP");
    const repair = run();
    expect(repair.status, repair.stderr).toBe(0);
    expect(repair.stdout).toContain("labstack: changed brought up myBridge");
    expect(run("status").status).toBe(0);
  });
});
