// QEMU/KVM's components: its networks are Linux bridges, its VMs the shared VirtualMachine with
// qemu/vm.sh (the spec: plan/hypervisors/qemu.ts).
import { qemuSpec } from "../../../plan/hypervisors/qemu.js";
import type { Hypervisor } from "../hypervisor.js";
import { VirtualMachine } from "../VirtualMachine.js";
import { QemuNetwork } from "./QemuNetwork.js";

export const qemu: Hypervisor = {
  spec: qemuSpec,
  network: (name, args, opts) => new QemuNetwork(name, args, opts),
  machine: (name, args, opts) => new VirtualMachine(name, args, opts),
};
