// A QEMU lab network: a Linux bridge on the lab host (with the host's address when hostonly), or
// an existing host bridge for bridged networks. NAT needs no host object: it is per-VM user networking.
import * as pulumi from "@pulumi/pulumi";
import { hostBridge } from "../hostBridge.js";
import type { NetworkArgs } from "../hypervisor.js";

export class QemuNetwork extends pulumi.ComponentResource {
  readonly device: pulumi.Output<string>;
  readonly identity: unknown;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:qemu:Network", name, {}, opts);
    const bridge = hostBridge(`${name}-bridge`, this, args.host, args.plan, args.network);
    this.device = bridge.device;
    this.identity = bridge.identity;
    this.registerOutputs({ device: this.device });
  }
}
