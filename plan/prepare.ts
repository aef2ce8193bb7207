// Host preparation (host/prepare.sh): the tools of the lab's hypervisor and, when it builds or
// bakes its image, of the builder; apt-cacher-ng when the lab has a cache.
import { bakesDownloadedImage, IMAGE_BAKE_TOOLS, IMAGE_BUILD_TOOLS, type ImageBake, NO_BAKE } from "./image.js";
import { provisioning, records } from "./scripts.js";
import type { HostStep, LabPlan } from "./types.js";

/** PACKAGES: command= package= records (installed when the command is missing); REQUIRED:
 * command= missing= for those no package brings. */
export function prepareStep(plan: LabPlan, bake: ImageBake = NO_BAKE): HostStep {
  const imageTools = plan.config.image.build !== undefined ? IMAGE_BUILD_TOOLS : bakesDownloadedImage(plan, bake) ? IMAGE_BAKE_TOOLS : [];
  const needed = [...plan.hypervisor.hostTools, ...imageTools].filter((t, i, all) => all.findIndex((u) => u.command === t.command) === i);
  const tools = (withPackage: boolean) => records(needed.filter((t) => (t.package !== undefined) === withPackage));
  return {
    script: provisioning("host/prepare.sh"),
    environment: { PACKAGES: tools(true), REQUIRED: tools(false), APT_CACHE: plan.config.aptCache.enabled ? "1" : "0" },
  };
}
