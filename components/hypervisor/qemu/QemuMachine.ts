// One node as a QEMU VM on the lab host (provisioning/qemu/vm.sh does the work).
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { MachineArgs } from "../driver.js";
import { tapName } from "../../plan/devices.js";

export interface QemuMachineArgs extends MachineArgs {
  readonly labName: string;
}

/** The NICS parameter of vm.sh: one line per NIC, in guest PCI order. */
export function qemuNicSpec(args: Pick<QemuMachineArgs, "labName" | "node" | "nics">, devices: Record<string, string>): string {
  return args.nics
    .map((nic) => (nic.kind === "nat" ? `nat ${nic.mac} ${nic.sshPort}` : `tap ${nic.mac} ${tapName(args.labName, args.node.name, nic.index)} ${devices[nic.network]}`))
    .join("\n");
}

export class QemuMachine extends pulumi.ComponentResource {
  readonly vmId: pulumi.Output<string>;
  /** The VM's serial console log on the lab host, for debugging a node that does not come up. */
  readonly serialLog: string;

  constructor(name: string, args: QemuMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:qemu:Machine", name, {}, opts);
    const { node, lab } = args;
    const vmDir = join(args.host.stateDir, "vms", node.name);
    this.serialLog = join(vmDir, "serial.log");
    const environment = pulumi
      .all([args.seed, args.baseImage, args.networkDevices])
      .apply(([seed, baseImage, devices]) => ({
        VM_DIR: vmDir,
        NAME: node.name,
        BASE_IMAGE: baseImage,
        KERNEL: lab.image.kernel ?? "",
        INITRD: lab.image.initrd ?? "",
        APPEND: lab.image.append,
        MEMORY_MIB: String(node.memoryMiB),
        CPUS: String(node.cpus),
        DISK_GIB: String(node.diskGiB),
        USER_DATA: seed.userData,
        META_DATA: seed.metaData,
        NETWORK_CONFIG: seed.networkConfig,
        NICS: qemuNicSpec(args, devices as Record<string, string>),
        ACCEL: lab.hypervisor.accel,
      }));
    const vm = args.host.script(
      `${name}-vm`,
      // Any change to what the VM is made of rebuilds it; the old one goes first (same ports, taps, folder).
      { script: "qemu/vm.sh", environment, triggers: [environment] },
      { parent: this, deleteBeforeReplace: true },
    );
    this.vmId = vm.id;
    this.registerOutputs({ vmId: this.vmId });
  }
}
