// One node as a VM on the lab host, made by a hypervisor's vm.sh, and read back at `pulumi
// refresh` (vm.sh status): a VM that died is started again on its own disk by the next `up`. The
// drivers differ only in the script and its parameters, so both use this component.
import * as pulumi from "@pulumi/pulumi";
import type { Health } from "../lab/Health.js";
import { hostObject } from "../lab/hostObject.js";
import type { MachineArgs } from "./hypervisor.js";

export class VirtualMachine extends pulumi.ComponentResource {
  /** Changes whenever the VM is rebuilt; steps on the node carry it as a trigger. */
  readonly vmId: pulumi.Output<string>;
  /** Reads the VM back; its generation changes when a refresh found it dead and `up` restarted it. */
  readonly health: Health;

  constructor(name: string, args: MachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:hypervisor:VirtualMachine", name, {}, opts);
    const { host, plan, node } = args;
    const spec = plan.hypervisor;
    const environment = pulumi
      .all([args.seed, args.baseImage, args.networkDevices])
      .apply(([seed, baseImage, devices]) => spec.machineEnvironment({ plan, node, seed, baseImage, devices: devices as Record<string, string> }));
    // What the VM is made of, in the plan's own names for the image and the networks: any change to
    // it rebuilds this VM (old one first: same ports, taps, folder), and a preview knows which.
    const names = Object.fromEntries(plan.networks.map((n) => [n.name, n.name]));
    const identity = pulumi
      .output(args.seed)
      .apply((seed) => ({ ...spec.machineEnvironment({ plan, node, seed, baseImage: "image", devices: names }), from: args.sources }));
    const { command, health } = hostObject(
      host,
      `${name}-vm`,
      { script: spec.vmScript, environment, identity, status: spec.vmIdentity(plan, node) },
      { parent: this, deleteBeforeReplace: true },
    );
    this.vmId = command.id;
    this.health = health!;
    this.registerOutputs({ vmId: this.vmId });
  }
}
