// The virtual networking labs (the series' networking-samples): what each node configures in its
// guest (bridges, VLAN, VXLAN and tunnel devices, with iproute2) and the posts' observations as
// checks, in the order they must run (a bridge learns MACs from the pings before it), in waves of
// checks that cannot disturb each other.
import type { Lab, LabCheck, LabNode, NetworkLabConfig } from "../model/schema.js";
import { guestDevice, macAddress, planNics } from "./nics.js";
import { records, type Step } from "./steps.js";

/**
 * How a check may share time with others:
 * - `probe` sends its own traffic and judges only its own replies (ping, l2, arp, host-ping,
 *   nat-service): probes on different machines run side by side;
 * - `reader` reads a table the checks before it filled (a bridge's or a VTEP's forwarding table):
 *   readers run side by side, never beside the probes that fill the table;
 * - `watcher` watches a wire (capture): any other check's traffic could be what it sees, so it runs alone.
 */
export type CheckRole = "probe" | "reader" | "watcher";

export interface PlannedCheck {
  readonly name: string;
  /** The node it runs on, or the lab host. */
  readonly on: { readonly node: string } | "host";
  readonly role: CheckRole;
  readonly step: Step;
}

const ROLES: Record<LabCheck["kind"], CheckRole> = {
  ping: "probe",
  l2: "probe",
  arp: "probe",
  "host-ping": "probe",
  "nat-service": "probe",
  fdb: "reader",
  "vtep-fdb": "reader",
  capture: "watcher",
};

const machine = (c: PlannedCheck) => (c.on === "host" ? "host" : c.on.node);

/**
 * The checks in waves, in their order: a wave starts when the one before it has finished. A check
 * joins the wave before it when both have its role, the role is not `watcher`, and no check of that
 * wave runs on its machine (one check at a time per machine: an l2 check's temporary route would
 * steer another check's pings).
 */
export function checkWaves(checks: readonly PlannedCheck[]): PlannedCheck[][] {
  const waves: PlannedCheck[][] = [];
  for (const check of checks) {
    const last = waves.at(-1);
    const joins = last !== undefined && check.role !== "watcher" && last[0].role === check.role && !last.some((c) => machine(c) === machine(check));
    if (joins) last.push(check);
    else waves.push([check]);
  }
  return waves;
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
  return lab.checks.map((c, i): PlannedCheck => ({ ...planCheck(lab, labName, c, checkName(c, i)), role: ROLES[c.kind] }));
}

function planCheck(lab: NetworkLabConfig, labName: string, c: LabCheck, name: string): Omit<PlannedCheck, "role"> {
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
