// Parameters of the lab-host steps, computed from the lab model. The components pass these to
// their commands and the VM tests run the same scripts with the same values.
import { join } from "node:path";
import type { HostTool } from "../components/hypervisor/hypervisor.js";
import { hypervisorOf } from "../components/hypervisor/registry.js";
import { formatPath } from "../model/parse.js";
import { type AnyLab, type Lab, labMemoryMiB, type MinikubeLab } from "../model/schema.js";
import { type CredentialValues, records } from "./steps.js";

/** What host/image-build.sh runs to build an image: the root file system, its partitions, the
 * boot partition and the boot loader. */
const IMAGE_BUILD_TOOLS: readonly HostTool[] = [
  { command: "mmdebstrap", package: "mmdebstrap" },
  { command: "sfdisk", package: "fdisk" },
  { command: "mkfs.fat", package: "dosfstools" },
  { command: "mcopy", package: "mtools" },
  { command: "syslinux", package: "syslinux" },
];

/** What host/image-bake.sh runs: a builder VM under QEMU (whatever the lab's hypervisor), reached by SSH. */
const IMAGE_BAKE_TOOLS: readonly HostTool[] = [...hypervisorOf("qemu").hostTools, { command: "ssh", package: "openssh-client" }];

/** Parameters of host/prepare.sh: the tools of the lab's hypervisor and, when it builds or bakes
 * its image, of the image builder or the image baker (PACKAGES: command= package= records;
 * REQUIRED: command= missing= for those no package brings), and whether to install the APT cache. */
export function prepareEnvironment(lab: Lab, bake: ImageBake = NO_BAKE): Record<string, string> {
  const hypervisor = hypervisorOf(lab.hypervisor.kind);
  const imageTools = lab.image.build !== undefined ? IMAGE_BUILD_TOOLS : bakesDownloadedImage(lab, bake) ? IMAGE_BAKE_TOOLS : [];
  const needed = [...hypervisor.hostTools, ...imageTools].filter((t, i, all) => all.findIndex((u) => u.command === t.command) === i);
  const tools = (withPackage: boolean) => records(needed.filter((t) => (t.package !== undefined) === withPackage));
  return {
    PACKAGES: tools(true),
    REQUIRED: tools(false),
    APT_CACHE: lab.aptCache.enabled ? "1" : "0",
  };
}

/** What the lab host must have before anything is built on it (host/preflight.sh, whose header
 * describes the lists). The lab's own VMs and devices are named so that a re-run, or an update
 * while the lab is up, does not count them as the host's. */
export function preflightEnvironment(lab: AnyLab, labName: string, stateDir: string): Record<string, string> {
  const common = { MEMORY_MIB: String(labMemoryMiB(lab)), HOST_KIND: lab.host.kind, STATE_DIR: stateDir };
  if (lab.kind === "minikube") {
    const { driver } = lab.minikube;
    // minikube's VirtualBox driver needs what labstack's VirtualBox hypervisor needs of the host.
    const hostChecks = driver === "virtualbox" ? hypervisorOf("virtualbox").hostChecks : undefined;
    return { HYPERVISOR: driver, REQUIRE_KVM: driver === "kvm2" ? "1" : "0", HOST_CHECKS: hostChecks ?? "", NEED_ROOT: "", ...common };
  }
  const hypervisor = hypervisorOf(lab.hypervisor.kind);
  const facts = hypervisor.preflight(lab, labName, stateDir);
  const needRoot = [...facts.needRoot, ...(lab.aptCache.enabled ? ["the APT cache's system service"] : [])];
  const sshPorts = lab.nodes.map((node, i) => ({ port: node.nics[0].sshPort, key: formatPath(["nodes", i, "nics", 0, "sshPort"]), vm: facts.runningVm(node) }));
  const networks = lab.networks.flatMap((n, i) =>
    n.hostAddress === undefined || !(n.kind === "hostonly" || (n.kind === "bridged" && n.create))
      ? []
      : [{ key: formatPath(["networks", i, "cidr"]), cidr: n.cidr, own: facts.ownDevice(n) }],
  );
  const files = (["path", "kernel", "initrd"] as const).flatMap((key) =>
    lab.image[key] === undefined ? [] : [{ key: formatPath(["image", key]), path: lab.image[key] }],
  );
  const devices = lab.networks.flatMap((n, i) =>
    n.kind === "bridged" && !n.create && n.device !== undefined ? [{ key: formatPath(["networks", i, "device"]), device: n.device }] : [],
  );
  const { build } = lab.image;
  const mirrors =
    build === undefined ? [] : [{ key: formatPath(["image", "build", "mirror"]), distro: build.distro, release: build.release, url: build.mirror }];
  return {
    HYPERVISOR: lab.hypervisor.kind,
    REQUIRE_KVM: facts.requireKvm ? "1" : "0",
    HOST_CHECKS: hypervisor.hostChecks ?? "",
    NEED_ROOT: needRoot.join(", "),
    SSH_PORTS: records(sshPorts),
    NETWORKS: records(networks),
    FILES: records(files),
    DEVICES: records(devices),
    MIRRORS: records(mirrors),
    MIRROR_PROXY: lab.aptCache.upstreamProxy ?? "",
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
export function withEnvironmentProxy<T extends Lab>(lab: T, env: Readonly<Record<string, string | undefined>>): T {
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
  const image = {
    ...lab.image,
    path: expandHome(lab.image.path, home),
    kernel: expandHome(lab.image.kernel, home),
    initrd: expandHome(lab.image.initrd, home),
  };
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
    lab.kind === "minikube" ? [...MINIKUBE_DRIVER_PACKAGES[lab.minikube.driver], "curl", "python3"] : [...hypervisorOf(lab.hypervisor.kind).dropletPackages];
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
  if ("cloudArchive" in lab && lab.cloudArchive !== undefined && distros.includes("ubuntu")) distros.push("ubuntu-cloud-archive");
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

/** What a lab kind bakes into its image: packages installed once, services left disabled until a
 * node's step configures and enables them. */
export interface ImageBake {
  readonly packages: readonly string[];
  readonly servicesOff: readonly string[];
  /** The Ubuntu Cloud Archive pocket the packages come from (a downloaded Ubuntu image's bake). */
  readonly cloudArchive?: string;
}

export const NO_BAKE: ImageBake = { packages: [], servicesOff: [] };

/** A downloaded or local image that gets the lab kind's packages baked in (host/image-bake.sh). */
function bakesDownloadedImage(lab: Lab, bake: ImageBake): boolean {
  return lab.image.build === undefined && lab.image.bake && bake.packages.length > 0;
}

/** Parameters of host/image.sh. A built or baked image also gets the lab's bake and, when the lab
 * has an APT cache, fetches through it. A downloaded image without a bake gets only its source, so
 * labs that bake nothing keep their image step as it was. */
export function imageEnvironment(lab: Lab, bake: ImageBake = NO_BAKE): Record<string, string> {
  const { url, sha256, path, build } = lab.image;
  const cache = lab.aptCache.enabled ? labAptProxy(lab) : lab.aptCache.upstreamProxy;
  const packages = { PACKAGES: [...bake.packages].sort().join(" "), SERVICES_OFF: [...bake.servicesOff].sort().join(" "), APT_PROXY: cache ?? "" };
  if (build === undefined) {
    const source = { IMAGE_URL: url ?? "", IMAGE_SHA256: sha256 ?? "", IMAGE_PATH: path ?? "" };
    if (!bakesDownloadedImage(lab, bake)) return source;
    const { kernel, initrd, append } = lab.image;
    return {
      ...source,
      ...packages,
      CLOUD_ARCHIVE: bake.cloudArchive ?? "",
      // The builder's disk becomes every node's base: no bigger than the smallest node's disk.
      DISK_GIB: String(Math.min(...lab.nodes.map((n) => n.diskGiB))),
      KERNEL: kernel ?? "",
      INITRD: initrd ?? "",
      APPEND: kernel === undefined ? "" : append,
      ACCEL: "accel" in lab.hypervisor ? lab.hypervisor.accel : "auto",
    };
  }
  return {
    DISTRO: build.distro,
    RELEASE: build.release,
    MIRROR: build.mirror ?? "",
    SIZE_GIB: String(build.sizeGiB),
    ...packages,
  };
}

/** The lab's APT cache as the lab host and its nodes reach it (management network). */
export function labAptProxy(lab: Lab): string | undefined {
  const mgmt = lab.networks.find((n) => n.name === lab.managementNetwork);
  return lab.aptCache.enabled && mgmt?.hostAddress !== undefined ? `http://${mgmt.hostAddress}:${lab.aptCache.port}` : undefined;
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
