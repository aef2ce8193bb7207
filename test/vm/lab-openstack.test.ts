// The dev OpenStack lab of this release through the real engine, inside a namespace this suite
// makes, as a learner lives with it: up with every check green; a second `up` that does nothing;
// stopped (memory back to the host) and started where it was; a checkpoint saved, the lab broken
// and restored; a one-node change that rebuilds that node alone (and refuses a checkpoint taken
// before it); a dead VM and a stopped service that `pulumi preview --refresh` names exactly and
// `pulumi up --refresh` repairs; a simulated reboot and `labstack recover`; a destroy that leaves
// nothing. test/vm/lab-openstack-upgrade.test.ts starts from a lab of the previous release.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changed, type EngineLab, openEngineLab } from "../helpers/engineLab.js";
import { namespaceLinks } from "../helpers/netns.js";
import { expectOpenStackChecksGreen } from "../helpers/openstackChecks.js";

const figure = (name: string, run: { seconds: number }, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ figure: name, value: Math.round(run.seconds * 10) / 10, unit: "s", ...extra }));

describe.sequential("dev OpenStack lab through the engine", () => {
  let lab: EngineLab;

  beforeAll(async () => {
    lab = await openEngineLab("openstack", "dev", 1);
  });
  afterAll(() => lab?.close());

  const checksOf = async () => (await lab.stack.outputs()).checks.value as Record<string, Record<string, string>>;
  const ports: Record<string, number> = { controller: 8222, compute1: 8200, compute2: 8201 };
  const ssh = (node: string, command: string) => lab.onNode(ports[node], command);
  const qemuPid = (node: string) => readFileSync(join(lab.stateDir, "vms", node, "qemu.pid"), "utf8").trim();
  const verify = () => lab.inNamespace(["bash", "scripts/verify.sh", "dev"], lab.env);

  it("comes up with every check green, its NICs named as in the posts", async () => {
    const up = await lab.up();
    expect(up.summary.result).toBe("succeeded");
    expectOpenStackChecksGreen(await checksOf());
    figure("openstack_up", up);
    expect(ssh("controller", "ls /sys/class/net").stdout.split(/\s+/)).toEqual(expect.arrayContaining(["enp0s3", "enp0s8", "enp0s9"]));
    expect(ssh("controller", "ip -br addr show enp0s8").stdout).toMatch(/^enp0s8\s+UP\s+192\.168\.1\.11\/24/);
    // The lab keeps its `ready` checkpoint itself.
    expect(lab.cli("checkpoint", "list", "dev").stdout).toMatch(/^ready: controller [\d.]+ MiB, compute1 [\d.]+ MiB, compute2 [\d.]+ MiB$/m);
  });

  it("a second up changes nothing and runs no command", async () => {
    const again = await lab.up();
    expect(Object.keys(again.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect(changed(again)).toEqual({});
    figure("noop_up", again);
  });

  it("stops, giving the host its memory back, refuses a plain up while stopped, and starts again with every check green", async () => {
    const free = () => Number(/^MemAvailable:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]) / 1024;
    // What the three guests hold of the host's memory now (QEMU's resident set).
    const held = Object.keys(ports)
      .map((node) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${qemuPid(node)}/status`, "utf8"))![1]) / 1024)
      .reduce((a, b) => a + b, 0);
    const before = free();
    const stop = lab.cli("stop", "dev");
    expect(stop.status, stop.stdout + stop.stderr).toBe(0);
    figure("lab_stop", stop);
    expect(spawnSync("pgrep", ["-f", `${lab.stateDir}/vms`]).status).toBe(1);
    // What the guests held went back to the host (give or take what else the machine did meanwhile).
    expect(free() - before).toBeGreaterThan(held / 2);
    const refused = await lab.up().then(
      () => "up succeeded",
      (e: Error) => e.message,
    );
    expect(refused).toContain("lab dev is stopped");
    const start = lab.cli("start", "dev");
    expect(start.status, start.stdout + start.stderr).toBe(0);
    expect(start.stdout).toMatch(/every check green \(\d+\)/);
    figure("lab_start", start, { note: "every VM resumed from its saved state (QEMU loadvm), clocks set, every check run" });
    expect(changed(await lab.up())).toEqual({});
  });

  it("a checkpoint brings back a stopped service, a deleted file and a dropped table, with every check green", async () => {
    expect(
      ssh(
        "controller",
        "echo 'my notes' > notes.txt && sudo mysql -e 'CREATE DATABASE learner; CREATE TABLE learner.t (x INT); INSERT INTO learner.t VALUES (42)'",
      ).status,
    ).toBe(0);
    const save = lab.cli("checkpoint", "save", "dev", "keystone-done");
    expect(save.status, save.stdout + save.stderr).toBe(0);
    figure("checkpoint_save", save);
    const list = lab.cli("checkpoint", "list", "dev");
    expect(list.stdout).toMatch(/^keystone-done: controller [\d.]+ MiB, compute1 [\d.]+ MiB, compute2 [\d.]+ MiB$/m);
    const sizes = [...list.stdout.matchAll(/(\w+) ([\d.]+) MiB/g)].map((m) => Number(m[2]));
    figure("checkpoint_disk_mib", { seconds: Math.max(...sizes) }, { unit: "MiB", per_node: list.stdout.trim() });

    expect(ssh("controller", "sudo systemctl stop memcached && rm notes.txt && sudo mysql -e 'DROP DATABASE learner'").status).toBe(0);
    const restore = lab.cli("checkpoint", "restore", "dev", "keystone-done");
    expect(restore.status, restore.stdout + restore.stderr).toBe(0);
    expect(restore.stdout).toContain("restored checkpoint keystone-done of controller, compute1, compute2");
    expect(restore.stdout).toMatch(/every check green \(\d+\)/);
    figure("checkpoint_restore", restore, { note: "RAM and device state restored (QEMU loadvm), clocks stepped, every check run" });
    expect(ssh("controller", "systemctl is-active memcached").stdout.trim()).toBe("active");
    expect(ssh("controller", "cat notes.txt").stdout.trim()).toBe("my notes");
    expect(ssh("controller", "sudo mysql -N -e 'SELECT x FROM learner.t'").stdout.trim()).toBe("42");
    // Pulumi's state knows nothing of it: the lab is what it says.
    expect(changed(await lab.up())).toEqual({});
    expect(lab.cli("checkpoint", "save", "dev", "before-change").status).toBe(0);
  });

  it("a memory change on compute2 rebuilds compute2 alone", async () => {
    lab.raw.nodes[2].memoryMiB += 256;
    const moved = await lab.at(lab.projectDir);
    const ops = changed(await moved.preview());
    const others = Object.keys(ops).filter((n) => !n.startsWith("dev-compute2"));
    // The host preflight sees the new memory sum; nothing else outside compute2 changes.
    expect(others).toEqual(["dev-preflight-run"]);
    expect(ops["dev-preflight-run"]).toBe("update");
    expect(ops["dev-compute2-machine-vm"]).toBe("replace");
    expect(ops["dev-compute2-ready"]).toBe("replace");
    expect(ops["dev-compute2-base-run"]).toBe("replace");
    expect(ops["dev-compute2-chrony-client-run"]).toBe("replace");
    const up = await moved.up();
    expect(up.summary.result).toBe("succeeded");
    const checks = await checksOf();
    expect(checks.compute2.chrony).toMatch(/^\^\* controller /m);
    expect(checks.compute2.memcached).toContain("stored and returned labstack-check-compute2");
    figure("one_node_change", up);
  });

  it("refuses a checkpoint taken before compute2 was rebuilt, changing nothing", async () => {
    expect(ssh("controller", "echo after > after.txt").status).toBe(0);
    const restore = lab.cli("checkpoint", "restore", "dev", "before-change");
    expect(restore.status).not.toBe(0);
    expect(restore.stderr).toContain("checkpoint before-change cannot be restored: compute2 has no such checkpoint");
    expect(restore.stderr).toContain("nothing was changed");
    // The controller was not taken back either.
    expect(ssh("controller", "cat after.txt").stdout.trim()).toBe("after");
  });

  it("a healthy lab's refresh changes nothing", async () => {
    const refresh = await lab.refresh();
    expect(Object.keys(refresh.summary.resourceChanges ?? {})).toEqual(["same"]);
    figure("refresh_healthy", refresh);
  });

  it("preview --refresh names exactly a dead VM and a stopped service, and up --refresh repairs them", async () => {
    const pid = qemuPid("compute2");
    execFileSync("kill", ["-9", pid]);
    expect(ssh("controller", "sudo systemctl stop memcached").status).toBe(0);
    // A plain preview knows nothing of it: Pulumi's state says the lab is fine.
    expect(changed(await lab.preview())).toEqual({});
    const preview = await lab.preview({ refresh: true, diff: true });
    expect(Object.keys(changed(preview)).sort()).toEqual(
      [
        "dev-compute2-machine-vm-health",
        "dev-compute2-machine-vm",
        "dev-compute2-ssh",
        "dev-compute2-ready",
        "dev-controller-memcached-health",
        "dev-controller-memcached-run",
      ].sort(),
    );
    expect(preview.stdout).toContain("compute2's VM is not running");
    expect(preview.stdout).toContain("memcached is inactive on controller");
    const repair = await lab.up({ refresh: true });
    expect(repair.summary.result).toBe("succeeded");
    expect(Object.keys(changed(repair)).sort()).toEqual(Object.keys(changed(preview)).sort());
    expect(qemuPid("compute2")).not.toBe(pid);
    expect(ssh("controller", "systemctl is-active memcached").stdout.trim()).toBe("active");
    figure("refresh_repair", repair, { repaired: "compute2's VM, controller's memcached" });
    // The checks, run again by the documented command, see the lab whole; nothing is left to repair.
    const checked = verify();
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/What verify repaired on dev \(and \d+ checks run again\):\n {2}nothing/);
    expectOpenStackChecksGreen(await checksOf());
    expect(changed(await lab.up())).toEqual({});
  });

  it("comes back after a reboot of its host (every process, tap and bridge gone, the disks kept) with one command", async () => {
    const pids = spawnSync("ip", ["netns", "pids", lab.ns.name], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const pid of pids) {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      // The lab's processes (QEMU, its APT cache); the namespace's sshd-less plumbing stays.
      if (cmdline.includes(lab.stateDir)) spawnSync("kill", ["-9", pid]);
    }
    for (const link of namespaceLinks(lab.ns)) spawnSync("ip", ["-n", lab.ns.name, "link", "del", link]);
    expect(spawnSync("pgrep", ["-f", `${lab.stateDir}/vms`]).status).toBe(1);
    expect(namespaceLinks(lab.ns)).toEqual([]);
    const recover = lab.cli("recover", "dev");
    expect(recover.status, recover.stdout + recover.stderr).toBe(0);
    expect(recover.stdout).toMatch(/every check green \(\d+\)/);
    // No package step runs: the nodes' disks have everything, only their VMs are started.
    expect(recover.stdout).not.toContain("installed");
    figure("reboot_recover", recover, { note: "cold boot of the three nodes from their disks, under TCG" });
    expect(changed(await lab.up())).toEqual({});
  });

  it("destroy leaves no VM, tap, bridge, checkpoint, state folder, credentials file or cache daemon", async () => {
    await lab.destroy();
    expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
    expect(namespaceLinks(lab.ns)).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
    expect(existsSync(join(lab.credentialsDir, "credentials.yaml"))).toBe(false);
    const state = await lab.stack.exportStack();
    expect(state.deployment.resources ?? []).toEqual([]);
  });
});
