// Shared state kept between test runs on the same machine: the Debian test image and the CI's
// own APT cache, so a second run downloads nothing and builds nothing.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { scriptPath } from "../../components/plan/steps.js";

export const CACHE_ROOT = process.env.LABSTACK_CACHE ?? "/var/cache/labstack";

export interface TestImage {
  readonly disk: string;
  readonly kernel: string;
  readonly initrd: string;
}

/** Builds (or finds) the Debian 12 test image; seconds when cached. */
export function testImage(): TestImage {
  const dir = execFileSync("bash", [scriptPath("images/build-debian-image.sh"), join(CACHE_ROOT, "images")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return { disk: join(dir, "disk.qcow2"), kernel: join(dir, "vmlinuz"), initrd: join(dir, "initrd.img") };
}

/** Parameters of the upstream APT cache on a namespace link (host/apt-cache.sh, daemon mode). */
export function upstreamCacheEnvironment(address: string) {
  return { ACNG_MODE: "daemon", BIND_ADDRESS: address, RUN_DIR: join(CACHE_ROOT, "upstream-acng", address), CACHE_DIR: join(CACHE_ROOT, "upstream-acng", "cache") };
}

/** Starts the upstream APT cache on the namespace link; its cache folder outlives the run. */
export function startUpstreamCache(address: string): () => void {
  const env = { ...process.env, ...upstreamCacheEnvironment(address) };
  execFileSync("bash", [scriptPath("host/apt-cache.sh"), "up"], { env, stdio: ["ignore", "ignore", "inherit"] });
  return () => execFileSync("bash", [scriptPath("host/apt-cache.sh"), "down"], { env, stdio: ["ignore", "ignore", "inherit"] });
}
