// One node as a VirtualBox VM (provisioning/virtualbox/vm.sh does the work).
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { MachineArgs } from "../driver.js";
import type { NicPlan } from "../../plan/nics.js";

const VBOX_ATTACHMENT: Record<NicPlan["kind"], string> = { nat: "nat", hostonly: "hostonly", internal: "intnet", bridged: "bridged" };

/** The NICS parameter of vm.sh: one line per NIC, in VirtualBox adapter order. */
export function vboxNicSpec(nics: readonly NicPlan[], devices: Record<string, string>): string {
  return nics
    .map((nic) =>
      nic.kind === "nat"
        ? `nat ${nic.mac} ${nic.sshPort}`
        : `${VBOX_ATTACHMENT[nic.kind]} ${nic.mac} ${devices[nic.network]} ${nic.promiscuous ? "allow-all" : "deny"}`,
    )
    .join("\n");
}

export class VirtualBoxMachine extends pulumi.ComponentResource {
  readonly vmId: pulumi.Output<string>;
  readonly serialLog: string;

  constructor(name: string, args: MachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:virtualbox:Machine", name, {}, opts);
    const { node } = args;
    const vmDir = join(args.host.stateDir, "vms", node.name);
    this.serialLog = join(vmDir, "serial.log");
    const environment = pulumi.all([args.seed, args.baseImage, args.networkDevices]).apply(([seed, baseImage, devices]) => ({
      VM_DIR: vmDir,
      NAME: node.name,
      BASE_IMAGE: baseImage,
      MEMORY_MIB: String(node.memoryMiB),
      CPUS: String(node.cpus),
      DISK_GIB: String(node.diskGiB),
      USER_DATA: seed.userData,
      META_DATA: seed.metaData,
      NETWORK_CONFIG: seed.networkConfig,
      NICS: vboxNicSpec(args.nics, devices as Record<string, string>),
    }));
    const vm = args.host.script(
      `${name}-vm`,
      { script: "virtualbox/vm.sh", environment, triggers: [environment] },
      { parent: this, deleteBeforeReplace: true },
    );
    this.vmId = vm.id;
    this.registerOutputs({ vmId: this.vmId });
  }
}
