// The virtual networking labs (the series' networking-samples): what each node configures in its
// guest (bridges, VLAN, VXLAN and tunnel devices, with iproute2) and the posts' observations as
// checks, in the order they must run (a bridge learns MACs from the pings before it), in waves of
// checks that cannot disturb each other.
import { join } from "node:path";
import { NAT } from "../../model/schema.js";
import { provisioning, records } from "../../plan/scripts.js";
import { baseSetup } from "../../plan/services.js";
import type { Step } from "../../plan/steps.js";
import type { LabPlan, NicPlan } from "../../plan/types.js";
import type { LabCheck, NetworkLabConfig } from "./model.js";

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

type Plan = LabPlan<NetworkLabConfig>;

const script = (path: string) => provisioning(`network/${path}`);

/** `nodeName`'s NIC on `network` (the model guarantees it has one). */
function nicOn(plan: Plan, nodeName: string, network: string): NicPlan {
  return plan.node(nodeName).nics.find((n) => n.network.name === network)!;
}

/** The guest device of `nodeName`'s NIC on `network`. */
export const nicDevice = (plan: Plan, nodeName: string, network: string) => nicOn(plan, nodeName, network).device;

/** A node's address on a network: its static NIC address there (else its first). */
export function nodeAddress(plan: Plan, nodeName: string, network?: string): string | undefined {
  return plan.node(nodeName).nics.find((n) => n.ip !== undefined && (network === undefined || n.network.name === network))?.ip;
}

/** The loopback alias Debian's and Ubuntu's installers give a machine's own name when it has no
 * fixed address to give it. */
const OWN_NAME_ALIAS = "127.0.1.1";

/**
 * The name→address lines of `nodeName`'s /etc/hosts (base-setup.sh's HOSTS): every node by its
 * first static address, and `nodeName` itself, when it has none (a bridge's box, a NAT-only box),
 * by the loopback alias, so it resolves its own name without DNS: sudo looks the name up before
 * every command and waited seconds on DNS ("unable to resolve host boxB"). A node with an address
 * is named by its line already, and no service of a networking lab binds the address a name
 * resolves to (the OpenStack lab writes its own lines, never the alias).
 */
export function networkHostsEntries(plan: Plan, nodeName: string): string {
  return plan.nodes
    .flatMap((n) => (n.address !== undefined ? [`${n.address} ${n.name}`] : n.name === nodeName ? [`${OWN_NAME_ALIAS} ${n.name}`] : []))
    .join("\n");
}

export const vlanDevice = (parent: string, id: number) => `${parent}.${id}`;

/** Parameters of provisioning/network/guest-network.sh for one node; undefined when it has none. */
export function guestNetworkStep(plan: Plan, nodeName: string): Step | undefined {
  const lab = plan.config;
  const dev = (network: string) => nicDevice(plan, nodeName, network);
  const mine = <T extends { node: string }>(items: readonly T[]) => items.filter((d) => d.node === nodeName);
  const bridges = records(mine(lab.guest.bridges).map((b) => ({ name: b.name, ip: b.ip?.text, ports: b.ports.map(dev) })));
  const vlans = records(mine(lab.guest.vlans).map((v) => ({ parent: dev(v.network), id: v.id, ip: v.ip.text })));
  const vxlans = records(
    mine(lab.guest.vxlans).map((v) => ({
      name: v.name,
      vni: v.id,
      dev: dev(v.network),
      remote: v.remote,
      group: v.group,
      ttl: v.ttl,
      port: v.port,
      ip: v.ip.text,
    })),
  );
  const tunnels = records(mine(lab.guest.tunnels).map((t) => ({ name: t.name, kind: t.kind, dev: dev(t.network), remote: t.remote, id: t.id, ip: t.ip.text })));
  if (bridges + vlans + vxlans + tunnels === "") return undefined;
  return { script: script("guest-network.sh"), env: { BRIDGES: bridges, VLANS: vlans, VXLANS: vxlans, TUNNELS: tunnels } };
}

function checkName(c: LabCheck, i: number): string {
  const who = "from" in c ? c.from : "node" in c ? c.node : "host";
  return `${i + 1}-${c.kind}-${who}`.toLowerCase();
}

function target(plan: Plan, to: string): string {
  return plan.nodes.some((n) => n.name === to) ? nodeAddress(plan, to)! : to;
}

export function planChecks(plan: Plan): PlannedCheck[] {
  return plan.config.checks.map((c, i): PlannedCheck => ({ ...planCheck(plan, c, checkName(c, i)), role: ROLES[c.kind] }));
}

function planCheck(plan: Plan, c: LabCheck, name: string): Omit<PlannedCheck, "role"> {
  switch (c.kind) {
    case "ping":
      return { name, on: { node: c.from }, step: { script: script("check-ping.sh"), env: { TARGET: target(plan, c.to), EXPECT: c.expect } } };
    case "l2":
      return {
        name,
        on: { node: c.from },
        step: {
          script: script("check-l2.sh"),
          env: {
            TARGET: c.to,
            DEVICE: c.vlan === undefined ? nicDevice(plan, c.from, c.network) : vlanDevice(nicDevice(plan, c.from, c.network), c.vlan),
            EXPECT: c.expect,
          },
        },
      };
    case "host-ping":
      return { name, on: "host", step: { script: script("check-host-ping.sh"), env: { TARGET: c.to, EXPECT: c.expect } } };
    case "arp":
      return {
        name,
        on: { node: c.node },
        step: {
          script: script("check-arp.sh"),
          env: {
            PEER: c.peer,
            PEER_IP: nodeAddress(plan, c.peer, c.network)!,
            PEER_MAC: nicOn(plan, c.peer, c.network).mac,
            DEVICE: nicDevice(plan, c.node, c.network),
          },
        },
      };
    case "fdb":
      return {
        name,
        on: { node: c.node },
        step: {
          script: script("check-fdb.sh"),
          env: {
            BRIDGE: c.bridge,
            ENTRIES: records(c.peers.map((p) => ({ peer: p.node, mac: nicOn(plan, p.node, p.network).mac, port: nicDevice(plan, c.node, p.port) }))),
          },
        },
      };
    case "vtep-fdb":
      return { name, on: { node: c.node }, step: { script: script("check-vtep-fdb.sh"), env: { DEVICE: c.device, PEERS: c.peers.join(" ") } } };
    case "capture":
      return {
        name,
        on: { node: c.node },
        step: { script: script("check-capture.sh"), env: { DEVICE: nicDevice(plan, c.node, c.network), FILTER: c.filter, PATTERN: c.pattern, TARGET: c.to } },
      };
    case "nat-service":
      return {
        name,
        on: { node: c.node },
        step: { script: script("check-nat-service.sh"), env: { PORT: String(c.port), TOKEN: natServiceToken(plan.name), GATEWAY: NAT.gateway } },
      };
  }
}

/** What the NAT lab's web server on the lab host answers, so the check knows it reached ours. */
export const natServiceToken = (labName: string) => `labstack NAT lab ${labName}`;

/** Host-side services a lab's checks need: the NAT lab's web server on the host's loopback. */
export function hostServices(plan: Plan): { name: string; step: Step }[] {
  const ports = [...new Set(plan.config.checks.flatMap((c) => (c.kind === "nat-service" ? [c.port] : [])))];
  return ports.map((port) => ({
    name: `web-${port}`,
    step: { script: script("web-server.sh"), env: { PORT: String(port), TOKEN: natServiceToken(plan.name), RUN_DIR: join(plan.stateDir, `web-${port}`) } },
  }));
}

/** Base setup of a networking lab node: the boxes' names and its own, unnumbered NICs up; no packages. */
export const networkBaseStep = (plan: Plan, nodeName: string): Step => baseSetup(plan, plan.node(nodeName), networkHostsEntries(plan, nodeName));
