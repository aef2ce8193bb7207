// Rules that relate one part of the lab to another. Each returns the key it is about, so the
// error the learner sees names the line of their stack config to fix.
import { dropletMemoryMiB, labMemoryMiB, type Lab, type MinikubeLab } from "./schema.js";
import { cidrContains, cidrsOverlap, formatCidr, isReservedInCidr, parseCidr, parseIpv4, type Cidr } from "../plan/ipv4.js";

export interface LabIssue {
  readonly path: (string | number)[];
  readonly message: string;
  /** A config key outside `labstack:lab` the issue is about instead. */
  readonly key?: string;
}

/** What is known about the lab host before anything is created. */
export interface HostFacts {
  /** Total memory of the lab host in MiB, when it can be measured. */
  readonly memoryMiB?: number;
  /** Whether the secret config `labstack:hostPrivateKey` is set (needed by an ssh host). */
  readonly hostPrivateKey?: boolean;
  /** Whether a DigitalOcean API token is configured (`digitalocean:token` or DIGITALOCEAN_TOKEN). */
  readonly digitaloceanToken?: boolean;
}

/** VirtualBox ≥ 6.1.28 only accepts these host-only ranges on Linux without /etc/vbox/networks.conf. */
export const VBOX_DEFAULT_HOSTONLY_RANGE = "192.168.56.0/21";
/** The NAT network every VirtualBox (and our QEMU) NAT NIC sees. */
export const NAT_CIDR = "10.0.2.0/24";

function duplicates<T>(items: T[], key: (item: T) => string | undefined, report: (item: T, index: number, first: number) => void) {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, index);
    else report(item, index, first);
  });
}

export function checkLab(lab: Lab, facts: HostFacts = {}): LabIssue[] {
  const issues: LabIssue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });

  duplicates(lab.networks, (n) => n.name, (n, i, first) => add(["networks", i, "name"], `duplicate network name '${n.name}' (also networks[${first}])`));
  duplicates(lab.networks, (n) => n.device, (n, i, first) => add(["networks", i, "device"], `duplicate host device '${n.device}' (also networks[${first}])`));
  duplicates(lab.nodes, (n) => n.name, (n, i, first) => add(["nodes", i, "name"], `duplicate node name '${n.name}' (also nodes[${first}])`));

  const cidrs = new Map<string, Cidr>();
  const hostCidrs = new Map<string, Cidr>();
  const nat = parseCidr(NAT_CIDR)!;
  const vboxRange = parseCidr(VBOX_DEFAULT_HOSTONLY_RANGE)!;
  lab.networks.forEach((net, i) => {
    const cidr = net.cidr === undefined ? undefined : parseCidr(net.cidr)!;
    if (net.kind === "nat") {
      if (net.cidr !== undefined) add(["networks", i, "cidr"], `a nat network has no cidr: every NAT NIC gets ${NAT_CIDR}`);
      if (net.hostAddress !== undefined) add(["networks", i, "hostAddress"], "a nat network has no host address");
      return;
    }
    if (net.kind === "hostonly") {
      if (cidr === undefined) add(["networks", i, "cidr"], "is required for a hostonly network");
      if (net.hostAddress === undefined) add(["networks", i, "hostAddress"], "is required for a hostonly network (the lab host's address on it)");
    } else if (net.hostAddress !== undefined && !(net.kind === "bridged" && net.create)) {
      add(["networks", i, "hostAddress"], `a ${net.kind} network has no host address${net.kind === "internal" ? ": the host cannot reach an internal network" : " unless the lab creates the bridge (create: true)"}`);
    }
    if (net.kind === "bridged" && net.device === undefined) add(["networks", i, "device"], "is required for a bridged network: the host bridge to attach to");
    if (net.create && net.kind !== "bridged") add(["networks", i, "create"], "only a bridged network's bridge can be created by the lab");
    if (cidr === undefined) return;
    if (net.hostAddress !== undefined) {
      const host = parseIpv4(net.hostAddress)!;
      if (!cidrContains(cidr, host)) add(["networks", i, "hostAddress"], `${net.hostAddress} is outside ${net.cidr}`);
      else if (isReservedInCidr(cidr, host)) add(["networks", i, "hostAddress"], `${net.hostAddress} is the network or broadcast address of ${net.cidr}`);
    }
    if (cidrsOverlap(cidr, nat)) add(["networks", i, "cidr"], `${net.cidr} overlaps the NAT network ${NAT_CIDR} that every node's NAT NIC uses`);
    // Only networks the host has an address on can confuse its routing; internal segments joined
    // by a bridge inside a node (labs 5-6) share one subnet on purpose.
    if (net.hostAddress !== undefined) {
      for (const [other, otherCidr] of hostCidrs) {
        if (cidrsOverlap(cidr, otherCidr)) add(["networks", i, "cidr"], `${net.cidr} overlaps network '${other}' (${formatCidr(otherCidr)})`);
      }
      hostCidrs.set(net.name, cidr);
    }
    cidrs.set(net.name, cidr);
    if (lab.hypervisor.kind === "virtualbox" && net.kind === "hostonly" && !lab.host.vboxNetworksConf && !(cidrContains(vboxRange, cidr.network) && cidr.prefix >= vboxRange.prefix)) {
      add(["networks", i, "cidr"], `${net.cidr} is outside the host-only range VirtualBox allows (${VBOX_DEFAULT_HOSTONLY_RANGE}); set host.vboxNetworksConf: true so host preparation opens it in /etc/vbox/networks.conf`);
    }
  });

  const networks = new Map(lab.networks.map((n) => [n.name, n]));
  const mgmt = lab.managementNetwork === undefined ? undefined : networks.get(lab.managementNetwork);
  if (lab.managementNetwork === undefined) {
    if (lab.kind === "openstack") add(["managementNetwork"], "is required for an openstack lab");
    if (lab.aptCache.enabled) add(["aptCache", "enabled"], "the APT cache is served on the management network; set managementNetwork or aptCache.enabled: false");
  } else if (mgmt === undefined) add(["managementNetwork"], `unknown network '${lab.managementNetwork}'`);
  else if (mgmt.kind !== "hostonly") add(["managementNetwork"], `network '${mgmt.name}' is ${mgmt.kind}; the management network must be hostonly so the host (APT cache) and all nodes share it`);

  const ips = new Map<string, string>();
  const sshPorts = new Map<number, string>();
  lab.nodes.forEach((node, n) => {
    const attached = new Set<string>();
    node.nics.forEach((nic, k) => {
      const at = ["nodes", n, "nics", k];
      const net = networks.get(nic.network);
      if (net === undefined) {
        add([...at, "network"], `unknown network '${nic.network}' (known: ${[...networks.keys()].join(", ")})`);
        return;
      }
      if (attached.has(nic.network)) add([...at, "network"], `node '${node.name}' is attached to network '${nic.network}' twice`);
      attached.add(nic.network);
      if (net.kind === "nat") {
        if (k !== 0) add([...at, "network"], "the nat NIC must be the node's first NIC, as in the seed");
        if (nic.ip !== undefined) add([...at, "ip"], `a nat NIC gets ${NAT_CIDR.replace("0/24", "15")} from the NAT's DHCP; no static ip`);
        if (nic.promiscuous) add([...at, "promiscuous"], "promiscuous mode is for lab networks, not the nat NIC");
        if (nic.sshPort === undefined) add([...at, "sshPort"], "is required on the nat NIC: it is how the lab host reaches the node");
        else {
          const other = sshPorts.get(nic.sshPort);
          if (other !== undefined) add([...at, "sshPort"], `port ${nic.sshPort} is already forwarded to node '${other}'`);
          sshPorts.set(nic.sshPort, node.name);
        }
        return;
      }
      if (nic.sshPort !== undefined) add([...at, "sshPort"], "only the nat NIC forwards SSH");
      if (nic.ip === undefined) return;
      const cidr = cidrs.get(net.name);
      const ip = parseIpv4(nic.ip)!;
      if (cidr === undefined) add([...at, "ip"], `network '${net.name}' has no cidr, so its NICs cannot have addresses`);
      else if (!cidrContains(cidr, ip)) add([...at, "ip"], `${nic.ip} is outside network '${net.name}' (${net.cidr})`);
      else if (isReservedInCidr(cidr, ip)) add([...at, "ip"], `${nic.ip} is the network or broadcast address of '${net.name}' (${net.cidr})`);
      else if (nic.ip === net.hostAddress) add([...at, "ip"], `${nic.ip} is the lab host's address on '${net.name}'`);
      const owner = ips.get(nic.ip);
      if (owner !== undefined) add([...at, "ip"], `${nic.ip} is already used by ${owner}`);
      ips.set(nic.ip, `node '${node.name}'`);
    });
    if (node.nics[0] !== undefined && networks.get(node.nics[0].network)?.kind !== "nat" && networks.has(node.nics[0].network)) {
      add(["nodes", n, "nics", 0, "network"], "the first NIC must be on a nat network (the SSH forward), as in the seed");
    }
    if (mgmt !== undefined && !node.nics.some((nic) => nic.network === mgmt.name && nic.ip !== undefined)) {
      add(["nodes", n, "nics"], `node '${node.name}' needs an address on the management network '${mgmt.name}'`);
    }
  });

  const nodes = new Set(lab.nodes.map((n) => n.name));
  checkGuest(lab, networks, add);

  const placements: [string, string | undefined][] = [
    ["chrony.server", lab.services.chrony?.server],
    ["mariadb.node", lab.services.mariadb?.node],
    ["rabbitmq.node", lab.services.rabbitmq?.node],
    ["memcached.node", lab.services.memcached?.node],
  ];
  for (const [key, node] of placements) {
    if (node !== undefined && !nodes.has(node)) add(["services", ...key.split(".")], unknownNode(node, nodes));
  }

  issues.push(...checkHost(lab.host, labMemoryMiB(lab), "nodes", facts));
  return issues;
}

/** The minikube lab: its host, and the cluster's memory against it. */
export function checkMinikubeLab(lab: MinikubeLab, facts: HostFacts = {}): LabIssue[] {
  return checkHost(lab.host, labMemoryMiB(lab), "minikube.memoryMiB", facts);
}

// What every lab needs of its host: the secret that reaches it, and the memory for its VMs.
function checkHost(host: Lab["host"], needed: number, what: string, facts: HostFacts): LabIssue[] {
  const issues: LabIssue[] = [];
  if (host.kind === "ssh" && facts.hostPrivateKey === false) {
    issues.push({ path: [], key: "labstack:hostPrivateKey", message: "is required for an ssh lab host: pulumi config set --secret labstack:hostPrivateKey < ~/.ssh/id_ed25519" });
  }
  if (host.kind === "digitalocean" && facts.digitaloceanToken === false) {
    issues.push({ path: [], key: "digitalocean:token", message: "is required for a digitalocean lab host: pulumi config set --secret digitalocean:token <token> (or export DIGITALOCEAN_TOKEN)" });
  }
  const available = host.memoryMiB ?? hostMemory(host, facts);
  if (available !== undefined && needed > available) {
    const holder = host.kind === "digitalocean" && host.memoryMiB === undefined ? `a ${host.size} droplet` : "the lab host";
    issues.push({ path: what.split("."), message: `${what === "nodes" ? "the nodes need" : "the cluster needs"} ${needed} MiB of memory but ${holder} has ${available} MiB` });
  }
  return issues;
}

// Only a local host's memory is measured here; a droplet's follows from its size, and an SSH
// host's is checked by host preparation on the host itself.
function hostMemory(host: Lab["host"], facts: HostFacts): number | undefined {
  if (host.kind === "local") return facts.memoryMiB;
  if (host.kind === "digitalocean") return dropletMemoryMiB(host.size);
  return undefined;
}

function unknownNode(node: string, nodes: Set<string>): string {
  return `unknown node '${node}' (known: ${[...nodes].join(", ")})`;
}

type Add = (path: (string | number)[], message: string) => void;

/** Guest devices and checks refer to nodes, and to networks those nodes are attached to. */
function checkGuest(lab: Lab, networks: Map<string, Lab["networks"][number]>, add: Add) {
  const nodes = new Set(lab.nodes.map((n) => n.name));
  const attached = (node: string, network: string) => lab.nodes.find((n) => n.name === node)?.nics.some((nic) => nic.network === network) ?? false;
  const refs = (path: (string | number)[], node: string, network?: string, key = "node") => {
    if (!nodes.has(node)) {
      add([...path, key], unknownNode(node, nodes));
      return;
    }
    if (network === undefined) return;
    if (!networks.has(network)) add([...path, "network"], `unknown network '${network}'`);
    else if (!attached(node, network)) add([...path, "network"], `node '${node}' has no NIC on network '${network}'`);
  };
  lab.guest.bridges.forEach((b, i) => {
    refs(["guest", "bridges", i], b.node);
    b.ports.forEach((port, k) => {
      if (nodes.has(b.node) && !attached(b.node, port)) add(["guest", "bridges", i, "ports", k], `node '${b.node}' has no NIC on network '${port}'`);
    });
  });
  lab.guest.vlans.forEach((v, i) => refs(["guest", "vlans", i], v.node, v.network));
  lab.guest.vxlans.forEach((v, i) => {
    refs(["guest", "vxlans", i], v.node, v.network);
    if ((v.remote === undefined) === (v.group === undefined)) add(["guest", "vxlans", i], "give exactly one of remote (point-to-point) or group (multicast)");
    if (v.group !== undefined && !/^2(2[4-9]|3\d)\./.test(v.group)) add(["guest", "vxlans", i, "group"], `${v.group} is not a multicast address (224.0.0.0/4)`);
    if (v.ttl !== undefined && v.group === undefined) add(["guest", "vxlans", i, "ttl"], "only applies to a multicast group");
  });
  lab.guest.tunnels.forEach((t, i) => refs(["guest", "tunnels", i], t.node, t.network));
  lab.checks.forEach((c, i) => {
    const at = ["checks", i];
    switch (c.kind) {
      case "ping":
        refs(at, c.from, undefined, "from");
        if (parseIpv4(c.to) === undefined && !nodes.has(c.to)) add([...at, "to"], `'${c.to}' is neither an IPv4 address nor a node`);
        break;
      case "arp":
        refs(at, c.node, c.network);
        refs(at, c.peer, c.network, "peer");
        break;
      case "fdb":
        refs(at, c.node);
        c.peers.forEach((p, k) => {
          refs([...at, "peers", k], p.node, p.network);
          if (nodes.has(c.node) && !attached(c.node, p.port)) add([...at, "peers", k, "port"], `node '${c.node}' has no NIC on network '${p.port}'`);
        });
        break;
      case "vtep-fdb":
        refs(at, c.node);
        break;
      case "capture":
        refs(at, c.node, c.network);
        break;
      case "l2":
        refs(at, c.from, c.network, "from");
        if (c.vlan !== undefined && !lab.guest.vlans.some((v) => v.node === c.from && v.network === c.network && v.id === c.vlan)) {
          add([...at, "vlan"], `node '${c.from}' has no VLAN ${c.vlan} on network '${c.network}'`);
        }
        break;
      case "nat-service":
        refs(at, c.node);
        break;
      case "host-ping":
        break;
    }
  });
}
