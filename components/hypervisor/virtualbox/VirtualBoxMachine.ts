// One node as a VirtualBox VM (provisioning/virtualbox/vm.sh does the work).
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import type { MachineArgs } from "../driver.js";
import { vboxMachineEnvironment, vmDir } from "../../plan/host.js";

export interface VirtualBoxMachineArgs extends MachineArgs {
  readonly labName: string;
}

export class VirtualBoxMachine extends pulumi.ComponentResource {
  readonly vmId: pulumi.Output<string>;
  readonly serialLog: string;

  constructor(name: string, args: VirtualBoxMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:virtualbox:Machine", name, {}, opts);
    const stateDir = args.host.stateDir;
    this.serialLog = join(vmDir(stateDir, args.node), "serial.log");
    const environment = pulumi
      .all([args.seed, args.baseImage, args.networkDevices])
      .apply(([seed, baseImage, devices]) => vboxMachineEnvironment({ ...args, seed, baseImage, devices: devices as Record<string, string>, stateDir }));
    const vm = args.host.script(
      `${name}-vm`,
      { script: "virtualbox/vm.sh", environment, triggers: [environment] },
      { parent: this, deleteBeforeReplace: true },
    );
    this.vmId = vm.id;
    this.registerOutputs({ vmId: this.vmId });
  }
}
