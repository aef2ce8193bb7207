// What a lab's checks can observe: which devices share a layer-2 segment, and whether a check's
// source reaches an address over them. Pure and kind-blind: a lab kind describes its devices as
// ports on segments (stacks/network/model.ts does, with its guest bridges, VLANs and overlays) and
// this answers the question a check asks, so a check the topology cannot satisfy is refused before
// anything is created instead of failing after an hour of provisioning.
import { type Cidr, cidrContains } from "./ipv4.js";

/** Names joined into segments: networks a guest bridge joins are one segment (union-find). */
export class Segments {
  private readonly parent = new Map<string, string>();

  /** The segment `name` belongs to (its own name until joined). */
  of(name: string): string {
    let root = name;
    while (this.parent.has(root)) root = this.parent.get(root)!;
    // Path compression: the next look-up is one step.
    for (let x = name; x !== root; ) {
      const next = this.parent.get(x)!;
      this.parent.set(x, root);
      x = next;
    }
    return root;
  }

  join(a: string, b: string): void {
    const [ra, rb] = [this.of(a), this.of(b)];
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

/** The lab host, as the owner of a port (a node's name otherwise). */
export const LAB_HOST = "";

/** One device on a segment: a node's NIC, bridge, VLAN or overlay device, or the lab host's address. */
export interface Port {
  /** Who answers on it: a node's name, or LAB_HOST. */
  readonly owner: string;
  /** The device, for a check that names one (`nic:boxA:mynetwork`, `vlan:boxA:mynetwork:100`). */
  readonly device: string;
  /** The layer-2 segment it sits on. */
  readonly segment: string;
  /** Its address and the subnet it reaches directly, if it has one. */
  readonly address?: { readonly value: number; readonly subnet: Cidr };
  /** The lab networks its frames cross (an overlay's or a VLAN's underlay), for captures. */
  readonly carriers: readonly string[];
  /** The config key it comes from, for messages (`guest.vlans[1].ip`). */
  readonly key: string;
}

export interface Topology {
  readonly ports: readonly Port[];
  /** Segments where devices outside the lab may answer (an existing bridge the lab only joins). */
  readonly open: ReadonlySet<string>;
}

export type Reach =
  /** `from` reaches `to` (or itself, without `to`). */
  | { readonly kind: "reach"; readonly from: Port; readonly to?: Port }
  /** Somebody has the address, but not on a segment (and subnet) of the source. */
  | { readonly kind: "isolated"; readonly holders: readonly Port[]; readonly near?: { readonly from: Port; readonly to: Port } }
  /** Nobody in the lab has the address. */
  | { readonly kind: "nobody" }
  /** Devices outside the lab may answer: the lab cannot tell. */
  | { readonly kind: "unknown" };

export interface ReachOptions {
  /** Layer 2 only (ARP): subnets do not matter, a source needs no address. */
  readonly l2?: boolean;
  /** Only these of the source's ports (the NIC or VLAN a check names, the network a capture watches). */
  readonly via?: (port: Port) => boolean;
}

/** Whether `from` reaches `target` over the lab's own segments: directly, with no router between
 * (the labs route nothing), both ends' subnets holding the other's address (a reply needs a way
 * back). The lab's NAT is modelled by the kind as a segment of each node with its gateway. */
export function reach(topology: Topology, from: string, target: number, options: ReachOptions = {}): Reach {
  const { l2 = false, via } = options;
  const holders = topology.ports.filter((p) => p.address?.value === target);
  const sources = topology.ports.filter((p) => p.owner === from && (via === undefined || via(p)));
  if (via === undefined) {
    const own = holders.find((h) => h.owner === from);
    if (own !== undefined) return { kind: "reach", from: own };
  }
  const direct = (s: Port, h: Port) =>
    l2 || (s.address !== undefined && h.address !== undefined && cidrContains(s.address.subnet, target) && cidrContains(h.address.subnet, s.address.value));
  let near: { from: Port; to: Port } | undefined;
  for (const s of sources) {
    for (const h of holders) {
      if (h.segment !== s.segment) continue;
      if (direct(s, h)) return { kind: "reach", from: s, to: h };
      near ??= { from: s, to: h };
    }
  }
  const outside = sources.some((s) => topology.open.has(s.segment) && (l2 || (s.address !== undefined && cidrContains(s.address.subnet, target))));
  if (outside) return { kind: "unknown" };
  if (holders.length === 0) return { kind: "nobody" };
  return { kind: "isolated", holders, near };
}
