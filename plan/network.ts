// The virtual networking labs (the series' networking-samples): what each node configures in its
// guest (bridges, VLAN, VXLAN and tunnel devices, with iproute2) and the posts' observations as
// checks, in the order they must run (a bridge learns MACs from the pings before it).
import type { Lab, LabCheck, LabNode, NetworkLabConfig } from "../model/schema.js";
import { guestDevice, macAddress, planNics } from "./nics.js";
import { records, type Step } from "./steps.js";

export interface PlannedCheck {
  readonly name: string;
  /** The node it runs on, or the lab host. */
  readonly on: { readonly node: string } | "host";
  readonly step: Step;
}

function node(lab: Lab, name: string): LabNode {
  return lab.nodes.find((n) => n.name === name)!;
}

/** The guest device of `nodeName`'s NIC on `network`. */
export function nicDevice(lab: Lab, nodeName: string, network: string): string {
  return guestDevice(
    lab.hypervisor.kind,
    node(lab, nodeName).nics.findIndex((n) => n.network === network),
  );
}

function nicMac(lab: Lab, labName: string, nodeName: string, network: string): string {
  return macAddress(
    labName,
    nodeName,
    node(lab, nodeName).nics.findIndex((n) => n.network === network),
  );
}

/** A node's address on a network: static NIC address, else a guest device address on it. */
export function nodeAddress(lab: Lab, nodeName: string, network?: string): string | undefined {
  const nics = node(lab, nodeName).nics.filter((n) => n.ip !== undefined && (network === undefined || n.network === network));
  return nics[0]?.ip;
}

/** The name→address lines for /etc/hosts: every node's first static address. */
export function networkHostsEntries(lab: Lab): string {
  return lab.nodes
    .map((n) => [nodeAddress(lab, n.name), n.name] as const)
    .filter(([ip]) => ip !== undefined)
    .map(([ip, name]) => `${ip} ${name}`)
    .join("\n");
}

export const vlanDevice = (parent: string, id: number) => `${parent}.${id}`;

/** Parameters of provisioning/node/guest-network.sh for one node; undefined when it has none. */
export function guestNetworkStep(lab: NetworkLabConfig, nodeName: string): Step | undefined {
  const dev = (network: string) => nicDevice(lab, nodeName, network);
  const mine = <T extends { node: string }>(items: readonly T[]) => items.filter((d) => d.node === nodeName);
  const bridges = records(mine(lab.guest.bridges).map((b) => ({ name: b.name, ip: b.ip, ports: b.ports.map(dev) })));
  const vlans = records(mine(lab.guest.vlans).map((v) => ({ parent: dev(v.network), id: v.id, ip: v.ip })));
  const vxlans = records(
    mine(lab.guest.vxlans).map((v) => ({ name: v.name, vni: v.id, dev: dev(v.network), remote: v.remote, group: v.group, ttl: v.ttl, port: v.port, ip: v.ip })),
  );
  const tunnels = records(mine(lab.guest.tunnels).map((t) => ({ name: t.name, kind: t.kind, dev: dev(t.network), remote: t.remote, id: t.id, ip: t.ip })));
  if (bridges + vlans + vxlans + tunnels === "") return undefined;
  return { script: "node/guest-network.sh", env: { BRIDGES: bridges, VLANS: vlans, VXLANS: vxlans, TUNNELS: tunnels } };
}

function checkName(c: LabCheck, i: number): string {
  const who = "from" in c ? c.from : "node" in c ? c.node : "host";
  return `${i + 1}-${c.kind}-${who}`.toLowerCase();
}

function target(lab: NetworkLabConfig, to: string): string {
  return lab.nodes.some((n) => n.name === to) ? nodeAddress(lab, to)! : to;
}

export function planChecks(lab: NetworkLabConfig, labName: string): PlannedCheck[] {
  return lab.checks.map((c, i): PlannedCheck => {
    const name = checkName(c, i);
    switch (c.kind) {
      case "ping":
        return { name, on: { node: c.from }, step: { script: "checks/ping.sh", env: { TARGET: target(lab, c.to), EXPECT: c.expect } } };
      case "l2":
        return {
          name,
          on: { node: c.from },
          step: {
            script: "checks/l2.sh",
            env: {
              TARGET: c.to,
              DEVICE: c.vlan === undefined ? nicDevice(lab, c.from, c.network) : vlanDevice(nicDevice(lab, c.from, c.network), c.vlan),
              EXPECT: c.expect,
            },
          },
        };
      case "host-ping":
        return { name, on: "host", step: { script: "checks/host-ping.sh", env: { TARGET: c.to, EXPECT: c.expect } } };
      case "arp":
        return {
          name,
          on: { node: c.node },
          step: {
            script: "checks/arp.sh",
            env: {
              PEER: c.peer,
              PEER_IP: nodeAddress(lab, c.peer, c.network)!,
              PEER_MAC: nicMac(lab, labName, c.peer, c.network),
              DEVICE: nicDevice(lab, c.node, c.network),
            },
          },
        };
      case "fdb":
        return {
          name,
          on: { node: c.node },
          step: {
            script: "checks/fdb.sh",
            env: {
              BRIDGE: c.bridge,
              ENTRIES: records(c.peers.map((p) => ({ peer: p.node, mac: nicMac(lab, labName, p.node, p.network), port: nicDevice(lab, c.node, p.port) }))),
            },
          },
        };
      case "vtep-fdb":
        return { name, on: { node: c.node }, step: { script: "checks/vtep-fdb.sh", env: { DEVICE: c.device, PEERS: c.peers.join(" ") } } };
      case "capture":
        return {
          name,
          on: { node: c.node },
          step: { script: "checks/capture.sh", env: { DEVICE: nicDevice(lab, c.node, c.network), FILTER: c.filter, PATTERN: c.pattern, TARGET: c.to } },
        };
      case "nat-service":
        return { name, on: { node: c.node }, step: { script: "checks/nat-service.sh", env: { PORT: String(c.port), TOKEN: natServiceToken(labName) } } };
    }
  });
}

/** What the NAT lab's web server on the lab host answers, so the check knows it reached ours. */
export const natServiceToken = (labName: string) => `labstack NAT lab ${labName}`;

/** Host-side services a lab's checks need: the NAT lab's web server on the host's loopback. */
export function hostServices(lab: NetworkLabConfig, labName: string): { name: string; step: Step }[] {
  const ports = [...new Set(lab.checks.flatMap((c) => (c.kind === "nat-service" ? [c.port] : [])))];
  return ports.map((port) => ({
    name: `web-${port}`,
    step: { script: "host/web-server.sh", env: { PORT: String(port), TOKEN: natServiceToken(labName), RUN_DIR: "" } },
  }));
}

/** Base setup of a networking lab node: names of the other boxes, unnumbered NICs up; no packages. */
export function networkBaseStep(lab: NetworkLabConfig, labName: string, n: LabNode): Step {
  const unnumbered = planNics(lab, labName, n).filter((nic) => nic.kind !== "nat" && nic.ip === undefined);
  return {
    script: "node/base-setup.sh",
    env: { HOSTS: networkHostsEntries(lab), APT_PROXY_URL: "", CLOUD_ARCHIVE: "", UNNUMBERED_DEVICES: unnumbered.map((u) => u.device).join(" "), PACKAGES: "" },
  };
}
