// VirtualBox's pure side, what the blog series uses: its config and rules, its guests' NIC names,
// the names it gives lab objects, and the parameters of provisioning/virtualbox/*.sh. Host-only
// vboxnetN networks, NAT with port forwards. Its components: components/hypervisor/virtualbox/.
import { join } from "node:path";
import { z } from "zod";
import type { AddIssue } from "../../model/hypervisor.js";
import { cidrContains, netmask, parseCidr } from "../../model/ipv4.js";
import type { LabConfig } from "../../model/schema.js";
import { hostBridgeName, labOwner } from "../bridge.js";
import { commonMachineEnvironment, postsNicName } from "../machine.js";
import { provisioning, records } from "../scripts.js";
import type { HypervisorSpec, LabPlan, NetworkPlan, NicPlan } from "../types.js";

export const VirtualBoxConfigSchema = z.strictObject({
  kind: z.literal("virtualbox"),
  /** VirtualBox's host setup (virtualbox/networks-conf.sh) writes /etc/vbox/networks.conf so
   * VirtualBox accepts the lab's host-only ranges. @default false */
  networksConf: z.boolean().default(false),
});
export type VirtualBoxConfig = z.infer<typeof VirtualBoxConfigSchema>;

/** Whether the lab opens its host-only ranges in /etc/vbox/networks.conf. */
export const opensNetworksConf = (config: LabConfig) => (config.hypervisor as VirtualBoxConfig).networksConf;

/** VirtualBox ≥ 6.1.28 only accepts these host-only ranges on Linux without /etc/vbox/networks.conf. */
export const VBOX_DEFAULT_HOSTONLY_RANGE = "192.168.56.0/21";

function virtualBoxRules(lab: LabConfig, add: AddIssue): void {
  if (opensNetworksConf(lab)) return;
  const range = parseCidr(VBOX_DEFAULT_HOSTONLY_RANGE)!;
  lab.networks.forEach((net, i) => {
    const { cidr } = net;
    if (net.kind === "hostonly" && cidr !== undefined && !(cidrContains(range, cidr.network) && cidr.prefix >= range.prefix)) {
      add(
        ["networks", i, "cidr"],
        `${cidr.text} is outside the host-only range VirtualBox allows (${VBOX_DEFAULT_HOSTONLY_RANGE}); set hypervisor.networksConf: true so host preparation opens it in /etc/vbox/networks.conf`,
      );
    }
  });
}

// VirtualBox names (internal networks, VMs) are global to the host user: the lab's prefix keeps a
// learner's own "controller" VM, or another lab's, from being reused or deleted.
const vboxGlobalName = (labName: string, name: string) => `labstack-${labName}-${name}`;

export const vboxVmName = (labName: string, node: string) => vboxGlobalName(labName, node);

/** The name VMs use for a network that has no host object (internal: a name they share; bridged:
 * the host interface). */
export function vboxNetworkName(labName: string, net: NetworkPlan): string {
  return net.kind === "internal" ? vboxGlobalName(labName, net.name) : (net.config.device ?? "");
}

/** The host-only interfaces' script. */
export const VBOX_NETWORK_SCRIPT = provisioning("virtualbox/network.sh");

/** Parameters of provisioning/virtualbox/network.sh. VirtualBox names new host-only interfaces
 * itself, so the script records the one it made in STATE_FILE to find it again (and to remove
 * only what the lab created). */
export function vboxNetworkEnvironment(plan: LabPlan, net: NetworkPlan): Record<string, string> {
  return {
    DEVICE: net.config.device ?? "",
    HOST_ADDRESS: net.config.hostAddress!,
    NETMASK: netmask(net.config.cidr!.prefix),
    STATE_FILE: join(plan.stateDir, "virtualbox", `${net.name}.hostonlyif`),
  };
}

const VBOX_ATTACHMENT: Record<NicPlan["kind"], string> = { nat: "nat", hostonly: "hostonly", internal: "intnet", bridged: "bridged" };

export const virtualboxSpec: HypervisorSpec = {
  kind: "virtualbox",
  schema: VirtualBoxConfigSchema,
  guestDevice: postsNicName,
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
  hostSetup: (plan) =>
    opensNetworksConf(plan.config)
      ? {
          script: provisioning("virtualbox/networks-conf.sh"),
          environment: {
            VBOX_NETWORKS: plan.networks
              .filter((n) => n.kind === "hostonly")
              .map((n) => n.config.cidr!.text)
              .join(" "),
            OWNER: labOwner(plan.name),
          },
        }
      : undefined,
  preflight: (plan) => ({
    requireKvm: false,
    needRoot: [
      ...(plan.networks.some((n) => n.kind === "bridged" && n.config.create) ? ["the lab's bridges"] : []),
      ...(opensNetworksConf(plan.config) ? ["/etc/vbox/networks.conf"] : []),
    ],
    runningVm: (node) => vboxVmName(plan.name, node.name),
    // VirtualBox names a host-only interface itself: the file network.sh records it in.
    ownDevice: (net) => (net.kind === "hostonly" ? (net.config.device ?? vboxNetworkEnvironment(plan, net).STATE_FILE) : hostBridgeName(plan.name, net)),
  }),
  vmScript: provisioning("virtualbox/vm.sh"),
  vmIdentity: (plan, node) => ({ VM_DIR: node.vmDir, NAME: vboxVmName(plan.name, node.name) }),
  machineEnvironment(a) {
    const nics = a.node.nics.map((nic) =>
      nic.kind === "nat"
        ? { kind: "nat", mac: nic.mac, port: nic.sshPort }
        : { kind: VBOX_ATTACHMENT[nic.kind], mac: nic.mac, to: a.devices[nic.network.name], promisc: nic.promiscuous ? "allow-all" : "deny" },
    );
    return { ...commonMachineEnvironment(a), NAME: vboxVmName(a.plan.name, a.node.name), NICS: records(nics) };
  },
  // VirtualBox leaves the builder VM whatever QEMU can use on the host.
  builderAccel: () => "auto",
};
