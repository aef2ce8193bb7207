// Parameters of the lab-host steps, computed from the lab model. The components pass these to
// their commands and the VM tests run the same scripts with the same values.
import { dirname, join } from "node:path";
import { formatPath } from "../model/parse.js";
import { labMemoryMiB, type AnyLab, type Lab, type LabNetwork, type LabNode, type MinikubeLab } from "../model/schema.js";
import type { SeedDocuments } from "./cloudinit.js";
import { qemuBridgeName, tapName, vboxInternalNetworkName, vboxVmName } from "./devices.js";
import { netmask } from "./ipv4.js";
import type { NicPlan } from "./nics.js";
import type { CredentialValues } from "./steps.js";

/** What marks a host object as this lab's (a bridge's alias, its networks.conf line): scripts
 * compare it to remove only what the lab made. */
const labOwner = (labName: string) => `labstack ${labName}`;

export function prepareEnvironment(lab: Lab, labName: string): Record<string, string> {
  const hostonly = lab.networks.filter((n) => n.kind === "hostonly").map((n) => n.cidr!);
  return {
    HYPERVISOR: lab.hypervisor.kind,
    APT_CACHE: lab.aptCache.enabled ? "1" : "0",
    VBOX_NETWORKS: lab.hypervisor.kind === "virtualbox" && lab.host.vboxNetworksConf ? hostonly.join(" ") : "",
    OWNER: labOwner(labName),
  };
}

/** What the lab host must have before anything is built on it (host/preflight.sh, whose header
 * describes the line formats). The lab's own VMs and devices are named so that a re-run, or an
 * update while the lab is up, does not count them as the host's. */
export function preflightEnvironment(lab: AnyLab, labName: string, stateDir: string): Record<string, string> {
  const common = { MEMORY_MIB: String(labMemoryMiB(lab)), HOST_KIND: lab.host.kind, STATE_DIR: stateDir };
  if (lab.kind === "minikube") {
    const { driver } = lab.minikube;
    return { HYPERVISOR: driver, REQUIRE_KVM: driver === "kvm2" ? "1" : "0", NEED_ROOT: "", SSH_PORTS: "", NETWORKS: "", FILES: "", DEVICES: "", ...common };
  }
  const { hypervisor, host } = lab;
  // On a droplet QEMU without KVM would crawl; elsewhere `auto` may fall back to TCG on purpose.
  const requireKvm = hypervisor.kind === "qemu" && (hypervisor.accel === "kvm" || (host.kind === "digitalocean" && hypervisor.accel === "auto"));
  const vbox = hypervisor.kind === "virtualbox";
  const created = (n: LabNetwork) => n.kind === "bridged" && n.create;
  const needRoot = [
    ...(vbox ? [] : ["QEMU's taps and bridges"]),
    ...(vbox && lab.networks.some(created) ? ["the lab's bridges"] : []),
    ...(vbox && lab.host.vboxNetworksConf ? ["/etc/vbox/networks.conf"] : []),
    ...(lab.aptCache.enabled ? ["the APT cache's system service"] : []),
  ];
  // qemu/vm.sh names its pidfile VM_DIR/qemu.pid; a running lab VM has it on its command line.
  const sshPorts = lab.nodes.map((node, i) => {
    const vm = vbox ? vboxVmName(labName, node.name) : join(vmDir(stateDir, node), "qemu.pid");
    return `${node.nics[0].sshPort} ${formatPath(["nodes", i, "nics", 0, "sshPort"])} ${vm}`;
  });
  const networks = lab.networks.flatMap((n, i) => {
    if (n.hostAddress === undefined || !(n.kind === "hostonly" || created(n))) return [];
    // A VirtualBox host-only interface is named by VirtualBox: the file network.sh records it in.
    const own = vbox && n.kind === "hostonly" ? (n.device ?? vboxNetworkEnvironment(n, stateDir).STATE_FILE) : bridgeEnvironment(labName, n).DEVICE;
    return [`${formatPath(["networks", i, "cidr"])} ${n.cidr} ${own}`];
  });
  const files = (["path", "kernel", "initrd"] as const).flatMap((key) => (lab.image[key] === undefined ? [] : [`${formatPath(["image", key])} ${lab.image[key]}`]));
  const devices = lab.networks.flatMap((n, i) => (n.kind === "bridged" && !n.create && n.device !== undefined ? [`${formatPath(["networks", i, "device"])} ${n.device}`] : []));
  return {
    HYPERVISOR: hypervisor.kind,
    REQUIRE_KVM: requireKvm ? "1" : "0",
    NEED_ROOT: needRoot.join(", "),
    SSH_PORTS: sshPorts.join("\n"),
    NETWORKS: networks.join("\n"),
    FILES: files.join("\n"),
    DEVICES: devices.join("\n"),
    ...common,
  };
}

/** The lab's state folder on its host: under the user's home locally, system-wide on a remote host (scripts run as root there). */
export function hostStateDir(host: Lab["host"], stack: string, home: string): string {
  return host.stateDir ?? (host.kind === "local" ? join(home, ".local", "share", "labstack", stack) : join("/var/lib/labstack", stack));
}

/** A local lab whose config names no upstream proxy fetches through the one the environment of
 * `pulumi up` names (http_proxy), as apt and curl on that machine do: a classroom or corporate
 * proxy, or a mirror cache. A remote host's environment is its own. */
export function withEnvironmentProxy(lab: Lab, env: Readonly<Record<string, string | undefined>>): Lab {
  const proxy = env.http_proxy ?? env.HTTP_PROXY;
  // curl and apt also take a bare host:port; apt-cacher-ng and the model want a URL.
  const url = proxy && !/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? `http://${proxy}` : proxy;
  if (lab.host.kind !== "local" || lab.aptCache.upstreamProxy !== undefined || !url?.startsWith("http://")) return lab;
  return { ...lab, aptCache: { ...lab.aptCache, upstreamProxy: url } };
}

const expandHome = (path: string | undefined, home: string) => (path?.startsWith("~/") ? join(home, path.slice(2)) : path);

/** A lab on the local host with its `~/` paths made absolute: the scripts never see a literal `~`
 * (a folder named `~` in the working folder). The model refuses `~/` for remote hosts, except
 * credentialsDir, which its script expands on the host. */
export function resolveHomePaths<T extends AnyLab>(lab: T, home: string): T {
  if (lab.host.kind !== "local") return lab;
  const host = { ...lab.host, stateDir: expandHome(lab.host.stateDir, home) };
  if (lab.kind === "minikube") return { ...lab, host };
  const image = { ...lab.image, path: expandHome(lab.image.path, home), kernel: expandHome(lab.image.kernel, home), initrd: expandHome(lab.image.initrd, home) };
  return { ...lab, host, image, credentialsDir: expandHome(lab.credentialsDir, home) };
}

/** An SSH host key pair the lab makes for a host it creates (generate-credentials.sh host-key). */
export interface HostKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

/** A fresh Ubuntu droplet's cloud-init: the packages the lab needs, installed before the readiness
 * gate opens, and the host key the lab made, so SSH to it is verified from the first connection. */
export function dropletUserData(lab: AnyLab, hostKey: HostKeyPair): string {
  const packages =
    lab.kind === "minikube"
      ? [...MINIKUBE_DRIVER_PACKAGES[lab.minikube.driver], "curl", "python3"]
      : lab.hypervisor.kind === "qemu"
        ? ["qemu-system-x86", "qemu-utils", "cloud-image-utils"]
        : ["virtualbox", "qemu-utils", "cloud-image-utils"];
  if (lab.kind !== "minikube" && lab.aptCache.enabled) packages.push("apt-cacher-ng");
  // JSON is YAML too, and needs no indentation rules for the multi-line key.
  const keys = { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey.trim() };
  return [
    "#cloud-config",
    "package_update: true",
    "packages:",
    ...packages.map((p) => `  - ${p}`),
    "ssh_deletekeys: true",
    "ssh_genkeytypes: []",
    `ssh_keys: ${JSON.stringify(keys)}`,
    "",
  ].join("\n");
}

const MINIKUBE_DRIVER_PACKAGES: Record<MinikubeLab["minikube"]["driver"], string[]> = {
  virtualbox: ["virtualbox"],
  kvm2: ["qemu-kvm", "libvirt-daemon-system"],
  docker: ["docker.io"],
  none: ["conntrack", "containerd"],
};

/** Parameters of host/apt-cache.sh. The cache listens only where the nodes reach it (the management
 * network's host address; the host's loopback, which NAT guests reach as 10.0.2.2, without one) and
 * fetches only from the archives of the lab's distributions. */
export function aptCacheEnvironment(lab: Lab, labName: string, stateDir: string): Record<string, string> {
  const distros = lab.image.build !== undefined ? [lab.image.build.distro] : ["debian", "ubuntu"];
  if (lab.cloudArchive !== undefined && distros.includes("ubuntu")) distros.push("ubuntu-cloud-archive");
  return {
    LAB: labName,
    PORT: String(lab.aptCache.port),
    BIND_ADDRESS: lab.networks.find((n) => n.name === lab.managementNetwork)?.hostAddress ?? "127.0.0.1",
    DISTROS: distros.join(" "),
    UPSTREAM_PROXY: lab.aptCache.upstreamProxy ?? "",
    RUN_DIR: join(stateDir, "apt-cacher-ng"),
  };
}

/** A proxy URL with a user or password in it is a credential: kept encrypted wherever it goes. */
export function urlHasCredentials(url: string | undefined): boolean {
  if (url === undefined || url === "") return false;
  const u = new URL(url);
  return u.username !== "" || u.password !== "";
}

/** What a lab kind bakes into a built image: packages installed once, services left disabled
 * until a node's step configures and enables them. */
export interface ImageBake {
  readonly packages: readonly string[];
  readonly servicesOff: readonly string[];
}

export const NO_BAKE: ImageBake = { packages: [], servicesOff: [] };

/** Parameters of host/image.sh. A built image also gets the lab's bake and, when the lab has an
 * APT cache, fetches through it. */
export function imageEnvironment(lab: Lab, bake: ImageBake = NO_BAKE): Record<string, string> {
  const { url, sha256, path, build } = lab.image;
  if (build === undefined) return { IMAGE_URL: url ?? "", IMAGE_SHA256: sha256 ?? "", IMAGE_PATH: path ?? "" };
  const cache = lab.aptCache.enabled ? labAptProxy(lab) : lab.aptCache.upstreamProxy;
  return {
    DISTRO: build.distro,
    RELEASE: build.release,
    MIRROR: build.mirror ?? "",
    SIZE_GIB: String(build.sizeGiB),
    PACKAGES: [...bake.packages].sort().join(" "),
    SERVICES_OFF: [...bake.servicesOff].sort().join(" "),
    APT_PROXY: cache ?? "",
  };
}

/** The lab's APT cache as the lab host and its nodes reach it (management network). */
export function labAptProxy(lab: Lab): string | undefined {
  const mgmt = lab.networks.find((n) => n.name === lab.managementNetwork);
  return lab.aptCache.enabled && mgmt?.hostAddress !== undefined ? `http://${mgmt.hostAddress}:${lab.aptCache.port}` : undefined;
}

/** Kernel and initrd to boot directly: a built image carries them beside its disk. */
export function bootFiles(lab: Lab, baseImage: string): { kernel: string; initrd: string } {
  if (lab.image.build !== undefined) return { kernel: join(dirname(baseImage), "vmlinuz"), initrd: join(dirname(baseImage), "initrd.img") };
  return { kernel: lab.image.kernel ?? "", initrd: lab.image.initrd ?? "" };
}

/** The lab's credentials folder on its host: its own, in its state folder, unless the lab asks for
 * another (the seed's ~/.os_credentials; `~` is the host user's home, expanded on the host). */
export function labCredentialsDir(lab: Lab, stateDir: string): string {
  return lab.credentialsDir ?? join(stateDir, "credentials");
}

/** Parameters of host/credentials-file.sh. */
export function credentialsFileEnvironment(directory: string, v: CredentialValues): Record<string, string> {
  return {
    CREDENTIALS_DIR: directory,
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
    OWNER: labOwner(labName),
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
    KERNEL: bootFiles(a.lab, a.baseImage).kernel,
    INITRD: bootFiles(a.lab, a.baseImage).initrd,
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
