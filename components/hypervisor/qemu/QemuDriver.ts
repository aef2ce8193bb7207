// QEMU/KVM: Linux bridges and taps for lab networks, user networking for NAT, KVM when it really
// works and TCG otherwise.
import type * as pulumi from "@pulumi/pulumi";
import type { HypervisorDriver, MachineArgs, NetworkArgs } from "../driver.js";
import { qemuMachineEnvironment } from "../../plan/host.js";
import { VirtualMachine } from "../VirtualMachine.js";
import { QemuNetwork } from "./QemuNetwork.js";

export class QemuDriver implements HypervisorDriver {
  readonly kind = "qemu" as const;
  constructor(private readonly labName: string) {}

  network(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions) {
    return new QemuNetwork(name, { ...args, labName: this.labName }, opts);
  }

  machine(name: string, args: MachineArgs, opts: pulumi.ComponentResourceOptions) {
    return new VirtualMachine(name, { ...args, labName: this.labName, script: "qemu/vm.sh", environment: qemuMachineEnvironment }, opts);
  }
}
