// QEMU/KVM's pure side: its config, its guests' NIC names, its host devices and the parameters of
// provisioning/qemu/vm.sh. Linux bridges and taps for lab networks, user networking for NAT, KVM
// when it really works and TCG otherwise. Its components: components/hypervisor/qemu/.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { hostBridgeName } from "../bridge.js";
import { bootFiles, commonMachineEnvironment, nicSlot, postsNicName } from "../machine.js";
import { provisioning, records } from "../scripts.js";
import type { HypervisorSpec } from "../types.js";

export const QemuConfigSchema = z.strictObject({
  kind: z.literal("qemu"),
  /** `auto` uses KVM when a guest really boots with it, else TCG. @default auto */
  accel: z.enum(["auto", "kvm", "tcg"]).default("auto"),
});
export type QemuConfig = z.infer<typeof QemuConfigSchema>;

/** The tap device of one node's NIC: Linux caps names at 15 characters, and two labs on one host
 * must not collide, so the name carries a short hash of the lab and node. */
export function tapName(labName: string, node: string, index: number): string {
  return `lt${createHash("sha256").update(`${labName}/${node}`).digest("hex").slice(0, 6)}n${index}`;
}

const accelOf = (config: { hypervisor: unknown }) => (config.hypervisor as QemuConfig).accel;

export const qemuSpec: HypervisorSpec = {
  kind: "qemu",
  schema: QemuConfigSchema,
  guestDevice: postsNicName,
  rules: () => {},
  hostTools: [
    { command: "qemu-system-x86_64", package: "qemu-system-x86" },
    { command: "qemu-img", package: "qemu-utils" },
    { command: "cloud-localds", package: "cloud-image-utils" },
  ],
  dropletPackages: ["qemu-system-x86", "qemu-utils", "cloud-image-utils"],
  preflight: (plan) => ({
    // On a droplet QEMU without KVM would crawl; elsewhere `auto` may fall back to TCG on purpose.
    requireKvm: accelOf(plan.config) === "kvm" || (plan.config.host.kind === "digitalocean" && accelOf(plan.config) === "auto"),
    needRoot: ["QEMU's taps and bridges"],
    // vm.sh names its pidfile VM_DIR/qemu.pid; a running lab VM has it on its command line.
    runningVm: (node) => join(node.vmDir, "qemu.pid"),
    ownDevice: (net) => hostBridgeName(plan.name, net),
  }),
  vmScript: provisioning("qemu/vm.sh", ["qemu/accel.sh"]),
  vmIdentity: (_plan, node) => ({ VM_DIR: node.vmDir, NAME: node.name }),
  machineEnvironment(a) {
    const nics = a.node.nics.map((nic) =>
      nic.kind === "nat"
        ? { kind: "nat", mac: nic.mac, port: nic.sshPort, slot: nicSlot(nic.index) }
        : { kind: "tap", mac: nic.mac, tap: tapName(a.plan.name, a.node.name, nic.index), bridge: a.devices[nic.network.name], slot: nicSlot(nic.index) },
    );
    const boot = bootFiles(a.plan.config, a.baseImage);
    return {
      ...commonMachineEnvironment(a),
      KERNEL: boot.kernel,
      INITRD: boot.initrd,
      APPEND: boot.kernel === "" ? "" : boot.append,
      NICS: records(nics),
      ACCEL: accelOf(a.plan.config),
    };
  },
  builderAccel: accelOf,
};
