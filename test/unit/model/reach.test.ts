// model/reach.ts: segments joined by bridges, and whether a check's source reaches an address over
// the lab's own segments (same segment and subnet both ways, layer 2 ignoring subnets, devices a
// check names, segments others may answer on).
import { describe, expect, it } from "vitest";
import { parseInterfaceAddress, parseIpv4 } from "../../../model/ipv4.js";
import { LAB_HOST, type Port, reach, Segments, type Topology } from "../../../model/reach.js";

const ip = (text: string) => parseIpv4(text)!;
const port = (owner: string, segment: string, address?: string, device = `${owner}:${segment}`): Port => ({
  owner,
  device,
  segment,
  address: address === undefined ? undefined : parseInterfaceAddress(address)!,
  carriers: [segment],
  key: `${owner}.${segment}`,
});

describe("Segments", () => {
  it("joins names into one segment, transitively, and leaves the others alone", () => {
    const s = new Segments();
    expect(s.of("a")).toBe("a");
    s.join("a", "b");
    s.join("c", "b");
    expect(new Set([s.of("a"), s.of("b"), s.of("c")]).size).toBe(1);
    expect(s.of("d")).toBe("d");
    s.join("a", "a");
    expect(s.of("a")).toBe(s.of("c"));
  });
});

describe("reach", () => {
  const topology: Topology = {
    ports: [
      port("boxA", "lan", "192.168.50.4/24"),
      port("boxB", "lan", "192.168.50.5/24"),
      port("boxC", "lan", "192.168.60.6/24"),
      port("boxD", "lan"),
      port("boxA", "vlan100", "192.168.61.4/24", "vlan:boxA:100"),
      port("boxB", "vlan200", "192.168.62.5/24"),
      port(LAB_HOST, "lan", "192.168.50.1/24"),
      port("boxA", "outside", "10.9.0.4/24"),
    ],
    open: new Set(["outside"]),
  };

  it("reaches a device on the same segment and subnet, and itself", () => {
    expect(reach(topology, "boxA", ip("192.168.50.5"))).toMatchObject({ kind: "reach", from: { key: "boxA.lan" }, to: { key: "boxB.lan" } });
    expect(reach(topology, LAB_HOST, ip("192.168.50.4"))).toMatchObject({ kind: "reach", to: { owner: "boxA" } });
    expect(reach(topology, "boxA", ip("192.168.61.4"))).toEqual({ kind: "reach", from: topology.ports[4] });
  });

  it("is isolated across segments, and across subnets on one segment except at layer 2", () => {
    expect(reach(topology, "boxA", ip("192.168.62.5"))).toMatchObject({ kind: "isolated", near: undefined, holders: [{ owner: "boxB" }] });
    expect(reach(topology, "boxA", ip("192.168.60.6"))).toMatchObject({ kind: "isolated", near: { from: { key: "boxA.lan" }, to: { key: "boxC.lan" } } });
    expect(reach(topology, "boxA", ip("192.168.60.6"), { l2: true })).toMatchObject({ kind: "reach" });
    // An unnumbered port reaches nothing at layer 3, and anything on its segment at layer 2.
    expect(reach(topology, "boxD", ip("192.168.50.4"))).toMatchObject({ kind: "isolated" });
    expect(reach(topology, "boxD", ip("192.168.50.4"), { l2: true })).toMatchObject({ kind: "reach" });
  });

  it("uses only the devices a check names", () => {
    const vlan = (p: Port) => p.device === "vlan:boxA:100";
    expect(reach(topology, "boxA", ip("192.168.50.5"), { via: vlan })).toMatchObject({ kind: "isolated" });
    // Its own address over a named device is no answer from the wire.
    expect(reach(topology, "boxA", ip("192.168.50.4"), { via: vlan })).toMatchObject({ kind: "isolated" });
  });

  it("knows when nobody has the address, and when others than the lab may", () => {
    expect(reach(topology, "boxA", ip("8.8.8.8"))).toEqual({ kind: "nobody" });
    expect(reach(topology, "boxA", ip("10.9.0.77"))).toEqual({ kind: "unknown" });
    expect(reach(topology, "boxB", ip("10.9.0.77"))).toEqual({ kind: "nobody" });
  });
});
