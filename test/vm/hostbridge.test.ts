// host/bridge.sh inside a namespace the test makes, run from the checkout with the plan's parameters:
// the lab's own bridges come and go, `status` says when one is no longer as the lab made it, and
// bridges that are not the lab's (a learner's, another lab's) are refused or left alone, never deleted.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BRIDGE_SCRIPT, bridgeEnvironment } from "../../plan/bridge.js";
import { labPlan, scriptPath, stackLab } from "../helpers/labs.js";
import { removeStaleNamespace } from "../helpers/netns.js";

// A fixed name is the suite's marker: a killed run's namespace is removed at the next start.
const NS = "lsh-hostbridge";
const plan = labPlan(stackLab("dev"));
const management = plan.network("management");

function inNs(...argv: string[]) {
  const r = spawnSync("ip", ["netns", "exec", NS, ...argv], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}
const bridge = (action: "up" | "down" | "status", env: Record<string, string>) =>
  spawnSync("ip", ["netns", "exec", NS, "bash", scriptPath(BRIDGE_SCRIPT.path), action], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
const exists = (dev: string) => inNs("ip", "link", "show", "dev", dev).status === 0;

beforeAll(() => {
  removeStaleNamespace(NS);
  expect(spawnSync("ip", ["netns", "add", NS]).status).toBe(0);
});
afterAll(() => spawnSync("ip", ["netns", "del", NS]));

describe("host/bridge.sh", () => {
  const env = bridgeEnvironment(plan.name, management);
  const status = () => {
    const r = bridge("status", env);
    return { status: r.status, lines: r.stdout.trim().split("\n").filter(Boolean) };
  };

  it("makes the lab's bridge with its address and owner, changes nothing on a re-run, and removes it", () => {
    const up = bridge("up", env);
    expect(up.status, up.stderr).toBe(0);
    const link = inNs("ip", "-o", "addr", "show", "dev", env.DEVICE).out;
    expect(link).toContain(`inet ${env.HOST_CIDR}`);
    expect(inNs("ip", "link", "show", "dev", env.DEVICE).out).toContain("alias labstack dev");
    const again = bridge("up", env);
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain("labstack: changed");
    expect(bridge("down", env).status).toBe(0);
    expect(exists(env.DEVICE)).toBe(false);
    expect(bridge("down", env).status).toBe(0);
  });

  it("status is 0 while the bridge is up as made, 3 with one line once it is taken down or gone, and up repairs it", () => {
    expect(bridge("up", env).status).toBe(0);
    expect(status()).toEqual({ status: 0, lines: [] });
    expect(inNs("ip", "link", "set", "dev", env.DEVICE, "down").status).toBe(0);
    expect(status()).toEqual({ status: 3, lines: [`bridge ${env.DEVICE} is down`] });
    // status changes nothing; up brings it back.
    expect(inNs("ip", "-o", "link", "show", "dev", env.DEVICE).out).not.toContain(",UP");
    expect(bridge("up", env).status).toBe(0);
    expect(status()).toEqual({ status: 0, lines: [] });
    expect(inNs("ip", "addr", "del", env.HOST_CIDR, "dev", env.DEVICE).status).toBe(0);
    expect(status()).toEqual({ status: 3, lines: [`bridge ${env.DEVICE} has lost ${env.HOST_CIDR}`] });
    const repair = bridge("up", env);
    expect(repair.status).toBe(0);
    expect(repair.stdout).toContain(`labstack: changed address ${env.HOST_CIDR} on ${env.DEVICE}`);
    expect(status()).toEqual({ status: 0, lines: [] });
    expect(bridge("down", env).status).toBe(0);
    expect(status()).toEqual({ status: 3, lines: [`bridge ${env.DEVICE} is gone`] });
  });

  it("refuses a bridge of the same name that is not this lab's, and leaves it as it was on down", () => {
    for (const alias of [undefined, "labstack other-lab"]) {
      expect(inNs("ip", "link", "add", "name", env.DEVICE, "type", "bridge").status).toBe(0);
      if (alias) inNs("ip", "link", "set", "dev", env.DEVICE, "alias", alias);
      const up = bridge("up", env);
      expect(up.status).toBe(1);
      expect(up.stderr).toContain(`hostonly network: ${env.DEVICE} already exists on the host and is not this lab's (labstack dev)`);
      expect(inNs("ip", "-o", "addr", "show", "dev", env.DEVICE).out).not.toContain("inet ");
      expect(bridge("down", env).status).toBe(0);
      expect(exists(env.DEVICE)).toBe(true);
      inNs("ip", "link", "del", env.DEVICE);
    }
  });

  it("attaches a bridged network to an existing host bridge and never removes it", () => {
    // The dev lab with a network on the learner's own bridge.
    const raw = stackLab("dev");
    raw.networks.push({ name: "lan", kind: "bridged", device: "br-learner" });
    const lab = labPlan(raw);
    const bridged = bridgeEnvironment(lab.name, lab.network("lan"));
    expect(bridged).toMatchObject({ DEVICE: "br-learner", KIND: "bridged", CREATE: "0" });
    const missing = bridge("up", bridged);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("host bridge br-learner does not exist");
    expect(bridge("status", bridged).status).toBe(3);
    expect(bridge("status", bridged).stdout.trim()).toBe("bridge br-learner is gone");
    inNs("ip", "link", "add", "name", "br-learner", "type", "bridge");
    expect(bridge("up", bridged).status).toBe(0);
    // Not the lab's: its state (down, no address) is the learner's business.
    expect(bridge("status", bridged).status).toBe(0);
    expect(bridge("down", bridged).status).toBe(0);
    expect(exists("br-learner")).toBe(true);
  });
});
