// The lab model: one zod schema for every kind of lab, parsed once at the entry point. Field rules
// live in the schema; rules that relate fields to each other live in `rules.ts`. Everything after
// parsing receives these typed, defaulted values and never reads stack config again.
import { z } from "zod";
import { parseCidr, parseIpv4 } from "../plan/ipv4.js";

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a lower-case name: a letter, then letters, digits or '-' (at most 31)");
// Node names are host names; the posts' boxA/boxB keep their capitals.
const nodeName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,30}$/, "must be a host name: a letter, then letters, digits or '-' (at most 31)");
const ipv4Cidr = z
  .string()
  .refine((s) => /^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(s) && parseIpv4(s.split("/")[0]) !== undefined && Number(s.split("/")[1]) <= 32, "must be an address with prefix like 192.168.60.4/24");
const ipv4 = z.string().refine((s) => parseIpv4(s) !== undefined, "must be an IPv4 address like 192.168.1.11");
const cidr = z.string().refine((s) => parseCidr(s) !== undefined, "must be a network in CIDR form like 192.168.1.0/24");
const port = z.number().int().min(1024, "must be at least 1024 (unprivileged)").max(65535, "must be at most 65535");
const hostDevice = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{1,15}$/, "must be a Linux interface name (at most 15 letters, digits, '_', '.', '-')");

// Fields every lab host kind has.
const hostCommon = {
  /** Where VM disks, seeds, pidfiles and logs live on the lab host.
   * @default ~/.local/share/labstack/<stack> (local), /var/lib/labstack/<stack> (remote) */
  stateDir: z.string().optional(),
  /** Known memory of the host in MiB; checked against what the nodes need. @default measured (local) */
  memoryMiB: z.number().int().positive().optional(),
  /** Host preparation writes /etc/vbox/networks.conf so VirtualBox accepts the lab's host-only ranges. */
  vboxNetworksConf: z.boolean().default(false),
};

export const LocalHostSchema = z.strictObject({
  /** The machine running `pulumi up`. */
  kind: z.literal("local"),
  ...hostCommon,
});

/** An existing Linux machine reached over SSH; its private key is the secret config `labstack:hostPrivateKey`. */
export const SshHostSchema = z.strictObject({
  kind: z.literal("ssh"),
  /** Address or DNS name of the lab host, as seen from where Pulumi runs. */
  address: z.string().regex(/^[a-zA-Z0-9.:-]+$/, "must be an address or a host name"),
  port: z.number().int().min(1).max(65535).default(22),
  /** Root, or a user with password-less sudo. */
  user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name").default("root"),
  ...hostCommon,
});

/** DigitalOcean droplet sizes carry their memory in the slug (s-8vcpu-16gb). */
export const dropletMemoryMiB = (size: string): number | undefined => {
  const m = /-(\d+)gb(-|$)/.exec(size);
  return m ? Number(m[1]) * 1024 : undefined;
};

/** A droplet created with the lab (nested virtualization), its firewall and SSH key; the token is `digitalocean:token`. */
export const DropletHostSchema = z.strictObject({
  kind: z.literal("digitalocean"),
  region: z.string().regex(/^[a-z]{3}\d$/, "must be a region slug like fra1").default("fra1"),
  /** At least 16 GB of RAM by default: the seed's lab needs 14 GiB for its VMs. */
  size: z.string().regex(/^[a-z0-9-]+$/, "must be a size slug like s-8vcpu-16gb").default("s-8vcpu-16gb"),
  image: z.string().regex(/^[a-z0-9.-]+$/, "must be an image slug like ubuntu-24-04-x64").default("ubuntu-24-04-x64"),
  /** Who may SSH to the droplet; nothing else is admitted. */
  sshSourceCidrs: z.array(cidr).min(1, "name at least one network allowed to SSH to the droplet (your address as x.y.z.w/32)"),
  ...hostCommon,
});

export const HostSchema = z.discriminatedUnion("kind", [LocalHostSchema, SshHostSchema, DropletHostSchema]);

export const HypervisorSchema = z.strictObject({
  kind: z.enum(["virtualbox", "qemu"]),
  /** QEMU only: `auto` uses KVM when a guest really boots with it, else TCG. */
  accel: z.enum(["auto", "kvm", "tcg"]).default("auto"),
});

export const ImageSchema = z
  .strictObject({
    /** A cloud image to download once into the host's cache. */
    url: z.url().optional(),
    /** SHA-256 of the file at `url` (64 hex digits), or the URL of a SHA256SUMS file listing it. Required with url. */
    sha256: z
      .string()
      .refine((s) => /^[0-9a-f]{64}$/.test(s) || /^https?:\/\/\S+$/.test(s), "must be 64 lower-case hex digits or the URL of a SHA256SUMS file")
      .optional(),
    /** A local image file instead of `url` (qcow2, or raw for QEMU; any format qemu-img reads for VirtualBox). */
    path: z.string().optional(),
    /** Boot this kernel directly (images without a boot loader, such as our Debian test image). */
    kernel: z.string().optional(),
    initrd: z.string().optional(),
    /** Kernel command line with `kernel`. */
    append: z.string().default("root=/dev/vda rw console=ttyS0"),
  })
  .refine((i) => (i.url === undefined) !== (i.path === undefined), "give exactly one of url or path")
  .refine((i) => i.url === undefined || i.sha256 !== undefined, { message: "is required with url", path: ["sha256"] })
  .refine((i) => (i.kernel === undefined) === (i.initrd === undefined), "give kernel and initrd together");

export const NetworkSchema = z.strictObject({
  name,
  /** nat: per-VM NAT with port forwards; hostonly: host and VMs; internal: VMs only; bridged: an existing host bridge. */
  kind: z.enum(["nat", "hostonly", "internal", "bridged"]),
  cidr: cidr.optional(),
  /** The lab host's own address on a host-only network (vboxnet0's 192.168.1.1 in the seed). */
  hostAddress: ipv4.optional(),
  /** The host device: vboxnetN for VirtualBox host-only, the bridge for QEMU or bridged networks. */
  device: hostDevice.optional(),
  /** bridged only: the lab creates the host bridge (and removes it on destroy) instead of joining an existing one. */
  create: z.boolean().default(false),
  /** Addresses are static; a DHCP server on a lab network would fight them. */
  dhcp: z.literal(false, { error: "must be false: lab networks use static addresses, as in the seed" }).default(false),
});

export const NicSchema = z.strictObject({
  network: name,
  /** Static address on this NIC; none = unnumbered (brought up without an address). */
  ip: ipv4.optional(),
  /** VirtualBox allow-all promiscuous mode; needed where the guest bridges frames (Neutron). */
  promiscuous: z.boolean().default(false),
  /** NAT NIC only: host port forwarded to the guest's SSH port 22. */
  sshPort: port.optional(),
});

export const NodeSchema = z.strictObject({
  name: nodeName,
  cpus: z.number().int().min(1).max(64).default(1),
  memoryMiB: z.number().int().min(256, "must be at least 256"),
  diskGiB: z.number().int().min(3, "must be at least 3").max(2048).default(10),
  /** NICs in guest PCI order; the first is the NAT NIC with the SSH forward, as in the seed. */
  nics: z.array(NicSchema).min(1, "a node needs at least its NAT NIC"),
});

const placement = z.strictObject({ node: nodeName });

export const ServicesSchema = z.strictObject({
  /** NTP: the server node serves the management network, every other node syncs from it. */
  chrony: z.strictObject({ server: nodeName }).optional(),
  mariadb: placement.optional(),
  rabbitmq: z.strictObject({ node: nodeName, user: name.default("openstack") }).optional(),
  memcached: placement.optional(),
});

export const AptCacheSchema = z.strictObject({
  enabled: z.boolean().default(true),
  port: port.default(3142),
  /** An HTTP proxy the cache itself fetches through (corporate proxies, or our CI's shared cache). */
  upstreamProxy: z.url().optional(),
});

/** Devices the networking labs create inside nodes, with today's iproute2. */
export const GuestSchema = z.strictObject({
  /** A Linux bridge joining NICs of a node (labs 5-6); with `ip` the node itself is on it. */
  bridges: z
    .array(z.strictObject({ node: nodeName, name: hostDevice, ports: z.array(name).min(1), ip: ipv4Cidr.optional() }))
    .default([]),
  /** An 802.1Q VLAN device on the NIC attached to `network` (lab 8). */
  vlans: z
    .array(z.strictObject({ node: nodeName, network: name, id: z.number().int().min(1).max(4094), ip: ipv4Cidr }))
    .default([]),
  /** A VXLAN device over the NIC on `network`: point-to-point with `remote` (lab 9) or multicast with `group` (lab 10). */
  vxlans: z
    .array(
      z.strictObject({
        node: nodeName,
        name: hostDevice.default("vxlan0"),
        id: z.number().int().min(1).max(16777215),
        network: name,
        remote: ipv4.optional(),
        group: ipv4.optional(),
        ttl: z.number().int().min(1).max(255).optional(),
        port: z.number().int().min(1).max(65535).default(4789),
        ip: ipv4Cidr,
      }),
    )
    .default([]),
  /** GRE-over-Ethernet (gretap) or Geneve point-to-point tunnels: what the posts mention but do not lab. */
  tunnels: z
    .array(
      z.strictObject({
        node: nodeName,
        name: hostDevice,
        kind: z.enum(["gretap", "geneve"]),
        network: name,
        remote: ipv4,
        id: z.number().int().min(1).max(16777215).optional(),
        ip: ipv4Cidr,
      }),
    )
    .default([]),
});

const expect = z.enum(["reach", "isolated"]);
/** The posts' observations, as checks that run as part of `up`. */
export const CheckSchema = z.discriminatedUnion("kind", [
  /** `from` pings `to` (an address or a node's name on `network`). */
  z.strictObject({ kind: z.literal("ping"), from: nodeName, to: z.string(), expect: expect.default("reach") }),
  /** `from` tries to reach `to` at layer 2 through its NIC on `network` (or that NIC's VLAN device):
   * an ARP answer means the two share a segment, whatever their IP subnets. */
  z.strictObject({ kind: z.literal("l2"), from: nodeName, network: name, vlan: z.number().int().min(1).max(4094).optional(), to: ipv4, expect: expect.default("reach") }),
  /** The lab host pings `to`. */
  z.strictObject({ kind: z.literal("host-ping"), to: ipv4, expect: expect.default("reach") }),
  /** After `node` talked to `peer` on `network`, its ARP cache holds the peer's MAC. */
  z.strictObject({ kind: z.literal("arp"), node: nodeName, peer: nodeName, network: name }),
  /** The bridge in `node` has learned each peer's MAC on the port facing that peer. */
  z.strictObject({ kind: z.literal("fdb"), node: nodeName, bridge: hostDevice, peers: z.array(z.strictObject({ node: nodeName, network: name, port: name })).min(1) }),
  /** A VXLAN device's forwarding database has learned the other VTEPs. */
  z.strictObject({ kind: z.literal("vtep-fdb"), node: nodeName, device: hostDevice.default("vxlan0"), peers: z.array(ipv4).min(1) }),
  /** While `node` pings `to`, tcpdump on its NIC on `network` sees frames matching `filter` whose
   * decoded text matches the regular expression `pattern` (802.1Q tags, VXLAN headers). */
  z.strictObject({ kind: z.literal("capture"), node: nodeName, network: name, filter: z.string().min(1), pattern: z.string().min(1), to: ipv4 }),
  /** `node` fetches a page the lab serves on the lab host, through the NAT's gateway 10.0.2.2. */
  z.strictObject({ kind: z.literal("nat-service"), node: nodeName, port: port.default(8080) }),
]);

export const LabSchema = z.strictObject({
  kind: z.enum(["openstack", "network"]),
  /** What the lab teaches, shown in its outputs. */
  description: z.string().optional(),
  host: HostSchema.default({ kind: "local", vboxNetworksConf: false }),
  hypervisor: HypervisorSchema,
  image: ImageSchema,
  /** The sudo user cloud-init creates on every node; the SSH key is the lab's generated one. */
  user: name.default("stack"),
  /** The network whose addresses go into /etc/hosts and on which services listen (openstack labs). */
  managementNetwork: name.optional(),
  networks: z.array(NetworkSchema).min(1),
  nodes: z.array(NodeSchema).min(1),
  services: ServicesSchema.default({}),
  aptCache: AptCacheSchema.default({ enabled: true, port: 3142 }),
  guest: GuestSchema.default({ bridges: [], vlans: [], vxlans: [], tunnels: [] }),
  checks: z.array(CheckSchema).default([]),
  /** Ubuntu Cloud Archive pocket for OpenStack packages (e.g. caracal); Ubuntu nodes only. */
  cloudArchive: z.string().regex(/^[a-z]+$/).optional(),
  /** Install python3-openstackclient on every node, as the seed's nodeSetup does. */
  openstackClient: z.boolean().default(true),
  /** Folder on the lab host for credentials.yaml and the SSH key. @default ~/.os_credentials */
  credentialsDir: z.string().optional(),
  /** Bump to regenerate every password and the SSH key on the next `up`. */
  credentialsRotation: z.number().int().min(0).default(0),
});

export type Lab = z.infer<typeof LabSchema>;
export type LabNode = Lab["nodes"][number];
export type LabNetwork = Lab["networks"][number];
export type LabCheck = Lab["checks"][number];

const version = z.string().regex(/^v\d+\.\d+\.\d+$/, "must be a release like v1.37.0");
const sha256OrUrl = z
  .string()
  .refine((s) => /^[0-9a-f]{64}$/.test(s) || /^https?:\/\/\S+$/.test(s), "must be 64 lower-case hex digits or the URL of a checksum file");

/** The minikube post's lab: a one-node cluster on the lab host and the posts' workloads. */
export const MinikubeLabSchema = z.strictObject({
  kind: z.literal("minikube"),
  description: z.string().optional(),
  host: HostSchema.default({ kind: "local", vboxNetworksConf: false }),
  minikube: z
    .strictObject({
      /** minikube release, installed on the lab host for this lab only. */
      version: version.default("v1.37.0"),
      /** Pin the binary's SHA-256; by default it is checked against the release's published .sha256. */
      sha256: sha256OrUrl.optional(),
      /** kubectl release (also the cluster's Kubernetes version unless kubernetesVersion is set). */
      kubectlVersion: version.default("v1.34.0"),
      kubectlSha256: sha256OrUrl.optional(),
      kubernetesVersion: version.optional(),
      /** virtualbox as in the post; kvm2 for KVM hosts; docker or none without a hypervisor. */
      driver: z.enum(["virtualbox", "kvm2", "docker", "none"]).default("virtualbox"),
      /** The post's defaults: 2 GB and 2 CPUs (minikube refuses less than 1800 MB or 2 CPUs). */
      memoryMiB: z.number().int().min(1800, "must be at least 1800: minikube refuses less").default(2048),
      cpus: z.number().int().min(2, "must be at least 2: minikube refuses fewer").max(64).default(2),
    })
    .default({ version: "v1.37.0", kubectlVersion: "v1.34.0", driver: "virtualbox", memoryMiB: 2048, cpus: 2 }),
  /** How `alpine-service` is exposed: the post shows both (LoadBalancer needs `tunnel` for an external IP). */
  service: z.strictObject({ type: z.enum(["NodePort", "LoadBalancer"]).default("NodePort") }).default({ type: "NodePort" }),
  /** minikube addons to enable; removing one disables it. */
  addons: z.array(z.enum(["ingress", "dashboard", "metrics-server", "storage-provisioner", "default-storageclass"])).default([]),
  /** Run `minikube tunnel` on the lab host so LoadBalancer services get an external IP. */
  tunnel: z.boolean().default(false),
  /** Bump to regenerate the lab's SSH key pair (a droplet host's key). */
  credentialsRotation: z.number().int().min(0).default(0),
});

export type MinikubeLab = z.infer<typeof MinikubeLabSchema>;
/** Every kind of lab a stack can hold. */
export type AnyLab = Lab | MinikubeLab;

/** Memory the lab's VMs need on their host: every node, or the minikube cluster. */
export function labMemoryMiB(lab: AnyLab): number {
  return lab.kind === "minikube" ? lab.minikube.memoryMiB : lab.nodes.reduce((sum, n) => sum + n.memoryMiB, 0);
}
