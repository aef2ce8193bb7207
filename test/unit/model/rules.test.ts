// model/rules.ts: the rules every lab on VMs follows, what a kind adds to them (joined networks,
// ports of its own, rules of its own), and what every lab needs of its host (checkHost).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatPath } from "../../../model/parse.js";
import { checkHost, checkHostCpus, checkLabRules, hostCapacity, isLabHostAddress, type KindRules, type LabIssue } from "../../../model/rules.js";
import { HostSchema, type LabConfig, labCommonShape } from "../../../model/schema.js";
import { hypervisorSchema } from "../../../model/vmLab.js";
import { qemuSpec } from "../../../plan/hypervisors/qemu.js";
import { virtualboxSpec } from "../../../plan/hypervisors/virtualbox.js";
import { stackLab } from "../../helpers/labs.js";

const HYPERVISORS = [virtualboxSpec, qemuSpec];
const schema = z.strictObject({ kind: z.literal("bare"), ...labCommonShape(hypervisorSchema(HYPERVISORS)) });
function bareLab(stack: string): Record<string, any> {
  const { services: _, cloudArchive: __, openstackClient: ___, checks: ____, guest: _____, ...rest } = stackLab(stack);
  return { ...rest, kind: "bare" };
}
/** A lab as the schema parses it, before any rule. */
const labOf = (raw: Record<string, any>): LabConfig => schema.parse(raw) as LabConfig;
const text = (issues: LabIssue[]) => issues.map((i) => `${i.key ?? formatPath(i.path)}: ${i.message}`);
const check = (lab: LabConfig, kind: KindRules<LabConfig> = { rules: [] }, facts = {}, needed = 0) =>
  text(checkLabRules(lab, lab.hypervisor.kind === "qemu" ? qemuSpec : virtualboxSpec, kind, needed, facts));

describe("the rules every lab follows", () => {
  it("pass every lab on VMs in the repository", () => {
    for (const stack of ["dev", "openstack-lab", "net-lab1", "net-lab4", "net-lab7", "net-lab9"]) {
      const lab = labOf(bareLab(stack));
      expect(check(lab, { rules: [] }), stack).toEqual([]);
    }
  });

  it("report every problem at once, each at its key", () => {
    const raw = bareLab("dev");
    raw.nodes[1].nics[1].ip = "192.168.9.9";
    raw.nodes[2].nics[0].sshPort = 8222;
    raw.networks[1].hostAddress = "192.168.1.255";
    expect(check(labOf(raw))).toEqual([
      "labstack:lab.networks[1].hostAddress: 192.168.1.255 is the network or broadcast address of 192.168.1.0/24",
      "labstack:lab.nodes[1].nics[1].ip: 192.168.9.9 is outside network 'management' (192.168.1.0/24)",
      "labstack:lab.nodes[2].nics[0].sshPort: port 8222 is already forwarded to node 'controller'",
    ]);
  });

  it("give each kind of network what it has and nothing it lacks", () => {
    const raw = bareLab("net-lab4");
    raw.networks.push(
      { name: "nat2", kind: "nat", cidr: "10.9.0.0/24" },
      { name: "ho", kind: "hostonly", cidr: "10.8.0.0/24" },
      { name: "br", kind: "bridged", hostAddress: "10.7.0.1", cidr: "10.7.0.0/24" },
      { name: "in", kind: "internal", create: true, cidr: "10.6.0.0/24" },
    );
    expect(check(labOf(raw))).toEqual([
      "labstack:lab.networks[2].cidr: a nat network has no cidr: every NAT NIC gets 10.0.2.0/24",
      "labstack:lab.networks[3].hostAddress: is required for a hostonly network (the lab host's address on it)",
      "labstack:lab.networks[4].hostAddress: a bridged network has no host address unless the lab creates the bridge (create: true)",
      "labstack:lab.networks[4].device: is required for a bridged network: the host bridge to attach to",
      "labstack:lab.networks[5].create: only a bridged network's bridge can be created by the lab",
    ]);
  });

  it("keep the NAT NIC first, addressed by DHCP, with the SSH forward and nothing else", () => {
    const raw = bareLab("net-lab3");
    raw.nodes[0].nics[0] = { network: "nat", sshPort: 2222, ip: "10.0.2.20", promiscuous: true };
    raw.nodes[1].nics[1].sshPort = 2300;
    raw.nodes[1].nics.push({ network: "nat" });
    expect(check(labOf(raw))).toEqual([
      "labstack:lab.nodes[1].nics[2].network: node 'boxB' is attached to network 'nat' twice",
      "labstack:lab.nodes[0].nics[0].ip: a nat NIC gets 10.0.2.15 from the NAT's DHCP; no static ip",
      "labstack:lab.nodes[0].nics[0].promiscuous: promiscuous mode is for lab networks, not the nat NIC",
      "labstack:lab.nodes[1].nics[1].sshPort: only the nat NIC forwards SSH",
      "labstack:lab.nodes[1].nics[2].network: the nat NIC must be the node's first NIC, as in the seed",
      "labstack:lab.nodes[1].nics[2].sshPort: is required on the nat NIC: it is how the lab host reaches the node",
    ]);
  });

  it("refuse ~/ paths on a remote host, where they name the home of no known user, except the credentials folder", () => {
    const raw = bareLab("dev");
    raw.host = { kind: "ssh", address: "lab.example", stateDir: "~/lab" };
    raw.image = { path: "~/disk.raw", kernel: "~/vmlinuz", initrd: "/srv/initrd" };
    raw.credentialsDir = "~/.os_credentials";
    expect(check(labOf(raw))).toEqual([
      "labstack:lab.host.stateDir: ~/lab: give an absolute path on a remote lab host (ssh): its ~ is not known where Pulumi runs",
      "labstack:lab.image.path: ~/disk.raw: give an absolute path on a remote lab host (ssh): its ~ is not known where Pulumi runs",
      "labstack:lab.image.kernel: ~/vmlinuz: give an absolute path on a remote lab host (ssh): its ~ is not known where Pulumi runs",
    ]);
  });
});

describe("what a kind adds", () => {
  it("lets internal networks it joins into one segment share a subnet, and no others", () => {
    const raw = bareLab("net-lab4");
    raw.networks.push({ name: "other", kind: "internal", cidr: "192.168.50.0/25" });
    const lab = labOf(raw);
    const overlap =
      "labstack:lab.networks[2].cidr: 192.168.50.0/25 overlaps network 'mynetwork' (192.168.50.0/24); only internal networks joined by a guest bridge (one segment) may share addresses";
    expect(check(lab)).toEqual([overlap]);
    const asked: string[] = [];
    const joined = (_: LabConfig, a: string, b: string) => {
      asked.push(`${a}+${b}`);
      return true;
    };
    expect(check(lab, { joined, rules: [] })).toEqual([]);
    expect(asked).toEqual(["other+mynetwork"]);
    // Joined or not, a host-only network never shares a subnet.
    raw.networks[2] = { name: "other", kind: "hostonly", cidr: "192.168.50.0/25", hostAddress: "192.168.50.1" };
    expect(check(labOf(raw), { joined, rules: [] })).toEqual([overlap]);
  });

  it("claims its ports on the lab host against the SSH forwards and the APT cache", () => {
    const lab = labOf(bareLab("dev"));
    const hostPorts = () => [
      { port: 3142, path: ["widget", "port"], user: "the widget's" },
      { port: 9000, path: ["gadget", "port"], user: "the gadget's" },
      { port: 9000, path: ["gizmo", "port"], user: "the gizmo's" },
    ];
    expect(check(lab, { hostPorts, rules: [] })).toEqual([
      "labstack:lab.widget.port: port 3142 is already the APT cache's (aptCache.port)",
      "labstack:lab.gizmo.port: port 9000 is already the gadget's",
    ]);
  });

  it("runs its own rules after the common ones, with the lab's networks and nodes by name", () => {
    const raw = bareLab("dev");
    raw.nodes[0].nics[0].sshPort = 8200;
    const rule = ({ networks, nodes, add }: Parameters<KindRules<LabConfig>["rules"][number]>[0]) =>
      add(["mine"], `${[...networks.keys()].join(",")} / ${[...nodes.keys()].join(",")}`);
    expect(check(labOf(raw), { rules: [rule] })).toEqual([
      "labstack:lab.nodes[1].nics[0].sshPort: port 8200 is already forwarded to node 'controller'",
      "labstack:lab.mine: nat,management,guest / controller,compute1,compute2",
    ]);
  });
});

describe("checkHost", () => {
  const host = (raw: unknown) => HostSchema.parse(raw);
  const droplet = (extra = {}) => host({ kind: "digitalocean", region: "fra1", sshSourceCidrs: ["203.0.113.7/32"], ...extra });

  it("asks for the secret that reaches the host, naming its config key", () => {
    expect(text(checkHost(host({ kind: "ssh", address: "lab.example" }), 0, "nodes", { hostPrivateKey: false }))).toEqual([
      "labstack:hostPrivateKey: is required for an ssh lab host: pulumi config set --secret labstack:hostPrivateKey < ~/.ssh/id_ed25519",
    ]);
    expect(checkHost(host({ kind: "ssh", address: "lab.example" }), 0, "nodes", { hostPrivateKey: true })).toEqual([]);
    expect(text(checkHost(droplet(), 0, "nodes", { digitaloceanToken: false }))).toEqual([
      "digitalocean:token: is required for a digitalocean lab host: pulumi config set --secret digitalocean:token <token> (or export DIGITALOCEAN_TOKEN)",
    ]);
    // Unknown facts (a preview elsewhere) are not a refusal.
    expect(checkHost(droplet(), 0, "nodes", {})).toEqual([]);
  });

  it("opens a droplet's SSH to the internet only when asked to", () => {
    const open = droplet({ sshSourceCidrs: ["203.0.113.7/32", "0.0.0.0/0", "10.0.0.0/8", "0.0.0.0/1"] });
    expect(text(checkHost(open, 0, "nodes", {}))).toEqual([
      "labstack:lab.host.sshSourceCidrs[1]: 0.0.0.0/0 opens the droplet's SSH to the whole internet; name your own address (x.y.z.w/32), or set host.allowPublicSsh: true if you mean it",
      "labstack:lab.host.sshSourceCidrs[3]: 0.0.0.0/1 opens the droplet's SSH to a large part of the internet; name your own address (x.y.z.w/32), or set host.allowPublicSsh: true if you mean it",
    ]);
    expect(checkHost(droplet({ sshSourceCidrs: ["0.0.0.0/0"], allowPublicSsh: true }), 0, "nodes", {})).toEqual([]);
  });

  it("checks the memory the lab needs against what the host measurably has, naming the key that asks for it", () => {
    const local = host({ kind: "local" });
    expect(text(checkHost(local, 4096, "nodes", { memoryMiB: 2048 }))).toEqual([
      "labstack:lab.nodes: the nodes need 4096 MiB of memory but the lab host has 2048 MiB",
    ]);
    expect(checkHost(local, 4096, "nodes", { memoryMiB: 4096 })).toEqual([]);
    expect(checkHost(local, 4096, "nodes", {})).toEqual([]);
    // The config's memory wins over the measured one.
    expect(text(checkHost(host({ kind: "local", memoryMiB: 3000 }), 4096, "nodes", { memoryMiB: 65536 }))).toEqual([
      "labstack:lab.nodes: the nodes need 4096 MiB of memory but the lab host has 3000 MiB",
    ]);
    // A droplet's follows from its size; an SSH host's is checked on the host itself.
    expect(text(checkHost(droplet({ size: "s-2vcpu-4gb" }), 14336, "nodes", { memoryMiB: 65536 }))).toEqual([
      "labstack:lab.nodes: the nodes need 14336 MiB of memory but a s-2vcpu-4gb droplet has 4096 MiB",
    ]);
    expect(checkHost(host({ kind: "ssh", address: "lab.example" }), 1 << 20, "nodes", { memoryMiB: 1 })).toEqual([]);
    expect(text(checkHost(local, 2048, "minikube.memoryMiB", { memoryMiB: 2000 }))).toEqual([
      "labstack:lab.minikube.memoryMiB: the cluster needs 2048 MiB of memory but the lab host has 2000 MiB",
    ]);
  });
});

describe("capacity before creation", () => {
  const host = (raw: unknown) => HostSchema.parse(raw);
  const droplet = (size: string) => host({ kind: "digitalocean", region: "fra1", size, sshSourceCidrs: ["203.0.113.7/32"] });

  it("knows what a host holds from the config, this machine's facts, a droplet's API figures or its slug", () => {
    expect(hostCapacity(host({ kind: "local" }), { memoryMiB: 8192, cores: 4 })).toMatchObject({ memoryMiB: 8192, cores: 4 });
    expect(hostCapacity(host({ kind: "local", memoryMiB: 4096 }), { memoryMiB: 8192 })).toMatchObject({ memoryMiB: 4096, cores: undefined });
    // This machine's facts are not an ssh host's.
    expect(hostCapacity(host({ kind: "ssh", address: "lab.example" }), { memoryMiB: 8192, cores: 4 })).toMatchObject({
      memoryMiB: undefined,
      cores: undefined,
    });
    expect(hostCapacity(droplet("s-4vcpu-8gb"), {})).toMatchObject({ memoryMiB: 8192, cores: 4, memoryHolder: "a s-4vcpu-8gb droplet" });
    expect(hostCapacity(droplet("s-4vcpu-8gb"), { dropletSize: { vcpus: 2, memoryMiB: 4096 } })).toMatchObject({ memoryMiB: 4096, cores: 2 });
    expect(hostCapacity(droplet("c-4"), {})).toMatchObject({ memoryMiB: undefined, cores: undefined });
  });

  it("checks each VM's vCPUs against the cores that run it, when they are known", () => {
    const requests = [
      { cpus: 2, path: ["nodes", 0, "cpus"], who: "node 'a'" },
      { cpus: 5, path: ["nodes", 1, "cpus"], who: "node 'b'" },
    ];
    expect(text(checkHostCpus(host({ kind: "local" }), requests, { cores: 4 }))).toEqual([
      "labstack:lab.nodes[1].cpus: node 'b' asks for 5 vCPUs but the lab host has 4 CPU cores",
    ]);
    expect(text(checkHostCpus(droplet("s-1vcpu-2gb"), requests, {}))).toEqual([
      "labstack:lab.nodes[0].cpus: node 'a' asks for 2 vCPUs but a s-1vcpu-2gb droplet has 1 vCPU",
      "labstack:lab.nodes[1].cpus: node 'b' asks for 5 vCPUs but a s-1vcpu-2gb droplet has 1 vCPU",
    ]);
    expect(checkHostCpus(host({ kind: "local" }), requests, {})).toEqual([]);
  });

  it("leaves a droplet size whose slug says no figures to the API's sizes, checked before the droplet (plan/droplet.ts)", () => {
    expect(checkHost(droplet("c-4"), 1024, "nodes", {})).toEqual([]);
    expect(text(checkHost(droplet("c-4"), 9000, "nodes", { dropletSize: { vcpus: 4, memoryMiB: 8192 } }))).toEqual([
      "labstack:lab.nodes: the nodes need 9000 MiB of memory but a c-4 droplet has 8192 MiB",
    ]);
  });

  it("checks every node's disk against the image it starts from", () => {
    const raw = bareLab("dev");
    raw.image.build.sizeGiB = 10;
    expect(check(labOf(raw))).toEqual([
      "labstack:lab.nodes[1].diskGiB: 8 GiB cannot hold the built image (image.build.sizeGiB: 10): give node 'compute1' at least 10",
      "labstack:lab.nodes[2].diskGiB: 8 GiB cannot hold the built image (image.build.sizeGiB: 10): give node 'compute2' at least 10",
    ]);
    const downloaded = labOf(bareLab("openstack-lab"));
    expect(check(downloaded, { rules: [] }, {})).toEqual([]);
    expect(check(downloaded, { rules: [] }, { imageVirtualSizeGiB: 24 })).toHaveLength(3);
  });
});

describe("a downloaded image", () => {
  const UBUNTU = "cloud-images.ubuntu.com/releases/jammy/release";
  const IMAGE = "ubuntu-22.04-server-cloudimg-amd64.img";
  const PINNED = "a".repeat(64);
  const withImage = (image: Record<string, string>) => {
    const raw = bareLab("openstack-lab");
    raw.image = { ...image };
    return check(labOf(raw));
  };

  it("is refused when nothing authenticates it: the image and its SHA256SUMS both over plain http, naming the key and the ways out", () => {
    expect(withImage({ url: `http://${UBUNTU}/${IMAGE}`, sha256: `http://${UBUNTU}/SHA256SUMS` })).toEqual([
      `labstack:lab.image.url: http://${UBUNTU}/${IMAGE} and its checksum (image.sha256: http://${UBUNTU}/SHA256SUMS) both come over plain http, so anyone on the way can swap the image and its checksum together; use https:// for them (cloud-images.ubuntu.com, cloud.debian.org and deb.debian.org serve it), pin image.sha256 to the image's 64-hex-digit SHA-256, or set image.insecureHttp to the reason plain http is acceptable here`,
    ]);
    // Whatever case the scheme is written in.
    expect(withImage({ url: `HTTP://${UBUNTU}/${IMAGE}`, sha256: `Http://${UBUNTU}/SHA256SUMS` })).toHaveLength(1);
  });

  it("is taken when one thing authenticates it: https for the image or its checksum, or a SHA-256 pinned in the config", () => {
    expect(withImage({ url: `https://${UBUNTU}/${IMAGE}`, sha256: `https://${UBUNTU}/SHA256SUMS` })).toEqual([]);
    expect(withImage({ url: `http://${UBUNTU}/${IMAGE}`, sha256: PINNED })).toEqual([]);
    expect(withImage({ url: `http://${UBUNTU}/${IMAGE}`, sha256: `https://${UBUNTU}/SHA256SUMS` })).toEqual([]);
    expect(withImage({ url: `https://${UBUNTU}/${IMAGE}`, sha256: `http://${UBUNTU}/SHA256SUMS` })).toEqual([]);
  });

  it("over plain http is taken with the reason in image.insecureHttp, which is refused where nothing needs it", () => {
    const reason = "the classroom's own mirror, on this LAN only";
    expect(withImage({ url: `http://mirror.lan/${IMAGE}`, sha256: "http://mirror.lan/SHA256SUMS", insecureHttp: reason })).toEqual([]);
    const unneeded =
      "labstack:lab.image.insecureHttp: is only for an image whose download nothing authenticates (image.url and image.sha256 both plain http://)";
    expect(withImage({ url: `https://${UBUNTU}/${IMAGE}`, sha256: `https://${UBUNTU}/SHA256SUMS`, insecureHttp: reason })).toEqual([
      `${unneeded}; this lab's image is checked over https or against a pinned SHA-256: remove it`,
    ]);
    expect(withImage({ url: `http://${UBUNTU}/${IMAGE}`, sha256: PINNED, insecureHttp: reason })).toHaveLength(1);
    expect(withImage({ path: "/srv/images/ubuntu.img", insecureHttp: reason })).toEqual([`${unneeded}; this lab downloads no image: remove it`]);
  });

  it("over plain http needs a reason that says something", () => {
    for (const empty of ["", "  "]) {
      expect(() =>
        labOf({ ...bareLab("openstack-lab"), image: { url: `http://${UBUNTU}/${IMAGE}`, sha256: `http://${UBUNTU}/SHA256SUMS`, insecureHttp: empty } }),
      ).toThrow("must say why plain http is acceptable here");
    }
  });
});

describe("reserved identities", () => {
  it("knows the lab host's own addresses: its addresses on the lab's networks and its loopback", () => {
    const lab = labOf(bareLab("dev"));
    for (const address of ["192.168.1.1", "172.16.0.1", "127.0.0.1", "127.1.2.3", "localhost", "[::1]"])
      expect(isLabHostAddress(lab, address), address).toBe(true);
    for (const address of ["192.168.1.11", "10.0.2.2", "proxy.example"]) expect(isLabHostAddress(lab, address), address).toBe(false);
  });

  it("refuse the lab's own APT cache as its upstream proxy, on its port only", () => {
    const withProxy = (upstreamProxy: string, port = 3142) => {
      const raw = bareLab("dev");
      raw.aptCache = { port, upstreamProxy };
      return check(labOf(raw));
    };
    expect(withProxy("http://192.168.1.1:3142")).toEqual([
      "labstack:lab.aptCache.upstreamProxy: http://192.168.1.1:3142 is the lab's own APT cache (the lab host, port 3142): the cache would fetch through itself; name the proxy beyond it, or leave upstreamProxy out",
    ]);
    // Any of the lab host's addresses, on whatever port the cache listens.
    expect(withProxy("http://172.16.0.1:8080", 8080)).toHaveLength(1);
    expect(withProxy("http://192.168.1.1:3128")).toEqual([]);
    expect(withProxy("http://proxy.example:3142")).toEqual([]);
  });

  it("refuse a built image of a release the lab does not build, naming the key to change", () => {
    const raw = bareLab("dev");
    raw.image.build = { distro: "debian", release: "jammy" };
    expect(check(labOf(raw))).toEqual([
      "labstack:lab.image.build: jammy is an Ubuntu release, not a Debian one: give distro: ubuntu, or a Debian release (bookworm, trixie)",
    ]);
  });
});
