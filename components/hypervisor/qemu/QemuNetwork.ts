// A QEMU lab network: a Linux bridge on the lab host (with the host's address when hostonly), or
// an existing host bridge for bridged networks. NAT needs no host object: it is per-VM user networking.
import * as pulumi from "@pulumi/pulumi";
import type { NetworkArgs } from "../driver.js";
import { qemuBridgeName } from "../../plan/devices.js";

export interface QemuNetworkArgs extends NetworkArgs {
  readonly labName: string;
}

export class QemuNetwork extends pulumi.ComponentResource {
  readonly device: pulumi.Output<string>;

  constructor(name: string, args: QemuNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:qemu:Network", name, {}, opts);
    const net = args.network;
    const device = qemuBridgeName(args.labName, net);
    const prefix = net.cidr?.split("/")[1];
    const bridge = args.host.script(
      `${name}-bridge`,
      {
        script: "qemu/network.sh",
        environment: { DEVICE: device, KIND: net.kind, HOST_CIDR: net.hostAddress !== undefined ? `${net.hostAddress}/${prefix}` : "" },
        triggers: [device, net.kind, net.hostAddress ?? "", net.cidr ?? ""],
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.device = bridge.stdout.apply(() => device);
    this.registerOutputs({ device: this.device });
  }
}
