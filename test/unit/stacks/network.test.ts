// stacks/network/: the virtual networking labs: their config and rules (model.ts), what each node
// configures in its guest and the posts' observations as checks in waves (plan.ts), and the
// resource graph NetworkLab makes of them (under mocks).
import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseIpv4 } from "../../../model/ipv4.js";
import { LAB_HOST, reach } from "../../../model/reach.js";
import type { LabPlan } from "../../../plan/types.js";
import { buildLab, parseStack } from "../../../stacks/index.js";
import { guestLinks, type NetworkLabConfig, networkSegments, networkTopology, overlayLinks, overlayPeers, overlaysOf } from "../../../stacks/network/model.js";
import {
  checkWaves,
  guestNetworkStep,
  hostServices,
  natServiceToken,
  networkBaseStep,
  networkHostsEntries,
  type PlannedCheck,
  planChecks,
} from "../../../stacks/network/plan.js";
import { configIssues, labPlan, stackLab } from "../../helpers/labs.js";
import { installMocks, recorded, recordingOptions, registrations, reset, settle, unwrap } from "../../helpers/mocks.js";

const LABS = ["net-lab1", "net-lab2", "net-lab3", "net-lab4", "net-lab5", "net-lab6", "net-lab7", "net-lab8", "net-lab9", "net-lab10", "net-tunnels"];
const planOf = (stack: string, raw: Record<string, any> = stackLab(stack)) => labPlan(raw, stack) as LabPlan<NetworkLabConfig>;

function errorsOf(raw: unknown): string[] {
  return configIssues(() => parseStack(raw));
}

describe("networking lab model", () => {
  it.each(LABS)("%s is valid and has checks", (stack) => {
    const lab = parseStack(stackLab(stack)) as NetworkLabConfig;
    expect(lab.kind).toBe("network");
    expect(lab.checks.length).toBeGreaterThan(0);
  });

  it("parses guest devices' addresses once, with their defaults", () => {
    const lab = parseStack(stackLab("net-lab9")) as NetworkLabConfig;
    expect(lab.guest.vxlans[0]).toMatchObject({ name: "vxlan0", port: 4789, id: 100, remote: "192.168.50.5" });
    expect(lab.guest.vxlans[0].ip).toMatchObject({ address: "192.168.60.4", prefix: 24, text: "192.168.60.4/24" });
    expect(lab.guest.bridges).toEqual([]);
    expect((parseStack(stackLab("net-lab3")) as NetworkLabConfig).checks[0]).toEqual({ kind: "ping", from: "boxA", to: "boxB", expect: "reach" });
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
    ["capture on a node's missing NIC", (l) => (l.checks[4].network = "nat2"), "labstack:lab.checks[4].network: unknown network 'nat2'"],
  ];
  it.each(cases)("fails on %s", (_, mutate, expected) => {
    const raw = stackLab("net-lab8");
    mutate(raw);
    expect(errorsOf(raw)).toContain(expected);
  });

  it("requires exactly one of remote or group on a VXLAN, and a multicast group", () => {
    const raw = stackLab("net-lab10");
    raw.guest.vxlans[0].remote = "192.168.50.5";
    raw.guest.vxlans[1].group = "10.1.1.1";
    raw.guest.vxlans[2].ttl = 5;
    delete raw.guest.vxlans[2].group;
    raw.guest.vxlans[2].remote = "192.168.50.4";
    const errors = errorsOf(raw);
    expect(errors).toContain("labstack:lab.guest.vxlans[0]: give exactly one of remote (point-to-point) or group (multicast)");
    expect(errors).toContain("labstack:lab.guest.vxlans[1].group: 10.1.1.1 is not a multicast address (224.0.0.0/4)");
    expect(errors).toContain("labstack:lab.guest.vxlans[2].ttl: only applies to a multicast group");
  });

  it("names guest devices against the lab's hypervisor's NIC names", () => {
    const raw = stackLab("net-lab5");
    raw.guest.bridges[0].name = raw.checks[2].bridge = "enp0s8";
    // Both hypervisors' guests call boxB's second NIC enp0s8, as the posts do.
    const refused = ["labstack:lab.guest.bridges[0].name: 'enp0s8' is node 'boxB''s NIC on network 'networka'"];
    expect(errorsOf(raw)).toEqual(refused);
    raw.hypervisor = { kind: "qemu" };
    expect(errorsOf(raw)).toEqual(refused);
    raw.guest.bridges[0].name = raw.checks[2].bridge = "ens4";
    expect(parseStack(raw).kind).toBe("network");
  });

  it("gives the NAT lab's web server its port, checked against the SSH forwards, once however many checks ask it", () => {
    const raw = stackLab("net-lab1");
    raw.checks.push({ kind: "nat-service", node: "boxA", port: 8080 });
    expect(parseStack(raw).kind).toBe("network");
    raw.checks.push({ kind: "nat-service", node: "boxA", port: 2222 });
    expect(errorsOf(raw)).toEqual(["labstack:lab.checks[3].port: port 2222 is already forwarded to node 'boxA'"]);
  });
});

describe("networking lab topology", () => {
  const lab = (stack: string, edit: (raw: Record<string, any>) => void = () => {}) => {
    const raw = stackLab(stack);
    edit(raw);
    return parseStack(raw) as NetworkLabConfig;
  };

  it("pairs point-to-point overlays end to end, agreeing ends first", () => {
    const tunnels = lab("net-tunnels");
    expect(overlayPeers(tunnels, overlaysOf(tunnels))).toEqual([1, 0, 3, 2]);
    // A Geneve tunnel on another VNI between the same ends pairs with its own other end.
    const more = lab("net-tunnels", (raw) =>
      raw.guest.tunnels.push(
        { node: "boxB", name: "gnv1", kind: "geneve", network: "mynetwork", remote: "192.168.50.4", id: 201, ip: "192.168.81.5/24" },
        { node: "boxA", name: "gnv1", kind: "geneve", network: "mynetwork", remote: "192.168.50.5", id: 201, ip: "192.168.81.4/24" },
      ),
    );
    expect(overlayPeers(more, overlaysOf(more))).toEqual([1, 0, 3, 2, 5, 4]);
    // Multicast members have no one other end.
    const multicast = lab("net-lab10");
    expect(overlayPeers(multicast, overlaysOf(multicast))).toEqual([undefined, undefined, undefined]);
  });

  it("makes a link of each VLAN on a segment, each multicast group's VNI and each pair of ends", () => {
    const links = (l: NetworkLabConfig) => guestLinks(l).map((link) => [link.what, link.members.map((m) => m.ip.text)]);
    expect(links(lab("net-lab8"))).toEqual([
      ["VLAN 100 on network 'mynetwork'", ["192.168.60.4/24", "192.168.60.5/24"]],
      ["VLAN 200 on network 'mynetwork'", ["192.168.70.5/24", "192.168.70.6/24"]],
    ]);
    expect(links(lab("net-lab10"))).toEqual([["VXLAN 100 in 239.255.0.1", ["192.168.60.4/24", "192.168.60.5/24", "192.168.60.6/24"]]]);
    expect(links(lab("net-tunnels"))).toEqual([
      ["gretap tunnel 7", ["192.168.70.4/24", "192.168.70.5/24"]],
      ["geneve tunnel 200", ["192.168.80.4/24", "192.168.80.5/24"]],
    ]);
  });

  it("counts an end that disagrees as the link it was meant for", () => {
    // Parsing refuses such a lab (bothEndsAgree), so the end is changed after parsing.
    const l = { ...lab("net-lab10") };
    l.guest = { ...l.guest, vxlans: l.guest.vxlans.map((v, i) => (i === 2 ? { ...v, id: 101, port: 8472 } : v)) };
    const ids = overlayLinks(l, overlaysOf(l));
    expect(new Set(ids).size).toBe(1);
  });

  it("joins the networks guest bridges join into one segment, transitively", () => {
    const segments = networkSegments(lab("net-lab5"));
    expect(segments.of("networka")).toBe(segments.of("networkb"));
    expect(segments.of("nat")).not.toBe(segments.of("networka"));
    // Without the bridge, the networks are apart again.
    expect(networkSegments(lab("net-lab5"), 0).of("networka")).not.toBe(networkSegments(lab("net-lab5"), 0).of("networkb"));
  });

  it("describes every device of the lab as a port, each NAT its own segment with its gateway", () => {
    const topology = networkTopology(lab("net-lab2"));
    expect(topology.ports.map((p) => [p.owner, p.device, p.key])).toEqual([
      [LAB_HOST, "host:hostonly", "labstack:lab.networks[1].hostAddress"],
      ["boxA", "nic:boxA:nat", "labstack:lab.nodes[0].nics[0]"],
      ["nat:boxA", "nic:boxA:nat:gateway", "labstack:lab.nodes[0].nics[0]"],
      ["boxA", "nic:boxA:hostonly", "labstack:lab.nodes[0].nics[1]"],
    ]);
    expect(topology.open.size).toBe(0);
    // An existing host bridge the lab only joins is open: others may answer there.
    const bridged = lab("net-lab7", (raw) => {
      raw.networks[1].create = false;
      delete raw.networks[1].hostAddress;
      raw.checks = [];
    });
    expect([...networkTopology(bridged).open]).toEqual(["mybridge"]);
  });

  it("answers each template's checks as the posts observe them", () => {
    const l8 = networkTopology(lab("net-lab8"));
    expect(reach(l8, "boxA", parseIpv4("192.168.60.5")!)).toMatchObject({ kind: "reach", from: { device: "vlan:boxA:mynetwork:100" } });
    expect(reach(l8, "boxA", parseIpv4("192.168.70.6")!)).toMatchObject({ kind: "isolated" });
    const l5 = networkTopology(lab("net-lab5"));
    expect(reach(l5, "boxA", parseIpv4("192.168.60.4")!)).toMatchObject({ kind: "reach", to: { owner: "boxC" } });
    const l4 = networkTopology(lab("net-lab4"));
    expect(reach(l4, LAB_HOST, parseIpv4("192.168.50.4")!)).toMatchObject({ kind: "isolated" });
  });
});

describe("networking lab plan", () => {
  it("renders guest devices with the hypervisor's NIC names", () => {
    const raw = stackLab("net-lab8");
    expect(guestNetworkStep(planOf("net-lab8", raw), "boxB")!.env.VLANS).toBe(
      "parent=enp0s8 id=100 ip=192.168.60.5/24\nparent=enp0s8 id=200 ip=192.168.70.5/24",
    );
    raw.hypervisor = { kind: "qemu" };
    expect(guestNetworkStep(planOf("net-lab8", raw), "boxB")!.env.VLANS).toBe(
      "parent=enp0s8 id=100 ip=192.168.60.5/24\nparent=enp0s8 id=200 ip=192.168.70.5/24",
    );
    expect(guestNetworkStep(planOf("net-lab10"), "boxC")!.env.VXLANS).toBe(
      "name=vxlan0 vni=100 dev=enp0s8 group=239.255.0.1 ttl=5 port=4789 ip=192.168.60.6/24",
    );
    expect(guestNetworkStep(planOf("net-lab9"), "boxA")!.env.VXLANS).toBe("name=vxlan0 vni=100 dev=enp0s8 remote=192.168.50.5 port=4789 ip=192.168.60.4/24");
    expect(guestNetworkStep(planOf("net-lab5"), "boxB")!.env).toEqual({ BRIDGES: "name=myBridge ports=enp0s8,enp0s9", VLANS: "", VXLANS: "", TUNNELS: "" });
    expect(guestNetworkStep(planOf("net-lab6"), "boxB")!.env.BRIDGES).toBe("name=myBridge ip=192.168.70.5/16 ports=enp0s8,enp0s9");
    expect(guestNetworkStep(planOf("net-tunnels"), "boxA")!.env.TUNNELS).toBe(
      "name=labgre kind=gretap dev=enp0s8 remote=192.168.50.5 id=7 ip=192.168.70.4/24\nname=gnv0 kind=geneve dev=enp0s8 remote=192.168.50.5 id=200 ip=192.168.80.4/24",
    );
    expect(guestNetworkStep(planOf("net-lab5"), "boxA")).toBeUndefined();
    expect(guestNetworkStep(planOf("net-lab5"), "boxB")!.script.path).toBe("network/guest-network.sh");
  });

  it("turns the posts' observations into ordered checks with the peers' real MACs and ports", () => {
    const lab5 = planOf("net-lab5");
    const checks = planChecks(lab5);
    expect(checks.map((c) => [c.name, c.on, c.role])).toEqual([
      ["1-ping-boxa", { node: "boxA" }, "probe"],
      ["2-ping-boxc", { node: "boxC" }, "probe"],
      ["3-fdb-boxb", { node: "boxB" }, "reader"],
    ]);
    // A ping to a node goes to its address.
    expect(checks[0].step.env).toEqual({ TARGET: "192.168.60.4", EXPECT: "reach" });
    const fdb = checks[2].step.env.ENTRIES.split("\n").map((l) => l.split(" ").map((f) => f.split("=")[1]));
    expect(fdb).toEqual([
      ["boxA", lab5.node("boxA").nics[1].mac, "enp0s8"],
      ["boxC", lab5.node("boxC").nics[1].mac, "enp0s9"],
    ]);
    expect(fdb[0][1]).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    const lab8 = planChecks(planOf("net-lab8"));
    expect(lab8[2].step.env).toEqual({ TARGET: "192.168.70.6", DEVICE: "enp0s8.100", EXPECT: "isolated" });
    expect(lab8[4].step.env).toEqual({ DEVICE: "enp0s8", FILTER: "vlan 100", PATTERN: "vlan 100, p 0", TARGET: "192.168.60.4" });
    expect(lab8[4].role).toBe("watcher");
    const lab3 = planOf("net-lab3");
    expect(planChecks(lab3)[2].step.env).toEqual({ PEER: "boxB", PEER_IP: "192.168.50.5", PEER_MAC: lab3.node("boxB").nics[1].mac, DEVICE: "enp0s8" });
    expect(planChecks(planOf("net-lab10"))[3].step.env).toEqual({ DEVICE: "vxlan0", PEERS: "192.168.50.5 192.168.50.6" });
  });

  it("runs the NAT lab's check against a web server of its own on the lab host", () => {
    const lab1 = planOf("net-lab1");
    const [natService, hostPing] = planChecks(lab1);
    expect(natService.step.env).toEqual({ PORT: "8080", TOKEN: "labstack NAT lab net-lab1", GATEWAY: "10.0.2.2" });
    expect(hostPing).toMatchObject({ name: "2-host-ping-host", on: "host", role: "probe", step: { env: { TARGET: "10.0.2.15", EXPECT: "isolated" } } });
    expect(hostServices(lab1)).toEqual([
      {
        name: "web-8080",
        step: {
          script: expect.objectContaining({ path: "network/web-server.sh" }),
          env: { PORT: "8080", TOKEN: natServiceToken("net-lab1"), RUN_DIR: "~/.local/share/labstack/net-lab1/web-8080" },
        },
      },
    ]);
    expect(hostServices(planOf("net-lab5"))).toEqual([]);
  });

  it("sets every node up with the boxes' names and its own, its unnumbered NICs, and no packages", () => {
    const lab5 = planOf("net-lab5");
    // boxB, the bridge, has no address of its own: its own name is the loopback alias, on boxB only.
    expect(networkHostsEntries(lab5, "boxB")).toBe("192.168.50.4 boxA\n127.0.1.1 boxB\n192.168.60.4 boxC");
    expect(networkHostsEntries(lab5, "boxA")).toBe("192.168.50.4 boxA\n192.168.60.4 boxC");
    expect(networkBaseStep(lab5, "boxC").env.HOSTS).toBe("192.168.50.4 boxA\n192.168.60.4 boxC");
    expect(networkBaseStep(lab5, "boxB").env).toEqual({
      HOSTS: "192.168.50.4 boxA\n127.0.1.1 boxB\n192.168.60.4 boxC",
      APT_PROXY_URL: "",
      CLOUD_ARCHIVE: "",
      UNNUMBERED_DEVICES: "enp0s8 enp0s9",
      NIC_NAMES: lab5
        .node("boxB")
        .nics.map((n, i) => `mac=${n.mac} name=enp0s${[3, 8, 9][i]}`)
        .join("\n"),
      PACKAGES: "",
    });
  });

  it.each(LABS)("%s: every node finds its own name in the /etc/hosts lines it is given, the alias only without an address", (stack) => {
    const plan = planOf(stack);
    for (const node of plan.nodes) {
      const lines = networkBaseStep(plan, node.name)
        .env.HOSTS.split("\n")
        .map((l) => l.split(" "));
      const own = lines.filter(([, name]) => name === node.name);
      expect(own, node.name).toEqual([[node.address ?? "127.0.1.1", node.name]]);
      // Another box's name never on loopback: only the box itself answers to the alias.
      expect(lines.filter(([ip, name]) => ip === "127.0.1.1" && name !== node.name).length, node.name).toBe(0);
    }
  });

  it("runs checks side by side only where they cannot disturb each other", () => {
    const waves = (stack: string) => checkWaves(planChecks(planOf(stack))).map((w) => w.map((c) => c.name));
    // The pings from different boxes together; the bridge's table read after both.
    expect(waves("net-lab5")).toEqual([["1-ping-boxa", "2-ping-boxc"], ["3-fdb-boxb"]]);
    // One check per box at a time; each capture alone, as any other check's pings could be what it sees.
    expect(waves("net-lab8")).toEqual([["1-ping-boxa", "2-ping-boxc"], ["3-l2-boxa", "4-l2-boxc"], ["5-capture-boxb"], ["6-capture-boxb"]]);
    // A table read and the pings after it never share a wave: it judges what the pings before it taught the bridge.
    expect(waves("net-lab6")).toEqual([["1-ping-boxa", "2-ping-boxc"], ["3-fdb-boxb"], ["4-ping-boxa", "5-ping-boxc"]]);
    expect(waves("net-lab1")).toEqual([["1-nat-service-boxa", "2-host-ping-host"]]);
    // Readers of different tables run together.
    expect(waves("net-lab10")).toEqual([["1-ping-boxa"], ["2-ping-boxa", "3-ping-boxb"], ["4-vtep-fdb-boxa", "5-vtep-fdb-boxb", "6-vtep-fdb-boxc"]]);
  });

  it("keeps a wave to one check a machine, and never joins a watcher", () => {
    const check = (name: string, on: PlannedCheck["on"], role: PlannedCheck["role"]): PlannedCheck => ({ name, on, role, step: undefined as never });
    const names = (checks: PlannedCheck[]) => checkWaves(checks).map((w) => w.map((c) => c.name));
    expect(names([check("a", "host", "probe"), check("b", "host", "probe"), check("c", { node: "x" }, "probe")])).toEqual([["a"], ["b", "c"]]);
    expect(names([check("a", { node: "x" }, "watcher"), check("b", { node: "y" }, "watcher")])).toEqual([["a"], ["b"]]);
    expect(names([])).toEqual([]);
  });
});

describe("networking lab graph", () => {
  beforeAll(() => installMocks("net-lab1"));
  beforeEach(reset);

  const build = async (stack: string) => {
    buildLab(parseStack(stackLab(stack)), { stack }, recordingOptions);
    await settle();
  };
  const depsOf = (name: string) =>
    (registrations.find((r) => r.name === name && r.opts.dependsOn !== undefined)!.opts.dependsOn as pulumi.Resource[]).map(
      (d) => registrations.find((r) => r.resource === d)!.name,
    );

  it("runs the checks in waves after every node's devices and the host's web server", async () => {
    await build("net-lab1");
    const deps = depsOf("net-lab1-check-1-nat-service-boxa");
    expect(deps).toContain("net-lab1-web-8080");
    expect(deps).toContain("net-lab1-boxA-base");
    // The host's ping and the box's fetch cannot disturb each other: one wave.
    expect(depsOf("net-lab1-check-2-host-ping-host")).toEqual(deps);
    // The web server's parameters travel in its bundle.
    const web = unwrap(recorded.find((r) => r.name === "net-lab1-web-8080-run")!.inputs);
    expect(web.create).toBe("bash -s up");
    expect(web.stdin).toContain("    PORT='8080' \\\n");
    expect(web.stdin).toContain("    TOKEN='labstack NAT lab net-lab1' \\\n");
    expect(web.stdin).toContain('bash "$dir/network/web-server.sh" "$@"');
    expect(recorded.some((r) => r.name.includes("apt-cache"))).toBe(false);
  });

  it("creates guest devices only on the nodes that have them, and waits for them before the checks", async () => {
    await build("net-lab5");
    expect(registrations.filter((r) => r.name.endsWith("-guest-network") && r.type === "labstack:lab:NodeStep").map((r) => r.name)).toEqual([
      "net-lab5-boxB-guest-network",
    ]);
    expect(depsOf("net-lab5-check-1-ping-boxa")).toContain("net-lab5-boxB-guest-network");
    // The bridge's table is read after both pings.
    expect(depsOf("net-lab5-check-3-fdb-boxb")).toEqual(["net-lab5-check-1-ping-boxa", "net-lab5-check-2-ping-boxc"]);
  });
});
