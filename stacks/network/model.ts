// The virtual networking labs (the series' networking posts, labs 1-10, and the tunnels), their
// config: the devices the lab builds inside its nodes (bridges, VLANs, VXLANs, tunnels) and the
// posts' observations as checks, with the rules that keep both to the nodes and networks the lab
// really has and the devices' names and subnets from colliding.
import { z } from "zod";
import { cidrContains, cidrsOverlap, type InterfaceAddress, parseIpv4 } from "../../model/ipv4.js";
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
    for (const port of b.ports) {
      const cidr = networks.get(port)?.cidr;
      if (cidr !== undefined && !cidrContains(cidr, b.ip.value))
        add(["guest", "bridges", i, "ip"], `${b.ip.text} is outside network '${port}' (${cidr.text}) that the bridge joins`);
    }
  });
}

/** An overlay (VXLAN, GRE, Geneve) needs an underlay on which its ends reach each other. */
function overlayUnderlays(context: Context<NetworkLabConfig>) {
  const { lab, networks, nodes, add } = context;
  const overlays = [
    ...lab.guest.vxlans.map((v, i) => ({ ...v, what: `VXLAN ${v.id}`, kind: "vxlan", path: ["guest", "vxlans", i] as Path })),
    ...lab.guest.tunnels.map((t, i) => ({
      ...t,
      group: undefined,
      what: `${t.kind} tunnel${t.id === undefined ? "" : ` ${t.id}`}`,
      path: ["guest", "tunnels", i] as Path,
    })),
  ];
  for (const o of overlays) {
    const net = networks.get(o.network);
    const local = nicOn(nodes.get(o.node), o.network);
    if (net === undefined || local === undefined) continue; // guestReferences reports these
    if (net.kind === "nat") {
      add([...o.path, "network"], `network '${net.name}' is nat: each node has a NAT of its own there, so the ${o.what}'s ends cannot reach each other`);
      continue;
    }
    if (local.ip === undefined)
      add([...o.path, "network"], `node '${o.node}' has no address on network '${net.name}': an unnumbered NIC cannot source the ${o.what}`);
    if (o.group !== undefined) {
      const members = overlays.filter((m) => m.kind === o.kind && m.group === o.group && m.id === o.id && m.network === o.network && m.node !== o.node);
      if (members.length === 0)
        add([...o.path, "group"], `no other node joins ${o.group} with VXLAN ${o.id} on network '${net.name}': the overlay would have no peer`);
    }
    if (o.remote === undefined) continue;
    const peer = lab.nodes.find((n) => nicOn(n, net.name)?.ip === o.remote);
    if (peer === undefined) add([...o.path, "remote"], `${o.remote} is no node's address on network '${net.name}', the ${o.what}'s underlay`);
    else if (peer.name === o.node) add([...o.path, "remote"], `${o.remote} is node '${o.node}''s own address; remote is the other end`);
    else if (
      local.ip !== undefined &&
      !overlays.some((m) => m.node === peer.name && m.kind === o.kind && m.id === o.id && m.network === o.network && m.remote === local.ip)
    ) {
      add([...o.path, "remote"], `node '${peer.name}' has no ${o.what} back to ${local.ip} on network '${net.name}'; both ends must name each other`);
    }
  }
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
  // Labs 5-6: internal networks that a bridge inside a node joins into one segment.
  joined: (lab, a, b) => lab.guest.bridges.some((bridge) => bridge.ports.includes(a) && bridge.ports.includes(b)),
  hostPorts: webServerPorts,
  rules: [guestReferences, guestDeviceNames, guestSubnets, overlayUnderlays, checkReferences],
};

export const networkModel = vmLabModel("network", networkShape, networkRules);
