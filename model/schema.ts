// The lab model: one zod schema for every kind of lab, parsed once at the entry point. Field rules
// live in the schema; rules that relate fields to each other live in `rules.ts`. Everything after
// parsing receives these typed, defaulted values and never reads stack config again.
import { z } from "zod";
import { HypervisorConfigSchema } from "../components/hypervisor/registry.js";
import { parseCidr, parseIpv4 } from "./ipv4.js";

const name = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a lower-case name: a letter, then letters, digits or '-' (at most 31)");
// Node names are host names; the posts' boxA/boxB keep their capitals.
const nodeName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,30}$/, "must be a host name: a letter, then letters, digits or '-' (at most 31)");
const ipv4Cidr = z
  .string()
  .refine(
    (s) => /^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(s) && parseIpv4(s.split("/")[0]) !== undefined && Number(s.split("/")[1]) <= 32,
    "must be an address with prefix like 192.168.60.4/24",
  );
const ipv4 = z.string().refine((s) => parseIpv4(s) !== undefined, "must be an IPv4 address like 192.168.1.11");
const cidr = z.string().refine((s) => parseCidr(s) !== undefined, "must be a network in CIDR form like 192.168.1.0/24");
const port = z.number().int().min(1024, "must be at least 1024 (unprivileged)").max(65535, "must be at most 65535");
const hostDevice = z.string().regex(/^[a-zA-Z0-9_.-]{1,15}$/, "must be a Linux interface name (at most 15 letters, digits, '_', '.', '-')");

/** Why `path` cannot name a file or folder on the lab host, if it cannot. A relative path would
 * depend on the folder `pulumi up` runs in, and `~` alone or `..` hide what is really meant. */
function hostPathProblem(path: string): string | undefined {
  if (!path.startsWith("/") && !path.startsWith("~/")) return "must be an absolute path or start with ~/ (the home folder on the lab host)";
  // QEMU's -drive splits its option string at commas; a newline would split the scripts' lists.
  if (/[,\p{Cc}]/u.test(path)) return "must not contain a comma or a control character such as a newline (QEMU's -drive option splits at commas)";
  const parts = path.slice(path.startsWith("~/") ? 2 : 1).split("/");
  if (parts.includes("..")) return "must not contain '..': give the path itself";
  if (parts.every((p) => p === "" || p === ".")) return "must name something inside / or ~/, not the root or home folder itself";
  return undefined;
}
const hostPath = z.string().superRefine((path, ctx) => {
  const problem = hostPathProblem(path);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
/** Only the web's schemes where something is downloaded: z.url() alone also takes file:, ftp: and javascript:. */
const downloadUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });
const sha256OrUrl = z
  .string()
  .refine((s) => /^[0-9a-f]{64}$/.test(s) || downloadUrl.safeParse(s).success, "must be 64 lower-case hex digits or the http(s) URL of a checksum file");

// Fields every lab host kind has.
const hostCommon = {
  /** Where VM disks, seeds, pidfiles and logs live on the lab host; absolute or ~/….
   * @default ~/.local/share/labstack/<stack> (local), /var/lib/labstack/<stack> (remote) */
  stateDir: hostPath.optional(),
  /** Known memory of the host in MiB; checked against what the nodes need. @default measured (local) */
  memoryMiB: z.number().int().positive().optional(),
  /** Host preparation writes /etc/vbox/networks.conf so VirtualBox accepts the lab's host-only ranges. */
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
  // Never a leading '-': the address ends up on ssh command lines, where it would be an option.
  address: z.string().regex(/^[a-zA-Z0-9:][a-zA-Z0-9.:-]*$/, "must be an address or a host name"),
  port: z.number().int().min(1).max(65535).default(22),
  /** Root, or a user with password-less sudo. */
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*$/, "must be a Unix user name")
    .default("root"),
  /** The host's SSH public key (`ssh-keyscan -t ed25519 <host>`, or the host's
   * /etc/ssh/ssh_host_ed25519_key.pub): every connection checks it. Without it, the first
   * connection trusts whatever answers at the address. */
  hostKey: z
    .string()
    .regex(
      /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/,
      "must be an OpenSSH public host key like 'ssh-ed25519 AAAA...' (ssh-keyscan -t ed25519 <host>)",
    )
    .optional(),
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
  /** The data centre, the learner's choice (the nearest one: `doctl compute region list`); no default. */
  region: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? "is required: the droplet's data centre, e.g. fra1, ams3 or nyc3; pick the one nearest you from `doctl compute region list`"
          : undefined,
    })
    .regex(/^[a-z]{3}\d$/, "must be a region slug like fra1"),
  /** At least 16 GB of RAM by default: the seed's lab needs 14 GiB for its VMs. */
  size: z
    .string()
    .regex(/^[a-z0-9-]+$/, "must be a size slug like s-8vcpu-16gb")
    .default("s-8vcpu-16gb"),
  image: z
    .string()
    .regex(/^[a-z0-9.-]+$/, "must be an image slug like ubuntu-24-04-x64")
    .default("ubuntu-24-04-x64"),
  /** Who may SSH to the droplet; nothing else is admitted. IPv4 only: the droplet is reached on its IPv4 address. */
  sshSourceCidrs: z
    .array(
      z.string().refine((s) => parseCidr(s) !== undefined, "must be an IPv4 network like 203.0.113.7/32: the droplet's SSH is reached on its IPv4 address"),
    )
    .min(1, "name at least one network allowed to SSH to the droplet (your address as x.y.z.w/32)"),
  /** Opt in to SSH sources wider than a /8 in sshSourceCidrs (0.0.0.0/0 is the whole internet):
   * every scanner on the internet may then try the droplet's SSH. Off: name your own address. */
  allowPublicSsh: z.boolean().default(false),
  ...hostCommon,
});

export const HostSchema = z.discriminatedUnion("kind", [LocalHostSchema, SshHostSchema, DropletHostSchema]);

/** NICs a node may have: the hypervisors' guest NIC names are planned for this many PCI slots. */
export const MAX_NICS = 8;

/** An image the lab host builds itself from a distribution's package mirror (mmdebstrap). */
export const ImageBuildSchema = z.strictObject({
  distro: z.enum(["debian", "ubuntu"]),
  /** The suite: bookworm, trixie (Debian); jammy, noble (Ubuntu). */
  release: z.string().regex(/^[a-z]+$/, "must be a release code name like bookworm or noble"),
  /** The package mirror. @default the lab host's own Debian mirror, else deb.debian.org; archive.ubuntu.com for Ubuntu */
  mirror: downloadUrl.optional(),
  /** Disk size of the built image. */
  sizeGiB: z.number().int().min(2).max(64).default(3),
});

export const ImageSchema = z
  .strictObject({
    /** Build the image on the lab host from a package mirror, with the lab's packages baked in. */
    build: ImageBuildSchema.optional(),
    /** A cloud image to download once into the host's cache. */
    url: downloadUrl.optional(),
    /** SHA-256 of the file at `url` (64 hex digits), or the URL of a SHA256SUMS file listing it. Required with url. */
    sha256: sha256OrUrl.optional(),
    /** An image file on the lab host instead of `url` (qcow2, or raw for QEMU; any format qemu-img reads for VirtualBox). */
    path: hostPath.optional(),
    /** Boot this kernel directly (images without a boot loader, such as our Debian test image). */
    kernel: hostPath.optional(),
    initrd: hostPath.optional(),
    /** Kernel command line with `kernel`. */
    append: z.string().default("root=/dev/vda rw console=ttyS0"),
    /** With `url` or `path`: install the lab kind's packages once into a derived image (a builder VM
     * on the lab host), cached like the image, so nodes, resets and other stacks of the kind only
     * configure. false: every node installs them at every `up`. Built images are always baked. */
    bake: z.boolean().default(true),
  })
  .refine((i) => [i.url, i.path, i.build].filter((x) => x !== undefined).length === 1, "give exactly one of url, path or build")
  .refine((i) => i.build === undefined || (i.kernel === undefined && i.initrd === undefined), {
    message: "a built image brings its own kernel and initrd",
    path: ["kernel"],
  })
  .refine((i) => i.url === undefined || i.sha256 !== undefined, { message: "is required with url", path: ["sha256"] })
  .refine((i) => i.build === undefined || i.bake, {
    message: "a built image always has the lab's packages: bake: false applies to url and path only",
    path: ["bake"],
  })
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
  nics: z
    .array(NicSchema)
    .min(1, "a node needs at least its NAT NIC")
    .max(MAX_NICS, `at most ${MAX_NICS} NICs: the guest's NIC names are planned for ${MAX_NICS} PCI slots`),
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
  upstreamProxy: z.url({ protocol: /^http$/, error: "must be an http:// URL: the cache reaches its upstream through an HTTP proxy" }).optional(),
});

/** Devices the networking labs create inside nodes, with today's iproute2. */
export const GuestSchema = z.strictObject({
  /** A Linux bridge joining NICs of a node (labs 5-6); with `ip` the node itself is on it. */
  bridges: z.array(z.strictObject({ node: nodeName, name: hostDevice, ports: z.array(name).min(1), ip: ipv4Cidr.optional() })).default([]),
  /** An 802.1Q VLAN device on the NIC attached to `network` (lab 8). */
  vlans: z.array(z.strictObject({ node: nodeName, network: name, id: z.number().int().min(1).max(4094), ip: ipv4Cidr })).default([]),
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
  z.strictObject({
    kind: z.literal("l2"),
    from: nodeName,
    network: name,
    vlan: z.number().int().min(1).max(4094).optional(),
    to: ipv4,
    expect: expect.default("reach"),
  }),
  /** The lab host pings `to`. */
  z.strictObject({ kind: z.literal("host-ping"), to: ipv4, expect: expect.default("reach") }),
  /** After `node` talked to `peer` on `network`, its ARP cache holds the peer's MAC. */
  z.strictObject({ kind: z.literal("arp"), node: nodeName, peer: nodeName, network: name }),
  /** The bridge in `node` has learned each peer's MAC on the port facing that peer. */
  z.strictObject({
    kind: z.literal("fdb"),
    node: nodeName,
    bridge: hostDevice,
    peers: z.array(z.strictObject({ node: nodeName, network: name, port: name })).min(1),
  }),
  /** A VXLAN device's forwarding database has learned the other VTEPs. */
  z.strictObject({ kind: z.literal("vtep-fdb"), node: nodeName, device: hostDevice.default("vxlan0"), peers: z.array(ipv4).min(1) }),
  /** While `node` pings `to`, tcpdump on its NIC on `network` sees frames matching `filter` whose
   * decoded text matches the regular expression `pattern` (802.1Q tags, VXLAN headers). */
  z.strictObject({
    kind: z.literal("capture"),
    node: nodeName,
    network: name,
    filter: z.string().regex(/^[^-\s]/, "must be a tcpdump filter expression like 'udp port 4789' (never an option: no leading '-')"),
    pattern: z.string().min(1),
    to: ipv4,
  }),
  /** `node` fetches a page the lab serves on the lab host, through the NAT's gateway 10.0.2.2. */
  z.strictObject({ kind: z.literal("nat-service"), node: nodeName, port: port.default(8080) }),
]);

// What every lab on VMs has, whatever it teaches; each kind adds its own keys below.
const labCommon = {
  /** What the lab teaches, shown in its outputs. */
  description: z.string().optional(),
  host: HostSchema.default({ kind: "local" }),
  /** One of the registered hypervisors (components/hypervisor/registry.ts), by `kind`. */
  hypervisor: HypervisorConfigSchema,
  image: ImageSchema,
  /** The sudo user cloud-init creates on every node; the SSH key is the lab's generated one. */
  user: name.default("stack"),
  /** The network whose addresses go into /etc/hosts, on which services listen and the APT cache serves. */
  managementNetwork: name.optional(),
  networks: z.array(NetworkSchema).min(1),
  nodes: z.array(NodeSchema).min(1),
  aptCache: AptCacheSchema.default({ enabled: true, port: 3142 }),
  /** Folder on the lab host for credentials.yaml and the SSH key; absolute or ~/… (the seed's is ~/.os_credentials).
   * @default <stateDir>/credentials, one per lab */
  credentialsDir: hostPath.optional(),
  /** Bump to regenerate every password and the SSH key on the next `up`. */
  credentialsRotation: z.number().int().min(0).default(0),
};

/** Lab1 of the OpenStack series: its base services on the nodes. */
export const OpenStackLabSchema = z.strictObject({
  kind: z.literal("openstack"),
  ...labCommon,
  services: ServicesSchema.default({}),
  /** Ubuntu Cloud Archive pocket for OpenStack packages (e.g. caracal); Ubuntu nodes only. */
  cloudArchive: z
    .string()
    .regex(/^[a-z]+$/, "must be an OpenStack release code name like caracal")
    .optional(),
  /** Install python3-openstackclient on every node, as the seed's nodeSetup does. */
  openstackClient: z.boolean().default(true),
});

/** A virtual networking lab: devices built inside the guests, and the posts' observations as checks. */
export const NetworkLabSchema = z.strictObject({
  kind: z.literal("network"),
  ...labCommon,
  guest: GuestSchema.default({ bridges: [], vlans: [], vxlans: [], tunnels: [] }),
  checks: z.array(CheckSchema).default([]),
});

export const LabSchema = z.discriminatedUnion("kind", [OpenStackLabSchema, NetworkLabSchema], {
  error: (issue) => (issue.code === "invalid_union" ? 'Invalid option: expected one of "openstack"|"network"' : undefined),
});

export type OpenStackLabConfig = z.infer<typeof OpenStackLabSchema>;
export type NetworkLabConfig = z.infer<typeof NetworkLabSchema>;
/** A lab on VMs, of either kind: what the shared layers (host, hypervisor, nodes) work on. */
export type Lab = OpenStackLabConfig | NetworkLabConfig;
export type LabNode = Lab["nodes"][number];
export type LabNetwork = Lab["networks"][number];
export type LabCheck = NetworkLabConfig["checks"][number];

const version = z.string().regex(/^v\d+\.\d+\.\d+$/, "must be a release like v1.37.0");

/** The minikube post's lab: a one-node cluster on the lab host and the posts' workloads. */
export const MinikubeLabSchema = z.strictObject({
  kind: z.literal("minikube"),
  description: z.string().optional(),
  host: HostSchema.default({ kind: "local" }),
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
