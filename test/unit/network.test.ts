// The networking labs' model rules, plan and resource graph (under mocks).
import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LabConfigError, parseNetworkLab } from "../../model/parse.js";
import { checkWaves, guestNetworkStep, planChecks } from "../../plan/network.js";
import { buildLab } from "../../stacks/index.js";
import { stackLab } from "../helpers/labs.js";
import { installMocks, recorded, recordingOptions, registrations, reset, settle, unwrap } from "../helpers/mocks.js";

const LABS = ["net-lab1", "net-lab2", "net-lab3", "net-lab4", "net-lab5", "net-lab6", "net-lab7", "net-lab8", "net-lab9", "net-lab10", "net-tunnels"];

function errorsOf(raw: unknown): string[] {
  try {
    parseNetworkLab(raw);
  } catch (e) {
    return [...(e as LabConfigError).issues];
  }
  throw new Error("accepted");
}

describe("networking lab model", () => {
  it.each(LABS)("%s is valid and has checks", (stack) => {
    const lab = parseNetworkLab(stackLab(stack));
    expect(lab.kind).toBe("network");
    expect(lab.checks.length).toBeGreaterThan(0);
  });

  const cases: [string, (l: any) => void, string][] = [
    ["VLAN on a network the node is not on", (l) => (l.guest.vlans[0].network = "nat2"), "labstack:lab.guest.vlans[0].network: unknown network 'nat2'"],
    ["VLAN for an unknown node", (l) => (l.guest.vlans[0].node = "boxD"), "labstack:lab.guest.vlans[0].node: unknown node 'boxD' (known: boxA, boxB, boxC)"],
    ["VLAN id out of range", (l) => (l.guest.vlans[0].id = 4095), "labstack:lab.guest.vlans[0].id: Too big: expected number to be <=4094"],
    ["l2 check on a VLAN the node lacks", (l) => (l.checks[2].vlan = 300), "labstack:lab.checks[2].vlan: node 'boxA' has no VLAN 300 on network 'mynetwork'"],
    ["ping to an unknown name", (l) => (l.checks[0].to = "boxZ"), "labstack:lab.checks[0].to: 'boxZ' is neither an IPv4 address nor a node"],
    [
      "APT cache without a management network",
      (l) => (l.aptCache.enabled = true),
      "labstack:lab.aptCache.enabled: the APT cache is served on the management network; set managementNetwork or aptCache.enabled: false",
    ],
    [
      "unknown check kind",
      (l) => (l.checks[0].kind = "traceroute"),
      "labstack:lab.checks[0].kind: Invalid discriminator value. Expected 'ping' | 'l2' | 'host-ping' | 'arp' | 'fdb' | 'vtep-fdb' | 'capture' | 'nat-service'",
    ],
  ];
  it.each(cases)("fails on %s", (_, mutate, expected) => {
    const raw = stackLab("net-lab8");
    mutate(raw);
    expect(errorsOf(raw).join("\n")).toContain(expected);
  });

  it("requires exactly one of remote or group on a VXLAN, and a multicast group", () => {
    const raw = stackLab("net-lab10");
    raw.guest.vxlans[0].remote = "192.168.50.5";
    raw.guest.vxlans[1].group = "10.1.1.1";
    const errors = errorsOf(raw);
    expect(errors).toContain("labstack:lab.guest.vxlans[0]: give exactly one of remote (point-to-point) or group (multicast)");
    expect(errors).toContain("labstack:lab.guest.vxlans[1].group: 10.1.1.1 is not a multicast address (224.0.0.0/4)");
  });
});

describe("networking lab plan", () => {
  it("renders guest devices with the hypervisor's NIC names", () => {
    const raw = stackLab("net-lab8");
    const vbox = parseNetworkLab(raw);
    expect(guestNetworkStep(vbox, "boxB")!.env.VLANS).toBe("parent=enp0s8 id=100 ip=192.168.60.5/24\nparent=enp0s8 id=200 ip=192.168.70.5/24");
    raw.hypervisor = { kind: "qemu" };
    expect(guestNetworkStep(parseNetworkLab(raw), "boxB")!.env.VLANS).toBe("parent=ens4 id=100 ip=192.168.60.5/24\nparent=ens4 id=200 ip=192.168.70.5/24");
    expect(guestNetworkStep(parseNetworkLab(stackLab("net-lab10")), "boxC")!.env.VXLANS).toBe(
      "name=vxlan0 vni=100 dev=enp0s8 group=239.255.0.1 ttl=5 port=4789 ip=192.168.60.6/24",
    );
    expect(guestNetworkStep(parseNetworkLab(stackLab("net-lab5")), "boxB")!.env.BRIDGES).toBe("name=myBridge ports=enp0s8,enp0s9");
    expect(guestNetworkStep(parseNetworkLab(stackLab("net-lab5")), "boxA")).toBeUndefined();
  });

  it("turns the posts' observations into ordered checks with the peers' real MACs and ports", () => {
    const checks = planChecks(parseNetworkLab(stackLab("net-lab5")), "net-lab5");
    expect(checks.map((c) => c.name)).toEqual(["1-ping-boxa", "2-ping-boxc", "3-fdb-boxb"]);
    const fdb = checks[2].step.env.ENTRIES.split("\n").map((l) => l.split(" ").map((f) => f.split("=")[1]));
    expect(fdb.map(([peer, , port]) => [peer, port])).toEqual([
      ["boxA", "enp0s8"],
      ["boxC", "enp0s9"],
    ]);
    expect(fdb[0][1]).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    const lab8 = planChecks(parseNetworkLab(stackLab("net-lab8")), "net-lab8");
    expect(lab8[2].step.env).toEqual({ TARGET: "192.168.70.6", DEVICE: "enp0s8.100", EXPECT: "isolated" });
  });

  it("runs checks side by side only where they cannot disturb each other", () => {
    const waves = (stack: string) => checkWaves(planChecks(parseNetworkLab(stackLab(stack)), stack)).map((w) => w.map((c) => c.name));
    // The pings from different boxes together; the bridge's table read after both.
    expect(waves("net-lab5")).toEqual([["1-ping-boxa", "2-ping-boxc"], ["3-fdb-boxb"]]);
    // One check per box at a time; each capture alone, as any other check's pings could be what it sees.
    expect(waves("net-lab8")).toEqual([["1-ping-boxa", "2-ping-boxc"], ["3-l2-boxa", "4-l2-boxc"], ["5-capture-boxb"], ["6-capture-boxb"]]);
    // A table read and the pings after it never share a wave: it judges what the pings before it taught the bridge.
    expect(waves("net-lab6")).toEqual([["1-ping-boxa", "2-ping-boxc"], ["3-fdb-boxb"], ["4-ping-boxa", "5-ping-boxc"]]);
    expect(waves("net-lab1")).toEqual([["1-nat-service-boxa", "2-host-ping-host"]]);
  });
});

describe("networking lab graph", () => {
  beforeAll(() => installMocks("net-lab1"));
  beforeEach(reset);

  it("runs the checks in waves after every node's devices and the host's web server", async () => {
    buildLab(parseNetworkLab(stackLab("net-lab1")), "net-lab1", {}, recordingOptions);
    await settle();
    const depsOf = (name: string) =>
      (registrations.find((r) => r.name === name && r.opts.dependsOn !== undefined)!.opts.dependsOn as pulumi.Resource[]).map(
        (d) => registrations.find((r) => r.resource === d)!.name,
      );
    const deps = depsOf("net-lab1-check-1-nat-service-boxa");
    expect(deps).toContain("net-lab1-web-8080");
    expect(deps).toContain("net-lab1-boxA-base");
    // The host's ping and the box's fetch cannot disturb each other: one wave.
    expect(depsOf("net-lab1-check-2-host-ping-host")).toEqual(deps);
    const web = recorded.find((r) => r.name === "net-lab1-web-8080-run")!;
    expect(unwrap(web.inputs.environment)).toMatchObject({ PORT: "8080", TOKEN: "labstack NAT lab net-lab1" });
    expect(recorded.some((r) => r.name.includes("apt-cache"))).toBe(false);
  });

  it("creates guest devices only on the nodes that have them", async () => {
    buildLab(parseNetworkLab(stackLab("net-lab5")), "net-lab5", {}, recordingOptions);
    await settle();
    expect(registrations.filter((r) => r.name.endsWith("-guest-network") && r.type === "labstack:lab:NodeStep").map((r) => r.name)).toEqual([
      "net-lab5-boxB-guest-network",
    ]);
  });
});
