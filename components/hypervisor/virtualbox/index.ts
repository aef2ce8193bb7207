// VirtualBox, what the blog series uses: host-only vboxnetN networks, NAT with port forwards.
import { hostBridgeName, labOwner } from "../../../plan/bridge.js";
import type { Hypervisor } from "../hypervisor.js";
import { VirtualMachine } from "../VirtualMachine.js";
import {
  opensNetworksConf,
  VirtualBoxConfigSchema,
  vboxGuestDevice,
  vboxMachineEnvironment,
  vboxNetworkEnvironment,
  vboxVmName,
  virtualBoxRules,
} from "./plan.js";
import { VirtualBoxNetwork } from "./VirtualBoxNetwork.js";

export const virtualbox: Hypervisor<typeof VirtualBoxConfigSchema> = {
  kind: "virtualbox",
  schema: VirtualBoxConfigSchema,
  guestDevice: vboxGuestDevice,
  rules: virtualBoxRules,
  hostTools: [
    {
      command: "VBoxManage",
      missing: "VirtualBox is not installed on the lab host (VBoxManage not found); install it from your distribution or virtualbox.org",
    },
    { command: "qemu-img", package: "qemu-utils" },
    { command: "cloud-localds", package: "cloud-image-utils" },
  ],
  hostChecks: "virtualbox/host-checks.sh",
  dropletPackages: ["virtualbox", "qemu-utils", "cloud-image-utils"],
  hostSetup: (lab, labName) =>
    opensNetworksConf(lab)
      ? {
          script: "virtualbox/networks-conf.sh",
          environment: {
            VBOX_NETWORKS: lab.networks
              .filter((n) => n.kind === "hostonly")
              .map((n) => n.cidr!)
              .join(" "),
            OWNER: labOwner(labName),
          },
        }
      : undefined,
  preflight: (lab, labName, stateDir) => ({
    requireKvm: false,
    needRoot: [
      ...(lab.networks.some((n) => n.kind === "bridged" && n.create) ? ["the lab's bridges"] : []),
      ...(opensNetworksConf(lab) ? ["/etc/vbox/networks.conf"] : []),
    ],
    runningVm: (node) => vboxVmName(labName, node.name),
    // VirtualBox names a host-only interface itself: the file network.sh records it in.
    ownDevice: (net) => (net.kind === "hostonly" ? (net.device ?? vboxNetworkEnvironment(net, stateDir).STATE_FILE) : hostBridgeName(labName, net)),
  }),
  network: (name, args, opts) => new VirtualBoxNetwork(name, args, opts),
  machine: (name, args, opts) => new VirtualMachine(name, { ...args, script: "virtualbox/vm.sh", environment: vboxMachineEnvironment }, opts),
};
