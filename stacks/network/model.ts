// The virtual networking labs (the series' networking posts, labs 1-10, and the tunnels), their
// config: the devices the lab builds inside its nodes (bridges, VLANs, VXLANs, tunnels) and the
// posts' observations as checks, with the rules that keep both to the nodes and networks the lab
// really has and the devices' names and subnets from colliding.
import { z } from "zod";
import { cidrContains, cidrsOverlap, formatCidr, type InterfaceAddress, ipv4Value, parseInterfaceAddress, parseIpv4 } from "../../model/ipv4.js";
import { formatPath } from "../../model/parse.js";
import { LAB_HOST, type Port, type Reach, reach, Segments, type Topology } from "../../model/reach.js";
import { type Context, duplicates, type HostPort, INTERFACE_CASE, type KindRules, nicOn, type Path, refersTo, sameName } from "../../model/rules.js";
import { hostDevice, ipv4, ipv4Cidr, NAT, name, nodeName, port } from "../../model/schema.js";
import { type VmLabConfig, vmLabModel } from "../../model/vmLab.js";

/** Devices the networking labs create inside nodes, with today's iproute2. */
export const GuestSchema = z.strictObject({
  /** A Linux bridge joining NICs of a node (labs 5-6); with `ip` the node itself is on it. */
  bridges: z.array(z.strictObject({ node: nodeName, name: hostDevice, ports: z.array(name).min(1), ip: ipv4Cidr.optional() })).default([]),
  /** An 802.1Q VLAN device on the NIC attached to `network` (lab 8). */
  vlans: z.array(z.strictObject({ node: nodeName, network: name, id: z.number().int().min(1).max(4094), ip: ipv4Cidr })).default([]),
  /** A VXLAN device over the NIC on `network`: point-to-point with `remote` (lab 9) or multicast with `group` (lab 10). */
  vxlans: z
    .array(
      z.strictObject({
        node: nodeName,
        name: hostDevice.default("vxlan0"),
        id: z.number().int().min(1).max(16777215),
        network: name,
        remote: ipv4.optional(),
        group: ipv4.optional(),
        ttl: z.number().int().min(1).max(255).optional(),
        port: z.number().int().min(1).max(65535).default(4789),
        ip: ipv4Cidr,
      }),
    )
    .default([]),
  /** GRE-over-Ethernet (gretap) or Geneve point-to-point tunnels: what the posts mention but do not lab. */
  tunnels: z
    .array(
      z.strictObject({
        node: nodeName,
        name: hostDevice,
        kind: z.enum(["gretap", "geneve"]),
        network: name,
        remote: ipv4,
        id: z.number().int().min(1).max(16777215).optional(),
        ip: ipv4Cidr,
      }),
    )
    .default([]),
});

const expect = z.enum(["reach", "isolated"]);
/** The posts' observations, as checks that run as part of `up`. */
export const CheckSchema = z.discriminatedUnion("kind", [
  /** `from` pings `to` (an address or a node's name on `network`). */
  z.strictObject({ kind: z.literal("ping"), from: nodeName, to: z.string(), expect: expect.default("reach") }),
  /** `from` tries to reach `to` at layer 2 through its NIC on `network` (or that NIC's VLAN device):
   * an ARP answer means the two share a segment, whatever their IP subnets. */
  z.strictObject({
    kind: z.literal("l2"),
    from: nodeName,
    network: name,
    vlan: z.number().int().min(1).max(4094).optional(),
    to: ipv4,
    expect: expect.default("reach"),
  }),
  /** The lab host pings `to`. */
  z.strictObject({ kind: z.literal("host-ping"), to: ipv4, expect: expect.default("reach") }),
  /** After `node` talked to `peer` on `network`, its ARP cache holds the peer's MAC. */
  z.strictObject({ kind: z.literal("arp"), node: nodeName, peer: nodeName, network: name }),
  /** The bridge in `node` has learned each peer's MAC on the port facing that peer. */
  z.strictObject({
    kind: z.literal("fdb"),
    node: nodeName,
    bridge: hostDevice,
    peers: z.array(z.strictObject({ node: nodeName, network: name, port: name })).min(1),
  }),
  /** A VXLAN device's forwarding database has learned the other VTEPs. */
  z.strictObject({ kind: z.literal("vtep-fdb"), node: nodeName, device: hostDevice.default("vxlan0"), peers: z.array(ipv4).min(1) }),
  /** While `node` pings `to`, tcpdump on its NIC on `network` sees frames matching `filter` whose
   * decoded text matches the regular expression `pattern` (802.1Q tags, VXLAN headers). */
  z.strictObject({
    kind: z.literal("capture"),
    node: nodeName,
    network: name,
    filter: z.string().regex(/^[^-\s]/, "must be a tcpdump filter expression like 'udp port 4789' (never an option: no leading '-')"),
    pattern: z.string().min(1),
    to: ipv4,
  }),
  /** `node` fetches a page the lab serves on the lab host, through the NAT's gateway 10.0.2.2. */
  z.strictObject({ kind: z.literal("nat-service"), node: nodeName, port: port.default(8080) }),
]);

/** A networking lab's own keys. */
export const networkShape = {
  /** @default no guest devices */
  guest: GuestSchema.default({ bridges: [], vlans: [], vxlans: [], tunnels: [] }),
  /** @default no checks */
  checks: z.array(CheckSchema).default([]),
};

export type NetworkLabConfig = VmLabConfig<"network", typeof networkShape>;
export type LabCheck = NetworkLabConfig["checks"][number];

/** Devices a guest kernel makes by itself (loopback, and the fallback device of each tunnel module). */
const KERNEL_DEVICES = new Set(["lo", "gre0", "gretap0", "erspan0", "tunl0", "sit0", "ip6tnl0", "ip6gre0", "ip_vti0", "ip6_vti0"]);

/** Guest devices refer to nodes, and to networks those nodes are attached to. */
function guestReferences(context: Context<NetworkLabConfig>) {
  const { lab, nodes, add } = context;
  lab.guest.bridges.forEach((b, i) => {
    if (!refersTo(context, ["guest", "bridges", i], b.node)) return;
    b.ports.forEach((port, k) => {
      if (nicOn(nodes.get(b.node), port) === undefined) add(["guest", "bridges", i, "ports", k], `node '${b.node}' has no NIC on network '${port}'`);
    });
  });
  lab.guest.vlans.forEach((v, i) => refersTo(context, ["guest", "vlans", i], v.node, v.network));
  lab.guest.vxlans.forEach((v, i) => {
    refersTo(context, ["guest", "vxlans", i], v.node, v.network);
    if ((v.remote === undefined) === (v.group === undefined)) add(["guest", "vxlans", i], "give exactly one of remote (point-to-point) or group (multicast)");
    if (v.group !== undefined && !/^2(2[4-9]|3\d)\./.test(v.group)) add(["guest", "vxlans", i, "group"], `${v.group} is not a multicast address (224.0.0.0/4)`);
    if (v.ttl !== undefined && v.group === undefined) add(["guest", "vxlans", i, "ttl"], "only applies to a multicast group");
  });
  lab.guest.tunnels.forEach((t, i) => refersTo(context, ["guest", "tunnels", i], t.node, t.network));
}

/** Within a node, each device name is one device: not a NIC's, not one the kernel makes, not
 * reused by another bridge or tunnel; a NIC is a port of one bridge at most; a VLAN is made once. */
function guestDeviceNames({ lab, nodes, hypervisor, add }: Context<NetworkLabConfig>) {
  const named = (["bridges", "vxlans", "tunnels"] as const).flatMap((list) =>
    lab.guest[list].map((d, i) => ({ node: d.node, name: d.name, where: `guest.${list}[${i}]`, path: ["guest", list, i, "name"] as Path })),
  );
  duplicates(
    named,
    (d) => `${d.node}/${d.name.toLowerCase()}`,
    (d, _, first) => add(d.path, sameName("device name", d.name, named[first].name, `${named[first].where} on node '${d.node}'`, INTERFACE_CASE)),
  );
  for (const d of named) {
    const node = nodes.get(d.node);
    const nic = node?.nics.findIndex((_, k) => hypervisor.guestDevice(k).toLowerCase() === d.name.toLowerCase()) ?? -1;
    if (nic >= 0) add(d.path, `'${d.name}' is node '${d.node}''s NIC on network '${node!.nics[nic].network}'`);
    else if (KERNEL_DEVICES.has(d.name.toLowerCase())) add(d.path, `'${d.name}' is a device the guest's kernel makes itself; choose another name`);
  }
  const ports = new Map<string, string>();
  lab.guest.bridges.forEach((b, i) =>
    b.ports.forEach((port, k) => {
      const other = ports.get(`${b.node}/${port}`);
      if (other !== undefined) add(["guest", "bridges", i, "ports", k], `node '${b.node}''s NIC on network '${port}' is already a port of bridge '${other}'`);
      ports.set(`${b.node}/${port}`, b.name);
    }),
  );
  duplicates(
    lab.guest.vlans,
    (v) => `${v.node}/${v.network}/${v.id}`,
    (v, i, first) =>
      add(["guest", "vlans", i, "id"], `duplicate VLAN ${v.id} on node '${v.node}''s NIC on network '${v.network}' (also guest.vlans[${first}])`),
  );
}

/** A guest device's subnet is its own segment: clear of every lab network and of the NAT network.
 * A bridge's address is the exception: it sits on the networks it joins. */
function guestSubnets({ lab, networks, add }: Context<NetworkLabConfig>) {
  const lanes: [Path, InterfaceAddress][] = [
    ...lab.guest.vlans.map((v, i): [Path, InterfaceAddress] => [["guest", "vlans", i, "ip"], v.ip]),
    ...lab.guest.vxlans.map((v, i): [Path, InterfaceAddress] => [["guest", "vxlans", i, "ip"], v.ip]),
    ...lab.guest.tunnels.map((t, i): [Path, InterfaceAddress] => [["guest", "tunnels", i, "ip"], t.ip]),
  ];
  for (const [path, ip] of lanes) {
    if (cidrsOverlap(ip.subnet, NAT.network)) add(path, `${ip.text} overlaps the NAT network ${NAT.network.text} that every node's NAT NIC uses`);
    const under = lab.networks.find((net) => net.cidr !== undefined && cidrsOverlap(ip.subnet, net.cidr));
    if (under !== undefined) add(path, `${ip.text} overlaps network '${under.name}' (${under.cidr!.text}); a guest device's subnet is a segment of its own`);
  }
  lab.guest.bridges.forEach((b, i) => {
    if (b.ip === undefined) return;
    if (cidrsOverlap(b.ip.subnet, NAT.network))
      add(["guest", "bridges", i, "ip"], `${b.ip.text} overlaps the NAT network ${NAT.network.text} that every node's NAT NIC uses`);
    for (const port of b.ports) {
      const cidr = networks.get(port)?.cidr;
      if (cidr !== undefined && !cidrContains(cidr, b.ip.value))
        add(["guest", "bridges", i, "ip"], `${b.ip.text} is outside network '${port}' (${cidr.text}) that the bridge joins`);
    }
  });
}

/** An overlay device (VXLAN, gretap, Geneve): what the rules about its ends read of it. */
export interface Overlay {
  readonly node: string;
  readonly name: string;
  readonly kind: "vxlan" | "gretap" | "geneve";
  readonly network: string;
  readonly remote?: string;
  readonly group?: string;
  /** The VNI or key both ends must share; a tunnel may have none. */
  readonly id?: number;
  /** VXLAN's UDP port, which both ends must share. */
  readonly port?: number;
  readonly ip: InterfaceAddress;
  /** `VXLAN 100`, `geneve tunnel 200`. */
  readonly what: string;
  readonly path: Path;
}

/** The lab's VXLANs and tunnels as one list, in config order. */
export function overlaysOf(lab: NetworkLabConfig): Overlay[] {
  return [
    ...lab.guest.vxlans.map((v, i): Overlay => ({ ...v, kind: "vxlan", what: `VXLAN ${v.id}`, path: ["guest", "vxlans", i] })),
    ...lab.guest.tunnels.map((t, i): Overlay => ({ ...t, what: `${t.kind} tunnel${t.id === undefined ? "" : ` ${t.id}`}`, path: ["guest", "tunnels", i] })),
  ];
}

const underlayAddress = (lab: NetworkLabConfig, o: Overlay) => lab.nodes.find((n) => n.name === o.node)?.nics.find((nic) => nic.network === o.network)?.ip;
const sameEnds = (a: Overlay, b: Overlay) => a.id === b.id && a.port === b.port;

/** The other end of each point-to-point overlay (its index in `overlays`), if it has one: a device of
 * the same kind on the node its `remote` names, over the same network, whose `remote` names it back.
 * Ends that also agree on id and port pair first; what is left pairs with an end that names it back
 * but disagrees (bothEndsAgree reports that pair, naming both). */
export function overlayPeers(lab: NetworkLabConfig, overlays: readonly Overlay[]): (number | undefined)[] {
  const local = overlays.map((o) => underlayAddress(lab, o));
  const peers: (number | undefined)[] = overlays.map(() => undefined);
  const facing = (i: number, j: number) => {
    const [a, b] = [overlays[i], overlays[j]];
    return (
      i !== j && a.node !== b.node && a.kind === b.kind && a.network === b.network && a.remote !== undefined && a.remote === local[j] && b.remote === local[i]
    );
  };
  for (const agree of [true, false]) {
    overlays.forEach((o, i) => {
      if (peers[i] !== undefined || o.remote === undefined) return;
      const j = overlays.findIndex((m, k) => peers[k] === undefined && facing(i, k) && (!agree || sameEnds(o, m)));
      if (j >= 0) [peers[i], peers[j]] = [j, i];
    });
  }
  return peers;
}

/** An overlay (VXLAN, GRE, Geneve) needs an underlay on which its ends reach each other. */
function overlayUnderlays(context: Context<NetworkLabConfig>) {
  const { lab, networks, nodes, add } = context;
  const overlays = overlaysOf(lab);
  const peers = overlayPeers(lab, overlays);
  overlays.forEach((o, i) => {
    const net = networks.get(o.network);
    const local = nicOn(nodes.get(o.node), o.network);
    if (net === undefined || local === undefined) return; // guestReferences reports these
    if (net.kind === "nat") {
      add([...o.path, "network"], `network '${net.name}' is nat: each node has a NAT of its own there, so the ${o.what}'s ends cannot reach each other`);
      return;
    }
    if (local.ip === undefined)
      add([...o.path, "network"], `node '${o.node}' has no address on network '${net.name}': an unnumbered NIC cannot source the ${o.what}`);
    if (o.group !== undefined) groupPeers(overlays, i, net.name, add);
    if (o.remote === undefined || peers[i] !== undefined) return;
    const peer = lab.nodes.find((n) => nicOn(n, net.name)?.ip === o.remote);
    if (peer === undefined) add([...o.path, "remote"], `${o.remote} is no node's address on network '${net.name}', the ${o.what}'s underlay`);
    else if (peer.name === o.node) add([...o.path, "remote"], `${o.remote} is node '${o.node}''s own address; remote is the other end`);
    else if (local.ip !== undefined)
      add([...o.path, "remote"], `node '${peer.name}' has no ${o.what} back to ${local.ip} on network '${net.name}'; both ends must name each other`);
  });
}

/** A multicast VXLAN has other nodes in its group; when the other ends of its VNI joined another
 * group, the message names their key (reported once for two lone ends, at the later). */
function groupPeers(overlays: readonly Overlay[], i: number, network: string, add: Context["add"]) {
  const o = overlays[i];
  const mates = (x: Overlay) => overlays.some((m) => m.kind === x.kind && m.group === x.group && m.network === x.network && m.node !== x.node);
  if (mates(o)) return;
  const k = overlays.findIndex(
    (m) => m.kind === o.kind && m.network === o.network && m.node !== o.node && m.id === o.id && m.group !== undefined && m.group !== o.group,
  );
  if (k < 0) add([...o.path, "group"], `no other node joins ${o.group} with VXLAN ${o.id} on network '${network}': the overlay would have no peer`);
  else if (mates(overlays[k]) || k < i)
    add(
      [...o.path, "group"],
      `no other node joins ${o.group} with VXLAN ${o.id} on network '${network}': ${formatPath([...overlays[k].path, "group"])} joins ${overlays[k].group} with it; the ends of a VXLAN join one group`,
    );
}

/** What two ends must share to talk, checked as a pair, the message naming both ends' keys: a
 * VXLAN's VNI and UDP port, a tunnel's id (the VNI of Geneve, the key of GRE). Each pair is
 * reported once, at its later end. */
function bothEndsAgree({ lab, add }: Context<NetworkLabConfig>) {
  const overlays = overlaysOf(lab);
  const peers = overlayPeers(lab, overlays);
  const other = (m: Overlay, key: "id" | "port") => `${formatPath([...m.path, key])} (${m[key] ?? "none"})`;
  const mismatch = (o: Overlay, m: Overlay, key: "id" | "port", what: string) => {
    if (o[key] !== m[key])
      add(
        [...o.path, key],
        `${o[key] ?? "no id"} differs from the other end's ${other(m, key)}: both ends of the ${o.kind === "vxlan" ? "VXLAN" : `${o.kind} tunnel`} must use one ${what}`,
      );
  };
  overlays.forEach((o, i) => {
    const j = peers[i];
    if (j !== undefined && j < i) {
      mismatch(o, overlays[j], "id", o.kind === "vxlan" ? "VNI" : "id");
      mismatch(o, overlays[j], "port", "UDP port");
    }
    if (o.group === undefined) return;
    // A multicast group may carry several VNIs; a member alone on its VNI talks to nobody.
    const members = overlays
      .map((m, k) => ({ m, k }))
      .filter(({ m }) => m.kind === o.kind && m.group === o.group && m.network === o.network && m.node !== o.node);
    const alone = (x: Overlay) =>
      !overlays.some((m) => m.kind === x.kind && m.group === x.group && m.network === x.network && m.node !== x.node && m.id === x.id);
    const first = members[0];
    if (first !== undefined && alone(o) && !(alone(first.m) && first.k > i))
      add(
        [...o.path, "id"],
        `no other node joins ${o.group} with VXLAN ${o.id} on network '${o.network}': ${other(first.m, "id")} joins it; the ends of a VXLAN must use one VNI`,
      );
    const earlier = members.find(({ m, k }) => k < i && m.id === o.id && m.port !== o.port);
    if (earlier !== undefined)
      add(
        [...o.path, "port"],
        `${o.port} differs from ${other(earlier.m, "port")}, another end of VXLAN ${o.id} in ${o.group}: the ends must use one UDP port`,
      );
  });
}

/** A guest link: devices of several nodes that are one segment (one VLAN on one segment, the ends
 * of an overlay), so they share one subnet and no other link's. */
export interface GuestLink {
  /** The segment it is (model/reach.ts). */
  readonly segment: string;
  readonly what: string;
  readonly members: readonly LinkEnd[];
}

/** One end of a guest link: its node, address and key, and the device and network it sits on. */
export interface LinkEnd {
  readonly node: string;
  readonly ip: InterfaceAddress;
  readonly path: Path;
  /** As model/reach.ts ports name devices: `vlan:boxA:mynetwork:100`, `vxlan:boxA:vxlan0`. */
  readonly device: string;
  /** The underlay network its frames cross. */
  readonly network: string;
}

/** Networks that guest bridges join into one segment. */
export function networkSegments(lab: NetworkLabConfig, except?: number): Segments {
  const segments = new Segments();
  lab.guest.bridges.forEach((b, i) => {
    if (i !== except) for (const port of b.ports) segments.join(b.ports[0], port);
  });
  return segments;
}

/** The link (segment) each overlay is an end of: a point-to-point overlay's pair of ends, or a
 * multicast group's members on one VNI and port. An end that disagrees with its peers (bothEndsAgree
 * reports it) is counted as the link it was meant for, so the mistake is reported once, not again as
 * an overlap or an unreachable check. */
export function overlayLinks(lab: NetworkLabConfig, overlays: readonly Overlay[], segments = networkSegments(lab)): string[] {
  const peers = overlayPeers(lab, overlays);
  const exact = overlays.map((o, i) => {
    if (o.group !== undefined) return `${o.kind}:${segments.of(o.network)}:${o.group}:${o.id}:${o.port}`;
    const j = peers[i];
    return `${o.kind}:${j === undefined ? formatPath(o.path) : [formatPath(o.path), formatPath(overlays[j].path)].sort().join("+")}`;
  });
  const alone = (k: number) => !overlays.some((m, j) => exact[j] === exact[k] && m.node !== overlays[k].node);
  return overlays.map((o, i) => {
    if (o.group === undefined || !alone(i)) return exact[i];
    // Meant: the members of its group, else (a group nobody else joins) the ends of its VNI in another group.
    const multicast = overlays.map((m, k) => ({ m, k })).filter(({ m }) => m.group !== undefined && m.kind === o.kind && m.network === o.network);
    const group = multicast.filter(({ m }) => m.group === o.group);
    const pool = group.some(({ m }) => m.node !== o.node) ? group : multicast.filter(({ m }) => m.id === o.id);
    const meant = pool.find(({ k }) => !alone(k)) ?? pool[0];
    return exact[meant.k];
  });
}

/** The lab's guest links: each VLAN id on each segment, each multicast VXLAN (group and VNI on a
 * segment), each point-to-point overlay's pair of ends. */
export function guestLinks(lab: NetworkLabConfig, segments = networkSegments(lab)): GuestLink[] {
  const links = new Map<string, { segment: string; what: string; members: LinkEnd[] }>();
  const join = (segment: string, what: string, member: LinkEnd) => {
    const link = links.get(segment) ?? { segment, what, members: [] };
    link.members.push(member);
    links.set(segment, link);
  };
  lab.guest.vlans.forEach((v, i) =>
    join(`vlan:${segments.of(v.network)}:${v.id}`, `VLAN ${v.id} on network '${v.network}'`, {
      node: v.node,
      ip: v.ip,
      path: ["guest", "vlans", i, "ip"],
      device: `vlan:${v.node}:${v.network}:${v.id}`,
      network: v.network,
    }),
  );
  const overlays = overlaysOf(lab);
  const ends = overlayLinks(lab, overlays, segments);
  overlays.forEach((o, i) => {
    join(ends[i], o.group !== undefined ? `${o.what} in ${o.group}` : o.what, {
      node: o.node,
      ip: o.ip,
      path: [...o.path, "ip"],
      device: `${o.kind}:${o.node}:${o.name}`,
      network: o.network,
    });
  });
  return [...links.values()];
}

const sameSubnet = (a: InterfaceAddress, b: InterfaceAddress) => a.subnet.network === b.subnet.network && a.subnet.prefix === b.subnet.prefix;

/** The ends of a link share one subnet (a VLAN's, an overlay's), named with the other end's key;
 * two links never overlap, as two networks never do: a node on both could not tell them apart. */
function linkSubnets({ lab, add }: Context<NetworkLabConfig>) {
  const links = guestLinks(lab);
  links.forEach((link, l) => {
    const [first, ...rest] = link.members;
    for (const m of rest) {
      if (!sameSubnet(m.ip, first.ip))
        add(
          m.path,
          `${m.ip.text} is not on the subnet of the other end ${formatPath(first.path)} (${first.ip.text}): the ends of ${link.what} share one subnet`,
        );
    }
    const under = links.slice(0, l).find((o) => cidrsOverlap(o.members[0].ip.subnet, first.ip.subnet));
    if (under !== undefined)
      add(
        first.path,
        `${first.ip.text} overlaps ${under.what} (${formatPath(under.members[0].path)}: ${under.members[0].ip.text}); each VLAN and overlay is a segment of its own`,
      );
  });
}

/** Each address in the lab is one device's: a check pings an address and must know who answers. */
function guestAddresses({ lab, add }: Context<NetworkLabConfig>) {
  const owners = new Map<number, string>();
  lab.nodes.forEach((node, n) =>
    node.nics.forEach((nic, k) => {
      if (nic.ip !== undefined) owners.set(ipv4Value(nic.ip), `node '${node.name}''s (${formatPath(["nodes", n, "nics", k, "ip"])})`);
    }),
  );
  lab.networks.forEach((net, i) => {
    if (net.hostAddress !== undefined) owners.set(ipv4Value(net.hostAddress), `the lab host's (${formatPath(["networks", i, "hostAddress"])})`);
  });
  const guest = [
    ...lab.guest.bridges.flatMap((b, i) => (b.ip === undefined ? [] : [{ node: b.node, ip: b.ip, path: ["guest", "bridges", i, "ip"] as Path }])),
    ...lab.guest.vlans.map((v, i) => ({ node: v.node, ip: v.ip, path: ["guest", "vlans", i, "ip"] as Path })),
    ...overlaysOf(lab).map((o) => ({ node: o.node, ip: o.ip, path: [...o.path, "ip"] })),
  ];
  for (const g of guest) {
    const owner = owners.get(g.ip.value);
    if (owner !== undefined) add(g.path, `${g.ip.address} is already ${owner}`);
    else owners.set(g.ip.value, `node '${g.node}''s (${formatPath(g.path)})`);
  }
}

/** The NIC that carries the lab's SSH to a node (its NAT NIC, the SSH forward's) is left alone: a
 * bridge that enslaves it takes its address and the node with it, and a VLAN on it has nobody to
 * talk to (each node's NAT is its own). Overlays over it are overlayUnderlays'. */
function sshNicUntouched({ lab, networks, add }: Context<NetworkLabConfig>) {
  const isNat = (network: string) => networks.get(network)?.kind === "nat";
  lab.guest.bridges.forEach((b, i) =>
    b.ports.forEach((port, k) => {
      if (isNat(port))
        add(
          ["guest", "bridges", i, "ports", k],
          `network '${port}' is node '${b.node}''s NAT NIC, which carries the lab's SSH to it: a bridge port loses its address to the bridge, and the lab its way to the node`,
        );
    }),
  );
  lab.guest.vlans.forEach((v, i) => {
    if (isNat(v.network))
      add(
        ["guest", "vlans", i, "network"],
        `network '${v.network}' is node '${v.node}''s NAT NIC, which carries the lab's SSH to it: no VLAN there (each node's NAT is its own, nobody would answer)`,
      );
  });
}

/** A NIC that is a guest bridge's port keeps no address: Linux answers on the bridge, not its ports. */
function bridgePortsUnnumbered({ lab, nodes, add }: Context<NetworkLabConfig>) {
  lab.guest.bridges.forEach((b, i) => {
    const n = lab.nodes.findIndex((node) => node.name === b.node);
    for (const port of b.ports) {
      const k = nodes.get(b.node)?.nics.findIndex((nic) => nic.network === port) ?? -1;
      if (k >= 0 && lab.nodes[n].nics[k].ip !== undefined)
        add(
          ["nodes", n, "nics", k, "ip"],
          `node '${b.node}''s NIC on network '${port}' is a port of bridge '${b.name}' (${formatPath(["guest", "bridges", i])}): its address would not answer there; give it to the bridge (its ip) instead`,
        );
    }
  });
}

/** The lab's devices as ports on segments (model/reach.ts): every NIC, the lab host's addresses, the
 * guest bridges, VLANs and overlays. Each NAT NIC is a segment of its own with its gateway; an
 * existing host bridge the lab only joins is open (others may answer there). */
export function networkTopology(lab: NetworkLabConfig): Topology {
  const segments = networkSegments(lab);
  const networks = new Map(lab.networks.map((n) => [n.name, n]));
  const ports: Port[] = [];
  const open = new Set<string>();
  const enslaved = new Set(lab.guest.bridges.flatMap((b) => b.ports.map((port) => `${b.node}/${port}`)));
  const at = (text: string, prefix: number) => parseInterfaceAddress(`${text}/${prefix}`)!;
  lab.networks.forEach((net, i) => {
    if (net.kind === "bridged" && !net.create) open.add(segments.of(net.name));
    if (net.hostAddress !== undefined && net.cidr !== undefined)
      ports.push({
        owner: LAB_HOST,
        device: `host:${net.name}`,
        segment: segments.of(net.name),
        address: at(net.hostAddress, net.cidr.prefix),
        carriers: [net.name],
        key: formatPath(["networks", i, "hostAddress"]),
      });
  });
  lab.nodes.forEach((node, n) =>
    node.nics.forEach((nic, k) => {
      const net = networks.get(nic.network);
      const device = `nic:${node.name}:${nic.network}`;
      const key = formatPath(["nodes", n, "nics", k]);
      if (net?.kind === "nat") {
        const segment = `nat:${node.name}`;
        ports.push({ owner: node.name, device, segment, address: at(NAT.guest, NAT.network.prefix), carriers: [nic.network], key });
        ports.push({ owner: `nat:${node.name}`, device: `${device}:gateway`, segment, address: at(NAT.gateway, NAT.network.prefix), carriers: [], key });
        return;
      }
      const address = nic.ip !== undefined && net?.cidr !== undefined && !enslaved.has(`${node.name}/${nic.network}`) ? at(nic.ip, net.cidr.prefix) : undefined;
      ports.push({ owner: node.name, device, segment: segments.of(nic.network), address, carriers: [nic.network], key });
    }),
  );
  lab.guest.bridges.forEach((b, i) => {
    if (b.ip !== undefined)
      ports.push({
        owner: b.node,
        device: `bridge:${b.node}:${b.name}`,
        segment: segments.of(b.ports[0]),
        address: b.ip,
        carriers: b.ports,
        key: formatPath(["guest", "bridges", i, "ip"]),
      });
  });
  for (const link of guestLinks(lab, segments)) {
    for (const end of link.members)
      ports.push({ owner: end.node, device: end.device, segment: link.segment, address: end.ip, carriers: [end.network], key: formatPath(end.path) });
  }
  return { ports, open };
}

const who = (owner: string) =>
  owner === LAB_HOST ? "the lab host" : owner.startsWith("nat:") ? `the NAT gateway of node '${owner.slice(4)}'` : `node '${owner}'`;
const holder = (p: Port) => `${who(p.owner)}, ${p.key}`;

/** Says at `at` why what a check expects of `source` and `to` is not what the topology gives;
 * `key` is the check's key to change (its `expect`, else what it names), `over` the devices it is limited to. */
function judge(add: Context["add"], at: Path, key: string, expect: "reach" | "isolated", result: Reach, source: string, to: string, over = "") {
  const lead = key === "expect" ? `${expect}, but ` : "";
  const tail = key === "expect" ? "" : ": the check would fail";
  switch (result.kind) {
    case "unknown":
      return;
    case "nobody":
      add(
        [...at, "to"],
        `nobody in the lab has ${to}: ${expect === "reach" ? "no answer could come" : "the check would pass whatever the lab does"}; name an address of a node or of the lab host`,
      );
      return;
    case "reach":
      if (expect === "isolated")
        add(
          [...at, key],
          `${lead}${result.to === undefined ? `${to} is ${who(source)}'s own address` : `${who(source)} reaches ${to} (${holder(result.to)}) through ${result.from.key}`}${tail}`,
        );
      return;
    case "isolated": {
      if (expect === "isolated") return;
      const { near, holders } = result;
      const why =
        near === undefined
          ? `${who(source)} shares no network, VLAN or overlay with ${to} (${holder(holders[0])})${over}`
          : near.from.address === undefined
            ? `${who(source)} has no address on the segment of ${to} (${holder(near.to)})${over}: ${near.from.key} is unnumbered or a bridge's port`
            : `${who(source)} shares a segment with ${to} (${holder(near.to)}) but no subnet: ${near.from.key} is on ${formatCidr(near.from.address.subnet)}, ${to} on ${formatCidr(near.to.address!.subnet)}`;
      add([...at, key], `${lead}${why}${tail}`);
    }
  }
}

/** A check the topology can satisfy: its source reaches its target over the lab's own networks
 * (the same segment and subnet, through the NICs, bridges, VLANs and overlays the lab makes), or
 * is isolated from it when it expects that, and somebody in the lab has the address it asks. */
function checksSatisfiable(context: Context<NetworkLabConfig>) {
  const { lab, nodes, networks, add } = context;
  const topology = networkTopology(lab);
  // A node named as a ping's target is its first static address, as the plan pings it.
  const address = (node: string) => nodes.get(node)?.nics.find((nic) => nic.ip !== undefined)?.ip;
  lab.checks.forEach((c, i) => {
    const at: Path = ["checks", i];
    switch (c.kind) {
      case "ping": {
        const to = nodes.has(c.to) ? address(c.to) : c.to;
        if (!nodes.has(c.from) || to === undefined || parseIpv4(to) === undefined) return; // checkReferences reports these
        judge(add, at, "expect", c.expect, reach(topology, c.from, ipv4Value(to)), c.from, to);
        return;
      }
      case "host-ping":
        judge(add, at, "expect", c.expect, reach(topology, LAB_HOST, ipv4Value(c.to)), LAB_HOST, c.to);
        return;
      case "l2": {
        if (nicOn(nodes.get(c.from), c.network) === undefined || networks.get(c.network) === undefined) return;
        const device = c.vlan === undefined ? `nic:${c.from}:${c.network}` : `vlan:${c.from}:${c.network}:${c.vlan}`;
        if (!topology.ports.some((p) => p.device === device)) return; // no such VLAN: checkReferences
        const over = c.vlan === undefined ? ` over its NIC on network '${c.network}'` : ` over its VLAN ${c.vlan} on network '${c.network}'`;
        judge(add, at, "expect", c.expect, reach(topology, c.from, ipv4Value(c.to), { l2: true, via: (p) => p.device === device }), c.from, c.to, over);
        return;
      }
      case "arp": {
        const peer = nicOn(nodes.get(c.peer), c.network)?.ip;
        if (peer === undefined || nicOn(nodes.get(c.node), c.network) === undefined) return;
        const via = (p: Port) => p.device === `nic:${c.node}:${c.network}`;
        judge(add, at, "network", "reach", reach(topology, c.node, ipv4Value(peer), { via }), c.node, peer, ` over its NIC on network '${c.network}'`);
        return;
      }
      case "capture":
        if (nicOn(nodes.get(c.node), c.network) === undefined) return;
        judge(
          add,
          at,
          "to",
          "reach",
          reach(topology, c.node, ipv4Value(c.to), { via: (p) => p.carriers.includes(c.network) }),
          c.node,
          c.to,
          ` over network '${c.network}', where the capture watches`,
        );
        return;
      case "vtep-fdb":
        vtepPeers(context, c, at);
        return;
      case "fdb":
        fdbPorts(context, c, at);
        return;
      case "nat-service":
        return;
    }
  });
}

/** A VTEP's forwarding database learns the other ends of its VXLAN, and nothing else. */
function vtepPeers({ lab, add }: Context<NetworkLabConfig>, c: Extract<LabCheck, { kind: "vtep-fdb" }>, at: Path) {
  const overlays = overlaysOf(lab);
  const links = overlayLinks(lab, overlays);
  const i = overlays.findIndex((o) => o.kind === "vxlan" && o.node === c.node && o.name === c.device);
  if (i < 0) return; // checkReferences reports it
  const ends = overlays.filter((m, k) => links[k] === links[i] && m.node !== c.node).flatMap((m) => underlayAddress(lab, m) ?? []);
  c.peers.forEach((peer, k) => {
    if (!ends.includes(peer))
      add(
        [...at, "peers", k],
        `${peer} is no other end of node '${c.node}''s VXLAN device '${c.device}' (its other ends: ${ends.join(", ") || "none"}): its forwarding database never learns it`,
      );
  });
}

/** A bridge learns a peer's MAC on the port behind which the peer's network lies. */
function fdbPorts({ lab, nodes, add }: Context<NetworkLabConfig>, c: Extract<LabCheck, { kind: "fdb" }>, at: Path) {
  const b = lab.guest.bridges.findIndex((bridge) => bridge.node === c.node && bridge.name === c.bridge);
  if (b < 0) return; // checkReferences reports it
  const bridge = lab.guest.bridges[b];
  const segments = networkSegments(lab, b);
  c.peers.forEach((p, k) => {
    if (nicOn(nodes.get(p.node), p.network) === undefined || !bridge.ports.includes(p.port)) return;
    if (segments.of(p.network) === segments.of(p.port)) return;
    const facing = bridge.ports.find((port) => segments.of(port) === segments.of(p.network));
    add(
      [...at, "peers", k, "port"],
      facing !== undefined
        ? `node '${p.node}' is on network '${p.network}', behind port '${facing}' of bridge '${c.bridge}', not '${p.port}': the bridge learns its MAC there`
        : `node '${p.node}''s network '${p.network}' is behind no port of bridge '${c.bridge}': the bridge never sees its frames`,
    );
  });
}

/** The posts' observations refer to nodes, networks and devices the lab really has. */
function checkReferences(context: Context<NetworkLabConfig>) {
  const { lab, nodes, add } = context;
  const address = (node: string, network?: string) =>
    nodes.get(node)?.nics.find((nic) => nic.ip !== undefined && (network === undefined || nic.network === network))?.ip;
  lab.checks.forEach((c, i) => {
    const at = ["checks", i];
    switch (c.kind) {
      case "ping":
        refersTo(context, at, c.from, undefined, "from");
        if (nodes.has(c.to) && address(c.to) === undefined) add([...at, "to"], `node '${c.to}' has no static address to ping`);
        else if (parseIpv4(c.to) === undefined && !nodes.has(c.to)) add([...at, "to"], `'${c.to}' is neither an IPv4 address nor a node`);
        break;
      case "arp":
        refersTo(context, at, c.node, c.network);
        if (refersTo(context, at, c.peer, c.network, "peer") && address(c.peer, c.network) === undefined)
          add([...at, "peer"], `node '${c.peer}' has no address on network '${c.network}' to resolve`);
        break;
      case "fdb": {
        if (!refersTo(context, at, c.node)) break;
        const bridge = lab.guest.bridges.find((b) => b.node === c.node && b.name === c.bridge);
        if (bridge === undefined) add([...at, "bridge"], `node '${c.node}' has no guest bridge '${c.bridge}'`);
        c.peers.forEach((p, k) => {
          refersTo(context, [...at, "peers", k], p.node, p.network);
          if (nicOn(nodes.get(c.node), p.port) === undefined) add([...at, "peers", k, "port"], `node '${c.node}' has no NIC on network '${p.port}'`);
          else if (bridge !== undefined && !bridge.ports.includes(p.port))
            add([...at, "peers", k, "port"], `network '${p.port}' is not a port of bridge '${c.bridge}'`);
        });
        break;
      }
      case "vtep-fdb":
        if (refersTo(context, at, c.node) && !lab.guest.vxlans.some((v) => v.node === c.node && v.name === c.device))
          add([...at, "device"], `node '${c.node}' has no VXLAN device '${c.device}'`);
        break;
      case "capture":
        refersTo(context, at, c.node, c.network);
        break;
      case "l2":
        refersTo(context, at, c.from, c.network, "from");
        if (c.vlan !== undefined && !lab.guest.vlans.some((v) => v.node === c.from && v.network === c.network && v.id === c.vlan)) {
          add([...at, "vlan"], `node '${c.from}' has no VLAN ${c.vlan} on network '${c.network}'`);
        }
        break;
      case "nat-service":
        refersTo(context, at, c.node);
        break;
      case "host-ping":
        break;
    }
  });
}

/** The NAT lab's web server: every nat-service check on one port asks the same one. */
function webServerPorts(lab: NetworkLabConfig): HostPort[] {
  const served = new Set<number>();
  return lab.checks.flatMap((c, i) => {
    if (c.kind !== "nat-service" || served.has(c.port)) return [];
    served.add(c.port);
    return [{ port: c.port, path: ["checks", i, "port"], user: "the NAT lab's web server's" }];
  });
}

export const networkRules: KindRules<NetworkLabConfig> = {
  // Labs 5-6: internal networks that bridges inside nodes join into one segment.
  joined: (lab, a, b) => {
    const segments = networkSegments(lab);
    return segments.of(a) === segments.of(b);
  },
  hostPorts: webServerPorts,
  rules: [
    guestReferences,
    guestDeviceNames,
    guestSubnets,
    sshNicUntouched,
    bridgePortsUnnumbered,
    overlayUnderlays,
    bothEndsAgree,
    linkSubnets,
    guestAddresses,
    checkReferences,
    checksSatisfiable,
  ],
};

export const networkModel = vmLabModel("network", networkShape, networkRules);
