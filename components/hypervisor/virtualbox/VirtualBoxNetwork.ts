// A VirtualBox lab network. Host-only networks are host objects (vboxnetN with the host's address,
// DHCP off, removed on destroy: the seed's createVBoxNetworks.sh, declaratively). Internal networks
// are only a name the VMs share, and bridged networks name an existing host interface.
import * as pulumi from "@pulumi/pulumi";
import { VBOX_NETWORK_SCRIPT, vboxNetworkEnvironment, vboxNetworkName } from "../../../plan/hypervisors/virtualbox.js";
import { hostObject } from "../../lab/hostObject.js";
import { hostBridge } from "../hostBridge.js";
import type { NetworkArgs } from "../hypervisor.js";

export class VirtualBoxNetwork extends pulumi.ComponentResource {
  /** vboxnetN for host-only, the internal network's name, or the bridged host device. */
  readonly device: pulumi.Output<string>;
  readonly identity: unknown;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:virtualbox:Network", name, {}, opts);
    const { plan, network: net } = args;
    if (net.kind === "hostonly") {
      const environment = vboxNetworkEnvironment(plan, net);
      const { command } = hostObject(
        args.host,
        `${name}-hostonlyif`,
        { script: VBOX_NETWORK_SCRIPT, environment, identity: environment, status: environment },
        { parent: this, deleteBeforeReplace: true },
      );
      this.device = command.stdout;
      this.identity = environment;
    } else if (net.kind === "bridged" && net.config.create) {
      // VirtualBox bridges onto a host interface; the lab makes that Linux bridge itself.
      const bridge = hostBridge(`${name}-bridge`, this, args.host, plan, net);
      this.device = bridge.device;
      this.identity = bridge.identity;
    } else {
      this.device = pulumi.output(vboxNetworkName(plan.name, net));
      this.identity = { name: vboxNetworkName(plan.name, net) };
    }
    this.registerOutputs({ device: this.device });
  }
}
