// The dev OpenStack lab for real: three QEMU VMs inside a private network namespace, provisioned
// by the stack's own scripts and parameters, with the learner's checks and OpenStack-style use of
// every service. Then a second run that must change nothing, a broken service that must turn its
// check red, and a destroy that must leave nothing behind.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openNamespacedLab, type NamespacedLab } from "../helpers/namespacedLab.js";
import { namespaceLinks, type Namespace } from "../helpers/netns.js";
import { changes, StepFailure, type QemuLab } from "../helpers/qemuLab.js";

describe.sequential("dev OpenStack lab on QEMU", () => {
  let run: NamespacedLab;
  let lab: QemuLab;
  let ns: Namespace;
  let stateDir: string;

  beforeAll(async () => {
    run = await openNamespacedLab("dev", 1);
    ({ lab, ns, stateDir } = run);
  });
  afterAll(() => run?.close());

  it("boots the three nodes in parallel to SSH and finished cloud-init", async () => {
    const ready = await lab.up();
    expect(Object.keys(ready).sort()).toEqual(["compute1", "compute2", "controller"]);
    // The credentials file the learner reads is private to its owner.
    const mode = execFileSync("stat", ["-c", "%a", join(stateDir, "credentials", "credentials.yaml")], { encoding: "utf8" }).trim();
    expect(mode).toBe("600");
  });

  it("provisions every node with the stack's steps", async () => {
    const results = await lab.provision();
    expect(results.map((r) => `${r.node}:${r.script}`)).toContain("controller:node/mariadb.sh");
    // The first run really did the work.
    expect(changes(results.map((r) => r.stdout).join("\n")).length).toBeGreaterThan(10);
  });

  it("passes the learner's checks and uses every service the way OpenStack will", async () => {
    const checks = await lab.checks();
    for (const node of ["controller", "compute1", "compute2"]) {
      expect(checks[node].hosts.stdout).toContain("controller resolves to 192.168.1.11 and answers ping");
      expect(checks[node].hosts.stdout).toContain("compute2 resolves to 192.168.1.22 and answers ping");
      expect(checks[node]["mariadb-login"].stdout).toMatch(/logged into MariaDB 10\.\S+ on controller as root/);
      expect(checks[node]["rabbitmq-login"].stdout).toContain("AMQP login as openstack to controller:5672");
      expect(checks[node].memcached.stdout).toContain(`stored and returned labstack-check-${node}`);
    }
    expect(checks.controller.chrony.stdout).toContain("ok: chrony is active");
    for (const compute of ["compute1", "compute2"]) {
      // `chronyc sources` on a compute names the controller as its selected source.
      expect(checks[compute].chrony.stdout).toMatch(/^\^\* controller /m);
    }
    expect(checks.controller.mariadb.stdout).toContain("listens on 192.168.1.11:3306 only");
    expect(checks.controller.rabbitmq.stdout).toMatch(/^openstack\s/m);
  });

  it("a second provisioning run succeeds and changes nothing", async () => {
    const second = await lab.provision();
    expect(changes(second.map((r) => r.stdout + r.stderr).join("\n"))).toEqual([]);
    await lab.checks();
  });

  it("a failed check names the node, the command, its output and the serial log", async () => {
    const controller = lab.lab.nodes[0];
    await lab.ssh(controller, "sudo systemctl stop memcached");
    const memcachedCheck = (await import("../../components/plan/openstack.js")).planNodeSteps(lab.lab, "dev", lab.lab.nodes[1]).checks.find((c) => c.name === "memcached")!;
    const failure = await lab.nodeStep("compute1", memcachedCheck.step).then(() => undefined, (e) => e);
    expect(failure).toBeInstanceOf(StepFailure);
    expect(failure.message).toContain("node compute1: checks/memcached.sh (sudo bash -s) failed (exit 1)");
    expect(failure.message).toContain("CHECK FAILED on compute1: no connection to memcached at 192.168.1.11:11211");
    expect(failure.message).toMatch(/--- serial log \(last lines\)\n[\s\S]*\S/);
    // Running the service step again repairs it: the provisioning converges, not just installs.
    const repaired = await lab.provision();
    expect(changes(repaired.map((r) => r.stdout).join("\n"))).toEqual(["labstack: changed started memcached"]);
    await lab.nodeStep("compute1", memcachedCheck.step);
  });

  it("destroy leaves no QEMU process, tap, bridge, overlay, seed or credentials file", async () => {
    await lab.destroy();
    expect(spawnSync("pgrep", ["-f", stateDir]).status).toBe(1);
    expect(namespaceLinks(ns)).toEqual([]);
    expect(existsSync(join(stateDir, "vms"))).toBe(false);
    expect(existsSync(join(stateDir, "credentials"))).toBe(false);
    expect(existsSync(join(stateDir, "apt-cacher-ng"))).toBe(false);
  });
});
