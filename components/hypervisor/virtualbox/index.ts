// VirtualBox's components, what the blog series uses: host-only vboxnetN networks, and the shared
// VirtualMachine with virtualbox/vm.sh (the spec: plan/hypervisors/virtualbox.ts).
import { virtualboxSpec } from "../../../plan/hypervisors/virtualbox.js";
import type { Hypervisor } from "../hypervisor.js";
import { VirtualMachine } from "../VirtualMachine.js";
import { VirtualBoxNetwork } from "./VirtualBoxNetwork.js";

export const virtualbox: Hypervisor = {
  spec: virtualboxSpec,
  network: (name, args, opts) => new VirtualBoxNetwork(name, args, opts),
  machine: (name, args, opts) => new VirtualMachine(name, args, opts),
};
