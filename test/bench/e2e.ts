// Benchmark through the real engine (npm run bench:e2e): one JSON line per figure, in seconds
// unless said otherwise, each with per-resource durations from the engine's events.
//   openstack_up     dev lab `up` from nothing to checks green (image from the cache when baked
//                    before; --cold-bake builds it in an empty cache first)
//   noop_up          a second `up` with no change
//   refresh_healthy  `pulumi refresh` of the healthy lab (every Health resource's status read)
//   lab_stop         `labstack stop dev`: every VM's state saved to its disk, QEMU ended
//   lab_start        `labstack start dev`: the VMs resumed where they were, then every check
//   checkpoint_save  `labstack checkpoint save dev NAME` (RAM and device state of every node)
//   checkpoint_disk_mib  the largest node's share of that checkpoint, in MiB (`checkpoint list`)
//   checkpoint_restore   `labstack checkpoint restore dev NAME` after a stopped service, a deleted
//                    file and a dropped table, then every check
//   refresh_repair   `pulumi up --refresh` repairing a killed VM (compute2) and a stopped service
//                    (the controller's memcached)
//   reboot_recover   `labstack recover dev` after a simulated reboot of the lab host (every
//                    process of the lab, tap and bridge gone, the disks kept), with each node's
//                    boot and the controller's RabbitMQ start in it: what limits it
//   one_node_change  compute2's memory changed: its rebuild and re-provisioning
//   openstack_reset  `destroy` then `up` of the same lab (the learner's reset)
//   boot_ratio       three nodes booting together vs one alone (a ratio: readiness gates' times)
//   network_lab_<stack>  `up` + checks + `destroy` of each networking lab
// The lifecycle figures are measured as test/vm/lab-openstack.test.ts measures them: through the
// engine (refresh, up --refresh) and the labstack CLI run in the lab's namespace with the lab's
// environment; each is checked (status, every check green, the repair done) before it is printed.
// Flags: --no-openstack, --no-network, --cold-bake, --only=<stack>[,<stack>...]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { changed, type EngineLab, type EngineRun, openEngineLab } from "../helpers/engineLab.js";
import { namespaceLinks } from "../helpers/netns.js";

const args = process.argv.slice(2);
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const round = (n: number) => Math.round(n * 10) / 10;
const UNITS: Record<string, string> = { boot_ratio: "ratio", checkpoint_disk_mib: "MiB" };
const emit = (figure: string, value: number, extra: object = {}) =>
  console.log(JSON.stringify({ figure, value: round(value), unit: UNITS[figure] ?? "s", ...extra }));

/** A check of the lab before a figure is printed: a figure of a failed operation means nothing. */
function ensure(ok: boolean, what: string, detail = ""): void {
  if (!ok) throw new Error(`bench: ${what}${detail === "" ? "" : `\n${detail}`}`);
}

/** Lifecycle figures that could not be measured: the bench goes on with the others (each leaves a
 * lab the next can use), prints why on stderr, and exits 1 at the end. */
const unmeasured: string[] = [];
async function measure(figures: string, run: () => Promise<void> | void): Promise<void> {
  try {
    await run();
  } catch (e) {
    unmeasured.push(figures);
    console.error(`bench: ${figures} not measured: ${(e as Error).message}`);
  }
}

/** `labstack ARGS...` in the lab's namespace, timed; it must succeed. */
function cli(lab: EngineLab, ...args: string[]) {
  const r = lab.cli(...args);
  ensure(r.status === 0, `labstack ${args.join(" ")} exited ${r.status}`, r.stdout + r.stderr);
  return r;
}

/** The same, for a command that ends with the lab's checks: every one must be green. */
function cliGreen(lab: EngineLab, ...args: string[]) {
  const r = cli(lab, ...args);
  ensure(/every check green \(\d+\)/.test(r.stdout), `labstack ${args.join(" ")} did not see every check green`, r.stdout);
  return r;
}

/** Where a labstack command's seconds went, from what it said: each phase (`(clocks set in 6.8 s)`)
 * and its slowest checks (`green controller/rabbitmq: ... (21.3 s)`). */
function cliPhases(stdout: string, n = 4): { phases: Record<string, number>; slowest_checks: Record<string, number> } {
  const phases = Object.fromEntries([...stdout.matchAll(/^\((.+) in ([\d.]+) s\)$/gm)].map((m) => [m[1], Number(m[2])]));
  const checks = [...stdout.matchAll(/^ {2}(?:green|RED {2}) (\S+): .* \(([\d.]+) s\)$/gm)].map((m) => [m[1], Number(m[2])] as const);
  return { phases, slowest_checks: Object.fromEntries([...checks].sort((a, b) => b[1] - a[1]).slice(0, n)) };
}

/** The engine's slowest resources in a run, by name, rounded: where the time went. */
function slowest(run: EngineRun, n = 12): Record<string, number> {
  return Object.fromEntries(
    Object.entries(run.durations)
      .filter(([name]) => ["-run", "-vm", "-ssh", "-ready", "-bridge"].some((end) => name.endsWith(end)))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n),
  );
}

/** Seconds from a node's VM to its readiness: the wait for its SSH (its boot) plus the gate (cloud-init). */
const readiness = (run: EngineRun) =>
  Object.fromEntries(
    Object.entries(run.durations)
      .filter(([name]) => name.endsWith("-ssh"))
      .map(([name, seconds]) => [name.slice(0, -4), seconds + (run.durations[`${name.slice(0, -4)}-ready`] ?? 0)]),
  );

async function openstack() {
  const coldCache = args.includes("--cold-bake") ? mkdtempSync(join(tmpdir(), "labstack-bench-images-")) : undefined;
  if (coldCache) process.env.LABSTACK_CACHE = coldCache;
  const lab = await openEngineLab("bench-openstack", "dev", 2);
  try {
    const up = await lab.up();
    // image_step tells a cached image (a second or two) from one built because its key changed.
    emit("openstack_up", up.seconds, {
      bake: coldCache ? "cold" : "cached",
      image_step: up.durations["dev-image-run"],
      slowest: slowest(up),
      ready: readiness(up),
    });
    const noop = await lab.up();
    emit("noop_up", noop.seconds, { changes: noop.summary.resourceChanges });
    await lifecycle(lab);
    lab.raw.nodes[2].memoryMiB += 256;
    lab.writeConfig();
    const change = await lab.up();
    emit("one_node_change", change.seconds, { changes: change.summary.resourceChanges, slowest: slowest(change, 6) });
    const destroy = await lab.destroy();
    const again = await lab.up();
    emit("openstack_reset", destroy.seconds + again.seconds, { destroy: round(destroy.seconds), up: round(again.seconds), slowest: slowest(again) });
    const three = Math.max(...Object.values(readiness(again)));
    await lab.destroy();

    lab.raw.nodes = lab.raw.nodes.slice(0, 1);
    lab.writeConfig();
    const alone = await lab.up();
    const one = Math.max(...Object.values(readiness(alone)));
    emit("boot_ratio", three / one, { three_nodes_ready: three, one_node_ready: one });
  } finally {
    await lab.close();
    if (coldCache) rmSync(coldCache, { recursive: true, force: true });
  }
}

/** The dev lab as a learner lives with it, after its first `up`: refresh, stop and start,
 * checkpoints, a repair by `up --refresh` and a recovery after a reboot. */
async function lifecycle(lab: EngineLab) {
  const port = (node: string) => lab.raw.nodes.find((n: { name: string }) => n.name === node).nics[0].sshPort as number;
  const ssh = (node: string, command: string) => lab.onNode(port(node), command);
  const onController = (command: string) => {
    const r = ssh("controller", command);
    ensure(r.status === 0, `controller: ${command} exited ${r.status}`, r.stdout + r.stderr);
    return r.stdout.trim();
  };
  const qemuPid = (node: string) => readFileSync(join(lab.stateDir, "vms", node, "qemu.pid"), "utf8").trim();
  const labProcesses = () => spawnSync("pgrep", ["-f", `${lab.stateDir}/vms`]).status === 0;

  await measure("refresh_healthy", async () => {
    const refresh = await lab.refresh();
    ensure(Object.keys(refresh.summary.resourceChanges ?? {}).join() === "same", "a healthy lab's refresh changed something", JSON.stringify(refresh.summary));
    emit("refresh_healthy", refresh.seconds, { changes: refresh.summary.resourceChanges });
  });

  await measure("lab_stop, lab_start", () => {
    const stop = cli(lab, "stop", "dev");
    ensure(!labProcesses(), "a VM of the lab still runs after labstack stop");
    emit("lab_stop", stop.seconds, { note: "every VM's RAM and device state saved to its disk (QEMU savevm), QEMU ended" });
    const start = cliGreen(lab, "start", "dev");
    // What the engine said it did to each VM: resumed from its saved state, or booted afresh.
    const resumed = [...new Set([...start.stdout.matchAll(/resumed (\S+) where it was stopped/g)].map((m) => m[1]))].sort();
    emit("lab_start", start.seconds, {
      note: "every VM resumed in place from its saved state (QEMU -loadvm), the APT cache, clocks stepped beside every check",
      resumed,
      ...cliPhases(start.stdout),
    });
  });

  await measure("checkpoint_save, checkpoint_disk_mib, checkpoint_restore", () => checkpoints(lab, onController));

  await measure("refresh_repair", async () => {
    const pid = qemuPid("compute2");
    execFileSync("kill", ["-9", pid]);
    onController("sudo systemctl stop memcached");
    const repair = await lab.up({ refresh: true });
    ensure(qemuPid("compute2") !== pid, "compute2's VM was not started again by up --refresh");
    ensure(onController("systemctl is-active memcached") === "active", "memcached was not started again by up --refresh");
    emit("refresh_repair", repair.seconds, { repaired: "compute2's VM, controller's memcached", changes: changed(repair), slowest: slowest(repair, 6) });
  });

  await measure("reboot_recover", () => {
    // A reboot of the lab host: every process of the lab (QEMU, its APT cache) and every device of
    // the namespace gone, the disks kept.
    const pids = spawnSync("ip", ["netns", "pids", lab.ns.name], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const p of pids) {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").replaceAll("\0", " ").includes(lab.stateDir)) spawnSync("kill", ["-9", p]);
    }
    for (const link of namespaceLinks(lab.ns)) spawnSync("ip", ["-n", lab.ns.name, "link", "del", link]);
    ensure(!labProcesses() && namespaceLinks(lab.ns).length === 0, "the simulated reboot left a VM or a device of the lab");
    const recover = cliGreen(lab, "recover", "dev");
    emit("reboot_recover", recover.seconds, {
      note: "cold boot of the three nodes from their disks",
      ...cliPhases(recover.stdout),
      ...coldBoots(ssh),
    });
  });
}

/** What limits a recovery: each node's boot, kernel start to systemd's "startup finished", and the
 * controller's RabbitMQ start within it (systemd's monotonic timestamps, in microseconds). */
function coldBoots(ssh: (node: string, command: string) => { status: number; stdout: string }) {
  const read = (node: string, property: string, unit = "") => {
    const r = ssh(node, `systemctl show -P ${property} ${unit}`);
    ensure(r.status === 0 && /^\d+$/.test(r.stdout.trim()), `${node}: systemctl show -P ${property} ${unit}`, r.stdout);
    return Number(r.stdout.trim()) / 1e6;
  };
  const rabbitmq = (property: string) => read("controller", property, "rabbitmq-server");
  return {
    boot_seconds: Object.fromEntries(["controller", "compute1", "compute2"].map((n) => [n, round(read(n, "FinishTimestampMonotonic"))])),
    rabbitmq_start_seconds: round(rabbitmq("ActiveEnterTimestampMonotonic") - rabbitmq("InactiveExitTimestampMonotonic")),
  };
}

/** A checkpoint of the controller's notes and database, taken, listed and restored after they are gone. */
function checkpoints(lab: EngineLab, onController: (command: string) => string) {
  onController("echo 'my notes' > notes.txt && sudo mysql -e 'CREATE DATABASE learner; CREATE TABLE learner.t (x INT); INSERT INTO learner.t VALUES (42)'");
  const save = cli(lab, "checkpoint", "save", "dev", "bench");
  emit("checkpoint_save", save.seconds);
  const list = cli(lab, "checkpoint", "list", "dev");
  const line = list.stdout.split("\n").find((l) => l.startsWith("bench: "));
  ensure(line !== undefined && /^bench: controller [\d.]+ MiB, compute1 [\d.]+ MiB, compute2 [\d.]+ MiB$/.test(line), "checkpoint list", list.stdout);
  const sizes = [...line!.matchAll(/(\w+) ([\d.]+) MiB/g)].map((m) => Number(m[2]));
  emit("checkpoint_disk_mib", Math.max(...sizes), { per_node: line });
  onController("sudo systemctl stop memcached && rm notes.txt && sudo mysql -e 'DROP DATABASE learner'");
  const restore = cliGreen(lab, "checkpoint", "restore", "dev", "bench");
  ensure(onController("systemctl is-active memcached") === "active", "memcached is not active after the restore");
  ensure(onController("cat notes.txt") === "my notes", "notes.txt did not come back with the restore");
  ensure(onController("sudo mysql -N -e 'SELECT x FROM learner.t'") === "42", "the dropped table did not come back with the restore");
  emit("checkpoint_restore", restore.seconds, {
    note: "RAM and device state restored (QEMU loadvm), clocks stepped beside every check",
    ...cliPhases(restore.stdout),
  });
  cli(lab, "checkpoint", "delete", "dev", "bench");
}

const NETWORK_LABS = ["net-lab1", "net-lab2", "net-lab3", "net-lab4", "net-lab5", "net-lab6", "net-lab7", "net-lab8", "net-lab9", "net-lab10", "net-tunnels"];

async function networkLabs() {
  for (const stack of NETWORK_LABS.filter((s) => only === undefined || only.includes(s))) {
    const lab = await openEngineLab(`bench-${stack.replace(/^net-/, "")}`, stack, 2, (raw) => {
      raw.hypervisor = { kind: "qemu", accel: "auto" };
      raw.image = { build: { distro: "debian", release: "bookworm" } };
    });
    try {
      const up = await lab.up();
      const destroy = await lab.destroy();
      emit(`network_lab_${stack}`, up.seconds + destroy.seconds, { up: round(up.seconds), destroy: round(destroy.seconds), slowest: slowest(up, 6) });
    } finally {
      await lab.close();
    }
  }
}

async function main() {
  if (!args.includes("--no-openstack") && only === undefined) await openstack();
  if (!args.includes("--no-network")) await networkLabs();
  if (unmeasured.length > 0) {
    console.error(`bench: not measured: ${unmeasured.join("; ")}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
