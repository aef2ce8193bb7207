// Parameters of the lab-host steps, computed from the lab model. The components pass these to
// their commands and the VM tests run the same scripts with the same values.
import { join } from "node:path";
import { labMemoryMiB, type AnyLab, type Lab, type LabNetwork, type LabNode, type MinikubeLab } from "../model/schema.js";
import type { SeedDocuments } from "./cloudinit.js";
import { qemuBridgeName, tapName, vboxInternalNetworkName, vboxVmName } from "./devices.js";
import { netmask } from "./ipv4.js";
import type { NicPlan } from "./nics.js";
import type { CredentialValues } from "./steps.js";

export function prepareEnvironment(lab: Lab): Record<string, string> {
  const hostonly = lab.networks.filter((n) => n.kind === "hostonly").map((n) => n.cidr!);
  return {
    HYPERVISOR: lab.hypervisor.kind,
    APT_CACHE: lab.aptCache.enabled ? "1" : "0",
    VBOX_NETWORKS: lab.hypervisor.kind === "virtualbox" && lab.host.vboxNetworksConf ? hostonly.join(" ") : "",
  };
}

/** What the lab host must have before anything is built on it (host/preflight.sh). */
export function preflightEnvironment(lab: AnyLab): Record<string, string> {
  const common = { MEMORY_MIB: String(labMemoryMiB(lab)), HOST_KIND: lab.host.kind };
  if (lab.kind === "minikube") {
    const { driver } = lab.minikube;
    return { HYPERVISOR: driver, REQUIRE_KVM: driver === "kvm2" ? "1" : "0", ...common };
  }
  const { hypervisor, host } = lab;
  // On a droplet QEMU without KVM would crawl; elsewhere `auto` may fall back to TCG on purpose.
  const requireKvm = hypervisor.kind === "qemu" && (hypervisor.accel === "kvm" || (host.kind === "digitalocean" && hypervisor.accel === "auto"));
  return { HYPERVISOR: hypervisor.kind, REQUIRE_KVM: requireKvm ? "1" : "0", ...common };
}

/** The lab's state folder on its host: under the user's home locally, system-wide on a remote host (scripts run as root there). */
export function hostStateDir(host: Lab["host"], stack: string, home: string): string {
  return host.stateDir ?? (host.kind === "local" ? join(home, ".local", "share", "labstack", stack) : join("/var/lib/labstack", stack));
}

/** Packages a fresh Ubuntu droplet needs for the lab, installed by cloud-init before the readiness gate opens. */
export function dropletUserData(lab: AnyLab): string {
  const packages =
    lab.kind === "minikube"
      ? [...MINIKUBE_DRIVER_PACKAGES[lab.minikube.driver], "curl", "python3"]
      : lab.hypervisor.kind === "qemu"
        ? ["qemu-system-x86", "qemu-utils", "cloud-image-utils"]
        : ["virtualbox", "qemu-utils", "cloud-image-utils"];
  if (lab.kind !== "minikube" && lab.aptCache.enabled) packages.push("apt-cacher-ng");
  return ["#cloud-config", "package_update: true", "packages:", ...packages.map((p) => `  - ${p}`), ""].join("\n");
}

const MINIKUBE_DRIVER_PACKAGES: Record<MinikubeLab["minikube"]["driver"], string[]> = {
  virtualbox: ["virtualbox"],
  kvm2: ["qemu-kvm", "libvirt-daemon-system"],
  docker: ["docker.io"],
  none: ["conntrack", "containerd"],
};

export function aptCacheEnvironment(lab: Lab, stateDir: string): Record<string, string> {
  return { PORT: String(lab.aptCache.port), UPSTREAM_PROXY: lab.aptCache.upstreamProxy ?? "", RUN_DIR: join(stateDir, "apt-cacher-ng") };
}

export function imageEnvironment(lab: Lab): Record<string, string> {
  return { IMAGE_URL: lab.image.url ?? "", IMAGE_SHA256: lab.image.sha256 ?? "", IMAGE_PATH: lab.image.path ?? "" };
}

export function credentialsFileEnvironment(directory: string | undefined, v: CredentialValues): Record<string, string> {
  return {
    CREDENTIALS_DIR: directory ?? "",
    MARIADB_ROOT_PASSWORD: v.mariadbRootPassword,
    RABBITMQ_PASSWORD: v.rabbitmqPassword,
    OS_ADMIN_PASSWORD: v.osAdminPassword,
    OS_DEMO_PASSWORD: v.osDemoPassword,
    OS_SHARED_SECRET: v.osSharedSecret,
    SSH_PRIVATE_KEY: v.sshPrivateKey,
    SSH_PUBLIC_KEY: v.sshPublicKey,
  };
}

/** The script behind every lab-made Linux bridge on the host (both drivers). */
export const BRIDGE_SCRIPT = "host/bridge.sh";

/** Parameters of host/bridge.sh for a network: the QEMU driver's networks, and bridges a lab creates. */
export function bridgeEnvironment(labName: string, net: LabNetwork): Record<string, string> {
  const prefix = net.cidr?.split("/")[1];
  return {
    DEVICE: qemuBridgeName(labName, net),
    KIND: net.kind,
    HOST_CIDR: net.hostAddress !== undefined ? `${net.hostAddress}/${prefix}` : "",
    CREATE: net.create ? "1" : "0",
    OWNER: `labstack ${labName}`,
  };
}

/** Parameters of provisioning/virtualbox/network.sh. VirtualBox names new host-only interfaces
 * itself, so the script records the one it made in STATE_FILE to find it again (and to remove
 * only what the lab created). */
export function vboxNetworkEnvironment(net: LabNetwork, stateDir: string): Record<string, string> {
  return {
    DEVICE: net.device ?? "",
    HOST_ADDRESS: net.hostAddress!,
    NETMASK: netmask(Number(net.cidr!.split("/")[1])),
    STATE_FILE: join(stateDir, "virtualbox", `${net.name}.hostonlyif`),
  };
}

/** The name VMs use for a network that has no host object (VirtualBox internal or bridged). */
export function vboxNetworkName(labName: string, net: LabNetwork): string {
  return net.kind === "internal" ? vboxInternalNetworkName(labName, net) : (net.device ?? "");
}

export function vmDir(stateDir: string, node: LabNode): string {
  return join(stateDir, "vms", node.name);
}

export interface MachineEnvironmentArgs {
  readonly labName: string;
  readonly lab: Lab;
  readonly node: LabNode;
  readonly nics: readonly NicPlan[];
  readonly seed: SeedDocuments;
  readonly baseImage: string;
  /** Host device of each lab network, by network name. */
  readonly devices: Readonly<Record<string, string>>;
  readonly stateDir: string;
}

function machineCommon(a: MachineEnvironmentArgs): Record<string, string> {
  return {
    VM_DIR: vmDir(a.stateDir, a.node),
    NAME: a.node.name,
    BASE_IMAGE: a.baseImage,
    MEMORY_MIB: String(a.node.memoryMiB),
    CPUS: String(a.node.cpus),
    DISK_GIB: String(a.node.diskGiB),
    USER_DATA: a.seed.userData,
    META_DATA: a.seed.metaData,
    NETWORK_CONFIG: a.seed.networkConfig,
  };
}

/** Parameters of provisioning/qemu/vm.sh; NICS is one line per NIC in guest PCI order. */
export function qemuMachineEnvironment(a: MachineEnvironmentArgs): Record<string, string> {
  const nics = a.nics.map((nic) =>
    nic.kind === "nat" ? `nat ${nic.mac} ${nic.sshPort}` : `tap ${nic.mac} ${tapName(a.labName, a.node.name, nic.index)} ${a.devices[nic.network]}`,
  );
  return {
    ...machineCommon(a),
    KERNEL: a.lab.image.kernel ?? "",
    INITRD: a.lab.image.initrd ?? "",
    APPEND: a.lab.image.append,
    NICS: nics.join("\n"),
    ACCEL: a.lab.hypervisor.accel,
  };
}

const VBOX_ATTACHMENT: Record<NicPlan["kind"], string> = { nat: "nat", hostonly: "hostonly", internal: "intnet", bridged: "bridged" };

/** Parameters of provisioning/virtualbox/vm.sh; NICS is one line per NIC in adapter order. */
export function vboxMachineEnvironment(a: MachineEnvironmentArgs): Record<string, string> {
  const nics = a.nics.map((nic) =>
    nic.kind === "nat"
      ? `nat ${nic.mac} ${nic.sshPort}`
      : `${VBOX_ATTACHMENT[nic.kind]} ${nic.mac} ${a.devices[nic.network]} ${nic.promiscuous ? "allow-all" : "deny"}`,
  );
  return { ...machineCommon(a), NAME: vboxVmName(a.labName, a.node.name), NICS: nics.join("\n") };
}
