// A droplet as the lab's host, planned: its cloud-init (the packages the lab needs, installed
// before the readiness gate opens, and the host key the lab made, so SSH to it is verified from
// the first connection), and its size checked against the sizes the DigitalOcean API lists (memory
// and vCPUs from the API, never read from a slug) before the droplet is created.

/** An SSH host key pair the lab makes for a host it creates. */
export interface HostKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

export function dropletUserData(packages: readonly string[], hostKey: HostKeyPair): string {
  // JSON is YAML too, and needs no indentation rules for the multi-line key.
  const keys = { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey.trim() };
  return [
    "#cloud-config",
    "package_update: true",
    "packages:",
    ...packages.map((p) => `  - ${p}`),
    "ssh_deletekeys: true",
    `ssh_keys: ${JSON.stringify(keys)}`,
    "",
  ].join("\n");
}

/** A droplet size as the DigitalOcean API lists it (`GET /v2/sizes`, the provider's getSizes). */
export interface DropletSize {
  readonly slug: string;
  readonly vcpus: number;
  /** MiB, as the API gives it. */
  readonly memory: number;
  /** The regions where droplets of this size can be created. */
  readonly regions: readonly string[];
  /** Whether new droplets can be created with it at all. */
  readonly available: boolean;
  readonly priceMonthly: number;
}

/** What a lab asks of the droplet that carries it. */
export interface DropletNeeds {
  /** All its VMs' memory together, MiB. */
  readonly memoryMiB: number;
  /** Whose memory that is, for messages: "the nodes", "the cluster". */
  readonly memoryOf: string;
  /** The most vCPUs one of its VMs has. */
  readonly cpus: number;
  /** Which VM that is, for messages: "node controller", "the cluster". */
  readonly cpusOf: string;
}

/** Memory the droplet keeps for itself beyond the lab's VMs: its system, the hypervisor and the
 * APT cache. (The seed's lab, 14 GiB of VMs, still fits a 16 GB droplet.) */
export const DROPLET_SYSTEM_MIB = 1024;

/** The needs of a lab on VMs: its nodes' memory together, and its biggest node's vCPUs. */
export function nodesNeeds(nodes: readonly { readonly name: string; readonly memoryMiB: number; readonly cpus: number }[]): DropletNeeds {
  const biggest = nodes.reduce<(typeof nodes)[number] | undefined>((big, n) => (big === undefined || n.cpus > big.cpus ? n : big), undefined);
  return {
    memoryMiB: nodes.reduce((sum, n) => sum + n.memoryMiB, 0),
    memoryOf: "the nodes",
    cpus: biggest?.cpus ?? 0,
    cpusOf: biggest === undefined ? "no node" : `node ${biggest.name}`,
  };
}

/** A problem with the droplet's size or region, on the config key to change. */
export interface DropletSizeIssue {
  readonly path: ["host", "size" | "region"];
  readonly message: string;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * The droplet's size checked against the API's sizes, before the droplet is created (and billed):
 * the size exists, is offered in the region, and has the memory and vCPUs the lab needs.
 * Refusals name the smallest sizes the region offers that would fit.
 */
export function checkDropletSize(
  host: { readonly size: string; readonly region: string },
  sizes: readonly DropletSize[],
  needs: DropletNeeds,
): DropletSizeIssue[] {
  const memoryMiB = needs.memoryMiB + DROPLET_SYSTEM_MIB;
  const fits = (s: DropletSize) => s.memory >= memoryMiB && s.vcpus >= needs.cpus;
  const inRegion = sizes.filter((s) => s.available && s.regions.includes(host.region));
  const fitting = inRegion
    .filter(fits)
    .sort((a, b) => a.priceMonthly - b.priceMonthly || a.memory - b.memory)
    .slice(0, 3)
    .map((s) => s.slug);
  const suggestion =
    fitting.length > 0
      ? `; sizes in ${host.region} that fit the lab: ${fitting.join(", ")}`
      : inRegion.length > 0
        ? `; no size in ${host.region} fits the lab`
        : "";
  const issues: DropletSizeIssue[] = [];
  if (inRegion.length === 0) {
    const regions = [...new Set(sizes.flatMap((s) => (s.available ? s.regions : [])))].sort();
    issues.push({
      path: ["host", "region"],
      message: `${host.region} is not a region where the DigitalOcean API offers droplets (it offers them in ${regions.join(", ") || "no region"}; \`doctl compute region list\`)`,
    });
  }
  const size = sizes.find((s) => s.slug === host.size);
  if (size === undefined) {
    issues.push({
      path: ["host", "size"],
      message: `${host.size} is not a droplet size the DigitalOcean API knows (\`doctl compute size list\`)${suggestion}`,
    });
    return issues;
  }
  if (!size.available) issues.push({ path: ["host", "size"], message: `${host.size} is not available for new droplets${suggestion}` });
  else if (inRegion.length > 0 && !size.regions.includes(host.region))
    issues.push({
      path: ["host", "size"],
      message: `${host.size} is not offered in ${host.region} (it is in ${[...size.regions].sort().join(", ") || "no region"})${suggestion}`,
    });
  if (size.memory < memoryMiB)
    issues.push({
      path: ["host", "size"],
      message: `${host.size} has ${size.memory} MiB of memory, but ${needs.memoryOf} need ${needs.memoryMiB} MiB and the droplet itself ${DROPLET_SYSTEM_MIB} MiB${suggestion}`,
    });
  if (size.vcpus < needs.cpus)
    issues.push({
      path: ["host", "size"],
      message: `${host.size} has ${plural(size.vcpus, "vCPU")}, fewer than the ${needs.cpus} of ${needs.cpusOf}${suggestion}`,
    });
  return issues;
}
