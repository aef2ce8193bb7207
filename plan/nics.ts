// Guest-side facts about NICs that the hypervisors must agree on with the provisioning scripts:
// the device name the guest kernel gives each NIC, and a stable MAC address per NIC.
import { createHash } from "node:crypto";
import { hypervisorOf } from "../components/hypervisor/registry.js";
import { parseCidr } from "../model/ipv4.js";
import { type Lab, type LabNode, MAX_NICS } from "../model/schema.js";

/** The name the guest kernel gives a node's NIC `index` on this hypervisor. */
export function guestDevice(hypervisor: string, index: number): string {
  if (index < 0 || index >= MAX_NICS) throw new Error(`NIC index ${index} out of range 0..${MAX_NICS - 1}`);
  return hypervisorOf(hypervisor).guestDevice(index);
}

/** A locally administered MAC (QEMU's 52:54:00 prefix) that stays the same across rebuilds. */
export function macAddress(labName: string, node: string, index: number): string {
  const h = createHash("sha256").update(`${labName}/${node}/${index}`).digest();
  return ["52", "54", "00", ...[0, 1, 2].map((i) => h[i].toString(16).padStart(2, "0"))].join(":");
}

export interface NicPlan {
  readonly index: number;
  readonly network: string;
  readonly kind: Lab["networks"][number]["kind"];
  readonly device: string;
  readonly mac: string;
  readonly ip?: string;
  readonly prefix?: number;
  readonly promiscuous: boolean;
  readonly sshPort?: number;
}

export function planNics(lab: Lab, labName: string, node: LabNode): NicPlan[] {
  const networks = new Map(lab.networks.map((n) => [n.name, n]));
  return node.nics.map((nic, index) => {
    const net = networks.get(nic.network)!;
    return {
      index,
      network: nic.network,
      kind: net.kind,
      device: guestDevice(lab.hypervisor.kind, index),
      mac: macAddress(labName, node.name, index),
      ip: nic.ip,
      prefix: nic.ip !== undefined && net.cidr !== undefined ? parseCidr(net.cidr)!.prefix : undefined,
      promiscuous: nic.promiscuous,
      sshPort: nic.sshPort,
    };
  });
}

/** The node's address on the management network (validation guarantees it exists). */
export function managementIp(lab: Lab, node: LabNode): string {
  return node.nics.find((n) => n.network === lab.managementNetwork && n.ip !== undefined)!.ip!;
}

export function sshPort(node: LabNode): number {
  return node.nics[0].sshPort!;
}
