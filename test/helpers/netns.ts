// A private network namespace per test run: the lab host side of a VM lab (bridges, taps, QEMU,
// the APT cache) lives in it. Its only link out is a veth pair carrying a /30, on which the CI's
// own APT cache listens; there is no default route, so nothing in the lab reaches anything else.
import { execFileSync, spawnSync } from "node:child_process";

export interface Namespace {
  readonly name: string;
  /** The address of the root-namespace side of the link (where the upstream cache listens). */
  readonly uplinkAddress: string;
  /** The namespace's own address on that link. */
  readonly address: string;
  /** argv prefix that runs a command inside the namespace. */
  readonly exec: string[];
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function createNamespace(name: string, linkIndex = 0): Namespace {
  const outside = `${name.slice(0, 10)}-up`;
  const inside = `${name.slice(0, 10)}-ns`;
  const net = `10.254.${linkIndex}`;
  spawnSync("ip", ["netns", "del", name]);
  spawnSync("ip", ["link", "del", outside]);
  ip("netns", "add", name);
  ip("-n", name, "link", "set", "lo", "up");
  ip("link", "add", outside, "type", "veth", "peer", "name", inside);
  ip("link", "set", inside, "netns", name);
  ip("addr", "add", `${net}.1/30`, "dev", outside);
  ip("link", "set", outside, "up");
  ip("-n", name, "addr", "add", `${net}.2/30`, "dev", inside);
  ip("-n", name, "link", "set", inside, "up");
  return {
    name,
    uplinkAddress: `${net}.1`,
    address: `${net}.2`,
    exec: ["ip", "netns", "exec", name],
    destroy() {
      // Deleting the namespace also removes the veth pair and every device inside it.
      spawnSync("ip", ["netns", "del", name]);
      spawnSync("ip", ["link", "del", outside]);
    },
  };
}

/** SSH options for hosts a test made a moment ago: their keys are new every run. */
export const THROWAWAY_SSH = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"];

/** Network devices inside a namespace, except loopback and the uplink. */
export function namespaceLinks(ns: Namespace): string[] {
  const out = execFileSync("ip", ["-n", ns.name, "-o", "link", "show"], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.split(": ")[1]?.split("@")[0])
    .filter((n): n is string => Boolean(n) && n !== "lo" && !n.endsWith("-ns"));
}

/** Removes a namespace an earlier, killed run of a suite left (found by its fixed name), with
 * every process still in it. */
export function removeStaleNamespace(name: string): void {
  const pids = spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" });
  if (pids.status !== 0) return;
  for (const pid of pids.stdout.split("\n").filter(Boolean)) spawnSync("kill", ["-9", pid]);
  spawnSync("ip", ["netns", "del", name]);
}
