// VirtualBox's pure side: its config and rules, its guests' NIC names, the names it gives lab
// objects, and the parameters of provisioning/virtualbox/*.sh.
import { join } from "node:path";
import { z } from "zod";
import { cidrContains, netmask, parseCidr } from "../../../model/ipv4.js";
import type { Lab, LabNetwork } from "../../../model/schema.js";
import { commonMachineEnvironment, type MachineEnvironmentArgs } from "../../../plan/machine.js";
import type { NicPlan } from "../../../plan/nics.js";
import { records } from "../../../plan/steps.js";
import type { AddIssue } from "../hypervisor.js";

export const VirtualBoxConfigSchema = z.strictObject({
  kind: z.literal("virtualbox"),
  /** VirtualBox's host setup (virtualbox/networks-conf.sh) writes /etc/vbox/networks.conf so VirtualBox accepts the lab's host-only ranges. */
  networksConf: z.boolean().default(false),
});
export type VirtualBoxConfig = z.infer<typeof VirtualBoxConfigSchema>;

/** Whether the lab opens its host-only ranges in /etc/vbox/networks.conf. */
export const opensNetworksConf = (lab: Lab) => (lab.hypervisor as VirtualBoxConfig).networksConf;

/** VirtualBox ≥ 6.1.28 only accepts these host-only ranges on Linux without /etc/vbox/networks.conf. */
export const VBOX_DEFAULT_HOSTONLY_RANGE = "192.168.56.0/21";

// VirtualBox's default PCI layout puts NICs 1-4 at slots 3, 8, 9, 10 and 5-8 at 16-19, which
// systemd names enp0s3, enp0s8, ... (the seed's enp0s8/enp0s9 come from this).
const VBOX_SLOTS = [3, 8, 9, 10, 16, 17, 18, 19];

export const vboxGuestDevice = (index: number) => `enp0s${VBOX_SLOTS[index]}`;

export function virtualBoxRules(lab: Lab, add: AddIssue): void {
  if (opensNetworksConf(lab)) return;
  const range = parseCidr(VBOX_DEFAULT_HOSTONLY_RANGE)!;
  lab.networks.forEach((net, i) => {
    const cidr = net.kind === "hostonly" && net.cidr !== undefined ? parseCidr(net.cidr) : undefined;
    if (cidr !== undefined && !(cidrContains(range, cidr.network) && cidr.prefix >= range.prefix)) {
      add(
        ["networks", i, "cidr"],
        `${net.cidr} is outside the host-only range VirtualBox allows (${VBOX_DEFAULT_HOSTONLY_RANGE}); set hypervisor.networksConf: true so host preparation opens it in /etc/vbox/networks.conf`,
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
export function vboxNetworkName(labName: string, net: LabNetwork): string {
  return net.kind === "internal" ? vboxGlobalName(labName, net.name) : (net.device ?? "");
}

/** Parameters of provisioning/virtualbox/network.sh. VirtualBox names new host-only interfaces
 * itself, so the script records the one it made in STATE_FILE to find it again (and to remove
 * only what the lab created). */
export function vboxNetworkEnvironment(net: LabNetwork, stateDir: string): Record<string, string> {
  return {
    DEVICE: net.device ?? "",
    HOST_ADDRESS: net.hostAddress!,
    NETMASK: netmask(parseCidr(net.cidr!)!.prefix),
    STATE_FILE: join(stateDir, "virtualbox", `${net.name}.hostonlyif`),
  };
}

const VBOX_ATTACHMENT: Record<NicPlan["kind"], string> = { nat: "nat", hostonly: "hostonly", internal: "intnet", bridged: "bridged" };

/** Parameters of provisioning/virtualbox/vm.sh; NICS holds one record a NIC, in adapter order. */
export function vboxMachineEnvironment(a: MachineEnvironmentArgs): Record<string, string> {
  const nics = a.nics.map((nic) =>
    nic.kind === "nat"
      ? { kind: "nat", mac: nic.mac, port: nic.sshPort }
      : { kind: VBOX_ATTACHMENT[nic.kind], mac: nic.mac, to: a.devices[nic.network], promisc: nic.promiscuous ? "allow-all" : "deny" },
  );
  return { ...commonMachineEnvironment(a), NAME: vboxVmName(a.labName, a.node.name), NICS: records(nics) };
}
