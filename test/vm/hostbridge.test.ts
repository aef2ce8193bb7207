// host/bridge.sh inside a namespace the test makes: the lab's own bridges come and go, and bridges
// that are not the lab's (a learner's, another lab's) are refused or left alone, never deleted.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLab } from "../../model/parse.js";
import { bridgeEnvironment } from "../../plan/bridge.js";
import { ROOT, stackLab } from "../helpers/labs.js";
import { removeStaleNamespace } from "../helpers/netns.js";

// A fixed name is the suite's marker: a killed run's namespace is removed at the next start.
const NS = "lsh-hostbridge";
const lab = parseLab(stackLab("dev"));
const management = lab.networks.find((n) => n.name === "management")!;

function inNs(...argv: string[]) {
  const r = spawnSync("ip", ["netns", "exec", NS, ...argv], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}
const bridge = (action: "up" | "down", env: Record<string, string>) =>
  spawnSync("ip", ["netns", "exec", NS, "bash", join(ROOT, "provisioning", "host", "bridge.sh"), action], {
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
  const env = bridgeEnvironment("dev", management);

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
    const bridged = { DEVICE: "br-learner", KIND: "bridged", HOST_CIDR: "", CREATE: "0", OWNER: "labstack dev" };
    const missing = bridge("up", bridged);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("host bridge br-learner does not exist");
    inNs("ip", "link", "add", "name", "br-learner", "type", "bridge");
    expect(bridge("up", bridged).status).toBe(0);
    expect(bridge("down", bridged).status).toBe(0);
    expect(exists("br-learner")).toBe(true);
  });
});
