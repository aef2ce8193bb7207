// model/schema.ts: the keys every lab on VMs shares, parsed once (networks, interface addresses),
// defaulted in one place, paths on the lab host taken as given.
import { describe, expect, it } from "vitest";
import { parseCidr, parseIpv4 } from "../../../model/ipv4.js";
import {
  cidr,
  downloadUrl,
  dropletMemoryMiB,
  dropletSize,
  HostSchema,
  hostPath,
  ImageSchema,
  ipv4Cidr,
  labUser,
  MAX_NICS,
  NAT,
  SYSTEM_USERS,
  sshAddressProblem,
  urlTextProblem,
} from "../../../model/schema.js";
import { vmLabModel } from "../../../model/vmLab.js";
import { qemuSpec } from "../../../plan/hypervisors/qemu.js";
import { virtualboxSpec } from "../../../plan/hypervisors/virtualbox.js";
import { configIssues, stackLab } from "../../helpers/labs.js";

// A lab kind with nothing of its own: what parses is the shared shape alone.
const bare = vmLabModel("bare", {}, { rules: [] });
const context = { hypervisors: [virtualboxSpec, qemuSpec], facts: {} };
/** A stack's lab as the bare kind: its own kind's keys left out. */
function bareLab(stack: string): Record<string, any> {
  const { services: _, cloudArchive: __, openstackClient: ___, ...rest } = stackLab(stack);
  return { ...rest, kind: "bare" };
}
const parse = (raw: unknown) => bare.parse(raw, context);
const issuesOf = (raw: unknown): string[] => configIssues(() => parse(raw));

describe("networks and addresses", () => {
  it("parses a CIDR once into a Network: its address, prefix and text as written", () => {
    expect(cidr.parse("192.168.1.0/24")).toEqual({ network: parseIpv4("192.168.1.0"), prefix: 24, text: "192.168.1.0/24" });
    const lab = parse(bareLab("dev"));
    expect(lab.networks.map((n) => n.cidr)).toEqual([
      undefined,
      { ...parseCidr("192.168.1.0/24"), text: "192.168.1.0/24" },
      { ...parseCidr("172.16.0.0/24"), text: "172.16.0.0/24" },
    ]);
    expect(cidr.safeParse("192.168.1.1/24").error?.issues.map((i) => i.message)).toEqual(["must be a network in CIDR form like 192.168.1.0/24"]);
  });

  it("parses an interface address once, with the network it is on", () => {
    expect(ipv4Cidr.parse("192.168.60.4/24")).toMatchObject({
      address: "192.168.60.4",
      prefix: 24,
      text: "192.168.60.4/24",
      subnet: parseCidr("192.168.60.0/24"),
    });
    expect(ipv4Cidr.safeParse("192.168.60.4").error?.issues.map((i) => i.message)).toEqual(["must be an address with prefix like 192.168.60.4/24"]);
  });

  it("knows the NAT every node's first NIC is on", () => {
    expect(NAT).toEqual({ network: { ...parseCidr("10.0.2.0/24"), text: "10.0.2.0/24" }, guest: "10.0.2.15", gateway: "10.0.2.2" });
  });

  it("caps a node's NICs at the PCI slots the guests' names are planned for", () => {
    const raw = bareLab("dev");
    for (let i = raw.nodes[0].nics.length; i < MAX_NICS; i++) raw.nodes[0].nics.push({ network: "guest" });
    // MAX_NICS passes the schema (the rules then see the same network twice).
    expect(issuesOf(raw).some((i) => i.startsWith("labstack:lab.nodes[0].nics:"))).toBe(false);
    raw.nodes[0].nics.push({ network: "guest" });
    expect(issuesOf(raw)).toContain(`labstack:lab.nodes[0].nics: at most ${MAX_NICS} NICs: the guest's NIC names are planned for ${MAX_NICS} PCI slots`);
  });
});

describe("defaults", () => {
  it("are applied in one place", () => {
    const raw = bareLab("dev");
    delete raw.nodes[0].cpus;
    delete raw.nodes[0].diskGiB;
    delete raw.user;
    delete raw.host;
    const lab = parse(raw);
    expect(lab.nodes[0].cpus).toBe(1);
    expect(lab.nodes[0].diskGiB).toBe(10);
    expect(lab.user).toBe("stack");
    expect(lab.host).toEqual({ kind: "local" });
    expect(lab.hypervisor).toEqual({ kind: "qemu", accel: "auto" });
    expect(lab.credentialsRotation).toBe(0);
    expect(lab.aptCache).toEqual({ enabled: true, port: 3142 });
    expect(lab.networks[1]).toMatchObject({ create: false, dhcp: false });
    expect(lab.nodes[0].nics[0].promiscuous).toBe(false);
  });

  it("fill an ssh host's port and user, and a droplet's size and image", () => {
    expect(HostSchema.parse({ kind: "ssh", address: "lab.example" })).toEqual({ kind: "ssh", address: "lab.example", port: 22, user: "root" });
    expect(HostSchema.parse({ kind: "digitalocean", region: "fra1", sshSourceCidrs: ["203.0.113.7/32"] })).toMatchObject({
      size: "s-8vcpu-16gb",
      image: "ubuntu-24-04-x64",
      allowPublicSsh: false,
    });
  });
});

describe("images", () => {
  it("lets VirtualBox boot a built image (it has a boot loader)", () => {
    const lab = parse({ ...bareLab("openstack-lab"), image: { build: { distro: "debian", release: "bookworm" } } });
    expect(lab.hypervisor.kind).toBe("virtualbox");
    expect(lab.image.build).toEqual({ distro: "debian", release: "bookworm", sizeGiB: 3 });
    expect(lab.image.bake).toBe(true);
  });

  it("takes exactly one source, kernel and initrd together, and never a kernel for a built image", () => {
    const messages = (image: unknown) => ImageSchema.safeParse(image).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(messages({ path: "/srv/disk.raw" })).toEqual([]);
    expect(messages({})).toContain(": give exactly one of url, path or build");
    expect(messages({ path: "/srv/disk.raw", build: { distro: "debian", release: "bookworm" } })).toContain(": give exactly one of url, path or build");
    expect(messages({ path: "/srv/disk.raw", kernel: "/srv/vmlinuz" })).toContain(": give kernel and initrd together");
    expect(messages({ build: { distro: "debian", release: "bookworm" }, kernel: "/k", initrd: "/i" })).toContain(
      "kernel: a built image brings its own kernel and initrd",
    );
    expect(messages({ url: "https://example.org/disk.img" })).toContain("sha256: is required with url");
  });
});

describe("paths on the lab host", () => {
  it("are taken as given under ~/, for the lab host to expand", () => {
    const raw = bareLab("dev");
    raw.host.stateDir = "~/labs/dev";
    raw.credentialsDir = "~/.os_credentials";
    raw.image = { path: "/srv/images/debian 12.raw", kernel: "~/images/vmlinuz", initrd: "~/images/initrd.img" };
    const lab = parse(raw);
    expect([lab.host.stateDir, lab.credentialsDir, lab.image.path, lab.image.kernel, lab.image.initrd]).toEqual([
      "~/labs/dev",
      "~/.os_credentials",
      "/srv/images/debian 12.raw",
      "~/images/vmlinuz",
      "~/images/initrd.img",
    ]);
  });

  it("are absolute or under ~/, name something, never climb or split QEMU's options", () => {
    const problem = (path: string) => hostPath.safeParse(path).error?.issues[0].message;
    for (const good of ["/srv/lab", "~/lab", "~/.os_credentials", "/srv/my lab/disk.qcow2"]) expect(problem(good), good).toBeUndefined();
    expect(problem("lab")).toBe("must be an absolute path or start with ~/ (the home folder on the lab host)");
    expect(problem("~")).toBe("must be an absolute path or start with ~/ (the home folder on the lab host)");
    expect(problem("~user/lab")).toBe("must be an absolute path or start with ~/ (the home folder on the lab host)");
    expect(problem("/")).toBe("must name something inside / or ~/, not the root or home folder itself");
    expect(problem("~/./")).toBe("must name something inside / or ~/, not the root or home folder itself");
    expect(problem("~/../etc")).toBe("must not contain '..': give the path itself");
    expect(problem("/srv/a,b")).toBe("must not contain a comma or a control character such as a newline (QEMU's -drive option splits at commas)");
    expect(problem("/srv/a\tb")).toBe("must not contain a comma or a control character such as a newline (QEMU's -drive option splits at commas)");
  });
});

describe("droplet hosts", () => {
  it("carry their memory in the size slug", () => {
    expect(dropletMemoryMiB("s-8vcpu-16gb")).toBe(16 * 1024);
    expect(dropletMemoryMiB("s-2vcpu-4gb-intel")).toBe(4 * 1024);
    expect(dropletMemoryMiB("c-4")).toBeUndefined();
  });

  it.each([
    ["s-8vcpu-16gb", { vcpus: 8, memoryMiB: 16384 }],
    ["s-2vcpu-4gb-intel", { vcpus: 2, memoryMiB: 4096 }],
    // The figure after the vCPUs is memory, in MB or GB; a later one is the disk.
    ["s-1vcpu-512mb-10gb", { vcpus: 1, memoryMiB: 512 }],
    ["s-8vcpu-16gb-480gb-intel", { vcpus: 8, memoryMiB: 16384 }],
    ["so1_5-2vcpu-16gb", { vcpus: 2, memoryMiB: 16384 }],
    ["c2-4vcpu-8gb", { vcpus: 4, memoryMiB: 8192 }],
    // No figures, no guess.
    ["c-4", undefined],
    ["4gb", undefined],
    ["gpu-h100x1-80gb", undefined],
  ])("read the vCPUs and memory of %s from its slug, or nothing", (slug, size) => {
    expect(dropletSize(slug)).toEqual(size);
  });

  it("parse their SSH sources into networks", () => {
    const host = HostSchema.parse({ kind: "digitalocean", region: "fra1", sshSourceCidrs: ["203.0.113.7/32", "0.0.0.0/0"] });
    expect(host.kind === "digitalocean" && host.sshSourceCidrs.map((c) => [c.text, c.prefix])).toEqual([
      ["203.0.113.7/32", 32],
      ["0.0.0.0/0", 0],
    ]);
  });

  it("says an IPv6 SSH source is refused because the droplet is reached on its IPv4 address", () => {
    const raw = stackLab("openstack-do");
    raw.host.sshSourceCidrs = ["::/0"];
    expect(HostSchema.safeParse(raw.host).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      "sshSourceCidrs.0: must be an IPv4 network like 203.0.113.7/32: the droplet's SSH is reached on its IPv4 address",
    ]);
  });
});

describe("values that end up in configuration files", () => {
  it("take a URL only as URL characters: a newline, space, quote or backslash would break the file's line", () => {
    for (const good of [
      "http://proxy.example:3128",
      "https://deb.debian.org/debian/",
      "http://u:p%40ss@proxy.example:3128/",
      "https://example.org/a?b=c&d=%20#e",
    ])
      expect(urlTextProblem(good), good).toBeUndefined();
    for (const bad of ["http://proxy.example:3128/\nPassThroughPattern: .*", "http://a b/", 'http://a"b/', "http://a\\b/", "http://a/\tb", "http://a/\u0000"])
      expect(urlTextProblem(bad), JSON.stringify(bad)).toMatch(/^must be written with URL characters only/);
    // zod's URL parser would drop the newline and take the rest as a path: the text is refused first.
    expect(downloadUrl.safeParse("https://example.org/\nx").error?.issues.map((i) => i.message)).toEqual([urlTextProblem("\n")]);
    expect(downloadUrl.safeParse("ftp://example.org/").error?.issues.map((i) => i.message)).toEqual(["must be an http:// or https:// URL"]);
  });

  it("take an ssh host's address alone: its user and port have keys of their own", () => {
    for (const good of ["lab.example", "203.0.113.7", "2001:db8::7", "::1", "lab-1"]) expect(sshAddressProblem(good), good).toBeUndefined();
    expect(sshAddressProblem("root@lab.example")).toBe("give the user in host.user, not in the address: address: lab.example");
    expect(sshAddressProblem("lab.example:22")).toBe("give the port in host.port, not in the address: address: lab.example");
    for (const bad of ["-oProxyCommand=x", "[::1]", "2001:db8::7:22:zz", "lab example", "lab.example\n"])
      expect(sshAddressProblem(bad), bad).toBe("must be an address or a host name");
  });

  it("refuse a lab user that is an account every node already has", () => {
    for (const user of ["root", "daemon", "nobody", "sudo", "adm", "mysql", "rabbitmq"]) {
      expect(SYSTEM_USERS.has(user), user).toBe(true);
      expect(labUser.safeParse(user).error?.issues[0].message).toBe(
        `'${user}' is an account every node already has (a system user or group): choose a user of the lab's own, like stack`,
      );
    }
    for (const user of ["stack", "learner", "ubuntu", "debian"]) expect(labUser.safeParse(user).success, user).toBe(true);
  });

  it("keep a kernel command line and a host key on one line", () => {
    expect(ImageSchema.safeParse({ path: "/srv/d.raw", kernel: "/k", initrd: "/i", append: "root=/dev/vda\rinit=/bin/sh" }).success).toBe(false);
    expect(ImageSchema.safeParse({ path: "/srv/d.raw", kernel: "/k", initrd: "/i", append: "root=/dev/vda rw quiet" }).success).toBe(true);
    const key = (comment: string) =>
      HostSchema.safeParse({ kind: "ssh", address: "lab.example", hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ${comment}` }).success;
    expect(key("root@lab")).toBe(true);
    expect(key("root@lab\u001b[2J")).toBe(false);
  });
});
