// VirtualBox, what the blog series uses: host-only vboxnetN networks, NAT with port forwards.
import type * as pulumi from "@pulumi/pulumi";
import type { HypervisorDriver, MachineArgs, NetworkArgs } from "../driver.js";
import { vboxMachineEnvironment } from "../../plan/host.js";
import { VirtualMachine } from "../VirtualMachine.js";
import { VirtualBoxNetwork } from "./VirtualBoxNetwork.js";

export class VirtualBoxDriver implements HypervisorDriver {
  readonly kind = "virtualbox" as const;
  constructor(private readonly labName: string) {}

  network(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions) {
    return new VirtualBoxNetwork(name, { ...args, labName: this.labName }, opts);
  }

  machine(name: string, args: MachineArgs, opts: pulumi.ComponentResourceOptions) {
    return new VirtualMachine(name, { ...args, labName: this.labName, script: "virtualbox/vm.sh", environment: vboxMachineEnvironment }, opts);
  }
}
