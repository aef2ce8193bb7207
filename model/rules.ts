// Rules that relate one part of the lab to another, for every lab on VMs; each kind adds its own
// (stacks/<kind>/rules.ts). Each reports the key it is about, so the error the learner sees names
// the line of their stack config to fix. One small rule per concern; a rule reports what it finds
// and leaves the rest to the others.

import { buildReleaseProblem } from "./distros.js";
import type { HypervisorModel } from "./hypervisor.js";
import { cidrContains, cidrsOverlap, ipv4Value, isReservedInCidr, parseIpv4 } from "./ipv4.js";
import { type DropletSize, dropletSize, type HostConfig, type LabConfig, type LabNetwork, type LabNode, NAT } from "./schema.js";

export interface LabIssue {
  readonly path: (string | number)[];
  readonly message: string;
  /** A config key outside `labstack:lab` the issue is about instead. */
  readonly key?: string;
}

/** What is known about the lab host before anything is created. */
export interface HostFacts {
  /** Total memory of the lab host in MiB, when it can be measured (a local host: this machine). */
  readonly memoryMiB?: number;
  /** Logical CPUs (hardware threads) of the lab host, when they can be counted (a local host:
   * os.availableParallelism() of this machine). */
  readonly cores?: number;
  /** A droplet host's size as DigitalOcean's API describes it (GET /v2/sizes: vcpus, memory);
   * without it the figures are read from the slug (s-8vcpu-16gb). */
  readonly dropletSize?: DropletSize;
  /** The virtual size in GiB of the image at image.url or image.path, when known (qemu-img info
   * of the cached file); a built image's is image.build.sizeGiB. */
  readonly imageVirtualSizeGiB?: number;
  /** Whether the secret config `labstack:hostPrivateKey` is set (needed by an ssh host). */
  readonly hostPrivateKey?: boolean;
  /** Whether a DigitalOcean API token is configured (`digitalocean:token` or DIGITALOCEAN_TOKEN). */
  readonly digitaloceanToken?: boolean;
}

/** SSH sources with a shorter prefix need host.allowPublicSsh: a /8 already holds 16 million addresses. */
const PUBLIC_SSH_PREFIX = 8;

export type Path = (string | number)[];
type Add = (path: Path, message: string) => void;

/** A port one of the lab's services takes on the lab host. */
export interface HostPort {
  readonly port: number;
  readonly path: Path;
  /** Whose it is, for the message when two claim it ("the NAT lab's web server's"). */
  readonly user: string;
}

/** What a lab kind adds to the rules every lab follows. */
export interface KindRules<L extends LabConfig> {
  /** Two internal networks that the lab joins into one segment, which may then share a subnet. */
  readonly joined?: (lab: L, a: string, b: string) => boolean;
  /** Ports the kind's own services take on the lab host. */
  readonly hostPorts?: (lab: L) => HostPort[];
  /** Rules that hold only for this kind. */
  readonly rules: readonly ((context: Context<L>) => void)[];
}

/** What every rule sees: the lab, its networks and nodes by name, what its kind adds, and where to report. */
export interface Context<L extends LabConfig = LabConfig> {
  readonly lab: L;
  /** The lab's hypervisor, as the model knows it: its rules and guest NIC names. */
  readonly hypervisor: HypervisorModel<L>;
  readonly networks: ReadonlyMap<string, LabNetwork>;
  readonly nodes: ReadonlyMap<string, LabNode>;
  readonly joined: (a: string, b: string) => boolean;
  readonly kindPorts: readonly HostPort[];
  /** What is known about the lab host and image from outside the config. */
  readonly facts: HostFacts;
  readonly add: Add;
}

export function duplicates<T>(items: T[], key: (item: T) => string | undefined, report: (item: T, index: number, first: number) => void) {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, index);
    else report(item, index, first);
  });
}

// Hosts, DNS and the learner read boxA and boxa as one name: the lab refuses names that differ only in case.
export const INTERFACE_CASE = "interface names that differ only in case are too easily mistaken for each other";
export function sameName(what: string, name: string, other: string, where: string, why: string): string {
  return name === other ? `duplicate ${what} '${name}' (also ${where})` : `${what} '${name}' differs from '${other}' (${where}) only in case; ${why}`;
}

export const nicOn = (node: LabNode | undefined, network: string) => node?.nics.find((nic) => nic.network === network);

/** The check of a lab kind's config: the rules every lab follows, then the kind's own, then its
 * host against the memory `needed` (the kind knows what its VMs take). */
export function checkLabRules<L extends LabConfig>(
  lab: L,
  hypervisor: HypervisorModel<L>,
  kind: KindRules<L>,
  needed: number,
  facts: HostFacts = {},
): LabIssue[] {
  const issues: LabIssue[] = [];
  const context: Context<L> = {
    lab,
    hypervisor,
    networks: new Map(lab.networks.map((n) => [n.name, n])),
    nodes: new Map(lab.nodes.map((n) => [n.name, n])),
    joined: (a, b) => kind.joined?.(lab, a, b) ?? false,
    kindPorts: kind.hostPorts?.(lab) ?? [],
    facts,
    add: (path, message) => issues.push({ path, message }),
  };
  for (const rule of [...(COMMON_RULES as ((c: Context<L>) => void)[]), ...kind.rules]) rule(context);
  issues.push(...checkHost(lab.host, needed, "nodes", facts));
  issues.push(
    ...checkHostCpus(
      lab.host,
      lab.nodes.map((node, n) => ({ cpus: node.cpus, path: ["nodes", n, "cpus"], who: `node '${node.name}'` })),
      facts,
    ),
  );
  return issues;
}

/** Node names are host names (DNS, /etc/hosts); host devices are compared ignoring case too. */
function uniqueNames({ lab, add }: Context) {
  duplicates(
    lab.networks,
    (n) => n.name,
    (n, i, first) => add(["networks", i, "name"], `duplicate network name '${n.name}' (also networks[${first}])`),
  );
  duplicates(
    lab.networks,
    (n) => n.device?.toLowerCase(),
    (n, i, first) => add(["networks", i, "device"], sameName("host device", n.device!, lab.networks[first].device!, `networks[${first}]`, INTERFACE_CASE)),
  );
  duplicates(
    lab.nodes,
    (n) => n.name.toLowerCase(),
    (n, i, first) => add(["nodes", i, "name"], sameName("node name", n.name, lab.nodes[first].name, `nodes[${first}]`, "host names and DNS ignore case")),
  );
}

/** What each kind of network has and lacks: a cidr, a host address, a host device. */
function networkKinds({ lab, add }: Context) {
  lab.networks.forEach((net, i) => {
    if (net.kind === "nat") {
      if (net.cidr !== undefined) add(["networks", i, "cidr"], `a nat network has no cidr: every NAT NIC gets ${NAT.network.text}`);
      if (net.hostAddress !== undefined) add(["networks", i, "hostAddress"], "a nat network has no host address");
      return;
    }
    if (net.kind === "hostonly") {
      if (net.cidr === undefined) add(["networks", i, "cidr"], "is required for a hostonly network");
      if (net.hostAddress === undefined) add(["networks", i, "hostAddress"], "is required for a hostonly network (the lab host's address on it)");
    } else if (net.hostAddress !== undefined && !(net.kind === "bridged" && net.create)) {
      add(
        ["networks", i, "hostAddress"],
        `a ${net.kind} network has no host address${net.kind === "internal" ? ": the host cannot reach an internal network" : " unless the lab creates the bridge (create: true)"}`,
      );
    }
    if (net.kind === "bridged" && net.device === undefined) add(["networks", i, "device"], "is required for a bridged network: the host bridge to attach to");
    if (net.create && net.kind !== "bridged") add(["networks", i, "create"], "only a bridged network's bridge can be created by the lab");
  });
}

/** A network's addresses: the host's inside it, clear of the NAT network. */
function networkAddresses({ lab, add }: Context) {
  lab.networks.forEach((net, i) => {
    const { cidr } = net;
    if (cidr === undefined || net.kind === "nat") return;
    if (net.hostAddress !== undefined) {
      const host = ipv4Value(net.hostAddress);
      if (!cidrContains(cidr, host)) add(["networks", i, "hostAddress"], `${net.hostAddress} is outside ${cidr.text}`);
      else if (isReservedInCidr(cidr, host)) add(["networks", i, "hostAddress"], `${net.hostAddress} is the network or broadcast address of ${cidr.text}`);
    }
    if (cidrsOverlap(cidr, NAT.network))
      add(["networks", i, "cidr"], `${cidr.text} overlaps the NAT network ${NAT.network.text} that every node's NAT NIC uses`);
  });
}

/** Two networks on one subnet confuse the routing of the host or of any node on both, whatever
 * their kinds. The one exception is the point of labs 5-6: internal networks that a bridge inside
 * a node joins into one segment, which therefore has one subnet. */
function networkOverlaps({ lab, joined, add }: Context) {
  lab.networks.forEach((net, i) => {
    const { cidr } = net;
    if (cidr === undefined) return;
    lab.networks.slice(0, i).forEach((other) => {
      if (other.cidr === undefined || !cidrsOverlap(cidr, other.cidr)) return;
      if (net.kind === "internal" && other.kind === "internal" && joined(net.name, other.name)) return;
      add(
        ["networks", i, "cidr"],
        `${cidr.text} overlaps network '${other.name}' (${other.cidr.text}); only internal networks joined by a guest bridge (one segment) may share addresses`,
      );
    });
  });
}

function managementNetwork({ lab, networks, add }: Context) {
  if (lab.managementNetwork === undefined) {
    if (lab.aptCache.enabled)
      add(["aptCache", "enabled"], "the APT cache is served on the management network; set managementNetwork or aptCache.enabled: false");
    return;
  }
  const mgmt = networks.get(lab.managementNetwork);
  if (mgmt === undefined) add(["managementNetwork"], `unknown network '${lab.managementNetwork}'`);
  else if (mgmt.kind !== "hostonly")
    add(
      ["managementNetwork"],
      `network '${mgmt.name}' is ${mgmt.kind}; the management network must be hostonly so the host (APT cache) and all nodes share it`,
    );
  else {
    lab.nodes.forEach((node, n) => {
      if (!node.nics.some((nic) => nic.network === mgmt.name && nic.ip !== undefined))
        add(["nodes", n, "nics"], `node '${node.name}' needs an address on the management network '${mgmt.name}'`);
    });
  }
}

/** Each NIC is on a known network, once per network, with the NAT NIC first. */
function nicAttachments({ lab, networks, add }: Context) {
  lab.nodes.forEach((node, n) => {
    const attached = new Set<string>();
    node.nics.forEach((nic, k) => {
      const at = ["nodes", n, "nics", k, "network"];
      if (!networks.has(nic.network)) add(at, `unknown network '${nic.network}' (known: ${[...networks.keys()].join(", ")})`);
      else if (attached.has(nic.network)) add(at, `node '${node.name}' is attached to network '${nic.network}' twice`);
      attached.add(nic.network);
    });
    const first = networks.get(node.nics[0].network);
    if (first !== undefined && first.kind !== "nat")
      add(["nodes", n, "nics", 0, "network"], "the first NIC must be on a nat network (the SSH forward), as in the seed");
  });
}

/** The NAT NIC: first, addressed by the NAT's DHCP, and the node's SSH forward. */
function natNics({ lab, networks, add }: Context) {
  lab.nodes.forEach((node, n) =>
    node.nics.forEach((nic, k) => {
      const at = ["nodes", n, "nics", k];
      const kind = networks.get(nic.network)?.kind;
      if (kind === undefined) return; // nicAttachments reports it
      if (kind !== "nat") {
        if (nic.sshPort !== undefined) add([...at, "sshPort"], "only the nat NIC forwards SSH");
        return;
      }
      if (k !== 0) add([...at, "network"], "the nat NIC must be the node's first NIC, as in the seed");
      if (nic.ip !== undefined) add([...at, "ip"], `a nat NIC gets ${NAT.guest} from the NAT's DHCP; no static ip`);
      if (nic.promiscuous) add([...at, "promiscuous"], "promiscuous mode is for lab networks, not the nat NIC");
      if (nic.sshPort === undefined) add([...at, "sshPort"], "is required on the nat NIC: it is how the lab host reaches the node");
    }),
  );
}

/** Static addresses: inside their network, usable by a host, not the lab host's, each used once. */
function nicAddresses({ lab, networks, add }: Context) {
  const owners = new Map<string, string>();
  lab.nodes.forEach((node, n) =>
    node.nics.forEach((nic, k) => {
      const net = networks.get(nic.network);
      if (nic.ip === undefined || net === undefined || net.kind === "nat") return;
      const at = ["nodes", n, "nics", k, "ip"];
      const { cidr } = net;
      const ip = ipv4Value(nic.ip);
      if (cidr === undefined) add(at, `network '${net.name}' has no cidr, so its NICs cannot have addresses`);
      else if (!cidrContains(cidr, ip)) add(at, `${nic.ip} is outside network '${net.name}' (${cidr.text})`);
      else if (isReservedInCidr(cidr, ip)) add(at, `${nic.ip} is the network or broadcast address of '${net.name}' (${cidr.text})`);
      else if (nic.ip === net.hostAddress) add(at, `${nic.ip} is the lab host's address on '${net.name}'`);
      const owner = owners.get(nic.ip);
      if (owner !== undefined) add(at, `${nic.ip} is already used by ${owner}`);
      owners.set(nic.ip, `node '${node.name}'`);
    }),
  );
}

/** Ports the lab listens on on the lab host: the SSH forwards, the APT cache, the NAT lab's web server. */
function hostPorts({ lab, kindPorts, add }: Context) {
  const users = new Map<number, string>();
  const claim = (port: number, path: Path, user: string) => {
    const other = users.get(port);
    if (other !== undefined) add(path, `port ${port} is already ${other}`);
    else users.set(port, user);
  };
  lab.nodes.forEach((node, n) =>
    node.nics.forEach((nic, k) => {
      if (nic.sshPort !== undefined) claim(nic.sshPort, ["nodes", n, "nics", k, "sshPort"], `forwarded to node '${node.name}'`);
    }),
  );
  if (lab.aptCache.enabled) claim(lab.aptCache.port, ["aptCache", "port"], "the APT cache's (aptCache.port)");
  for (const { port, path, user } of kindPorts) claim(port, path, user);
}

/** Checks that `node` exists and, with `network`, is attached to it; true when both hold. */
export function refersTo({ networks, nodes, add }: Context, path: Path, node: string, network?: string, key = "node"): boolean {
  if (!nodes.has(node)) {
    add([...path, key], unknownNode(node, nodes));
    return false;
  }
  if (network === undefined) return true;
  if (!networks.has(network)) add([...path, "network"], `unknown network '${network}'`);
  else if (nicOn(nodes.get(node), network) === undefined) add([...path, "network"], `node '${node}' has no NIC on network '${network}'`);
  else return true;
  return false;
}

/** What holds only on the lab's hypervisor: its own rules. */
function hypervisorRules({ lab, hypervisor, add }: Context) {
  hypervisor.rules(lab, add);
}

/** `~/` is expanded where Pulumi runs, so only for the local host: a remote host's home is not
 * known here. (credentialsDir is expanded by its script on the host itself.) */
function remoteHomePaths({ lab, add }: Context) {
  if (lab.host.kind === "local") return;
  const paths: [Path, string | undefined][] = [
    [["host", "stateDir"], lab.host.stateDir],
    [["image", "path"], lab.image.path],
    [["image", "kernel"], lab.image.kernel],
    [["image", "initrd"], lab.image.initrd],
  ];
  for (const [path, value] of paths) {
    if (value?.startsWith("~/")) add(path, `${value}: give an absolute path on a remote lab host (${lab.host.kind}): its ~ is not known where Pulumi runs`);
  }
}

/** A node's disk holds the image it starts from: a smaller one cannot (VirtualBox refuses to
 * shrink it, QEMU's overlay cuts the file system off). A built image's size is its config; a
 * downloaded one's is known only once it is in the cache (facts). */
function nodeDisks({ lab, facts, add }: Context) {
  const build = lab.image.build;
  const [size, from] =
    build !== undefined
      ? [build.sizeGiB, `the built image (image.build.sizeGiB: ${build.sizeGiB})`]
      : [facts.imageVirtualSizeGiB, `the image at image.${lab.image.url !== undefined ? "url" : "path"} (${facts.imageVirtualSizeGiB} GiB)`];
  if (size === undefined) return;
  lab.nodes.forEach((node, n) => {
    if (node.diskGiB < size) add(["nodes", n, "diskGiB"], `${node.diskGiB} GiB cannot hold ${from}: give node '${node.name}' at least ${Math.ceil(size)}`);
  });
}

/** image.build makes a release of its distribution that exists (mmdebstrap would fail on the host). */
function imageBuildRelease({ lab, add }: Context) {
  const build = lab.image.build;
  if (build === undefined) return;
  const problem = buildReleaseProblem(build.distro, build.release);
  if (problem !== undefined) add(problem.key === "build" ? ["image", "build"] : ["image", "build", "release"], problem.message);
}

/** Whether a URL of the config is fetched over plain http (the scheme is case-insensitive). */
const plainHttp = (url: string | undefined) => url !== undefined && /^http:/i.test(url);

/** A downloaded image is authenticated by something: its own download (https), or the SHA-256 it is
 * checked against, pinned in the config or fetched over https. An http:// image checked against an
 * http:// SHA256SUMS is neither (no signature is checked either): whoever sits on the way swaps the
 * image and its checksum together. Refused unless image.insecureHttp says why that is acceptable,
 * which is refused where nothing needs it. */
function imageDownloadTrust({ lab, add }: Context) {
  const { url, sha256, insecureHttp } = lab.image;
  const unauthenticated = plainHttp(url) && plainHttp(sha256);
  if (unauthenticated && insecureHttp === undefined) {
    add(
      ["image", "url"],
      `${url} and its checksum (image.sha256: ${sha256}) both come over plain http, so anyone on the way can swap the image and its checksum together; use https:// for them (cloud-images.ubuntu.com, cloud.debian.org and deb.debian.org serve it), pin image.sha256 to the image's 64-hex-digit SHA-256, or set image.insecureHttp to the reason plain http is acceptable here`,
    );
  }
  if (!unauthenticated && insecureHttp !== undefined) {
    add(
      ["image", "insecureHttp"],
      `is only for an image whose download nothing authenticates (image.url and image.sha256 both plain http://); ${url === undefined ? "this lab downloads no image" : "this lab's image is checked over https or against a pinned SHA-256"}: remove it`,
    );
  }
}

/** Addresses of the lab host that a URL may name it by: its own on the lab's networks and its loopback. */
export function isLabHostAddress(lab: LabConfig, hostname: string): boolean {
  const value = parseIpv4(hostname);
  if (hostname === "localhost" || hostname === "[::1]" || (value !== undefined && value >>> 24 === 127)) return true;
  return lab.networks.some((net) => net.hostAddress === hostname);
}

/** The APT cache's upstream proxy is not the cache itself: it would fetch through itself, forever. */
function aptCacheUpstream({ lab, add }: Context) {
  const { enabled, port, upstreamProxy } = lab.aptCache;
  if (!enabled || upstreamProxy === undefined) return;
  const url = new URL(upstreamProxy);
  if (Number(url.port || 80) === port && isLabHostAddress(lab, url.hostname)) {
    add(
      ["aptCache", "upstreamProxy"],
      `${upstreamProxy} is the lab's own APT cache (the lab host, port ${port}): the cache would fetch through itself; name the proxy beyond it, or leave upstreamProxy out`,
    );
  }
}

const COMMON_RULES: ((context: Context) => void)[] = [
  hypervisorRules,
  remoteHomePaths,
  imageBuildRelease,
  imageDownloadTrust,
  nodeDisks,
  aptCacheUpstream,
  uniqueNames,
  networkKinds,
  networkAddresses,
  networkOverlaps,
  managementNetwork,
  nicAttachments,
  natNics,
  nicAddresses,
  hostPorts,
];

// What every lab needs of its host: the secret that reaches it, the memory for its VMs (`what` is
// the key that asks for it), and no exposure the learner did not ask for.
export function checkHost(host: HostConfig, needed: number, what: string, facts: HostFacts): LabIssue[] {
  const issues: LabIssue[] = [];
  if (host.kind === "ssh" && facts.hostPrivateKey === false) {
    issues.push({
      path: [],
      key: "labstack:hostPrivateKey",
      message: "is required for an ssh lab host: pulumi config set --secret labstack:hostPrivateKey < ~/.ssh/id_ed25519",
    });
  }
  if (host.kind === "digitalocean" && facts.digitaloceanToken === false) {
    issues.push({
      path: [],
      key: "digitalocean:token",
      message: "is required for a digitalocean lab host: pulumi config set --secret digitalocean:token <token> (or export DIGITALOCEAN_TOKEN)",
    });
  }
  if (host.kind === "digitalocean" && !host.allowPublicSsh) {
    host.sshSourceCidrs.forEach((source, i) => {
      if (source.prefix < PUBLIC_SSH_PREFIX) {
        issues.push({
          path: ["host", "sshSourceCidrs", i],
          message: `${source.text} opens the droplet's SSH to ${source.prefix === 0 ? "the whole internet" : "a large part of the internet"}; name your own address (x.y.z.w/32), or set host.allowPublicSsh: true if you mean it`,
        });
      }
    });
  }
  // A size whose slug does not say its figures (c-4) is checked against the API's sizes before the
  // droplet is created (plan/droplet.ts checkDropletSize, in components/host/DropletHost.ts).
  const capacity = hostCapacity(host, facts);
  if (capacity.memoryMiB !== undefined && needed > capacity.memoryMiB) {
    issues.push({
      path: what.split("."),
      message: `${what === "nodes" ? "the nodes need" : "the cluster needs"} ${needed} MiB of memory but ${capacity.memoryHolder} has ${capacity.memoryMiB} MiB`,
    });
  }
  return issues;
}

const plural = (n: number | undefined, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** What the lab host holds, where it is known before anything is created, and who holds it (for messages). */
export interface HostCapacity {
  readonly memoryMiB?: number;
  /** `the lab host`, or `a s-8vcpu-16gb droplet` when its size says the memory. */
  readonly memoryHolder: string;
  readonly cores?: number;
  /** `the lab host`, or `a s-8vcpu-16gb droplet`. */
  readonly coresHolder: string;
  /** What a droplet's cores are called (`vCPU`) and a machine's (`CPU core`). */
  readonly coreUnit: string;
}

// The config's memory wins; else only a local host's is measured here, a droplet's follows from
// its size (the API's figures, else its slug), and an SSH host's is checked by host preparation
// on the host itself.
export function hostCapacity(host: HostConfig, facts: HostFacts): HostCapacity {
  if (host.kind === "digitalocean") {
    const size = facts.dropletSize ?? dropletSize(host.size);
    const droplet = `a ${host.size} droplet`;
    return {
      memoryMiB: host.memoryMiB ?? size?.memoryMiB,
      memoryHolder: host.memoryMiB === undefined ? droplet : "the lab host",
      cores: size?.vcpus,
      coresHolder: droplet,
      coreUnit: "vCPU",
    };
  }
  const local = host.kind === "local";
  return {
    memoryMiB: host.memoryMiB ?? (local ? facts.memoryMiB : undefined),
    memoryHolder: "the lab host",
    cores: local ? facts.cores : undefined,
    coresHolder: "the lab host",
    coreUnit: "CPU core",
  };
}

/** A VM's vCPUs against the cores that run it: more vCPUs than cores only take turns on them
 * (slower than fewer, and a guest's spinlocks stall), VirtualBox warns against it and minikube's
 * docker driver refuses it. The VMs together may share the cores; each alone must fit. (`who`
 * asks, at `path`.) */
export function checkHostCpus(host: HostConfig, requests: readonly { cpus: number; path: Path; who: string }[], facts: HostFacts): LabIssue[] {
  const { cores, coresHolder, coreUnit } = hostCapacity(host, facts);
  if (cores === undefined) return [];
  return requests
    .filter((r) => r.cpus > cores)
    .map((r) => ({ path: r.path, message: `${r.who} asks for ${r.cpus} vCPUs but ${coresHolder} has ${plural(cores, coreUnit)}` }));
}

export function unknownNode(node: string, nodes: ReadonlyMap<string, unknown>): string {
  return `unknown node '${node}' (known: ${[...nodes.keys()].join(", ")})`;
}
