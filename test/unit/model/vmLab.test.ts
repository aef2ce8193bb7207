// model/vmLab.ts: a lab kind on VMs from its own keys and rules, checked against the hypervisors
// it is handed (no registry needed), and the `hypervisor` key's union of their branches.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { HypervisorModel } from "../../../model/hypervisor.js";
import type { LabConfig } from "../../../model/schema.js";
import { hypervisorSchema, vmLabModel } from "../../../model/vmLab.js";
import { qemuSpec } from "../../../plan/hypervisors/qemu.js";
import { virtualboxSpec } from "../../../plan/hypervisors/virtualbox.js";
import { configIssues, stackLab } from "../../helpers/labs.js";

const HYPERVISORS = [virtualboxSpec, qemuSpec];

/** A kind with one key of its own and one rule on it. */
const widgets = vmLabModel(
  "widgets",
  { widgets: z.array(z.strictObject({ node: z.string() })).default([]) },
  {
    rules: [
      ({ lab, nodes, add }) =>
        lab.widgets.forEach((w, i) => {
          if (!nodes.has(w.node)) add(["widgets", i, "node"], `no node '${w.node}'`);
        }),
    ],
  },
);

function widgetsLab(stack = "dev"): Record<string, any> {
  const { services: _, cloudArchive: __, openstackClient: ___, ...rest } = stackLab(stack);
  return { ...rest, kind: "widgets", widgets: [{ node: "controller" }] };
}

const issuesOf = configIssues;

describe("hypervisorSchema", () => {
  it("names the hypervisors it knows when the kind is none of them", () => {
    const schema = hypervisorSchema(HYPERVISORS);
    for (const raw of [{ kind: "hyperv" }, {}]) {
      expect(schema.safeParse(raw).error?.issues.map((i) => [i.path, i.message])).toEqual([[["kind"], 'Invalid option: expected one of "virtualbox"|"qemu"']]);
    }
    expect(hypervisorSchema([qemuSpec]).safeParse({ kind: "virtualbox" }).error?.issues[0].message).toBe('Invalid option: expected one of "qemu"');
  });

  it("parses a branch with its own keys and defaults, refusing another branch's", () => {
    const schema = hypervisorSchema(HYPERVISORS);
    expect(schema.parse({ kind: "qemu" })).toEqual({ kind: "qemu", accel: "auto" });
    expect(schema.parse({ kind: "virtualbox" })).toEqual({ kind: "virtualbox", networksConf: false });
    expect(schema.safeParse({ kind: "virtualbox", accel: "kvm" }).error?.issues[0].message).toBe('Unrecognized key: "accel"');
    expect(schema.safeParse({ kind: "qemu", accel: "hvf" }).error?.issues[0].message).toBe('Invalid option: expected one of "auto"|"kvm"|"tcg"');
  });
});

describe("vmLabModel", () => {
  it("parses the shared keys, its kind and its own keys", () => {
    const lab = widgets.parse(widgetsLab(), { hypervisors: HYPERVISORS, facts: {} });
    expect(lab.kind).toBe("widgets");
    expect(lab.widgets).toEqual([{ node: "controller" }]);
    expect(lab.nodes.map((n) => n.name)).toEqual(["controller", "compute1", "compute2"]);
    expect(widgets.memoryMiB(lab)).toBe(2048 + 1024 + 1024);
  });

  it("refuses another kind's name and keys", () => {
    expect(issuesOf(() => widgets.parse({ ...widgetsLab(), kind: "openstack" }, { hypervisors: HYPERVISORS, facts: {} }))).toEqual([
      'labstack:lab.kind: Invalid input: expected "widgets"',
    ]);
    expect(issuesOf(() => widgets.parse({ ...widgetsLab(), services: {} }, { hypervisors: HYPERVISORS, facts: {} }))).toEqual([
      'labstack:lab: Unrecognized key: "services"',
    ]);
  });

  it("knows only the hypervisors it is handed", () => {
    expect(issuesOf(() => widgets.parse(widgetsLab(), { hypervisors: [virtualboxSpec], facts: {} }))).toEqual([
      'labstack:lab.hypervisor.kind: Invalid option: expected one of "virtualbox"',
    ]);
  });

  it("runs the common rules, the lab's hypervisor's rules (not another's) and its own", () => {
    const seen: string[] = [];
    const spy = (kind: string, base: HypervisorModel<LabConfig>): HypervisorModel<LabConfig> => ({
      ...base,
      rules: (lab, add) => {
        seen.push(kind);
        base.rules(lab, add);
      },
    });
    const raw = widgetsLab("openstack-lab");
    raw.hypervisor.networksConf = false;
    raw.widgets.push({ node: "db" });
    raw.nodes[2].nics[0].sshPort = 8200;
    const issues = issuesOf(() => widgets.parse(raw, { hypervisors: [spy("virtualbox", virtualboxSpec), spy("qemu", qemuSpec)], facts: {} }));
    expect(seen).toEqual(["virtualbox"]);
    expect(issues).toEqual([
      "labstack:lab.networks[1].cidr: 192.168.1.0/24 is outside the host-only range VirtualBox allows (192.168.56.0/21); set hypervisor.networksConf: true so host preparation opens it in /etc/vbox/networks.conf",
      "labstack:lab.networks[2].cidr: 172.16.0.0/24 is outside the host-only range VirtualBox allows (192.168.56.0/21); set hypervisor.networksConf: true so host preparation opens it in /etc/vbox/networks.conf",
      "labstack:lab.nodes[2].nics[0].sshPort: port 8200 is already forwarded to node 'compute1'",
      "labstack:lab.widgets[1].node: no node 'db'",
    ]);
  });

  it("checks the host against the memory its nodes need, with the facts it is told", () => {
    const context = (memoryMiB: number) => ({ hypervisors: HYPERVISORS, facts: { memoryMiB } });
    expect(widgets.parse(widgetsLab(), context(4096)).kind).toBe("widgets");
    expect(issuesOf(() => widgets.parse(widgetsLab(), context(4095)))).toEqual([
      "labstack:lab.nodes: the nodes need 4096 MiB of memory but the lab host has 4095 MiB",
    ]);
  });
});
