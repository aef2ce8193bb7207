// plan/steps.ts: a step (a script and its parameters, some of them secrets) as a node or a lab host
// runs it: its bundle through sudo on stdin, secrets resolved, never on a command line.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasSecrets, hostCommand, nodeCommand, nodeStdin, type Step, stepEnvironment } from "../../../plan/steps.js";
import type { LabPlan } from "../../../plan/types.js";
import type { OpenStackLabConfig } from "../../../stacks/openstack/model.js";
import { planOpenStack } from "../../../stacks/openstack/plan.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

const devSteps = () => planOpenStack(labPlan(stackLab("dev")) as LabPlan<OpenStackLabConfig>);
const service = (name: string) => devSteps().nodes[0].services.find((s) => s.name === name)!.step;

describe("a node step", () => {
  it("reaches the node as one bundle with its parameters, stdin closed after it", () => {
    const stdin = nodeStdin(service("memcached"));
    expect(stdin.startsWith("labstack_bundle() {\n")).toBe(true);
    expect(stdin.endsWith('\n{ labstack_bundle "$@" </dev/null; }\n')).toBe(true);
    expect(stdin).toContain("    LISTEN_ADDRESS='192.168.1.11' \\\n");
    expect(stdin).toContain('bash "$dir/openstack/memcached.sh" "$@"');
    expect(nodeCommand("up")).toBe("sudo bash -s up");
    expect(nodeCommand("status")).toBe("sudo bash -s status");
  });

  it("resolves its secrets from the lab's credentials, and refuses to render without them", () => {
    const mariadb = service("mariadb");
    expect(hasSecrets(mariadb)).toBe(true);
    expect(hasSecrets(service("memcached"))).toBe(false);
    expect(() => nodeStdin(mariadb)).toThrow("step openstack/mariadb.sh needs credential mariadbRootPassword");
    expect(() => nodeStdin(mariadb, { rabbitmqPassword: "r" })).toThrow("step openstack/mariadb.sh needs credential mariadbRootPassword");
    expect(stepEnvironment(mariadb, { mariadbRootPassword: "it's s3cret" })).toEqual({ BIND_ADDRESS: "192.168.1.11", ROOT_PASSWORD: "it's s3cret" });
    expect(nodeStdin(mariadb, { mariadbRootPassword: "it's s3cret" })).toContain(`    ROOT_PASSWORD='it'\\''s s3cret' \\\n`);
  });

  it("runs its script with the secret as a parameter, never on the command line", () => {
    const root = mkdtempSync(join(tmpdir(), "labstack-step-"));
    writeFileSync(join(root, "token.sh"), '#!/usr/bin/env bash\necho "$1 token=$TOKEN user=$USER_NAME"\n');
    const step: Step = { script: { root, path: "token.sh" }, env: { USER_NAME: "stack" }, secrets: { TOKEN: "osSharedSecret" } };
    const r = spawnSync("bash", ["-c", nodeCommand("up").replace(/^sudo /, "")], {
      input: nodeStdin(step, { osSharedSecret: "sharedSecret5" }),
      encoding: "utf8",
    });
    rmSync(root, { recursive: true });
    expect(r.stdout).toBe("up token=sharedSecret5 user=stack\n");
    expect(nodeCommand("up")).not.toContain("sharedSecret5");
  });
});

describe("a lab host step", () => {
  it("runs through sudo -n unless the user is root", () => {
    expect(hostCommand("up", "lab")).toBe("sudo -n bash -s up");
    expect(hostCommand("down", "root")).toBe("bash -s down");
    expect(hostCommand("status", "stack")).toBe("sudo -n bash -s status");
  });
});
