// Bad lab configs and the exact error each must produce; every one names the key to fix. Shared
// by the model tests (the message) and the entry-point tests (nothing gets registered).
import { stackLab } from "./labs.js";

const dev = () => stackLab("dev");
const vbox = () => stackLab("openstack-lab");

const droplet = () => stackLab("openstack-do");

export const BAD_CONFIGS: [name: string, make: () => unknown, error: string][] = [
  ["droplet open to nobody", () => { const l = droplet(); l.host.sshSourceCidrs = []; return l; }, "labstack:lab.host.sshSourceCidrs: name at least one network allowed to SSH to the droplet (your address as x.y.z.w/32)"],
  ["droplet region typo", () => { const l = droplet(); l.host.region = "frankfurt"; return l; }, "labstack:lab.host.region: must be a region slug like fra1"],
  ["droplet too small for the lab", () => { const l = droplet(); l.host.size = "s-2vcpu-4gb"; return l; }, "labstack:lab.nodes: the nodes need 14336 MiB of memory but a s-2vcpu-4gb droplet has 4096 MiB"],
  ["unknown host kind", () => ({ ...dev(), host: { kind: "aws" } }), "labstack:lab.host.kind: Invalid discriminator value. Expected 'local' | 'ssh' | 'digitalocean'"],
  ["missing config", () => undefined, "labstack:lab: is missing; set it in Pulumi.<stack>.yaml"],
  ["unknown hypervisor", () => ({ ...dev(), hypervisor: { kind: "hyperv" } }), 'labstack:lab.hypervisor.kind: Invalid option: expected one of "virtualbox"|"qemu"'],
  ["IP outside its network", () => { const l = dev(); l.nodes[1].nics[1].ip = "192.168.2.21"; return l; }, "labstack:lab.nodes[1].nics[1].ip: 192.168.2.21 is outside network 'management' (192.168.1.0/24)"],
  ["duplicate node name", () => { const l = dev(); l.nodes[2].name = "compute1"; return l; }, "labstack:lab.nodes[2].name: duplicate node name 'compute1' (also nodes[1])"],
  ["duplicate IP", () => { const l = dev(); l.nodes[2].nics[1].ip = "192.168.1.21"; return l; }, "labstack:lab.nodes[2].nics[1].ip: 192.168.1.21 is already used by node 'compute1'"],
  ["duplicate forwarded port", () => { const l = dev(); l.nodes[2].nics[0].sshPort = 8200; return l; }, "labstack:lab.nodes[2].nics[0].sshPort: port 8200 is already forwarded to node 'compute1'"],
  ["NIC on an unknown network", () => { const l = dev(); l.nodes[0].nics[2].network = "provider"; return l; }, "labstack:lab.nodes[0].nics[2].network: unknown network 'provider' (known: nat, management, guest)"],
  ["overlapping CIDRs", () => { const l = dev(); l.networks[2].cidr = "192.168.0.0/16"; l.networks[2].hostAddress = "192.168.100.1"; return l; }, "labstack:lab.networks[2].cidr: 192.168.0.0/16 overlaps network 'management' (192.168.1.0/24)"],
  ["VirtualBox range without networks.conf", () => { const l = vbox(); l.host.vboxNetworksConf = false; return l; }, "labstack:lab.networks[1].cidr: 192.168.1.0/24 is outside the host-only range VirtualBox allows (192.168.56.0/21); set host.vboxNetworksConf: true so host preparation opens it in /etc/vbox/networks.conf"],
  ["more memory than the host has", () => { const l = dev(); l.host.memoryMiB = 3000; return l; }, "labstack:lab.nodes: the nodes need 4096 MiB of memory but the lab host has 3000 MiB"],
  ["DHCP on a lab network", () => { const l = dev(); l.networks[1].dhcp = true; return l; }, "labstack:lab.networks[1].dhcp: must be false: lab networks use static addresses, as in the seed"],
  ["host address outside the CIDR", () => { const l = dev(); l.networks[1].hostAddress = "10.1.1.1"; return l; }, "labstack:lab.networks[1].hostAddress: 10.1.1.1 is outside 192.168.1.0/24"],
  ["CIDR with host bits", () => { const l = dev(); l.networks[1].cidr = "192.168.1.1/24"; return l; }, "labstack:lab.networks[1].cidr: must be a network in CIDR form like 192.168.1.0/24"],
  ["service on an unknown node", () => { const l = dev(); l.services.mariadb.node = "db"; return l; }, "labstack:lab.services.mariadb.node: unknown node 'db' (known: controller, compute1, compute2)"],
  ["management network not host-only", () => { const l = dev(); l.managementNetwork = "nat"; return l; }, "labstack:lab.managementNetwork: network 'nat' is nat; the management network must be hostonly so the host (APT cache) and all nodes share it"],
  ["NAT NIC not first", () => { const l = dev(); l.nodes[0].nics.reverse(); return l; }, "labstack:lab.nodes[0].nics[0].network: the first NIC must be on a nat network (the SSH forward), as in the seed"],
  ["NAT NIC without SSH forward", () => { const l = dev(); delete l.nodes[1].nics[0].sshPort; return l; }, "labstack:lab.nodes[1].nics[0].sshPort: is required on the nat NIC: it is how the lab host reaches the node"],
  ["privileged forward port", () => { const l = dev(); l.nodes[0].nics[0].sshPort = 22; return l; }, "labstack:lab.nodes[0].nics[0].sshPort: must be at least 1024 (unprivileged)"],
  ["memory typo", () => { const l = dev(); l.nodes[0].memory = 2048; return l; }, 'labstack:lab.nodes[0]: Unrecognized key: "memory"'],
  ["network overlapping the NAT network", () => { const l = dev(); l.networks[2].cidr = "10.0.2.0/24"; l.networks[2].hostAddress = "10.0.2.1"; return l; }, "labstack:lab.networks[2].cidr: 10.0.2.0/24 overlaps the NAT network 10.0.2.0/24 that every node's NAT NIC uses"],
  ["image url without checksum", () => { const l = dev(); delete l.image.sha256; return l; }, "labstack:lab.image.sha256: is required with url"],
  ["node without a management address", () => { const l = dev(); delete l.nodes[2].nics[1].ip; return l; }, "labstack:lab.nodes[2].nics: node 'compute2' needs an address on the management network 'management'"],
  ["IP equal to the host's address", () => { const l = dev(); l.nodes[0].nics[1].ip = "192.168.1.1"; return l; }, "labstack:lab.nodes[0].nics[1].ip: 192.168.1.1 is the lab host's address on 'management'"],
];

