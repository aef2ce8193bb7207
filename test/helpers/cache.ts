// State kept between test runs on the same machine: the CI's own APT cache (the test namespaces'
// only way to the package mirror), so a second run downloads nothing.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { scriptPath } from "./labs.js";

export const CACHE_ROOT = process.env.LABSTACK_CACHE ?? "/var/cache/labstack";

/** Parameters of the upstream APT cache on a namespace link (host/apt-cache.sh, daemon mode). */
export function upstreamCacheEnvironment(address: string) {
  // A cache folder per link: two suites run at a time, and two apt-cacher-ng processes must not
  // write the same files.
  return {
    ACNG_MODE: "daemon",
    BIND_ADDRESS: address,
    RUN_DIR: join(CACHE_ROOT, "upstream-acng", address),
    CACHE_DIR: join(CACHE_ROOT, "upstream-acng", `cache-${address}`),
  };
}

/** Starts the upstream APT cache on the namespace link; its cache folder outlives the run. */
export function startUpstreamCache(address: string): () => void {
  const env = { ...process.env, ...upstreamCacheEnvironment(address) };
  execFileSync("bash", [scriptPath("host/apt-cache.sh"), "up"], { env, stdio: ["ignore", "ignore", "inherit"] });
  return () => execFileSync("bash", [scriptPath("host/apt-cache.sh"), "down"], { env, stdio: ["ignore", "ignore", "inherit"] });
}
