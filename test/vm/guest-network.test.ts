// node/guest-network.sh as a node runs it (the plan's step on stdin, lib.sh ahead of it), inside a
// namespace the test makes with veth devices standing in for the node's NICs. This kernel has
// bridges but no VLAN, VXLAN, GRE or Geneve: those run in the networking labs' VMs.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNetworkLab } from "../../model/parse.js";
import { guestNetworkStep } from "../../plan/network.js";
import { nodeStdin } from "../../plan/steps.js";
import { stackLab } from "../helpers/labs.js";
import { removeStaleNamespace } from "../helpers/netns.js";

// A fixed name is the suite's marker: a killed run's namespace is removed at the next start.
const NS = "lsh-guestnet";
const raw = stackLab("net-lab5");
raw.hypervisor = { kind: "qemu" };
const step = guestNetworkStep(parseNetworkLab(raw), "boxB")!;
const inNs = (argv: string[], input?: string) => spawnSync("ip", ["netns", "exec", NS, ...argv], { encoding: "utf8", input });
const run = () => inNs(["bash", "-s"], nodeStdin(step));

beforeAll(() => {
  removeStaleNamespace(NS);
  expect(spawnSync("ip", ["netns", "add", NS]).status).toBe(0);
  // veth pairs: this kernel has no dummy devices.
  for (const nic of ["ens3", "ens4", "ens5"]) expect(inNs(["ip", "link", "add", nic, "type", "veth", "peer", "name", `${nic}-peer`]).status).toBe(0);
  expect(inNs(["ip", "addr", "add", "192.168.50.9/24", "dev", "ens4"]).status).toBe(0);
});
afterAll(() => spawnSync("ip", ["netns", "del", NS]));

describe("node/guest-network.sh", () => {
  it("builds the lab's bridge from the plan's records, then changes nothing", () => {
    expect(step.env.BRIDGES).toBe("name=myBridge ports=ens4,ens5");
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain("labstack: changed created myBridge");
    expect(first.stdout).toContain("labstack: changed flushed addresses of ens4");
    for (const port of ["ens4", "ens5"]) expect(inNs(["ip", "-o", "link", "show", "dev", port]).stdout).toContain("master myBridge");
    expect(inNs(["ip", "-o", "link", "show", "dev", "myBridge"]).stdout).toContain(",UP");
    const second = run();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).not.toContain("labstack: changed");
  });
});
