// The dev OpenStack lab through the real engine, inside a namespace this suite makes, as a learner
// lives with it from one release to the next. Made by the previous release
// (test/fixtures/release-0.1.tar.gz) with every check green, then upgraded to this release: no new
// credentials, no replaced VM (the same QEMU processes), its NICs answering to the posts' names as
// well. Then: a second `up` that runs nothing; the same stack from a moved checkout and another
// home that plans nothing; the pull-request preview script on a clean clone; stopped (memory back
// to the host) and started where it was; a checkpoint saved, the lab broken and restored; a
// one-node change that rebuilds that node alone, the way this release makes nodes (and refuses a
// checkpoint taken before it); a dead VM and a stopped service that `pulumi preview --refresh`
// names exactly and `pulumi up --refresh` repairs; a simulated reboot and `labstack recover`;
// secrets never in clear in the backend or the engine's log; a destroy that leaves nothing.
// One lab for all of it: an OpenStack lab is the costliest thing the tests boot (test/vm/first-run
// brings up a new one from the README's first command).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { changed, type EngineLab, type EngineRun, filesUnder, openEngineLab, type StackOps } from "../helpers/engineLab.js";
import { ROOT } from "../helpers/labs.js";
import { namespaceLinks } from "../helpers/netns.js";
import { expectOpenStackChecksGreen } from "../helpers/openstackChecks.js";

const LEGACY_RELEASE = join(ROOT, "test", "fixtures", "release-0.1.tar.gz");
const figure = (name: string, run: { seconds: number }, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ figure: name, value: Math.round(run.seconds * 10) / 10, unit: "s", ...extra }));

describe.sequential("dev OpenStack lab, from the previous release through a learner's weeks", () => {
  let lab: EngineLab;
  /** This release's program, on the stack the previous release made. */
  let current: StackOps;
  let first: EngineRun;
  let credentials: Record<string, string>;

  beforeAll(async () => {
    lab = await openEngineLab("openstack", "dev", 1, undefined, { legacy: LEGACY_RELEASE });
    current = await lab.at(lab.projectDir);
  });
  afterAll(() => lab?.close());

  const checksOf = async () => (await lab.stack.outputs()).checks.value as Record<string, Record<string, string>>;
  const ports: Record<string, number> = { controller: 8222, compute1: 8200, compute2: 8201 };
  const ssh = (node: string, command: string) => lab.onNode(ports[node], command);
  const qemuPid = (node: string) => readFileSync(join(lab.stateDir, "vms", node, "qemu.pid"), "utf8").trim();
  const verify = () => lab.inNamespace(["bash", "scripts/verify.sh", "dev"], lab.env);

  it("a lab made by the previous release comes up with every check green", async () => {
    const up = await lab.up();
    first = up;
    figure("legacy_up", up);
    expect(up.summary.result).toBe("succeeded");
    expectOpenStackChecksGreen(await checksOf());
    credentials = (await lab.stack.outputs()).credentials.value;
    expect(credentials.mariadbRootPassword).toMatch(/^[A-Za-z0-9]{24}$/);
  });

  it("upgrades to this release without new credentials or a replaced VM", async () => {
    const pids = Object.keys(ports).map(qemuPid);
    const preview = await current.preview();
    const planned = changed(preview);
    const replaced = Object.entries(planned).filter(([, op]) => op === "replace" || op === "delete");
    expect(replaced, JSON.stringify(planned, null, 1)).toEqual([]);
    expect(planned["dev-credentials-generate"]).toBeUndefined();
    const up = await current.up();
    expect(up.summary.result).toBe("succeeded");
    expect(Object.values(changed(up)).filter((op) => op === "replace" || op === "delete")).toEqual([]);
    expect(Object.keys(ports).map(qemuPid)).toEqual(pids);
    expect((await current.stack.outputs()).credentials.value).toEqual(credentials);
    expectOpenStackChecksGreen((await current.stack.outputs()).checks.value);
    // The previous release's VMs keep their NICs' names (ens4) and answer to the posts' too, also
    // after a reboot: a udev rule gives the name again when the NIC appears.
    const mgmt = ssh("controller", "ip -br addr show enp0s8");
    expect(mgmt.stdout, mgmt.stderr).toMatch(/^ens4\s+UP\s+192\.168\.1\.11\/24/);
    const again = ssh(
      "controller",
      "sudo ip link property del dev ens4 altname enp0s8 && sudo udevadm trigger --action=add --subsystem-match=net && sudo udevadm settle && ip -br link show enp0s8",
    );
    expect(again.stdout, again.stderr).toMatch(/^ens4\s+UP/);
    // The learner's files are where the previous release put them, still private to their owner.
    for (const f of ["credentials.yaml", "lab-key"]) expect(statSync(join(lab.credentialsDir, f)).mode & 0o777).toBe(0o600);
    // QEMU processes the previous release started have no monitor socket: no checkpoint of them
    // (not even `ready`) until the lab is stopped and started, and the CLI says so.
    const save = lab.cli("checkpoint", "save", "dev", "early");
    expect(save.status).not.toBe(0);
    expect(save.stderr).toContain("(started by an older labstack): no checkpoint until it is restarted (labstack stop, then start)");
  });

  it("a second up changes nothing and runs no command", async () => {
    const again = await current.up();
    expect(Object.keys(again.summary.resourceChanges ?? {})).toEqual(["same"]);
    expect(changed(again)).toEqual({});
    figure("noop_up", again);
  });

  it("the same stack from a moved checkout and another home plans nothing and runs nothing", async () => {
    const moved = await lab.at(lab.copyProject("moved"), { HOME: join(lab.stateDir, "..", "another-home") });
    const preview = await moved.preview();
    expect(changed(preview)).toEqual({});
    const up = await moved.up();
    expect(changed(up)).toEqual({});
  });

  it("a pull request's preview, on a clean clone elsewhere: a README change plans nothing, a node's memory that node", async () => {
    const clone = lab.copyProject("pull-request");
    await lab.at(clone);
    const inClone = (command: string) =>
      spawnSync("ip", ["netns", "exec", lab.ns.name, "bash", "-c", command], {
        cwd: clone,
        encoding: "utf8",
        env: {
          ...process.env,
          ...lab.env,
          HOME: join(lab.stateDir, "..", "runner-home"),
          // A runner's commits: no identity in this HOME.
          GIT_AUTHOR_NAME: "ci",
          GIT_AUTHOR_EMAIL: "ci@example.invalid",
          GIT_COMMITTER_NAME: "ci",
          GIT_COMMITTER_EMAIL: "ci@example.invalid",
        },
      });
    const git = (args: string) => inClone(`git ${args}`);
    expect(git("init -q && git add -A && git commit -qm base").status).toBe(0);
    const preview = () => {
      const r = inClone("bash scripts/preview.sh --base HEAD~1");
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    expect(git("commit -qam readme --allow-empty && echo >> README.md && git commit -qam 'README only'").status).toBe(0);
    expect(preview()).toMatch(/^labstack-preview: dev 0$/m);
    const template = join(clone, "Pulumi.dev.yaml");
    const doc = parse(readFileSync(template, "utf8"));
    doc.config["labstack:lab"].nodes.find((n: { name: string }) => n.name === "compute2").memoryMiB += 256;
    writeFileSync(template, stringify(doc));
    expect(git("commit -qam 'compute2 gets more memory'").status).toBe(0);
    const out = preview();
    // The `op name` lines under the stack's count; the engine's own diff follows after a blank line.
    const summary = out.slice(out.indexOf("labstack-preview: dev "), out.indexOf("\n\n", out.indexOf("labstack-preview: dev ")));
    const planned = [...summary.matchAll(/^ {2}(\S+) (\S+)$/gm)].map((m) => [m[2], m[1]]);
    expect(planned.length).toBeGreaterThan(0);
    expect(planned.filter(([name]) => !name.startsWith("dev-compute2") && name !== "dev-preflight-run")).toEqual([]);
    expect(Object.fromEntries(planned)["dev-compute2-machine-vm"]).toBe("replace");
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
    // Nothing of the lab runs: no QEMU, and not its own APT cache either.
    expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
    expect(stop.stdout).toContain("labstack: changed stopped apt-cacher-ng of lab dev");
    // What the guests held went back to the host (give or take what else the machine did meanwhile).
    expect(free() - before).toBeGreaterThan(held / 2);
    const refused = await current.up().then(
      () => "up succeeded",
      (e: Error) => e.message,
    );
    expect(refused).toContain("lab dev is stopped");
    // The previous release's VMs had no monitor to save their state through: they boot afresh,
    // through the engine.
    const cold = lab.cli("start", "dev");
    expect(cold.status, cold.stdout + cold.stderr).toBe(0);
    expect(cold.stdout).toContain("resuming through the engine: pulumi up --refresh");
    expect(cold.stdout).toMatch(/every check green \(\d+\)/);
    expect(changed(await current.up())).toEqual({});

    // This release's VMs: saved and resumed in place, the cache with them, the engine not needed.
    const again = lab.cli("stop", "dev");
    expect(again.status, again.stdout + again.stderr).toBe(0);
    figure("lab_stop", again);
    expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
    const start = lab.cli("start", "dev");
    expect(start.status, start.stdout + start.stderr).toBe(0);
    for (const node of Object.keys(ports)) expect(start.stdout).toContain(`labstack: changed resumed ${node} where it was stopped`);
    expect(start.stdout).toContain("labstack: changed started apt-cacher-ng");
    expect(start.stdout).not.toContain("pulumi up --refresh");
    expect(start.stdout).toMatch(/every check green \(\d+\)/);
    figure("lab_start", start, { note: "every VM resumed in place from its saved state (QEMU -loadvm), the APT cache, clocks set, every check run" });
    expect(changed(await current.up())).toEqual({});
    // The stack's record agrees with the lab: a refresh reads every VM and service as it left them.
    expect(Object.keys((await current.refresh()).summary.resourceChanges ?? {})).toEqual(["same"]);
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
    expect(changed(await current.up())).toEqual({});
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
    // Rebuilt by this release, compute2's NICs carry the posts' names themselves.
    expect(ssh("compute2", "ls /sys/class/net").stdout.split(/\s+/)).toEqual(expect.arrayContaining(["enp0s3", "enp0s8", "enp0s9"]));
    expect(ssh("compute2", "ip -br addr show enp0s8").stdout).toMatch(/^enp0s8\s+UP\s+192\.168\.1\.22\/24/);
    // `ready` taken again on compute2's new disk, and not deleted after by the replaced one's `down`
    // (the other two, started by the previous release and resumed since, have none of their own).
    expect(ops["dev-compute2-checkpoint-ready"]).toBe("replace");
    expect(lab.cli("checkpoint", "list", "dev").stdout).toMatch(/^ready\b.*: .*compute2 [\d.]+ MiB$/m);
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
    const refresh = await current.refresh();
    expect(Object.keys(refresh.summary.resourceChanges ?? {})).toEqual(["same"]);
    figure("refresh_healthy", refresh);
  });

  it("preview --refresh names exactly a dead VM and a stopped service, and up --refresh repairs them", async () => {
    const pid = qemuPid("compute2");
    execFileSync("kill", ["-9", pid]);
    expect(ssh("controller", "sudo systemctl stop memcached").status).toBe(0);
    // A plain preview knows nothing of it: Pulumi's state says the lab is fine.
    expect(changed(await current.preview())).toEqual({});
    const preview = await current.preview({ refresh: true, diff: true });
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
    const repair = await current.up({ refresh: true });
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
    expect(changed(await current.up())).toEqual({});
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
    expect(changed(await current.up())).toEqual({});
  });

  it("keeps every generated secret out of the backend and the engine's log in clear", async () => {
    // A private key's first lines are the same for every OpenSSH ed25519 key (format header and
    // public half); the lines after them carry the secret.
    const secrets = Object.entries(credentials)
      .filter(([k]) => k !== "sshPublicKey")
      .flatMap(([k, v]) =>
        v.includes("PRIVATE KEY")
          ? v
              .split("\n")
              .slice(2, -2)
              .map((line, i) => [`${k} line ${i + 3}`, line])
          : [[k, v]],
      );
    expect(secrets.length).toBeGreaterThan(5);
    // The CLI's export, as a user runs it: the Automation API's exportStack decrypts for its caller.
    const exportRun = lab.inNamespace(["pulumi", "stack", "export", "-s", "dev"], lab.env);
    expect(exportRun.status, exportRun.stderr).toBe(0);
    const exported = exportRun.stdout;
    expect(exported).toContain('"ciphertext"');
    // Not the Automation API's in-process event stream: since Pulumi 3.206 it hands the calling
    // program the decrypted value of every secret output, as `stack output --show-secrets` would;
    // nothing of ours keeps it.
    const texts: [string, string][] = [
      ["exported stack", exported],
      ["engine output of up", first.output],
    ];
    for (const f of filesUnder(lab.backendDir)) texts.push([f, readFileSync(f, "utf8")]);
    for (const [where, text] of texts) for (const [name, value] of secrets) expect(text.includes(value), `${where} holds ${name} in clear`).toBe(false);
  });

  it("destroy leaves no VM, tap, bridge, checkpoint, state folder, credentials file or cache daemon", async () => {
    await current.destroy();
    expect(spawnSync("pgrep", ["-f", lab.stateDir]).status).toBe(1);
    expect(namespaceLinks(lab.ns)).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
    expect(existsSync(join(lab.credentialsDir, "credentials.yaml"))).toBe(false);
    const state = await current.stack.exportStack();
    expect(state.deployment.resources ?? []).toEqual([]);
  });
});
