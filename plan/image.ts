// The nodes' base image on the lab host (host/image.sh): downloaded once, a local file, or built
// from a distribution's mirror, with the lab kind's packages baked in by mmdebstrap (built
// images) or a builder VM (downloaded ones).
import { qemuSpec } from "./hypervisors/qemu.js";
import { provisioning, type Script } from "./scripts.js";
import type { HostStep, HostTool, LabPlan } from "./types.js";

/** What a lab kind bakes into its image: packages installed once, services left disabled until a
 * node's step configures and enables them. */
export interface ImageBake {
  readonly packages: readonly string[];
  readonly servicesOff: readonly string[];
  /** The Ubuntu Cloud Archive pocket the packages come from (a downloaded Ubuntu image's bake). */
  readonly cloudArchive?: string;
}

export const NO_BAKE: ImageBake = { packages: [], servicesOff: [] };

/** What host/image-build.sh runs to build an image: the root file system, its partitions, the
 * boot partition and the boot loader. */
export const IMAGE_BUILD_TOOLS: readonly HostTool[] = [
  { command: "mmdebstrap", package: "mmdebstrap" },
  { command: "sfdisk", package: "fdisk" },
  { command: "mkfs.fat", package: "dosfstools" },
  { command: "mcopy", package: "mtools" },
  { command: "syslinux", package: "syslinux" },
  // Its MBR boot code: syslinux only recommends it.
  { command: "/usr/lib/syslinux/mbr/mbr.bin", package: "syslinux-common" },
];

/** What host/image-bake.sh runs: a builder VM under QEMU (whatever the lab's hypervisor), reached by SSH. */
export const IMAGE_BAKE_TOOLS: readonly HostTool[] = [...qemuSpec.hostTools, { command: "ssh", package: "openssh-client" }];

/** A downloaded or local image that gets the lab kind's packages baked in (host/image-bake.sh). */
export function bakesDownloadedImage(plan: LabPlan, bake: ImageBake): boolean {
  return plan.config.image.build === undefined && plan.config.image.bake && bake.packages.length > 0;
}

/** image.sh with everything it may call: the builder and its hook, the baker and what it runs. */
export const IMAGE_SCRIPT: Script = provisioning("host/image.sh", [
  "host/image-build.sh",
  "host/image-customize.sh",
  "host/image-bake.sh",
  "host/wait-ssh.sh",
  "node/base-setup.sh",
  "qemu/accel.sh",
]);

/** The image step. A built or baked image also gets the lab's bake and, when the lab has an APT
 * cache, fetches through it. A downloaded image without a bake gets only its source, so labs that
 * bake nothing keep their image step as it was. */
export function imageStep(plan: LabPlan, bake: ImageBake = NO_BAKE): HostStep {
  const { config } = plan;
  const { url, sha256, path, build } = config.image;
  // Without a cache of its own the build fetches through the upstream proxy (else the host's own).
  const cache = config.aptCache.enabled ? plan.aptProxy : config.aptCache.upstreamProxy;
  const packages = { PACKAGES: [...bake.packages].sort().join(" "), SERVICES_OFF: [...bake.servicesOff].sort().join(" "), APT_PROXY: cache ?? "" };
  if (build !== undefined) {
    return {
      script: IMAGE_SCRIPT,
      environment: { DISTRO: build.distro, RELEASE: build.release, MIRROR: build.mirror ?? "", SIZE_GIB: String(build.sizeGiB), ...packages },
    };
  }
  const source = { IMAGE_URL: url ?? "", IMAGE_SHA256: sha256 ?? "", IMAGE_PATH: path ?? "" };
  if (!bakesDownloadedImage(plan, bake)) return { script: IMAGE_SCRIPT, environment: source };
  const { kernel, initrd, append } = config.image;
  return {
    script: IMAGE_SCRIPT,
    environment: {
      ...source,
      ...packages,
      CLOUD_ARCHIVE: bake.cloudArchive ?? "",
      // The builder's disk becomes every node's base: no bigger than the smallest node's disk.
      DISK_GIB: String(Math.min(...config.nodes.map((n) => n.diskGiB))),
      KERNEL: kernel ?? "",
      INITRD: initrd ?? "",
      APPEND: kernel === undefined ? "" : append,
      ACCEL: plan.hypervisor.builderAccel(config),
    },
  };
}
