// Bad lab configs and the exact error each must produce; every one names the key to fix. Shared
// by the model tests (the message) and the entry-point tests (nothing gets registered).
import { stackLab } from "./labs.js";

const dev = () => stackLab("dev");
const vbox = () => stackLab("openstack-lab");

const droplet = () => stackLab("openstack-do");
const net = (n: number | "tunnels") => stackLab(`net-${n === "tunnels" ? "tunnels" : `lab${n}`}`);
const minikube = () => stackLab("minikube");
const INTERFACE_CASE = "interface names that differ only in case are too easily mistaken for each other";

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
    "tunnel ends that do not name each other",
    () => {
      const l = net("tunnels");
      l.guest.tunnels[3].id = 201;
      return l;
    },
    "labstack:lab.guest.tunnels[2].remote: node 'boxB' has no geneve tunnel 200 back to 192.168.50.4 on network 'mynetwork'; both ends must name each other",
  ],
  [
    "multicast group nobody else joins",
    () => {
      const l = net(10);
      l.guest.vxlans[1].group = l.guest.vxlans[2].group = "239.255.0.2";
      return l;
    },
    "labstack:lab.guest.vxlans[0].group: no other node joins 239.255.0.1 with VXLAN 100 on network 'mynetwork': the overlay would have no peer",
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
    "droplet SSH from IPv6 anywhere",
    () => {
      const l = droplet();
      l.host.sshSourceCidrs = ["::/0"];
      return l;
    },
    "labstack:lab.host.sshSourceCidrs[0]: must be an IPv4 network like 203.0.113.7/32: the droplet's SSH is reached on its IPv4 address",
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
];
