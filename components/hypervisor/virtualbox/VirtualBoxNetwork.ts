// A VirtualBox lab network. Host-only networks are host objects (vboxnetN with the host's address,
// DHCP off, removed on destroy: the seed's createVBoxNetworks.sh, declaratively). Internal networks
// are only a name the VMs share, and bridged networks name an existing host interface.
import * as pulumi from "@pulumi/pulumi";
import { hostBridge } from "../hostBridge.js";
import type { NetworkArgs } from "../hypervisor.js";
import { vboxNetworkEnvironment, vboxNetworkName } from "./plan.js";

export class VirtualBoxNetwork extends pulumi.ComponentResource {
  /** vboxnetN for host-only, the internal network's name, or the bridged host device. */
  readonly device: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:virtualbox:Network", name, {}, opts);
    const net = args.network;
    if (net.kind === "hostonly") {
      const environment = vboxNetworkEnvironment(net, args.host.stateDir);
      const hostonly = args.host.script(
        `${name}-hostonlyif`,
        { script: "virtualbox/network.sh", environment, triggers: [environment] },
        { parent: this, deleteBeforeReplace: true },
      );
      this.device = hostonly.stdout;
    } else if (net.kind === "bridged" && net.create) {
      // VirtualBox bridges onto a host interface; the lab makes that Linux bridge itself.
      this.device = hostBridge(`${name}-bridge`, this, args.host, args.labName, net);
    } else {
      this.device = pulumi.output(vboxNetworkName(args.labName, net));
    }
    this.registerOutputs({ device: this.device });
  }
}
