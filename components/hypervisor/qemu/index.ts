// QEMU/KVM: Linux bridges and taps for lab networks, user networking for NAT, KVM when it really
// works and TCG otherwise.
import { join } from "node:path";
import { hostBridgeName } from "../../../plan/bridge.js";
import { vmDir } from "../../../plan/machine.js";
import type { Hypervisor } from "../hypervisor.js";
import { VirtualMachine } from "../VirtualMachine.js";
import { type QemuConfig, QemuConfigSchema, qemuGuestDevice, qemuMachineEnvironment } from "./plan.js";
import { QemuNetwork } from "./QemuNetwork.js";

export const qemu: Hypervisor<typeof QemuConfigSchema> = {
  kind: "qemu",
  schema: QemuConfigSchema,
  guestDevice: qemuGuestDevice,
  rules: () => {},
  hostTools: [
    { command: "qemu-system-x86_64", package: "qemu-system-x86" },
    { command: "qemu-img", package: "qemu-utils" },
    { command: "cloud-localds", package: "cloud-image-utils" },
  ],
  dropletPackages: ["qemu-system-x86", "qemu-utils", "cloud-image-utils"],
  preflight(lab, labName, stateDir) {
    const { accel } = lab.hypervisor as QemuConfig;
    return {
      // On a droplet QEMU without KVM would crawl; elsewhere `auto` may fall back to TCG on purpose.
      requireKvm: accel === "kvm" || (lab.host.kind === "digitalocean" && accel === "auto"),
      needRoot: ["QEMU's taps and bridges"],
      // vm.sh names its pidfile VM_DIR/qemu.pid; a running lab VM has it on its command line.
      runningVm: (node) => join(vmDir(stateDir, node), "qemu.pid"),
      ownDevice: (net) => hostBridgeName(labName, net),
    };
  },
  network: (name, args, opts) => new QemuNetwork(name, args, opts),
  machine: (name, args, opts) => new VirtualMachine(name, { ...args, script: "qemu/vm.sh", environment: qemuMachineEnvironment }, opts),
};
