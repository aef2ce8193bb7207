// Linux bridges the lab makes on its host: a QEMU lab's networks, and the bridge a bridged
// network creates for any hypervisor.
import { createHash } from "node:crypto";
import { provisioning } from "./scripts.js";
import type { NetworkPlan } from "./types.js";

/** What marks a host object as this lab's (a bridge's alias, its networks.conf line): scripts
 * compare it to remove only what the lab made. */
export const labOwner = (labName: string) => `labstack ${labName}`;

/** The bridge's name: Linux caps interface names at 15 characters, and two labs on one host must
 * not collide, so a generated name carries a short hash of the lab and network. */
export function hostBridgeName(labName: string, net: NetworkPlan): string {
  return net.config.device ?? `lb${createHash("sha256").update(`${labName}/${net.name}`).digest("hex").slice(0, 6)}-${net.name}`.slice(0, 15);
}

/** The script behind every lab-made Linux bridge on the host. */
export const BRIDGE_SCRIPT = provisioning("host/bridge.sh");

/** Parameters of host/bridge.sh for a network. */
export function bridgeEnvironment(labName: string, net: NetworkPlan): Record<string, string> {
  return {
    DEVICE: hostBridgeName(labName, net),
    KIND: net.kind,
    HOST_CIDR: net.hostCidr ?? "",
    CREATE: net.config.create ? "1" : "0",
    OWNER: labOwner(labName),
  };
}
