// A QEMU lab network: a Linux bridge on the lab host (with the host's address when hostonly), or
// an existing host bridge for bridged networks. NAT needs no host object: it is per-VM user networking.
import * as pulumi from "@pulumi/pulumi";
import type { NetworkArgs } from "../driver.js";
import { BRIDGE_SCRIPT, bridgeEnvironment } from "../../plan/host.js";

export interface QemuNetworkArgs extends NetworkArgs {
  readonly labName: string;
}

export class QemuNetwork extends pulumi.ComponentResource {
  readonly device: pulumi.Output<string>;

  constructor(name: string, args: QemuNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:qemu:Network", name, {}, opts);
    const environment = bridgeEnvironment(args.labName, args.network);
    const bridge = args.host.script(
      `${name}-bridge`,
      // A different bridge, kind or address is a different network: rebuild it, old one first.
      { script: BRIDGE_SCRIPT, environment, triggers: [environment] },
      { parent: this, deleteBeforeReplace: true },
    );
    this.device = bridge.stdout.apply(() => environment.DEVICE);
    this.registerOutputs({ device: this.device });
  }
}
