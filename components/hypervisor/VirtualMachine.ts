// One node as a VM on the lab host, made by a driver's vm.sh. The drivers differ only in the
// script and its parameters, so both use this component.
import * as pulumi from "@pulumi/pulumi";
import type { MachineEnvironmentArgs } from "../../plan/machine.js";
import type { MachineArgs } from "./hypervisor.js";

export interface VirtualMachineArgs extends MachineArgs {
  /** The driver's VM script under provisioning/ (up/down). */
  readonly script: string;
  /** The driver's parameters for that script. */
  readonly environment: (args: MachineEnvironmentArgs) => Record<string, string>;
}

export class VirtualMachine extends pulumi.ComponentResource {
  /** Changes whenever the VM is rebuilt; steps on the node carry it as a trigger. */
  readonly vmId: pulumi.Output<string>;

  constructor(name: string, args: VirtualMachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:hypervisor:VirtualMachine", name, {}, opts);
    const stateDir = args.host.stateDir;
    const environment = pulumi
      .all([args.seed, args.baseImage, args.networkDevices])
      .apply(([seed, baseImage, devices]) => args.environment({ ...args, seed, baseImage, devices: devices as Record<string, string>, stateDir }));
    const vm = args.host.script(
      `${name}-vm`,
      // Any change to what the VM is made of rebuilds it; the old one goes first (same ports, taps, folder).
      { script: args.script, environment, triggers: [environment] },
      { parent: this, deleteBeforeReplace: true },
    );
    this.vmId = vm.id;
    this.registerOutputs({ vmId: this.vmId });
  }
}
