// Bad lab configs and the exact error each must produce; every one names the key to fix. Shared
// by the parser's tests (test/unit/stacks/index.test.ts: the message) and the entry-point tests
// (nothing gets registered). Each is a whole lab, built from a stack's template: the entry point
// lays a stack's own config over its template (stacks/template.ts), so a key deleted here comes
// back from the template of a stack of the same name. (An IPv6 droplet SSH source is in
// test/unit/model/schema.test.ts, where its message is a known bug.)
import { stackLab } from "./labs.js";

const dev = () => stackLab("dev");
const vbox = () => stackLab("openstack-lab");

const droplet = () => stackLab("openstack-do");
const net = (n: number | "tunnels") => stackLab(`net-${n === "tunnels" ? "tunnels" : `lab${n}`}`);
const minikube = () => stackLab("minikube");
const INTERFACE_CASE = "interface names that differ only in case are too easily mistaken for each other";
/** A lab made by `make`, then changed by `edit`. */
const changed = (make: () => Record<string, any>, edit: (lab: Record<string, any>) => void) => (): Record<string, any> => {
  const lab = make();
  edit(lab);
  return lab;
};
/** openstack-lab on Ubuntu 24.04 (noble) instead of 22.04 (jammy). */
const noble = () =>
  changed(vbox, (l) => {
    l.image.url = "https://cloud-images.ubuntu.com/releases/noble/release/ubuntu-24.04-server-cloudimg-amd64.img";
    l.image.sha256 = "https://cloud-images.ubuntu.com/releases/noble/release/SHA256SUMS";
  })();
const URL_TEXT = "must be written with URL characters only: no space, quote, backslash or control character such as a newline (percent-encode them, e.g. %20)";

export const BAD_CONFIGS: [name: string, make: () => unknown, error: string][] = [
  // Each lab kind has its own keys: another kind's are refused, not silently ignored.
  ["guest devices in an OpenStack lab", () => ({ ...dev(), guest: { bridges: [] } }), 'labstack:lab: Unrecognized key: "guest"'],
  ["OpenStack services in a networking lab", () => ({ ...net(5), services: { chrony: { server: "boxA" } } }), 'labstack:lab: Unrecognized key: "services"'],
  ["accel on VirtualBox", () => ({ ...vbox(), hypervisor: { kind: "virtualbox", accel: "kvm" } }), 'labstack:lab.hypervisor: Unrecognized key: "accel"'],
  [
    "networks.conf on QEMU",
    () => ({ ...dev(), hypervisor: { kind: "qemu", networksConf: true } }),
    'labstack:lab.hypervisor: Unrecognized key: "networksConf"',
  ],
  [
    "ssh host key that is not a key",
    () => ({ ...dev(), host: { kind: "ssh", address: "lab.example", hostKey: "AAAAC3NzaC1lZDI1NTE5" } }),
    "labstack:lab.host.hostKey: must be an OpenSSH public host key like 'ssh-ed25519 AAAA...' (ssh-keyscan -t ed25519 <host>)",
  ],
  [
    "home-relative state folder on a remote host",
    () => ({ ...dev(), host: { kind: "ssh", address: "lab.example", stateDir: "~/labs" } }),
    "labstack:lab.host.stateDir: ~/labs: give an absolute path on a remote lab host (ssh): its ~ is not known where Pulumi runs",
  ],
  [
    "droplet open to nobody",
    () => {
      const l = droplet();
      l.host.sshSourceCidrs = [];
      return l;
    },
    "labstack:lab.host.sshSourceCidrs: name at least one network allowed to SSH to the droplet (your address as x.y.z.w/32)",
  ],
  [
    "droplet region typo",
    () => {
      const l = droplet();
      l.host.region = "frankfurt";
      return l;
    },
    "labstack:lab.host.region: must be a region slug like fra1",
  ],
  [
    "droplet too small for the lab",
    () => {
      const l = droplet();
      l.host.size = "s-2vcpu-4gb";
      return l;
    },
    "labstack:lab.nodes: the nodes need 14336 MiB of memory but a s-2vcpu-4gb droplet has 4096 MiB",
  ],
  [
    "unknown host kind",
    () => ({ ...dev(), host: { kind: "aws" } }),
    "labstack:lab.host.kind: Invalid discriminator value. Expected 'local' | 'ssh' | 'digitalocean'",
  ],
  ["missing config", () => undefined, "labstack:lab: is missing; set it in Pulumi.<stack>.yaml"],
  [
    "unknown hypervisor",
    () => ({ ...dev(), hypervisor: { kind: "hyperv" } }),
    'labstack:lab.hypervisor.kind: Invalid option: expected one of "virtualbox"|"qemu"',
  ],
  [
    "IP outside its network",
    () => {
      const l = dev();
      l.nodes[1].nics[1].ip = "192.168.2.21";
      return l;
    },
    "labstack:lab.nodes[1].nics[1].ip: 192.168.2.21 is outside network 'management' (192.168.1.0/24)",
  ],
  [
    "duplicate node name",
    () => {
      const l = dev();
      l.nodes[2].name = "compute1";
      return l;
    },
    "labstack:lab.nodes[2].name: duplicate node name 'compute1' (also nodes[1])",
  ],
  [
    "duplicate IP",
    () => {
      const l = dev();
      l.nodes[2].nics[1].ip = "192.168.1.21";
      return l;
    },
    "labstack:lab.nodes[2].nics[1].ip: 192.168.1.21 is already used by node 'compute1'",
  ],
  [
    "duplicate forwarded port",
    () => {
      const l = dev();
      l.nodes[2].nics[0].sshPort = 8200;
      return l;
    },
    "labstack:lab.nodes[2].nics[0].sshPort: port 8200 is already forwarded to node 'compute1'",
  ],
  [
    "NIC on an unknown network",
    () => {
      const l = dev();
      l.nodes[0].nics[2].network = "provider";
      return l;
    },
    "labstack:lab.nodes[0].nics[2].network: unknown network 'provider' (known: nat, management, guest)",
  ],
  [
    "overlapping CIDRs",
    () => {
      const l = dev();
      l.networks[2].cidr = "192.168.0.0/16";
      l.networks[2].hostAddress = "192.168.100.1";
      return l;
    },
    "labstack:lab.networks[2].cidr: 192.168.0.0/16 overlaps network 'management' (192.168.1.0/24); only internal networks joined by a guest bridge (one segment) may share addresses",
  ],
  [
    "VirtualBox range without networks.conf",
    () => {
      const l = vbox();
      l.hypervisor.networksConf = false;
      return l;
    },
    "labstack:lab.networks[1].cidr: 192.168.1.0/24 is outside the host-only range VirtualBox allows (192.168.56.0/21); set hypervisor.networksConf: true so host preparation opens it in /etc/vbox/networks.conf",
  ],
  [
    "more memory than the host has",
    () => {
      const l = dev();
      l.host.memoryMiB = 3000;
      return l;
    },
    "labstack:lab.nodes: the nodes need 4096 MiB of memory but the lab host has 3000 MiB",
  ],
  [
    "DHCP on a lab network",
    () => {
      const l = dev();
      l.networks[1].dhcp = true;
      return l;
    },
    "labstack:lab.networks[1].dhcp: must be false: lab networks use static addresses, as in the seed",
  ],
  [
    "host address outside the CIDR",
    () => {
      const l = dev();
      l.networks[1].hostAddress = "10.1.1.1";
      return l;
    },
    "labstack:lab.networks[1].hostAddress: 10.1.1.1 is outside 192.168.1.0/24",
  ],
  [
    "CIDR with host bits",
    () => {
      const l = dev();
      l.networks[1].cidr = "192.168.1.1/24";
      return l;
    },
    "labstack:lab.networks[1].cidr: must be a network in CIDR form like 192.168.1.0/24",
  ],
  [
    "service on an unknown node",
    () => {
      const l = dev();
      l.services.mariadb.node = "db";
      return l;
    },
    "labstack:lab.services.mariadb.node: unknown node 'db' (known: controller, compute1, compute2)",
  ],
  [
    "management network not host-only",
    () => {
      const l = dev();
      l.managementNetwork = "nat";
      return l;
    },
    "labstack:lab.managementNetwork: network 'nat' is nat; the management network must be hostonly so the host (APT cache) and all nodes share it",
  ],
  [
    "NAT NIC not first",
    () => {
      const l = dev();
      l.nodes[0].nics.reverse();
      return l;
    },
    "labstack:lab.nodes[0].nics[0].network: the first NIC must be on a nat network (the SSH forward), as in the seed",
  ],
  [
    "NAT NIC without SSH forward",
    () => {
      const l = dev();
      delete l.nodes[1].nics[0].sshPort;
      return l;
    },
    "labstack:lab.nodes[1].nics[0].sshPort: is required on the nat NIC: it is how the lab host reaches the node",
  ],
  [
    "privileged forward port",
    () => {
      const l = dev();
      l.nodes[0].nics[0].sshPort = 22;
      return l;
    },
    "labstack:lab.nodes[0].nics[0].sshPort: must be at least 1024 (unprivileged)",
  ],
  [
    "memory typo",
    () => {
      const l = dev();
      l.nodes[0].memory = 2048;
      return l;
    },
    'labstack:lab.nodes[0]: Unrecognized key: "memory"',
  ],
  [
    "network overlapping the NAT network",
    () => {
      const l = dev();
      l.networks[2].cidr = "10.0.2.0/24";
      l.networks[2].hostAddress = "10.0.2.1";
      return l;
    },
    "labstack:lab.networks[2].cidr: 10.0.2.0/24 overlaps the NAT network 10.0.2.0/24 that every node's NAT NIC uses",
  ],
  [
    "image url without checksum",
    () => {
      const l = vbox();
      delete l.image.sha256;
      return l;
    },
    "labstack:lab.image.sha256: is required with url",
  ],
  [
    "built image that must not be baked",
    () => ({ ...dev(), image: { build: { distro: "debian", release: "bookworm" }, bake: false } }),
    "labstack:lab.image.bake: a built image always has the lab's packages: bake: false applies to url and path only",
  ],
  [
    "node without a management address",
    () => {
      const l = dev();
      delete l.nodes[2].nics[1].ip;
      return l;
    },
    "labstack:lab.nodes[2].nics: node 'compute2' needs an address on the management network 'management'",
  ],
  [
    "IP equal to the host's address",
    () => {
      const l = dev();
      l.nodes[0].nics[1].ip = "192.168.1.1";
      return l;
    },
    "labstack:lab.nodes[0].nics[1].ip: 192.168.1.1 is the lab host's address on 'management'",
  ],
  // Path-like keys: on the lab host, whatever folder `pulumi up` runs in, and safe in QEMU's options.
  [
    "relative state folder",
    () => {
      const l = dev();
      l.host.stateDir = "lab-state";
      return l;
    },
    "labstack:lab.host.stateDir: must be an absolute path or start with ~/ (the home folder on the lab host)",
  ],
  [
    "literal ./~ credentials folder",
    () => ({ ...dev(), credentialsDir: "./~/.os_credentials" }),
    "labstack:lab.credentialsDir: must be an absolute path or start with ~/ (the home folder on the lab host)",
  ],
  [
    "credentials folder that is the home folder",
    () => ({ ...dev(), credentialsDir: "~/" }),
    "labstack:lab.credentialsDir: must name something inside / or ~/, not the root or home folder itself",
  ],
  [
    "state folder that is the root",
    () => {
      const l = dev();
      l.host.stateDir = "/";
      return l;
    },
    "labstack:lab.host.stateDir: must name something inside / or ~/, not the root or home folder itself",
  ],
  [
    "state folder climbing out with ..",
    () => {
      const l = dev();
      l.host.stateDir = "/var/lib/labstack/../../../usr";
      return l;
    },
    "labstack:lab.host.stateDir: must not contain '..': give the path itself",
  ],
  [
    "image path with a comma",
    () => ({ ...dev(), image: { path: "/srv/disk.qcow2,format=raw" } }),
    "labstack:lab.image.path: must not contain a comma or a control character such as a newline (QEMU's -drive option splits at commas)",
  ],
  [
    "kernel path with a newline",
    () => ({ ...dev(), image: { path: "/srv/disk.raw", kernel: "/srv/vmlinuz\n/etc/shadow", initrd: "/srv/initrd" } }),
    "labstack:lab.image.kernel: must not contain a comma or a control character such as a newline (QEMU's -drive option splits at commas)",
  ],
  [
    "relative initrd",
    () => ({ ...dev(), image: { path: "/srv/disk.raw", kernel: "/srv/vmlinuz", initrd: "initrd.img" } }),
    "labstack:lab.image.initrd: must be an absolute path or start with ~/ (the home folder on the lab host)",
  ],
  // Names that hosts, DNS or the learner compare ignoring case.
  [
    "node names differing only in case",
    () => {
      const l = net(5);
      l.nodes[2].name = "BOXA";
      return l;
    },
    "labstack:lab.nodes[2].name: node name 'BOXA' differs from 'boxA' (nodes[0]) only in case; host names and DNS ignore case",
  ],
  [
    "host devices differing only in case",
    () => {
      const l = dev();
      l.networks[1].device = "labBr0";
      l.networks[2].device = "LABBR0";
      return l;
    },
    `labstack:lab.networks[2].device: host device 'LABBR0' differs from 'labBr0' (networks[1]) only in case; ${INTERFACE_CASE}`,
  ],
  [
    "guest devices differing only in case",
    () => {
      const l = net("tunnels");
      l.guest.tunnels[2].name = "LabGre";
      return l;
    },
    `labstack:lab.guest.tunnels[2].name: device name 'LabGre' differs from 'labgre' (guest.tunnels[0] on node 'boxA') only in case; ${INTERFACE_CASE}`,
  ],
  [
    "two VXLANs with the default name on one node",
    () => {
      const l = net(9);
      l.guest.vxlans.push({ ...l.guest.vxlans[0], id: 200, ip: "192.168.61.4/24" });
      return l;
    },
    "labstack:lab.guest.vxlans[2].name: duplicate device name 'vxlan0' (also guest.vxlans[0] on node 'boxA')",
  ],
  [
    "guest bridge named like a NIC",
    () => {
      const l = net(5);
      l.guest.bridges[0].name = "enp0s8";
      return l;
    },
    "labstack:lab.guest.bridges[0].name: 'enp0s8' is node 'boxB''s NIC on network 'networka'",
  ],
  [
    "tunnel named like the kernel's fallback device",
    () => {
      const l = net("tunnels");
      l.guest.tunnels[0].name = "gre0";
      return l;
    },
    "labstack:lab.guest.tunnels[0].name: 'gre0' is a device the guest's kernel makes itself; choose another name",
  ],
  [
    "NIC in two guest bridges",
    () => {
      const l = net(5);
      l.guest.bridges.push({ node: "boxB", name: "br2", ports: ["networkb"] });
      return l;
    },
    "labstack:lab.guest.bridges[1].ports[0]: node 'boxB''s NIC on network 'networkb' is already a port of bridge 'myBridge'",
  ],
  [
    "the same VLAN twice",
    () => {
      const l = net(8);
      l.guest.vlans.push({ ...l.guest.vlans[0], ip: "192.168.60.9/24" });
      return l;
    },
    "labstack:lab.guest.vlans[4].id: duplicate VLAN 100 on node 'boxA''s NIC on network 'mynetwork' (also guest.vlans[0])",
  ],
  // Overlapping networks, whatever their kinds.
  [
    "overlapping internal networks",
    () => {
      const l = net(4);
      l.networks.push({ name: "other", kind: "internal", cidr: "192.168.50.128/25" });
      return l;
    },
    "labstack:lab.networks[2].cidr: 192.168.50.128/25 overlaps network 'mynetwork' (192.168.50.0/24); only internal networks joined by a guest bridge (one segment) may share addresses",
  ],
  [
    "lab 5's networks without the bridge joining them",
    () => {
      const l = net(5);
      l.guest.bridges = [];
      l.checks = l.checks.slice(0, 2);
      return l;
    },
    "labstack:lab.networks[2].cidr: 192.168.0.0/16 overlaps network 'networka' (192.168.0.0/16); only internal networks joined by a guest bridge (one segment) may share addresses",
  ],
  [
    "internal network on a host-only subnet",
    () => {
      const l = dev();
      l.networks[2] = { name: "guest", kind: "internal", cidr: "192.168.1.0/25" };
      return l;
    },
    "labstack:lab.networks[2].cidr: 192.168.1.0/25 overlaps network 'management' (192.168.1.0/24); only internal networks joined by a guest bridge (one segment) may share addresses",
  ],
  [
    "VLAN subnet on its underlay's subnet",
    () => {
      const l = net(8);
      l.guest.vlans[0].ip = "192.168.50.9/24";
      return l;
    },
    "labstack:lab.guest.vlans[0].ip: 192.168.50.9/24 overlaps network 'mynetwork' (192.168.50.0/24); a guest device's subnet is a segment of its own",
  ],
  [
    "bridge address outside the networks it joins",
    () => {
      const l = net(6);
      l.guest.bridges[0].ip = "10.9.9.9/24";
      return l;
    },
    "labstack:lab.guest.bridges[0].ip: 10.9.9.9/24 is outside network 'networka' (192.168.0.0/16) that the bridge joins",
  ],
  // Overlays need an underlay on which their ends reach each other.
  [
    "VXLAN over the NAT network",
    () => {
      const l = net(9);
      l.guest.vxlans[0].network = "nat";
      return l;
    },
    "labstack:lab.guest.vxlans[0].network: network 'nat' is nat: each node has a NAT of its own there, so the VXLAN 100's ends cannot reach each other",
  ],
  [
    "VXLAN over an unnumbered NIC",
    () => {
      const l = net(9);
      delete l.nodes[0].nics[1].ip;
      return l;
    },
    "labstack:lab.guest.vxlans[0].network: node 'boxA' has no address on network 'mynetwork': an unnumbered NIC cannot source the VXLAN 100",
  ],
  [
    "VXLAN remote that is no node",
    () => {
      const l = net(9);
      l.guest.vxlans[0].remote = "192.168.50.99";
      return l;
    },
    "labstack:lab.guest.vxlans[0].remote: 192.168.50.99 is no node's address on network 'mynetwork', the VXLAN 100's underlay",
  ],
  [
    "VXLAN remote that is the node itself",
    () => {
      const l = net(9);
      l.guest.vxlans[0].remote = "192.168.50.4";
      return l;
    },
    "labstack:lab.guest.vxlans[0].remote: 192.168.50.4 is node 'boxA''s own address; remote is the other end",
  ],
  [
    "tunnel ends on different ids",
    () => {
      const l = net("tunnels");
      l.guest.tunnels[3].id = 201;
      return l;
    },
    "labstack:lab.guest.tunnels[3].id: 201 differs from the other end's labstack:lab.guest.tunnels[2].id (200): both ends of the geneve tunnel must use one id",
  ],
  [
    "multicast group nobody else joins",
    () => {
      const l = net(10);
      l.guest.vxlans[1].group = l.guest.vxlans[2].group = "239.255.0.2";
      return l;
    },
    "labstack:lab.guest.vxlans[0].group: no other node joins 239.255.0.1 with VXLAN 100 on network 'mynetwork': labstack:lab.guest.vxlans[1].group joins 239.255.0.2 with it; the ends of a VXLAN join one group",
  ],
  // Exposure to the internet is the learner's explicit choice.
  [
    "droplet SSH open to the internet",
    () => {
      const l = droplet();
      l.host.sshSourceCidrs = ["203.0.113.7/32", "0.0.0.0/0"];
      return l;
    },
    "labstack:lab.host.sshSourceCidrs[1]: 0.0.0.0/0 opens the droplet's SSH to the whole internet; name your own address (x.y.z.w/32), or set host.allowPublicSsh: true if you mean it",
  ],
  [
    "droplet SSH open to half the internet",
    () => {
      const l = droplet();
      l.host.sshSourceCidrs = ["0.0.0.0/1", "128.0.0.0/1"];
      return l;
    },
    "labstack:lab.host.sshSourceCidrs[0]: 0.0.0.0/1 opens the droplet's SSH to a large part of the internet; name your own address (x.y.z.w/32), or set host.allowPublicSsh: true if you mean it",
  ],
  [
    "droplet without a region",
    () => {
      const l = droplet();
      delete l.host.region;
      return l;
    },
    "labstack:lab.host.region: is required: the droplet's data centre, e.g. fra1, ams3 or nyc3; pick the one nearest you from `doctl compute region list`",
  ],
  // Downloads only over http(s).
  [
    "image from a file: URL",
    () => {
      const l = vbox();
      l.image.url = "file:///etc/shadow";
      return l;
    },
    "labstack:lab.image.url: must be an http:// or https:// URL",
  ],
  [
    "image from a javascript: URL",
    () => {
      const l = vbox();
      l.image.url = "javascript:alert(1)";
      return l;
    },
    "labstack:lab.image.url: must be an http:// or https:// URL",
  ],
  [
    "checksum list from an ftp: URL",
    () => {
      const l = vbox();
      l.image.sha256 = "ftp://mirror.example/SHA256SUMS";
      return l;
    },
    "labstack:lab.image.sha256: must be 64 lower-case hex digits or the http(s) URL of a checksum file",
  ],
  [
    "built image from an ftp: mirror",
    () => ({ ...dev(), image: { build: { distro: "debian", release: "bookworm", mirror: "ftp://ftp.debian.org/debian" } } }),
    "labstack:lab.image.build.mirror: must be an http:// or https:// URL",
  ],
  // A downloaded image must be authenticated by something (https, a pinned SHA-256) or say why not.
  [
    "image and its SHA256SUMS both over plain http",
    () => {
      const l = vbox();
      l.image.url = l.image.url.replace(/^https:/, "http:");
      l.image.sha256 = l.image.sha256.replace(/^https:/, "http:");
      return l;
    },
    "labstack:lab.image.url: http://cloud-images.ubuntu.com/releases/jammy/release/ubuntu-22.04-server-cloudimg-amd64.img and its checksum (image.sha256: http://cloud-images.ubuntu.com/releases/jammy/release/SHA256SUMS) both come over plain http, so anyone on the way can swap the image and its checksum together; use https:// for them (cloud-images.ubuntu.com, cloud.debian.org and deb.debian.org serve it), pin image.sha256 to the image's 64-hex-digit SHA-256, or set image.insecureHttp to the reason plain http is acceptable here",
  ],
  [
    "plain http image with an empty reason",
    () => {
      const l = vbox();
      l.image.url = l.image.url.replace(/^https:/, "http:");
      l.image.sha256 = l.image.sha256.replace(/^https:/, "http:");
      l.image.insecureHttp = " ";
      return l;
    },
    `labstack:lab.image.insecureHttp: must say why plain http is acceptable here (e.g. "the classroom's own mirror, on this LAN only"): an empty reason is none`,
  ],
  [
    "insecureHttp for an image over https",
    () => {
      const l = vbox();
      l.image.insecureHttp = "just in case";
      return l;
    },
    "labstack:lab.image.insecureHttp: is only for an image whose download nothing authenticates (image.url and image.sha256 both plain http://); this lab's image is checked over https or against a pinned SHA-256: remove it",
  ],
  [
    "APT cache through an https: proxy",
    () => ({ ...dev(), aptCache: { upstreamProxy: "https://proxy.example:3128" } }),
    "labstack:lab.aptCache.upstreamProxy: must be an http:// URL: the cache reaches its upstream through an HTTP proxy",
  ],
  [
    "minikube checksum from a file: URL",
    () => {
      const l = minikube();
      l.minikube.sha256 = "file:///tmp/minikube.sha256";
      return l;
    },
    "labstack:lab.minikube.sha256: must be 64 lower-case hex digits or the http(s) URL of a checksum file",
  ],
  // Found in the audit of the rest of the model.
  [
    "ssh host address that is an option",
    () => ({ ...dev(), host: { kind: "ssh", address: "-p2222" } }),
    "labstack:lab.host.address: must be an address or a host name",
  ],
  [
    "capture filter that is an option",
    () => {
      const l = net(9);
      l.checks[2].filter = "-w/tmp/x";
      return l;
    },
    "labstack:lab.checks[2].filter: must be a tcpdump filter expression like 'udp port 4789' (never an option: no leading '-')",
  ],
  [
    "ping to a node without an address",
    () => {
      const l = net(5);
      l.checks[0].to = "boxB";
      return l;
    },
    "labstack:lab.checks[0].to: node 'boxB' has no static address to ping",
  ],
  [
    "ARP check on a peer without an address",
    () => {
      const l = net(3);
      delete l.nodes[1].nics[1].ip;
      return l;
    },
    "labstack:lab.checks[2].peer: node 'boxB' has no address on network 'hostonly' to resolve",
  ],
  [
    "fdb check on an unknown bridge",
    () => {
      const l = net(5);
      l.checks[2].bridge = "br0";
      return l;
    },
    "labstack:lab.checks[2].bridge: node 'boxB' has no guest bridge 'br0'",
  ],
  [
    "vtep-fdb check on an unknown device",
    () => {
      const l = net(10);
      l.checks[3].device = "vxlan1";
      return l;
    },
    "labstack:lab.checks[3].device: node 'boxA' has no VXLAN device 'vxlan1'",
  ],
  [
    "web server on an SSH forward's port",
    () => {
      const l = net(1);
      l.checks[0].port = 2222;
      return l;
    },
    "labstack:lab.checks[0].port: port 2222 is already forwarded to node 'boxA'",
  ],
  [
    "APT cache on an SSH forward's port",
    () => ({ ...dev(), aptCache: { port: 8222 } }),
    "labstack:lab.aptCache.port: port 8222 is already forwarded to node 'controller'",
  ],
  [
    "more NICs than the guest has names for",
    () => {
      const l = dev();
      for (let i = 0; i < 6; i++) l.nodes[0].nics.push({ network: "guest" });
      return l;
    },
    "labstack:lab.nodes[0].nics: at most 8 NICs: the guest's NIC names are planned for 8 PCI slots",
  ],
  ["cloud archive typo", () => ({ ...dev(), cloudArchive: "Caracal" }), "labstack:lab.cloudArchive: must be an OpenStack release code name like caracal"],

  // Issue 27, principles that hold across every key. Capacity before creation: every request
  // against what will hold it (facts from outside the config: BAD_CONFIGS_GIVEN_FACTS).
  [
    "node disk smaller than the built image",
    changed(dev, (l) => (l.image.build.sizeGiB = 9)),
    "labstack:lab.nodes[1].diskGiB: 8 GiB cannot hold the built image (image.build.sizeGiB: 9): give node 'compute1' at least 9",
  ],
  [
    "droplet with fewer vCPUs than a node asks for",
    changed(droplet, (l) => {
      l.host.size = "m-2vcpu-16gb";
      l.nodes[0].cpus = 4;
    }),
    "labstack:lab.nodes[0].cpus: node 'controller' asks for 4 vCPUs but a m-2vcpu-16gb droplet has 2 vCPUs",
  ],
  [
    "droplet whose memory the slug gives in MB, before its disk",
    changed(droplet, (l) => (l.host.size = "s-1vcpu-512mb-10gb")),
    "labstack:lab.nodes: the nodes need 14336 MiB of memory but a s-1vcpu-512mb-10gb droplet has 512 MiB",
  ],
  [
    "minikube cluster with more vCPUs than its droplet",
    changed(minikube, (l) => (l.host = { kind: "digitalocean", region: "fra1", size: "s-1vcpu-2gb", sshSourceCidrs: ["203.0.113.7/32"] })),
    "labstack:lab.minikube.cpus: the cluster asks for 2 vCPUs but a s-1vcpu-2gb droplet has 1 vCPU",
  ],
  // Both ends agree: what two ends share is checked as a pair, the message naming both keys.
  [
    "VXLAN ends on different VNIs",
    changed(
      () => net(9),
      (l) => (l.guest.vxlans[1].id = 101),
    ),
    "labstack:lab.guest.vxlans[1].id: 101 differs from the other end's labstack:lab.guest.vxlans[0].id (100): both ends of the VXLAN must use one VNI",
  ],
  [
    "VXLAN ends on different UDP ports",
    changed(
      () => net(9),
      (l) => (l.guest.vxlans[1].port = 8472),
    ),
    "labstack:lab.guest.vxlans[1].port: 8472 differs from the other end's labstack:lab.guest.vxlans[0].port (4789): both ends of the VXLAN must use one UDP port",
  ],
  [
    "VXLAN ends on different subnets",
    changed(
      () => net(9),
      (l) => (l.guest.vxlans[1].ip = "192.168.61.5/24"),
    ),
    "labstack:lab.guest.vxlans[1].ip: 192.168.61.5/24 is not on the subnet of the other end labstack:lab.guest.vxlans[0].ip (192.168.60.4/24): the ends of VXLAN 100 share one subnet",
  ],
  [
    "multicast VXLAN member on another VNI",
    changed(
      () => net(10),
      (l) => (l.guest.vxlans[2].id = 101),
    ),
    "labstack:lab.guest.vxlans[2].id: no other node joins 239.255.0.1 with VXLAN 101 on network 'mynetwork': labstack:lab.guest.vxlans[0].id (100) joins it; the ends of a VXLAN must use one VNI",
  ],
  [
    "multicast VXLAN member on another UDP port",
    changed(
      () => net(10),
      (l) => (l.guest.vxlans[2].port = 8472),
    ),
    "labstack:lab.guest.vxlans[2].port: 8472 differs from labstack:lab.guest.vxlans[0].port (4789), another end of VXLAN 100 in 239.255.0.1: the ends must use one UDP port",
  ],
  [
    "multicast group only one node joins",
    changed(
      () => net(10),
      (l) => Object.assign(l.guest.vxlans[2], { id: 200, group: "239.255.0.2", ip: "192.168.61.6/24" }),
    ),
    "labstack:lab.guest.vxlans[2].group: no other node joins 239.255.0.2 with VXLAN 200 on network 'mynetwork': the overlay would have no peer",
  ],
  [
    "VLAN ends on different subnets",
    changed(
      () => net(8),
      (l) => (l.guest.vlans[1].ip = "192.168.61.5/24"),
    ),
    "labstack:lab.guest.vlans[1].ip: 192.168.61.5/24 is not on the subnet of the other end labstack:lab.guest.vlans[0].ip (192.168.60.4/24): the ends of VLAN 100 on network 'mynetwork' share one subnet",
  ],
  [
    "two VLANs on one subnet",
    changed(
      () => net(8),
      (l) => {
        l.guest.vlans[2].ip = "192.168.60.15/24";
        l.guest.vlans[3].ip = "192.168.60.16/24";
      },
    ),
    "labstack:lab.guest.vlans[2].ip: 192.168.60.15/24 overlaps VLAN 100 on network 'mynetwork' (labstack:lab.guest.vlans[0].ip: 192.168.60.4/24); each VLAN and overlay is a segment of its own",
  ],
  [
    "tunnel ends on different subnets",
    changed(
      () => net("tunnels"),
      (l) => (l.guest.tunnels[1].ip = "192.168.71.5/24"),
    ),
    "labstack:lab.guest.tunnels[1].ip: 192.168.71.5/24 is not on the subnet of the other end labstack:lab.guest.tunnels[0].ip (192.168.70.4/24): the ends of gretap tunnel 7 share one subnet",
  ],
  [
    "GRE key at one end only",
    changed(
      () => net("tunnels"),
      (l) => delete l.guest.tunnels[1].id,
    ),
    "labstack:lab.guest.tunnels[1].id: no id differs from the other end's labstack:lab.guest.tunnels[0].id (7): both ends of the gretap tunnel must use one id",
  ],
  [
    "guest address used twice",
    changed(
      () => net(8),
      (l) => (l.guest.vlans[1].ip = "192.168.60.4/24"),
    ),
    "labstack:lab.guest.vlans[1].ip: 192.168.60.4 is already node 'boxA''s (labstack:lab.guest.vlans[0].ip)",
  ],
  [
    "bridge address that is another node's NIC address",
    changed(
      () => net(6),
      (l) => (l.guest.bridges[0].ip = "192.168.50.4/16"),
    ),
    "labstack:lab.guest.bridges[0].ip: 192.168.50.4 is already node 'boxA''s (labstack:lab.nodes[0].nics[1].ip)",
  ],
  // Checks the topology can satisfy.
  [
    "ping across VLANs",
    changed(
      () => net(8),
      (l) => (l.checks[0].to = "192.168.70.6"),
    ),
    "labstack:lab.checks[0].expect: reach, but node 'boxA' shares no network, VLAN or overlay with 192.168.70.6 (node 'boxC', labstack:lab.guest.vlans[3].ip)",
  ],
  [
    "ping to an address nobody in the lab has",
    changed(
      () => net(3),
      (l) => (l.checks[0].to = "192.168.50.99"),
    ),
    "labstack:lab.checks[0].to: nobody in the lab has 192.168.50.99: no answer could come; name an address of a node or of the lab host",
  ],
  [
    "ping to the internet",
    changed(
      () => net(3),
      (l) => (l.checks[0].to = "8.8.8.8"),
    ),
    "labstack:lab.checks[0].to: nobody in the lab has 8.8.8.8: no answer could come; name an address of a node or of the lab host",
  ],
  [
    "isolation check between ends of one VLAN",
    changed(
      () => net(8),
      (l) => (l.checks[2].to = "192.168.60.5"),
    ),
    "labstack:lab.checks[2].expect: isolated, but node 'boxA' reaches 192.168.60.5 (node 'boxB', labstack:lab.guest.vlans[1].ip) through labstack:lab.guest.vlans[0].ip",
  ],
  [
    "layer-2 reach across VLANs",
    changed(
      () => net(8),
      (l) => (l.checks[2].expect = "reach"),
    ),
    "labstack:lab.checks[2].expect: reach, but node 'boxA' shares no network, VLAN or overlay with 192.168.70.6 (node 'boxC', labstack:lab.guest.vlans[3].ip) over its VLAN 100 on network 'mynetwork'",
  ],
  [
    "isolation check against the node's own address",
    changed(
      () => net(2),
      (l) => l.checks.push({ kind: "ping", from: "boxA", to: "boxA", expect: "isolated" }),
    ),
    "labstack:lab.checks[2].expect: isolated, but 192.168.50.4 is node 'boxA''s own address",
  ],
  [
    "host ping into an internal network",
    changed(
      () => net(4),
      (l) => (l.checks[2].expect = "reach"),
    ),
    "labstack:lab.checks[2].expect: reach, but the lab host shares no network, VLAN or overlay with 192.168.50.4 (node 'boxA', labstack:lab.nodes[0].nics[1])",
  ],
  [
    "host ping to a node's NAT address",
    changed(
      () => net(1),
      (l) => (l.checks[1].expect = "reach"),
    ),
    "labstack:lab.checks[1].expect: reach, but the lab host shares no network, VLAN or overlay with 10.0.2.15 (node 'boxA', labstack:lab.nodes[0].nics[0])",
  ],
  [
    "isolation check against an address nobody has",
    changed(
      () => net(4),
      (l) => (l.checks[2].to = "192.168.50.99"),
    ),
    "labstack:lab.checks[2].to: nobody in the lab has 192.168.50.99: the check would pass whatever the lab does; name an address of a node or of the lab host",
  ],
  [
    "capture on a network the traffic does not cross",
    changed(
      () => net(9),
      (l) => {
        l.networks.push({ name: "other", kind: "internal", cidr: "10.9.0.0/24" });
        l.nodes[0].nics.push({ network: "other", ip: "10.9.0.4" });
        l.checks[2].network = "other";
      },
    ),
    "labstack:lab.checks[2].to: node 'boxA' shares no network, VLAN or overlay with 192.168.60.5 (node 'boxB', labstack:lab.guest.vxlans[1].ip) over network 'other', where the capture watches: the check would fail",
  ],
  [
    "ARP from a bridge's port",
    changed(
      () => net(6),
      (l) => l.checks.push({ kind: "arp", node: "boxB", peer: "boxA", network: "networka" }),
    ),
    "labstack:lab.checks[5].network: node 'boxB' has no address on the segment of 192.168.50.4 (node 'boxA', labstack:lab.nodes[0].nics[1]) over its NIC on network 'networka': labstack:lab.nodes[1].nics[1] is unnumbered or a bridge's port: the check would fail",
  ],
  [
    "VTEP peer that is no other end of the VXLAN",
    changed(
      () => net(10),
      (l) => (l.checks[3].peers = ["192.168.50.5", "192.168.50.9"]),
    ),
    "labstack:lab.checks[3].peers[1]: 192.168.50.9 is no other end of node 'boxA''s VXLAN device 'vxlan0' (its other ends: 192.168.50.5, 192.168.50.6): its forwarding database never learns it",
  ],
  [
    "bridge port that does not face the peer",
    changed(
      () => net(5),
      (l) => (l.checks[2].peers[0].port = "networkb"),
    ),
    "labstack:lab.checks[2].peers[0].port: node 'boxA' is on network 'networka', behind port 'networka' of bridge 'myBridge', not 'networkb': the bridge learns its MAC there",
  ],
  // The NIC that carries SSH is left alone.
  [
    "guest bridge enslaving the NAT NIC",
    changed(
      () => net(5),
      (l) => l.guest.bridges[0].ports.push("nat"),
    ),
    "labstack:lab.guest.bridges[0].ports[2]: network 'nat' is node 'boxB''s NAT NIC, which carries the lab's SSH to it: a bridge port loses its address to the bridge, and the lab its way to the node",
  ],
  [
    "VLAN on the NAT NIC",
    changed(
      () => net(8),
      (l) => (l.guest.vlans[0].network = "nat"),
    ),
    "labstack:lab.guest.vlans[0].network: network 'nat' is node 'boxA''s NAT NIC, which carries the lab's SSH to it: no VLAN there (each node's NAT is its own, nobody would answer)",
  ],
  [
    "tunnel over the NAT NIC",
    changed(
      () => net("tunnels"),
      (l) => (l.guest.tunnels[0].network = "nat"),
    ),
    "labstack:lab.guest.tunnels[0].network: network 'nat' is nat: each node has a NAT of its own there, so the gretap tunnel 7's ends cannot reach each other",
  ],
  [
    "guest bridge address on the NAT subnet",
    changed(
      () => net(6),
      (l) => (l.guest.bridges[0].ip = "10.0.2.9/24"),
    ),
    "labstack:lab.guest.bridges[0].ip: 10.0.2.9/24 overlaps the NAT network 10.0.2.0/24 that every node's NAT NIC uses",
  ],
  [
    "address on a guest bridge's port",
    changed(
      () => net(5),
      (l) => (l.nodes[1].nics[1].ip = "192.168.50.9"),
    ),
    "labstack:lab.nodes[1].nics[1].ip: node 'boxB''s NIC on network 'networka' is a port of bridge 'myBridge' (labstack:lab.guest.bridges[0]): its address would not answer there; give it to the bridge (its ip) instead",
  ],
  // Versions and pairs that exist; the message names the key to change.
  [
    "Debian image of an Ubuntu release",
    changed(dev, (l) => (l.image.build.release = "noble")),
    "labstack:lab.image.build: noble is an Ubuntu release, not a Debian one: give distro: ubuntu, or a Debian release (bookworm, trixie)",
  ],
  [
    "Ubuntu image of a Debian release",
    () => ({ ...dev(), image: { build: { distro: "ubuntu", release: "trixie" } } }),
    "labstack:lab.image.build: trixie is a Debian release, not an Ubuntu one: give distro: debian, or an Ubuntu release (jammy, noble)",
  ],
  [
    "release the lab does not build",
    changed(dev, (l) => (l.image.build.release = "bookwrom")),
    "labstack:lab.image.build.release: the lab builds no Debian release 'bookwrom': it builds bookworm, trixie",
  ],
  [
    "Cloud Archive caracal on noble, which ships it",
    noble,
    "labstack:lab.cloudArchive: Ubuntu noble ships OpenStack caracal itself and the Cloud Archive has no noble-updates/caracal: remove cloudArchive, or pick one of dalmatian, epoxy, flamingo",
  ],
  [
    "Cloud Archive pocket of another Ubuntu release",
    changed(vbox, (l) => (l.cloudArchive = "epoxy")),
    "labstack:lab.cloudArchive: the Cloud Archive has no epoxy for Ubuntu jammy (epoxy is for noble): pick one of zed, antelope, bobcat, caracal, or an image of noble",
  ],
  [
    "Cloud Archive on Debian",
    () => ({ ...dev(), cloudArchive: "caracal" }),
    "labstack:lab.cloudArchive: the Ubuntu Cloud Archive is for Ubuntu nodes and the image is Debian bookworm: remove cloudArchive (Debian's own OpenStack packages are used)",
  ],
  [
    "Cloud Archive release that does not exist",
    () => ({ ...vbox(), cloudArchive: "caracall" }),
    "labstack:lab.cloudArchive: the Ubuntu Cloud Archive has no OpenStack release 'caracall' (it has victoria, wallaby, xena, yoga, zed, antelope, bobcat, caracal, dalmatian, epoxy, flamingo)",
  ],
  [
    "Kubernetes older than the pinned minikube runs",
    changed(minikube, (l) => Object.assign(l.minikube, { kubernetesVersion: "v1.27.4", kubectlVersion: "v1.28.0" })),
    "labstack:lab.minikube.kubernetesVersion: minikube v1.37.0 runs Kubernetes v1.28.0 to v1.34.x, not v1.27.4",
  ],
  [
    "kubectl, the cluster's version, newer than the pinned minikube runs",
    changed(minikube, (l) => (l.minikube.kubectlVersion = "v1.35.0")),
    "labstack:lab.minikube.kubectlVersion: is also the cluster's Kubernetes version (minikube.kubernetesVersion is not set), and minikube v1.37.0 runs Kubernetes v1.28.0 to v1.34.x, not v1.35.0",
  ],
  [
    "kubectl more than one minor release from the cluster",
    changed(minikube, (l) => (l.minikube.kubernetesVersion = "v1.30.0")),
    "labstack:lab.minikube.kubectlVersion: kubectl v1.34.0 cannot manage a Kubernetes v1.30.0 cluster (minikube.kubernetesVersion): kubectl works within one minor release of the cluster",
  ],
  // Reserved identities.
  [
    "lab user root",
    () => ({ ...dev(), user: "root" }),
    "labstack:lab.user: 'root' is an account every node already has (a system user or group): choose a user of the lab's own, like stack",
  ],
  [
    "lab user nobody",
    () => ({ ...net(3), user: "nobody" }),
    "labstack:lab.user: 'nobody' is an account every node already has (a system user or group): choose a user of the lab's own, like stack",
  ],
  [
    "lab user named like the sudo group",
    () => ({ ...dev(), user: "sudo" }),
    "labstack:lab.user: 'sudo' is an account every node already has (a system user or group): choose a user of the lab's own, like stack",
  ],
  [
    "RabbitMQ's guest account",
    changed(dev, (l) => (l.services.rabbitmq.user = "guest")),
    "labstack:lab.services.rabbitmq.user: guest is RabbitMQ's built-in account (localhost only, password guest): name the lab's own, like openstack",
  ],
  [
    "APT cache fetching through itself",
    () => ({ ...dev(), aptCache: { upstreamProxy: "http://192.168.1.1:3142/" } }),
    "labstack:lab.aptCache.upstreamProxy: http://192.168.1.1:3142/ is the lab's own APT cache (the lab host, port 3142): the cache would fetch through itself; name the proxy beyond it, or leave upstreamProxy out",
  ],
  [
    "APT cache fetching through the lab host's loopback on its own port",
    () => ({ ...dev(), aptCache: { port: 3150, upstreamProxy: "http://localhost:3150" } }),
    "labstack:lab.aptCache.upstreamProxy: http://localhost:3150 is the lab's own APT cache (the lab host, port 3150): the cache would fetch through itself; name the proxy beyond it, or leave upstreamProxy out",
  ],
  [
    "ssh host address with the user glued on",
    () => ({ ...dev(), host: { kind: "ssh", address: "admin@lab.example" } }),
    "labstack:lab.host.address: give the user in host.user, not in the address: address: lab.example",
  ],
  [
    "ssh host address with the port glued on",
    () => ({ ...dev(), host: { kind: "ssh", address: "203.0.113.7:2222" } }),
    "labstack:lab.host.address: give the port in host.port, not in the address: address: 203.0.113.7",
  ],
  // Values that end up in configuration files: nothing that breaks the file's lines.
  [
    "APT cache proxy with a line of configuration after it",
    () => ({ ...dev(), aptCache: { upstreamProxy: "http://proxy.example:3128/\nPassThroughPattern: .*" } }),
    `labstack:lab.aptCache.upstreamProxy: ${URL_TEXT}`,
  ],
  ["mirror URL with a space", changed(dev, (l) => (l.image.build.mirror = "http://deb.debian.org/deb ian")), `labstack:lab.image.build.mirror: ${URL_TEXT}`],
  ["image URL with a quote", changed(vbox, (l) => (l.image.url += '"')), `labstack:lab.image.url: ${URL_TEXT}`],
  ["checksum list URL ending in a newline", changed(vbox, (l) => (l.image.sha256 += "\n")), `labstack:lab.image.sha256: ${URL_TEXT}`],
  [
    "minikube checksum URL with a tab",
    changed(minikube, (l) => (l.minikube.kubectlSha256 = "https://dl.k8s.io/release/v1.34.0/bin/linux/amd64/\tkubectl.sha256")),
    `labstack:lab.minikube.kubectlSha256: ${URL_TEXT}`,
  ],
  [
    "kernel command line of two lines",
    () => ({ ...dev(), image: { path: "/srv/disk.raw", kernel: "/srv/vmlinuz", initrd: "/srv/initrd", append: "root=/dev/vda\ninit=/bin/sh" } }),
    "labstack:lab.image.append: must be one line of kernel parameters: no newline, tab or other control character",
  ],
  [
    "ssh host key whose comment ends a line",
    () => ({ ...dev(), host: { kind: "ssh", address: "lab.example", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 lab\r@x" } }),
    "labstack:lab.host.hostKey: must be an OpenSSH public host key like 'ssh-ed25519 AAAA...' (ssh-keyscan -t ed25519 <host>)",
  ],
];

/** Bad configs that are bad only given what is known from outside the config (model/rules.ts
 * HostFacts: this machine's cores, a droplet size's figures from DigitalOcean's API, an image's
 * virtual size), with the facts that make them so. */
export const BAD_CONFIGS_GIVEN_FACTS: [name: string, make: () => unknown, facts: Record<string, unknown>, error: string][] = [
  [
    "nodes with more vCPUs than this machine's cores",
    vbox,
    { cores: 1 },
    "labstack:lab.nodes[0].cpus: node 'controller' asks for 2 vCPUs but the lab host has 1 CPU core",
  ],
  [
    "a cluster with more vCPUs than this machine's cores",
    changed(minikube, (l) => (l.minikube.cpus = 8)),
    { cores: 4 },
    "labstack:lab.minikube.cpus: the cluster asks for 8 vCPUs but the lab host has 4 CPU cores",
  ],
  [
    "a droplet size without figures, too small by the API's",
    changed(droplet, (l) => (l.host.size = "c-4")),
    { dropletSize: { vcpus: 4, memoryMiB: 8192 } },
    "labstack:lab.nodes: the nodes need 14336 MiB of memory but a c-4 droplet has 8192 MiB",
  ],
  [
    "a droplet whose API figures say less than its slug",
    droplet,
    { dropletSize: { vcpus: 1, memoryMiB: 16384 } },
    "labstack:lab.nodes[0].cpus: node 'controller' asks for 2 vCPUs but a s-8vcpu-16gb droplet has 1 vCPU",
  ],
  [
    "a node disk smaller than the downloaded image",
    vbox,
    { imageVirtualSizeGiB: 20.5 },
    "labstack:lab.nodes[0].diskGiB: 20 GiB cannot hold the image at image.url (20.5 GiB): give node 'controller' at least 21",
  ],
];
