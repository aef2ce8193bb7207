// One node as a QEMU VM on the lab host (provisioning/qemu/vm.sh does the work).
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { MachineArgs } from "../driver.js";
import { qemuMachineEnvironment, vmDir } from "../../plan/host.js";

export interface QemuMachineArgs extends MachineArgs {
  readonly labName: string;
}

export class QemuMachine extends pulumi.ComponentResource {
  readonly vmId: pulumi.Output<string>;
  /** The VM's serial console log on the lab host, for debugging a node that does not come up. */
  readonly serialLog: string;

  constructor(name: string, args: QemuMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:qemu:Machine", name, {}, opts);
    const stateDir = args.host.stateDir;
    this.serialLog = join(vmDir(stateDir, args.node), "serial.log");
    const environment = pulumi
      .all([args.seed, args.baseImage, args.networkDevices])
      .apply(([seed, baseImage, devices]) => qemuMachineEnvironment({ ...args, seed, baseImage, devices: devices as Record<string, string>, stateDir }));
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
