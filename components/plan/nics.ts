// Guest-side facts about NICs that both drivers must agree on with the provisioning scripts:
// the device name the guest kernel gives each NIC, and a stable MAC address per NIC.
import { createHash } from "node:crypto";
import type { Lab, LabNode } from "../model/schema.js";

export type HypervisorKind = Lab["hypervisor"]["kind"];

// VirtualBox's default PCI layout puts NICs 1-4 at slots 3, 8, 9, 10 and 5-8 at 16-19, which
// systemd names enp0s3, enp0s8, ... (the seed's enp0s8/enp0s9 come from this).
const VBOX_SLOTS = [3, 8, 9, 10, 16, 17, 18, 19];
// Our QEMU driver pins NIC k to PCI slot 3+k, which the guest names ens<slot>.
export const QEMU_FIRST_NIC_SLOT = 3;
export const MAX_NICS = 8;

export function guestDevice(hypervisor: HypervisorKind, index: number): string {
  if (index < 0 || index >= MAX_NICS) throw new Error(`NIC index ${index} out of range 0..${MAX_NICS - 1}`);
  return hypervisor === "virtualbox" ? `enp0s${VBOX_SLOTS[index]}` : `ens${QEMU_FIRST_NIC_SLOT + index}`;
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
      prefix: nic.ip !== undefined && net.cidr !== undefined ? Number(net.cidr.split("/")[1]) : undefined,
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
