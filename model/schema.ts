// The parts of the lab model every kind of lab shares: the lab host, the image, networks, nodes,
// the APT cache. A lab kind adds its own keys to these (stacks/<kind>/spec.ts) and the registry
// at the top joins them with the hypervisors' config branches, so this module depends on nothing
// above it. Field rules live here; rules that relate fields live in rules/. Everything after
// parsing receives typed, defaulted values and never reads stack config again.
import { z } from "zod";
import type { HypervisorConfig } from "./hypervisor.js";
import { type Network, parseCidr, parseInterfaceAddress, parseIpv4 } from "./ipv4.js";

export const name = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a lower-case name: a letter, then letters, digits or '-' (at most 31)");
// Node names are host names; the posts' boxA/boxB keep their capitals.
export const nodeName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,30}$/, "must be a host name: a letter, then letters, digits or '-' (at most 31)");
/** An interface address with its prefix, parsed once (model/ipv4.ts). */
export const ipv4Cidr = z.string().transform((text, ctx) => {
  const parsed = parseInterfaceAddress(text);
  if (parsed === undefined) ctx.issues.push({ code: "custom", message: "must be an address with prefix like 192.168.60.4/24", input: text });
  return parsed ?? z.NEVER;
});
export const ipv4 = z.string().refine((s) => parseIpv4(s) !== undefined, "must be an IPv4 address like 192.168.1.11");
/** A network in CIDR form, parsed once (model/ipv4.ts): later layers read its prefix, never the text. */
const cidrWith = (message: string) =>
  z.string().transform((text, ctx): Network => {
    const parsed = parseCidr(text);
    if (parsed === undefined) ctx.issues.push({ code: "custom", message, input: text });
    return parsed === undefined ? z.NEVER : { ...parsed, text };
  });
export const cidr = cidrWith("must be a network in CIDR form like 192.168.1.0/24");
export const port = z.number().int().min(1024, "must be at least 1024 (unprivileged)").max(65535, "must be at most 65535");
export const hostDevice = z.string().regex(/^[a-zA-Z0-9_.-]{1,15}$/, "must be a Linux interface name (at most 15 letters, digits, '_', '.', '-')");

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
export const hostPath = z.string().superRefine((path, ctx) => {
  const problem = hostPathProblem(path);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
/** Why a URL of the config cannot go as written into the files it ends up in (apt-cacher-ng's
 * `Proxy:` line, sources.list, apt.conf), if it cannot. The WHATWG parser behind z.url() drops a
 * newline or tab and takes a space or a quote, so `http://proxy:3128/\nPassThroughPattern: .*` is a
 * "valid" URL that writes a second line into the cache's configuration. A URL has an encoding for
 * every other character (RFC 3986: %XX), so only its own characters are taken. */
export function urlTextProblem(url: string): string | undefined {
  if (/^[A-Za-z0-9\-._~:/?#[\]@!$&()*+,;=%]*$/.test(url)) return undefined;
  return "must be written with URL characters only: no space, quote, backslash or control character such as a newline (percent-encode them, e.g. %20)";
}
const urlText = (ctx: z.RefinementCtx, url: string) => {
  const problem = urlTextProblem(url);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, abort: true });
};
/** Only the web's schemes where something is downloaded: z.url() alone also takes file:, ftp: and javascript:. */
export const downloadUrl = z
  .string()
  .superRefine((url, ctx) => urlText(ctx, url))
  .pipe(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }));
export const sha256OrUrl = z.string().superRefine((s, ctx) => {
  if (/^[0-9a-f]{64}$/.test(s)) return;
  if (/^https?:/i.test(s) && urlTextProblem(s) !== undefined) urlText(ctx, s);
  else if (!downloadUrl.safeParse(s).success)
    ctx.addIssue({ code: "custom", message: "must be 64 lower-case hex digits or the http(s) URL of a checksum file" });
});

// Fields every lab host kind has.
const hostCommon = {
  /** Where VM disks, seeds, pidfiles and logs live on the lab host; absolute or ~/….
   * @default ~/.local/share/labstack/<stack> (local), /var/lib/labstack/<stack> (remote) */
  stateDir: hostPath.optional(),
  /** Known memory of the host in MiB; checked against what the nodes need. @default measured (local) */
  memoryMiB: z.number().int().positive().optional(),
};

export const LocalHostSchema = z.strictObject({
  /** The machine running `pulumi up`. */
  kind: z.literal("local"),
  ...hostCommon,
});

/** Why `address` is no address or host name of an SSH host, if it is not: its user and port have
 * keys of their own (host.user, host.port), and the address ends up on ssh command lines, where a
 * leading '-' would be an option and `user@` or `:22` would be taken twice or not at all. */
export function sshAddressProblem(address: string): string | undefined {
  if (address.includes("@")) return `give the user in host.user, not in the address: address: ${address.slice(address.lastIndexOf("@") + 1)}`;
  const colons = address.split(":").length - 1;
  // One colon is a port glued on; an IPv6 address has at least two.
  if (colons === 1) return `give the port in host.port, not in the address: address: ${address.slice(0, address.indexOf(":"))}`;
  if (colons > 1) return z.ipv6().safeParse(address).success ? undefined : "must be an address or a host name";
  return /^[a-zA-Z0-9][a-zA-Z0-9.-]*$/.test(address) ? undefined : "must be an address or a host name";
}
const sshAddress = z.string().superRefine((address, ctx) => {
  const problem = sshAddressProblem(address);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

/** An existing Linux machine reached over SSH; its private key is the secret config `labstack:hostPrivateKey`. */
export const SshHostSchema = z.strictObject({
  kind: z.literal("ssh"),
  /** Address or DNS name of the lab host, as seen from where Pulumi runs. */
  address: sshAddress,
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
      // The comment too is one line of a known_hosts file: no control character.
      /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\p{Cc}]*)?$/u,
      "must be an OpenSSH public host key like 'ssh-ed25519 AAAA...' (ssh-keyscan -t ed25519 <host>)",
    )
    .optional(),
  ...hostCommon,
});

/** What a droplet size holds: its vCPUs and memory (from DigitalOcean's API, or read from the slug). */
export interface DropletSize {
  readonly vcpus: number;
  readonly memoryMiB: number;
}

/** The figures most DigitalOcean size slugs carry: `<class>-<n>vcpu-<m>gb[-<disk>gb][-intel|-amd]`
 * (s-8vcpu-16gb, s-1vcpu-512mb-10gb, so1_5-2vcpu-16gb). Slugs without them (c-4, 4gb, GPU sizes)
 * say nothing: undefined, never a guess (the figure after the vCPUs is memory; a later one is disk). */
export function dropletSize(slug: string): DropletSize | undefined {
  const m = /^[a-z0-9_]+-(\d+)vcpu-(\d+)(gb|mb)(-|$)/.exec(slug);
  if (m === null) return undefined;
  return { vcpus: Number(m[1]), memoryMiB: Number(m[2]) * (m[3] === "gb" ? 1024 : 1) };
}

/** A droplet size's memory in MiB, when its slug says it. */
export const dropletMemoryMiB = (size: string): number | undefined => dropletSize(size)?.memoryMiB;

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
    .regex(/^[a-z0-9_-]+$/, "must be a size slug like s-8vcpu-16gb")
    .default("s-8vcpu-16gb"),
  image: z
    .string()
    .regex(/^[a-z0-9.-]+$/, "must be an image slug like ubuntu-24-04-x64")
    .default("ubuntu-24-04-x64"),
  /** Who may SSH to the droplet; nothing else is admitted. IPv4 only: the droplet is reached on its IPv4 address. */
  sshSourceCidrs: z
    .array(cidrWith("must be an IPv4 network like 203.0.113.7/32: the droplet's SSH is reached on its IPv4 address"))
    .min(1, "name at least one network allowed to SSH to the droplet (your address as x.y.z.w/32)"),
  /** Opt in to SSH sources wider than a /8 in sshSourceCidrs (0.0.0.0/0 is the whole internet):
   * every scanner on the internet may then try the droplet's SSH. Off: name your own address. */
  allowPublicSsh: z.boolean().default(false),
  ...hostCommon,
});

export const HostSchema = z.discriminatedUnion("kind", [LocalHostSchema, SshHostSchema, DropletHostSchema]);

/** VirtualBox's NAT, which our QEMU NAT reproduces: every node's NAT NIC gets the guest address by
 * DHCP and reaches the lab host as the gateway. vm.sh is told these, never writes them itself. */
export const NAT = {
  network: { ...parseCidr("10.0.2.0/24")!, text: "10.0.2.0/24" } as Network,
  guest: "10.0.2.15",
  gateway: "10.0.2.2",
} as const;

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
    /** Why a download that nothing authenticates is acceptable: `url` and the SHA256SUMS at `sha256`
     * both over plain http:// (anyone on the way could swap the image and its checksum together).
     * Refused otherwise (model/rules.ts). @default none: such a download is refused */
    insecureHttp: z
      .string()
      .regex(/\S/, 'must say why plain http is acceptable here (e.g. "the classroom\'s own mirror, on this LAN only"): an empty reason is none')
      .optional(),
    /** An image file on the lab host instead of `url` (qcow2, or raw for QEMU; any format qemu-img reads for VirtualBox). */
    path: hostPath.optional(),
    /** Boot this kernel directly (images without a boot loader, such as our Debian test image). */
    kernel: hostPath.optional(),
    initrd: hostPath.optional(),
    /** Kernel command line with `kernel`: one line (QEMU's -append, the boot loader's config). */
    append: z
      .string()
      .regex(/^[^\p{Cc}]*$/u, "must be one line of kernel parameters: no newline, tab or other control character")
      .default("root=/dev/vda rw console=ttyS0"),
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

export const AptCacheSchema = z.strictObject({
  enabled: z.boolean().default(true),
  port: port.default(3142),
  /** An HTTP proxy the cache itself fetches through (corporate proxies, or our CI's shared cache). */
  upstreamProxy: z
    .string()
    .superRefine((url, ctx) => urlText(ctx, url))
    .pipe(z.url({ protocol: /^http$/, error: "must be an http:// URL: the cache reaches its upstream through an HTTP proxy" }))
    .optional(),
});

/** Users and groups a node already has (Debian's and Ubuntu's base system, cloud images, the
 * packages the labs install): cloud-init cannot create the lab's user as one of them, and taking
 * root or a service's account over would hand the lab's SSH key its powers. */
export const SYSTEM_USERS: ReadonlySet<string> = new Set([
  ...["root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody"],
  ...["systemd-network", "systemd-resolve", "systemd-timesync", "messagebus", "syslog", "sshd", "uuidd", "tcpdump", "landscape", "pollinate", "lxd", "dnsmasq"],
  ...["adm", "tty", "disk", "kmem", "dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip", "operator", "src", "shadow", "utmp"],
  ...["video", "sasl", "plugdev", "staff", "users", "nogroup", "input", "render", "kvm", "netdev", "crontab", "ssh", "admin"],
  ...["mysql", "rabbitmq", "memcache"],
]);
/** The lab's user on every node: a name of its own, no account the system already has. */
export const labUser = name.refine((user) => !SYSTEM_USERS.has(user), {
  error: (issue) => `'${issue.input as string}' is an account every node already has (a system user or group): choose a user of the lab's own, like stack`,
});

// What every lab on VMs has, whatever it teaches; a kind adds its own keys (stacks/<kind>/spec.ts).
export function labCommonShape(hypervisor: z.ZodType<HypervisorConfig>) {
  return {
    /** What the lab teaches, shown in its outputs. */
    description: z.string().optional(),
    /** @default {kind: local} */
    host: HostSchema.default({ kind: "local" }),
    /** One of the registered hypervisors, by `kind`. */
    hypervisor,
    image: ImageSchema,
    /** The sudo user cloud-init creates on every node; the SSH key is the lab's generated one. @default stack */
    user: labUser.default("stack"),
    /** The network whose addresses go into /etc/hosts, on which services listen and the APT cache serves. */
    managementNetwork: name.optional(),
    networks: z.array(NetworkSchema).min(1),
    nodes: z.array(NodeSchema).min(1),
    /** @default {enabled: true, port: 3142} */
    aptCache: AptCacheSchema.default({ enabled: true, port: 3142 }),
    /** Folder on the lab host for credentials.yaml and the SSH key; absolute or ~/… (the seed's is ~/.os_credentials).
     * @default <stateDir>/credentials, one per lab */
    credentialsDir: hostPath.optional(),
    /** Bump to regenerate every password and the SSH key on the next `up`. @default 0 */
    credentialsRotation: z.number().int().min(0).default(0),
    /** Take a checkpoint named `ready` of every node once the checks of an `up` are green, to come
     * back to in seconds (`labstack checkpoint STACK restore ready`). @default true */
    readyCheckpoint: z.boolean().default(true),
  };
}

export type LabCommonShape = ReturnType<typeof labCommonShape>;

/** A lab on VMs, whatever its kind: what the shared layers (host, hypervisor, nodes) work on. */
export type LabConfig = z.infer<z.ZodObject<LabCommonShape>> & { readonly kind: string };
export type LabNode = LabConfig["nodes"][number];
export type LabNetwork = LabConfig["networks"][number];
export type HostConfig = z.infer<typeof HostSchema>;

/** What every kind of lab has, on VMs or not: a host, a description, credentials to rotate. */
export interface AnyLabConfig {
  readonly kind: string;
  readonly description?: string;
  readonly host: HostConfig;
  readonly credentialsRotation: number;
}

/** A release tag, as minikube and kubectl publish them. */
export const version = z.string().regex(/^v\d+\.\d+\.\d+$/, "must be a release like v1.37.0");
