// QEMU's pure side: its config, its guests' NIC names, its host device names and the parameters
// of provisioning/qemu/vm.sh.
import { createHash } from "node:crypto";
import { z } from "zod";
import { bootFiles, commonMachineEnvironment, type MachineEnvironmentArgs } from "../../../plan/machine.js";
import { records } from "../../../plan/steps.js";

export const QemuConfigSchema = z.strictObject({
  kind: z.literal("qemu"),
  /** `auto` uses KVM when a guest really boots with it, else TCG. */
  accel: z.enum(["auto", "kvm", "tcg"]).default("auto"),
});
export type QemuConfig = z.infer<typeof QemuConfigSchema>;

// vm.sh pins NIC k to PCI slot 3+k, which the guest names ens<slot>.
export const QEMU_FIRST_NIC_SLOT = 3;

export const qemuGuestDevice = (index: number) => `ens${QEMU_FIRST_NIC_SLOT + index}`;

/** The tap device of one node's NIC: Linux caps names at 15 characters, and two labs on one host
 * must not collide, so the name carries a short hash of the lab and node. */
export function tapName(labName: string, node: string, index: number): string {
  return `lt${createHash("sha256").update(`${labName}/${node}`).digest("hex").slice(0, 6)}n${index}`;
}

/** Parameters of provisioning/qemu/vm.sh; NICS holds one record a NIC, in guest PCI order. */
export function qemuMachineEnvironment(a: MachineEnvironmentArgs): Record<string, string> {
  const nics = a.nics.map((nic) =>
    nic.kind === "nat"
      ? { kind: "nat", mac: nic.mac, port: nic.sshPort }
      : { kind: "tap", mac: nic.mac, tap: tapName(a.labName, a.node.name, nic.index), bridge: a.devices[nic.network] },
  );
  const boot = bootFiles(a.lab, a.baseImage);
  return {
    ...commonMachineEnvironment(a),
    KERNEL: boot.kernel,
    INITRD: boot.initrd,
    APPEND: boot.append,
    NICS: records(nics),
    ACCEL: (a.lab.hypervisor as QemuConfig).accel,
  };
}
