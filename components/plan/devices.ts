// Host-side device names. Linux caps interface names at 15 characters, and two labs on one host
// must not collide, so generated names carry a short hash of the lab and node.
import { createHash } from "node:crypto";
import type { LabNetwork } from "../model/schema.js";

const short = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 6);

/** The Linux bridge a QEMU lab network uses (hostonly, internal) or joins (bridged). */
export function qemuBridgeName(labName: string, net: LabNetwork): string {
  return net.device ?? `lb${short(`${labName}/${net.name}`)}-${net.name}`.slice(0, 15);
}

/** The tap device of one node's NIC. */
export function tapName(labName: string, node: string, index: number): string {
  return `lt${short(`${labName}/${node}`)}n${index}`;
}

// VirtualBox names (internal networks, VMs) are global to the host user: the lab's prefix keeps a
// learner's own "controller" VM, or another lab's, from being reused or deleted.
const vboxGlobalName = (labName: string, name: string) => `labstack-${labName}-${name}`;

/** VirtualBox internal networks are just names shared by the VMs on them. */
export function vboxInternalNetworkName(labName: string, net: LabNetwork): string {
  return vboxGlobalName(labName, net.name);
}

export function vboxVmName(labName: string, node: string): string {
  return vboxGlobalName(labName, node);
}
