// Issue 27: the config's rules hold as principles across every key, not for named cases. The bad
// configs that need facts from outside the config are here (the rest are BAD_CONFIGS, run by
// test/unit/stacks/index.test.ts); so are the good configs each principle must leave alone.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { LabConfigError } from "../../../model/parse.js";
import type { HostFacts } from "../../../model/rules.js";
import { parseStack } from "../../../stacks/index.js";
import { BAD_CONFIGS_GIVEN_FACTS } from "../../helpers/badConfigs.js";
import { configIssues, ROOT, stackLab } from "../../helpers/labs.js";

const STACKS = readdirSync(ROOT).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);

function issuesOf(raw: unknown, facts: HostFacts = {}): string[] {
  return configIssues(() => parseStack(raw, facts));
}

const changed = (stack: string, edit: (lab: Record<string, any>) => void) => {
  const lab = stackLab(stack);
  edit(lab);
  return lab;
};

describe("bad configs given facts", () => {
  it.each(BAD_CONFIGS_GIVEN_FACTS)("fail on %s, naming the key", (_, make, facts, expected) => {
    expect(issuesOf(make(), facts as HostFacts)).toContain(expected);
    // The same config without the facts is no refusal of that key: the rule needs them.
    const unknown = (() => {
      try {
        parseStack(make(), {});
        return [];
      } catch (e) {
        return [...(e as LabConfigError).issues];
      }
    })();
    expect(unknown).not.toContain(expected);
  });
});

describe("good configs", () => {
  it("every stack template parses, on a machine that holds it and a droplet the API describes", () => {
    const facts: HostFacts = { memoryMiB: 24 * 1024, cores: 2, dropletSize: { vcpus: 8, memoryMiB: 16 * 1024 }, imageVirtualSizeGiB: 3 };
    for (const stack of STACKS) expect(() => parseStack(stackLab(stack), facts), stack).not.toThrow();
  });

  const GOOD: [name: string, make: () => unknown, facts?: HostFacts][] = [
    // Capacity.
    [
      "a droplet size the API describes though its slug does not",
      () => changed("openstack-do", (l) => (l.host.size = "c-8")),
      { dropletSize: { vcpus: 8, memoryMiB: 16384 } },
    ],
    ["a droplet size slug with an underscore", () => changed("openstack-do", (l) => (l.host.size = "so1_5-2vcpu-16gb"))],
    ["nodes exactly as large as the built image", () => changed("dev", (l) => (l.image.build.sizeGiB = 8))],
    ["vCPUs exactly the host's cores", () => stackLab("dev"), { cores: 2 }],
    // Pairs.
    [
      "two VNIs in one multicast group",
      () =>
        changed("net-lab10", (l) => {
          l.guest.vxlans.push(
            { node: "boxA", name: "vxlan1", id: 200, network: "mynetwork", group: "239.255.0.1", ip: "192.168.61.4/24" },
            { node: "boxB", name: "vxlan1", id: 200, network: "mynetwork", group: "239.255.0.1", ip: "192.168.61.5/24" },
          );
          l.checks.push({ kind: "ping", from: "boxA", to: "192.168.61.5" });
        }),
    ],
    [
      "two Geneve tunnels between the same ends on different VNIs",
      () =>
        changed("net-tunnels", (l) => {
          l.guest.tunnels.push(
            { node: "boxA", name: "gnv1", kind: "geneve", network: "mynetwork", remote: "192.168.50.5", id: 201, ip: "192.168.81.4/24" },
            { node: "boxB", name: "gnv1", kind: "geneve", network: "mynetwork", remote: "192.168.50.4", id: 201, ip: "192.168.81.5/24" },
          );
          l.checks.push({ kind: "ping", from: "boxB", to: "192.168.81.4" });
        }),
    ],
    ["VXLAN ends agreeing on another UDP port", () => changed("net-lab9", (l) => (l.guest.vxlans[0].port = l.guest.vxlans[1].port = 8472))],
    // Checks.
    [
      "a node's ping to the NAT's gateway and to itself",
      () => changed("net-lab2", (l) => l.checks.push({ kind: "ping", from: "boxA", to: "10.0.2.2" }, { kind: "ping", from: "boxA", to: "boxA" })),
    ],
    ["the host's ping to its own address on a host-only network", () => changed("net-lab2", (l) => l.checks.push({ kind: "host-ping", to: "192.168.50.1" }))],
    [
      "a ping on an existing bridge the lab only joins, where others may answer",
      () =>
        changed("net-lab7", (l) => {
          Object.assign(l.networks[1], { create: false });
          delete l.networks[1].hostAddress;
          l.checks = [{ kind: "ping", from: "boxB", to: "192.168.50.77" }];
        }),
    ],
    [
      "a ping through networks two guest bridges join",
      () =>
        changed("net-lab5", (l) => {
          l.networks.push({ name: "networkc", kind: "internal", cidr: "192.168.0.0/16" });
          l.nodes[2].nics[1].promiscuous = true;
          l.nodes[2].nics[1].ip = undefined;
          l.nodes[2].nics.push({ network: "networkc", promiscuous: true });
          l.nodes.push({
            name: "boxD",
            memoryMiB: 512,
            nics: [
              { network: "nat", sshPort: 2202 },
              { network: "networkc", ip: "192.168.70.4" },
            ],
          });
          l.guest.bridges.push({ node: "boxC", name: "br1", ports: ["networkb", "networkc"] });
          l.checks = [{ kind: "ping", from: "boxA", to: "boxD" }];
        }),
    ],
    // Versions.
    [
      "an Ubuntu image built with the Cloud Archive of its release",
      () => ({ ...stackLab("dev"), image: { build: { distro: "ubuntu", release: "noble" } }, cloudArchive: "dalmatian" }),
    ],
    [
      "a Cloud Archive on an image file whose release is not known",
      () => ({ ...stackLab("dev"), image: { path: "/srv/images/any.qcow2" }, cloudArchive: "epoxy" }),
    ],
    ["Kubernetes one minor release behind kubectl", () => changed("minikube", (l) => (l.minikube.kubernetesVersion = "v1.33.1"))],
    ["a newer patch of the newest Kubernetes minikube runs", () => changed("minikube", (l) => (l.minikube.kubectlVersion = "v1.34.3"))],
    [
      "a minikube release whose range is not known",
      () => changed("minikube", (l) => Object.assign(l.minikube, { version: "v1.38.0", kubectlVersion: "v1.35.0" })),
    ],
    // Identities.
    ["an ssh host by its IPv6 address", () => ({ ...stackLab("dev"), host: { kind: "ssh", address: "2001:db8::7" } })],
    ["an upstream proxy on the lab host's other port", () => ({ ...stackLab("dev"), aptCache: { upstreamProxy: "http://192.168.1.1:3128" } })],
    ["an upstream proxy elsewhere on the cache's port", () => ({ ...stackLab("dev"), aptCache: { upstreamProxy: "http://cache.example:3142" } })],
    [
      "the cache's address as proxy when the lab has no cache",
      () => ({ ...stackLab("dev"), aptCache: { enabled: false, upstreamProxy: "http://192.168.1.1:3142" } }),
    ],
    // File-safe values.
    ["a percent-encoded mirror URL", () => changed("dev", (l) => (l.image.build.mirror = "http://mirror.example/debian%20archive/"))],
    ["a proxy URL with a password", () => ({ ...stackLab("dev"), aptCache: { upstreamProxy: "http://user:s3cr%21t@proxy.example:3128" } })],
    // Downloads something authenticates: the image over http, its SHA-256 pinned or over https.
    [
      "an image over http with its SHA-256 pinned",
      () =>
        changed("openstack-lab", (l) => {
          l.image.url = l.image.url.replace(/^https:/, "http:");
          l.image.sha256 = "0".repeat(64);
        }),
    ],
    [
      "an image over http with its SHA256SUMS over https",
      () =>
        changed("openstack-lab", (l) => {
          l.image.url = l.image.url.replace(/^https:/, "http:");
        }),
    ],
    [
      "an image and its SHA256SUMS over plain http with the reason why",
      () =>
        changed("openstack-lab", (l) => {
          l.image = {
            url: "http://mirror.lan/jammy.img",
            sha256: "http://mirror.lan/SHA256SUMS",
            insecureHttp: "the classroom's own mirror, on this LAN only",
          };
        }),
    ],
  ];

  it.each(GOOD)("%s parses", (_, make, facts) => {
    expect(() => parseStack(make(), facts ?? {})).not.toThrow();
  });
});
