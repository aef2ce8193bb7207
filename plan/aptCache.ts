// The lab's APT cache on its host (host/apt-cache.sh). It listens only where the nodes reach it
// (the management network's host address; the host's loopback, which NAT guests reach as
// 10.0.2.2, without one) and fetches only from the archives of the lab's distributions.
import { join } from "node:path";
import { provisioning } from "./scripts.js";
import type { HostStep, LabPlan } from "./types.js";

/** A proxy URL with a user or password in it is a credential: kept encrypted wherever it goes. */
export function urlHasCredentials(url: string | undefined): boolean {
  if (url === undefined || url === "") return false;
  const u = new URL(url);
  return u.username !== "" || u.password !== "";
}

/** Distributions the lab's nodes and image fetch from; `cloudArchive` adds Ubuntu's Cloud Archive. */
export function labDistros(plan: LabPlan, cloudArchive?: string): string[] {
  const distros = plan.config.image.build !== undefined ? [plan.config.image.build.distro] : ["debian", "ubuntu"];
  if (cloudArchive !== undefined && distros.includes("ubuntu")) distros.push("ubuntu-cloud-archive");
  return distros;
}

/** The cache's step; undefined when the lab has none. The upstream proxy is the config's, else the
 * one of the host's own environment (the script reads it there). */
export function aptCacheStep(plan: LabPlan, cloudArchive?: string): HostStep | undefined {
  const { aptCache } = plan.config;
  if (!aptCache.enabled) return undefined;
  return {
    script: provisioning("host/apt-cache.sh"),
    environment: {
      LAB: plan.name,
      PORT: String(aptCache.port),
      BIND_ADDRESS: plan.management?.config.hostAddress ?? "127.0.0.1",
      DISTROS: labDistros(plan, cloudArchive).join(" "),
      UPSTREAM_PROXY: aptCache.upstreamProxy ?? "",
      RUN_DIR: join(plan.stateDir, "apt-cacher-ng"),
    },
  };
}
