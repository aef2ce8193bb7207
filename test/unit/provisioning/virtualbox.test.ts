// The VirtualBox driver's scripts, run for real from this checkout with the parameters the plan
// gives them for the seed's Lab1, against a VBoxManage stand-in (test/helpers/vboxmanage-standin.mjs):
// VirtualBox itself cannot be installed on our machines. What VBoxManage would be asked, in what
// order, what the host is left with, and what `status` says of it are checked; booting the lab is
// the QEMU tests' job. The lab's folders are the plan's `~/...`, under a home of the test's own.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSeed } from "../../../plan/cloudinit.js";
import { vboxNetworkEnvironment, virtualboxSpec } from "../../../plan/hypervisors/virtualbox.js";
import type { LabPlan, NetworkPlan, NodePlan } from "../../../plan/types.js";
import { labPlan, ROOT, scriptPath, stackLab } from "../../helpers/labs.js";
import { finished } from "../../helpers/processes.js";

const LAB_NAME = "openstack-lab";
const tmp = mkdtempSync(join(tmpdir(), "labstack-vbox-"));
// The home of the user the lab runs as: the plan's ~/ folders are expanded there by the scripts.
const home = join(tmp, "home");
const plan = labPlan(stackLab(LAB_NAME), LAB_NAME);
const stateDir = join(home, ".local", "share", "labstack", LAB_NAME);
const files = {
  state: join(tmp, "virtualbox.json"),
  networksConf: join(tmp, "etc-vbox", "networks.conf"),
  baseImage: join(tmp, "base.qcow2"),
  // VirtualBox's kernel devices, as the stand-in looks for them; noDev has none.
  dev: join(tmp, "dev"),
  noDev: join(tmp, "no-dev"),
};
const env = {
  ...process.env,
  HOME: home,
  PATH: `${join(tmp, "bin")}:${process.env.PATH}`,
  VBOX_STANDIN_STATE: files.state,
  VBOX_NETWORKS_CONF: files.networksConf,
  VBOX_STANDIN_DEV: files.dev,
};

/** VirtualBox's own step on the host for a lab (networks.conf), as the lab component runs it. */
function hostSetup(p: LabPlan) {
  const setup = virtualboxSpec.hostSetup?.(p);
  if (setup === undefined) throw new Error(`${p.name} asks VirtualBox for no host setup`);
  return { script: setup.script.path, environment: setup.environment };
}

function run(script: string, action: "up" | "down" | "status" | "stop" | "resume" | readonly string[], params: Record<string, string>) {
  const args = typeof action === "string" ? [action] : action;
  const r = spawnSync("bash", [scriptPath(script), ...args], { env: { ...env, ...params }, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}
function vbox(...args: string[]) {
  const r = spawnSync("VBoxManage", args, { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}
interface StandInState {
  hostonlyifs: { name: string; ip: string; mask: string }[];
  dhcpservers: { network: string }[];
  vms: {
    name: string;
    state: string;
    memory: number;
    cpus: number;
    dir: string;
    nics: Record<string, any>;
    settings: Record<string, unknown>;
    media: { type: string; path: string; port: number }[];
    snapshots?: { name: string; state: string }[];
    restoredFrom?: string;
  }[];
  resized: Record<string, number>;
  registry: Record<string, string>;
  calls: string[][];
}
const host = (): StandInState => JSON.parse(readFileSync(files.state, "utf8"));
/** Changes the stand-in's host as something outside the scripts would (a host reboot). */
function setVmState(name: string, vmState: string) {
  const h = host();
  h.vms.find((v) => v.name === name)!.state = vmState;
  writeFileSync(files.state, JSON.stringify(h));
}
/** A bin folder whose cloud-localds runs `body` instead: a step that fails or hangs after the disk is made. */
function cloudLocalds(name: string, body: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "cloud-localds"), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, "cloud-localds"), 0o755);
  return `${dir}:${env.PATH}`;
}
const hostOnly = plan.networks.filter((n) => n.kind === "hostonly");
const networkEnvironment = (net: NetworkPlan) => vboxNetworkEnvironment(plan, net);
const devices: Record<string, string> = {};
/** A path of the plan (~/...) on this host. */
const onHost = (path: string) => path.replace(/^~\//, `${home}/`);

function machineEnvironment(node: NodePlan, baseImage = files.baseImage) {
  const seed = renderSeed({ hostname: node.name, user: plan.config.user, sshPublicKey: "ssh-ed25519 AAAAC3Nza test", nics: node.nics });
  return { env: virtualboxSpec.machineEnvironment({ plan, node, seed, baseImage, devices }), nics: node.nics, seed };
}

beforeAll(() => {
  mkdirSync(join(tmp, "bin"));
  mkdirSync(home);
  mkdirSync(files.dev);
  mkdirSync(files.noDev);
  for (const device of ["vboxdrv", "vboxnetctl"]) writeFileSync(join(files.dev, device), "");
  writeFileSync(join(tmp, "bin", "VBoxManage"), `#!/bin/sh\nexec node ${join(ROOT, "test", "helpers", "vboxmanage-standin.mjs")} "$@"\n`);
  chmodSync(join(tmp, "bin", "VBoxManage"), 0o755);
  const img = spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", files.baseImage, "64M"], { encoding: "utf8" });
  if (img.status !== 0) throw new Error(`qemu-img (scripts/install-deps.sh installs it): ${img.stderr}`);
  // The learner's own host-only interface, made before the lab as the GUI does (with a DHCP
  // server): the lab must never touch it.
  vbox("hostonlyif", "create");
  vbox(
    "dhcpserver",
    "add",
    "--interface=vboxnet0",
    "--server-ip=192.168.56.100",
    "--netmask=255.255.255.0",
    "--lower-ip=192.168.56.101",
    "--upper-ip=192.168.56.254",
    "--enable",
  );
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Each test runs the real scripts through dozens of stand-in calls (a node process each): seconds
// on a quiet machine, up to a minute on a loaded one.
describe("VirtualBox scripts for the seed's Lab1 (VBoxManage stand-in)", { timeout: 120_000 }, () => {
  it("plans ~/ folders that the scripts expand on the host", () => {
    expect(networkEnvironment(hostOnly[0]).STATE_FILE).toBe(`~/.local/share/labstack/${LAB_NAME}/virtualbox/management.hostonlyif`);
    expect(machineEnvironment(plan.nodes[0]).env.VM_DIR).toBe(`~/.local/share/labstack/${LAB_NAME}/vms/controller`);
  });

  it("refuses the seed's ranges until host preparation opens them, with the fix in the message, and leaves no interface", () => {
    const management = hostOnly[0];
    const r = run("virtualbox/network.sh", "up", networkEnvironment(management));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("VirtualBox refused 192.168.1.1/255.255.255.0 on vboxnet1");
    expect(r.stderr).toContain("set hypervisor.networksConf: true");
    expect(host().hostonlyifs.map((h) => h.name)).toEqual(["vboxnet0"]);
    expect(existsSync(onHost(networkEnvironment(management).STATE_FILE))).toBe(false);
    // Nothing was made: `status` says so, on one line, with the exit code of drift.
    const status = run("virtualbox/network.sh", "status", networkEnvironment(management));
    expect(status).toMatchObject({ status: 3, stdout: "the lab's host-only interface (none recorded) is gone" });
  });

  it("says why VirtualBox could not make a host-only interface, with the fix, and leaves nothing", () => {
    const params = networkEnvironment(hostOnly[0]);
    const r = run("virtualbox/network.sh", "up", { ...params, VBOX_STANDIN_DEV: files.noDev });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("failed to open /dev/vboxnetctl: No such file or directory");
    expect(r.stderr).toContain("sudo modprobe vboxnetadp");
    expect(host().hostonlyifs.map((h) => h.name)).toEqual(["vboxnet0"]);
    expect(existsSync(onHost(params.STATE_FILE))).toBe(false);
  });

  it("VirtualBox's host setup writes networks.conf with the lab's host-only ranges and VirtualBox's default, once", () => {
    const setup = hostSetup(plan);
    const first = run(setup.script, "up", setup.environment);
    expect(first.status, first.stderr).toBe(0);
    expect(readFileSync(files.networksConf, "utf8")).toBe("# labstack openstack-lab\n* 192.168.1.0/24 172.16.0.0/24 192.168.56.0/21\n");
    // The learner's vboxnet0 keeps its range: a networks.conf allows only what it lists.
    vbox("hostonlyif", "ipconfig", "vboxnet0", "--ip", "192.168.56.1", "--netmask", "255.255.255.0");
    const second = run(setup.script, "up", setup.environment);
    expect(second.stdout + second.stderr).not.toContain("labstack: changed");
  });

  it("VirtualBox's host setup adds its line to a networks.conf the host has, beside other labs', and restores the file exactly", () => {
    const conf = join(tmp, "own-etc-vbox", "networks.conf");
    mkdirSync(dirname(conf));
    const learners = "# mine\n* 10.0.0.0/8\n";
    writeFileSync(conf, learners, { mode: 0o640 });
    const other = labPlan(
      {
        ...stackLab(LAB_NAME),
        managementNetwork: "lan",
        networks: [
          { name: "nat", kind: "nat" },
          { name: "lan", kind: "hostonly", cidr: "192.168.70.0/24", hostAddress: "192.168.70.1" },
        ],
        nodes: [
          {
            name: "solo",
            memoryMiB: 512,
            nics: [
              { network: "nat", sshPort: 8300 },
              { network: "lan", ip: "192.168.70.10" },
            ],
          },
        ],
        services: {},
      },
      "other",
    );
    const step = (p: LabPlan, action: "up" | "down") => run(hostSetup(p).script, action, { ...hostSetup(p).environment, VBOX_NETWORKS_CONF: conf });
    for (const r of [step(plan, "up"), step(other, "up")]) expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(conf, "utf8")).toBe(`${learners}# labstack openstack-lab\n* 192.168.1.0/24 172.16.0.0/24\n# labstack other\n* 192.168.70.0/24\n`);
    expect(step(plan, "down").status).toBe(0);
    expect(readFileSync(conf, "utf8")).toBe(`${learners}# labstack other\n* 192.168.70.0/24\n`);
    expect(step(other, "down").status).toBe(0);
    expect(readFileSync(conf, "utf8")).toBe(learners);
    expect(statSync(conf).mode & 0o777).toBe(0o640);
    expect(readdirSync(dirname(conf))).toEqual(["networks.conf"]);
  });

  it("makes each host-only network once: the host's address, no DHCP server, found again on a re-run, whatever the user's language", () => {
    for (const net of hostOnly) {
      const r = run("virtualbox/network.sh", "up", { ...networkEnvironment(net), LANG: "fr_FR.UTF-8" });
      expect(r.status, r.stderr).toBe(0);
      devices[net.name] = r.stdout;
    }
    expect(devices).toEqual({ management: "vboxnet1", guest: "vboxnet2" });
    // Recorded in the plan's ~/ folder, expanded in the home of the user running it.
    expect(readFileSync(join(stateDir, "virtualbox", "management.hostonlyif"), "utf8")).toBe("vboxnet1\n");
    const after = host();
    expect(after.hostonlyifs).toEqual([
      { name: "vboxnet0", ip: "192.168.56.1", mask: "255.255.255.0" },
      { name: "vboxnet1", ip: "192.168.1.1", mask: "255.255.255.0" },
      { name: "vboxnet2", ip: "172.16.0.1", mask: "255.255.255.0" },
    ]);
    expect(after.dhcpservers.map((d) => d.network)).toEqual(["HostInterfaceNetworking-vboxnet0"]);
    for (const net of hostOnly) {
      const again = run("virtualbox/network.sh", "up", { ...networkEnvironment(net), LC_MESSAGES: "de_DE.UTF-8" });
      expect(again).toMatchObject({ status: 0, stdout: devices[net.name] });
      expect(again.stderr).not.toContain("labstack: changed");
      expect(run("virtualbox/network.sh", "status", { ...networkEnvironment(net), LANG: "fr_FR.UTF-8" })).toMatchObject({ status: 0, stdout: "" });
    }
    expect(host().hostonlyifs).toHaveLength(3);
  });

  it("`status` finds a host-only network that lost its address or is gone, on one line, and `up` repairs it", () => {
    const [management, guest] = hostOnly;
    vbox("hostonlyif", "ipconfig", "vboxnet1", "--ip", "192.168.1.99", "--netmask", "255.255.255.0");
    expect(run("virtualbox/network.sh", "status", networkEnvironment(management))).toMatchObject({
      status: 3,
      stdout: "vboxnet1 has lost the address 192.168.1.1/255.255.255.0",
    });
    vbox("hostonlyif", "remove", "vboxnet2");
    expect(run("virtualbox/network.sh", "status", networkEnvironment(guest))).toMatchObject({
      status: 3,
      stdout: "the lab's host-only interface vboxnet2 is gone",
    });
    for (const net of hostOnly) {
      const repair = run("virtualbox/network.sh", "up", networkEnvironment(net));
      expect(repair.status, repair.stderr).toBe(0);
      expect(repair.stderr).toContain("labstack: changed");
      expect(repair.stdout).toBe(devices[net.name]);
      expect(run("virtualbox/network.sh", "status", networkEnvironment(net))).toMatchObject({ status: 0, stdout: "" });
    }
    expect(host().hostonlyifs.slice(1)).toEqual([
      { name: "vboxnet1", ip: "192.168.1.1", mask: "255.255.255.0" },
      { name: "vboxnet2", ip: "172.16.0.1", mask: "255.255.255.0" },
    ]);
  });

  it("configures an interface named in networks[].device, removing its DHCP server, and leaves it on destroy", () => {
    vbox("hostonlyif", "create");
    vbox(
      "dhcpserver",
      "add",
      "--interface=vboxnet3",
      "--server-ip=192.168.59.100",
      "--netmask=255.255.255.0",
      "--lower-ip=192.168.59.101",
      "--upper-ip=192.168.59.254",
      "--enable",
    );
    const params = { DEVICE: "vboxnet3", HOST_ADDRESS: "192.168.59.1", NETMASK: "255.255.255.0", STATE_FILE: join(tmp, "named", "vboxnet3.hostonlyif") };
    const r = run("virtualbox/network.sh", "up", params);
    expect(r).toMatchObject({ status: 0, stdout: "vboxnet3" });
    expect(r.stderr).toContain("labstack: changed removed the DHCP server of vboxnet3");
    expect(host().dhcpservers.map((d) => d.network)).toEqual(["HostInterfaceNetworking-vboxnet0"]);
    expect(run("virtualbox/network.sh", "status", params)).toMatchObject({ status: 0, stdout: "" });
    expect(run("virtualbox/network.sh", "down", params).status).toBe(0);
    expect(host().hostonlyifs.map((h) => h.name)).toContain("vboxnet3");
    vbox("hostonlyif", "remove", "vboxnet3");
  });

  it("makes every node's VM as the seed does: NIC order, NAT SSH forward, promiscuous allow-all, disk, seed, headless", () => {
    for (const node of plan.nodes) {
      const { env: params, nics, seed } = machineEnvironment(node);
      expect(run("virtualbox/vm.sh", "status", params)).toMatchObject({
        status: 3,
        stdout: `labstack-openstack-lab-${node.name} is not running in VirtualBox`,
      });
      const r = run("virtualbox/vm.sh", "up", params);
      expect(r.status, r.stderr).toBe(0);
      const vm = host().vms.find((v) => v.name === `labstack-openstack-lab-${node.name}`)!;
      expect(vm).toMatchObject({ state: "running", memory: node.config.memoryMiB, cpus: 2 });
      expect(vm.settings.rtcuseutc).toBe("on");
      const mac = (i: number) => nics[i].mac.replaceAll(":", "").toUpperCase();
      expect(vm.nics).toEqual({
        "1": { kind: "nat", mac: mac(0), forwards: [`ssh,tcp,127.0.0.1,${node.sshPort},,22`], type: "virtio" },
        "2": { kind: "hostonly", mac: mac(1), hostonly: "vboxnet1", promisc: "allow-all", forwards: [], type: "virtio" },
        "3": { kind: "hostonly", mac: mac(2), hostonly: "vboxnet2", promisc: "allow-all", forwards: [], type: "virtio" },
      });
      const [disk, dvd] = vm.media;
      expect(disk).toMatchObject({ type: "hdd", port: 0 });
      // In the node's folder of the lab's state folder, under the host user's home.
      expect(disk.path).toBe(join(stateDir, "vms", node.name, "disk.vdi"));
      const info = JSON.parse(spawnSync("qemu-img", ["info", "--output=json", disk.path], { encoding: "utf8" }).stdout);
      expect(info.format).toBe("vdi");
      expect(host().resized[disk.path]).toBe(node.config.diskGiB * 1024);
      expect(dvd).toMatchObject({ type: "dvddrive", port: 1 });
      expect(spawnSync("blkid", ["-o", "value", "-s", "LABEL", dvd.path], { encoding: "utf8" }).stdout.trim()).toBe("cidata");
      expect(readFileSync(join(onHost(params.VM_DIR), "user-data"), "utf8")).toBe(seed.userData);
      expect(readFileSync(join(onHost(params.VM_DIR), "network-config"), "utf8")).toContain("192.168.1.");
      expect(run("virtualbox/vm.sh", "status", params)).toMatchObject({ status: 0, stdout: "" });
    }
    expect(host().vms.map((v) => v.name)).toEqual(["labstack-openstack-lab-controller", "labstack-openstack-lab-compute1", "labstack-openstack-lab-compute2"]);
    expect(existsSync(join(tmp, "~"))).toBe(false);
  });

  it("a second run changes nothing: no VM made, changed or started", () => {
    const before = host().calls.length;
    for (const node of plan.nodes) {
      const r = run("virtualbox/vm.sh", "up", machineEnvironment(node).env);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain("labstack: changed");
    }
    const verbs = new Set(
      host()
        .calls.slice(before)
        .map((c) => c[0]),
    );
    expect([...verbs].sort()).toEqual(["list", "showvminfo"]);
  });

  it("`status` finds a VM that stopped (a host reboot), on one line, with the parameters the Health has, and `up` starts it again", () => {
    const node = plan.nodes[1];
    const params = machineEnvironment(node).env;
    // What the Health's status program is given: which VM, nothing of how it was made.
    const which = { VM_DIR: params.VM_DIR, NAME: params.NAME };
    setVmState(params.NAME, "aborted");
    const drifted = run("virtualbox/vm.sh", "status", which);
    expect(drifted).toMatchObject({ status: 3, stdout: "labstack-openstack-lab-compute1 is not running in VirtualBox" });
    // No saved state: `labstack start` cannot resume it and leaves it to `up`.
    expect(run("virtualbox/vm.sh", "resume", which)).toMatchObject({ status: 3, stdout: "labstack-openstack-lab-compute1 has no saved state to resume" });
    const before = host().calls.length;
    const repair = run("virtualbox/vm.sh", "up", { ...params, LABSTACK_REPAIR: "1" });
    expect(repair.status, repair.stderr).toBe(0);
    expect(repair.stdout).toContain("labstack: changed started labstack-openstack-lab-compute1");
    // Started again on its own disk: nothing made anew.
    expect(
      host()
        .calls.slice(before)
        .map((c) => c[0]),
    ).not.toContain("createvm");
    expect(run("virtualbox/vm.sh", "status", which)).toMatchObject({ status: 0, stdout: "" });
  });

  it("checkpoints a running VM live, restores it (off, restore, start), refuses one it lacks, and deletes it", () => {
    const node = plan.nodes[0];
    const which = (({ VM_DIR, NAME }) => ({ VM_DIR, NAME }))(machineEnvironment(node).env);
    const vmOf = () => host().vms.find((v) => v.name === which.NAME)!;
    const verbs = (from: number) =>
      host()
        .calls.slice(from)
        .map((c) => c.slice(0, c[0] === "snapshot" ? 3 : c[0] === "controlvm" ? 3 : 1).join(" "));
    const save = run("virtualbox/vm.sh", ["checkpoint", "save", "keystone-done"], which);
    expect(save.status, save.stderr).toBe(0);
    expect(save.stdout).toBe("labstack: changed saved checkpoint keystone-done of labstack-openstack-lab-controller");
    expect(vmOf()).toMatchObject({ state: "running", snapshots: [{ name: "keystone-done", state: "saved" }] });
    // Taken again, it replaces the old one.
    expect(run("virtualbox/vm.sh", ["checkpoint", "save", "keystone-done"], which).status).toBe(0);
    expect(vmOf().snapshots!.map((x) => x.name)).toEqual(["keystone-done"]);
    expect(run("virtualbox/vm.sh", ["checkpoint", "list"], which).stdout).toBe("keystone-done ?");
    expect(run("virtualbox/vm.sh", ["checkpoint", "has", "keystone-done"], which).status).toBe(0);
    expect(run("virtualbox/vm.sh", ["checkpoint", "has", "other"], which)).toMatchObject({
      status: 3,
      stdout: "labstack-openstack-lab-controller has no checkpoint other",
    });
    expect(run("virtualbox/vm.sh", ["checkpoint", "restore", "other"], which).status).toBe(3);
    const before = host().calls.length;
    const restore = run("virtualbox/vm.sh", ["checkpoint", "restore", "keystone-done"], which);
    expect(restore.status, restore.stderr).toBe(0);
    expect(verbs(before).filter((v) => /^(controlvm|snapshot \S+ restore|startvm)/.test(v))).toEqual([
      `controlvm ${which.NAME} poweroff`,
      `snapshot ${which.NAME} restore`,
      "startvm",
    ]);
    expect(vmOf()).toMatchObject({ state: "running", restoredFrom: "keystone-done" });
    expect(run("virtualbox/vm.sh", ["checkpoint", "save", "Bad Name"], which).status).toBe(2);
    expect(run("virtualbox/vm.sh", ["checkpoint", "delete", "keystone-done"], which).stdout).toContain("deleted checkpoint keystone-done");
    expect(run("virtualbox/vm.sh", ["checkpoint", "delete", "keystone-done"], which)).toMatchObject({ status: 0, stdout: "" });
    expect(run("virtualbox/vm.sh", ["checkpoint", "list"], which).stdout).toBe("");
  });

  it("stop saves a VM's state (its RAM to disk), a second stop changes nothing, and up resumes it", () => {
    const node = plan.nodes[2];
    const params = machineEnvironment(node).env;
    const stop = run("virtualbox/vm.sh", "stop", params);
    expect(stop.stdout, stop.stderr).toBe("labstack: changed stopped labstack-openstack-lab-compute2 (state saved)");
    expect(host().vms.find((v) => v.name === params.NAME)!.state).toBe("saved");
    expect(run("virtualbox/vm.sh", "status", params).status).toBe(3);
    expect(run("virtualbox/vm.sh", "stop", params)).toMatchObject({ status: 0, stdout: "" });
    // `labstack start` resumes it without the plan's parameters; a running VM changes nothing.
    const resume = run("virtualbox/vm.sh", "resume", { VM_DIR: params.VM_DIR, NAME: params.NAME });
    expect(resume.stdout, resume.stderr).toBe("labstack: changed resumed labstack-openstack-lab-compute2 where it was stopped");
    expect(host().vms.find((v) => v.name === params.NAME)!.state).toBe("running");
    expect(run("virtualbox/vm.sh", "resume", params)).toMatchObject({ status: 0, stdout: "" });
    expect(run("virtualbox/vm.sh", "stop", params).status).toBe(0);
    const up = run("virtualbox/vm.sh", "up", params);
    expect(up.status, up.stderr).toBe(0);
    expect(host().vms.find((v) => v.name === params.NAME)!.state).toBe("running");
    expect(run("virtualbox/vm.sh", "status", params)).toMatchObject({ status: 0, stdout: "" });
  });

  it("a VM that fails half-way is unmade, so the next run makes it whole", () => {
    const node = plan.nodes[2];
    const { env: good } = machineEnvironment(node);
    expect(run("virtualbox/vm.sh", "down", good).status).toBe(0);
    const broken = run("virtualbox/vm.sh", "up", machineEnvironment(node, join(tmp, "missing.qcow2")).env);
    expect(broken.status).not.toBe(0);
    expect(host().vms.map((v) => v.name)).not.toContain("labstack-openstack-lab-compute2");
    expect(existsSync(onHost(good.VM_DIR))).toBe(false);
    const retry = run("virtualbox/vm.sh", "up", good);
    expect(retry.status, retry.stderr).toBe(0);
    const remade = host().vms.find((v) => v.name === "labstack-openstack-lab-compute2")!;
    expect(remade).toMatchObject({ state: "running" });
    expect(remade.media).toHaveLength(2);
  });

  it("a VM whose making was killed outright (SIGKILL: no trap runs) is unmade and made whole by the next run", () => {
    const node = plan.nodes[2];
    const { env: good } = machineEnvironment(node);
    expect(run("virtualbox/vm.sh", "down", good).status).toBe(0);
    // Killed after its disk was attached, before its seed: registered, half made.
    const killed = run("virtualbox/vm.sh", "up", { ...good, PATH: cloudLocalds("killed-seed", "kill -9 $PPID; exit 1") });
    expect(killed.status, "killed by a signal").toBeNull();
    expect(host().vms.find((v) => v.name === "labstack-openstack-lab-compute2")?.media).toHaveLength(1);
    const retry = run("virtualbox/vm.sh", "up", good);
    expect(retry.status, retry.stderr).toBe(0);
    expect(retry.stdout).toContain("labstack: changed removed labstack-openstack-lab-compute2, half made by a run that was killed");
    const remade = host().vms.find((v) => v.name === "labstack-openstack-lab-compute2")!;
    expect(remade).toMatchObject({ state: "running" });
    expect(remade.media).toHaveLength(2);
    // Made whole: the next run changes nothing.
    expect(run("virtualbox/vm.sh", "up", good)).toMatchObject({ status: 0, stdout: "" });
  });

  it("a VM that fails after its disk was made leaves no disk in VirtualBox's media registry, so a retry is not refused", () => {
    const node = plan.nodes[2];
    const { env: good } = machineEnvironment(node);
    expect(run("virtualbox/vm.sh", "down", good).status).toBe(0);
    const broken = run("virtualbox/vm.sh", "up", { ...good, PATH: cloudLocalds("failing-seed", "echo 'genisoimage: not found' >&2; exit 1") });
    expect(broken.status).not.toBe(0);
    expect(Object.keys(host().registry)).toEqual([]);
    const retry = run("virtualbox/vm.sh", "up", good);
    expect(retry.status, retry.stderr).toBe(0);
    expect(host().vms.find((v) => v.name === good.NAME)!.media).toHaveLength(2);
  });

  it("a VM whose `up` is cancelled half-way is unmade, so the next run makes it whole", async () => {
    const node = plan.nodes[2];
    const { env: good } = machineEnvironment(node);
    expect(run("virtualbox/vm.sh", "down", good).status).toBe(0);
    const started = join(tmp, "seed-started");
    const child = spawn("bash", [scriptPath("virtualbox/vm.sh"), "up"], {
      env: { ...env, ...good, PATH: cloudLocalds("hanging-seed", `touch ${started}; exec sleep 30`) },
      detached: true,
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    while (!existsSync(started)) await new Promise((r) => setTimeout(r, 50));
    // What Ctrl-C on `pulumi up` or a closed terminal does: the whole command gets the signal.
    process.kill(-child.pid!, "SIGTERM");
    expect(await exited).not.toBe(0);
    expect(host().vms.map((v) => v.name)).not.toContain(good.NAME);
    expect(existsSync(onHost(good.VM_DIR))).toBe(false);
    const retry = run("virtualbox/vm.sh", "up", good);
    expect(retry.status, retry.stderr).toBe(0);
    expect(host().vms.find((v) => v.name === good.NAME)!.media).toHaveLength(2);
  });

  it("a VM does not start while its SSH port is taken or VirtualBox's driver is missing, and starts once they are fixed", async () => {
    const node = plan.nodes[2];
    const { env: good } = machineEnvironment(node);
    expect(run("virtualbox/vm.sh", "down", good).status).toBe(0);
    const holder = createServer().listen(node.sshPort, "127.0.0.1");
    await once(holder, "listening");
    const busy = run("virtualbox/vm.sh", "up", good);
    holder.close();
    expect(busy.status).not.toBe(0);
    expect(busy.stderr).toContain(`failed to set up redirection of ${node.sshPort} to 22`);
    const noDriver = run("virtualbox/vm.sh", "up", { ...good, VBOX_STANDIN_DEV: files.noDev });
    expect(noDriver.status).not.toBe(0);
    expect(noDriver.stderr).toContain("Kernel driver not installed");
    const retry = run("virtualbox/vm.sh", "up", good);
    expect(retry.status, retry.stderr).toBe(0);
    expect(host().vms.find((v) => v.name === good.NAME)).toMatchObject({ state: "running" });
  });

  it("destroy powers off every VM, waits for its session to go, unregisters it with its disks, removes the lab's interfaces and networks.conf, and nothing else", () => {
    // After a host reboot VMs are aborted, or saved: stopped already, nothing to wait for.
    const states = ["aborted", "saved", "running"];
    for (const [i, node] of plan.nodes.entries()) {
      const params = machineEnvironment(node).env;
      const disk = host().vms.find((v) => v.name === params.NAME)!.media[0].path;
      setVmState(params.NAME, states[i]);
      const started = performance.now();
      expect(run("virtualbox/vm.sh", "down", params).status).toBe(0);
      if (states[i] !== "running") expect(performance.now() - started).toBeLessThan(5000);
      expect(existsSync(disk)).toBe(false);
      expect(existsSync(onHost(params.VM_DIR))).toBe(false);
    }
    for (const net of hostOnly) expect(run("virtualbox/network.sh", "down", networkEnvironment(net)).status).toBe(0);
    expect(run(hostSetup(plan).script, "down", hostSetup(plan).environment).status).toBe(0);
    const after = host();
    expect(after.vms).toEqual([]);
    expect(after.hostonlyifs.map((h) => h.name)).toEqual(["vboxnet0"]);
    expect(existsSync(files.networksConf)).toBe(false);
    expect(readdirSync(dirname(files.networksConf))).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    // What is gone reads as drift.
    expect(run("virtualbox/vm.sh", "status", machineEnvironment(plan.nodes[0]).env).status).toBe(3);
    expect(run("virtualbox/network.sh", "status", networkEnvironment(hostOnly[0])).status).toBe(3);
    // Twice is fine: destroy after a half-finished destroy.
    for (const net of hostOnly) expect(run("virtualbox/network.sh", "down", networkEnvironment(net)).status).toBe(0);
    expect(run("virtualbox/vm.sh", "down", machineEnvironment(plan.nodes[0]).env).status).toBe(0);
  });
});

// What several labs on one host share, and what a lab's `down` may remove.
describe("VirtualBox scripts with other labs and the learner's folders", { timeout: 120_000 }, () => {
  /** Lab `a`'s or `b`'s line in a networks.conf of the test's own. */
  const conf = join(tmp, "shared-etc-vbox", "networks.conf");
  const learners = "# mine\n* 10.0.0.0/8\n";
  const setupEnv = (lab: "a" | "b", bin: string) => ({
    ...env,
    PATH: `${bin}:${env.PATH}`,
    OWNER: `labstack ${lab}`,
    VBOX_NETWORKS: lab === "a" ? "10.20.1.0/24" : "10.20.2.0/24",
    VBOX_NETWORKS_CONF: conf,
  });
  function start(script: string, action: string, processEnv: NodeJS.ProcessEnv) {
    return finished(spawn("bash", [scriptPath(script), action], { env: processEnv, stdio: ["ignore", "ignore", "pipe"] }));
  }

  it("two labs adding and removing their networks.conf lines at the same moment lose neither line, and the last restores the file", async () => {
    mkdirSync(dirname(conf));
    writeFileSync(conf, learners, { mode: 0o644 });
    // Lab a reads the file, then takes its time before writing it back: without a lock, lab b's
    // line, written meanwhile, would be lost.
    const bin = join(tmp, "slow-awk");
    mkdirSync(bin);
    const awk = spawnSync("bash", ["-c", "command -v awk"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(join(bin, "awk"), `#!/bin/bash\n${awk} "$@"\nstatus=$?\n[[ "$OWNER" == "labstack a" ]] && sleep 1\nexit $status\n`);
    chmodSync(join(bin, "awk"), 0o755);
    const ups = await Promise.all([
      start("virtualbox/networks-conf.sh", "up", setupEnv("a", bin)),
      start("virtualbox/networks-conf.sh", "up", setupEnv("b", bin)),
    ]);
    for (const r of ups) expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(conf, "utf8");
    expect(lines.startsWith(learners)).toBe(true);
    expect(lines).toContain("# labstack a\n* 10.20.1.0/24\n");
    expect(lines).toContain("# labstack b\n* 10.20.2.0/24\n");
    const downs = await Promise.all([
      start("virtualbox/networks-conf.sh", "down", setupEnv("a", bin)),
      start("virtualbox/networks-conf.sh", "down", setupEnv("b", bin)),
    ]);
    for (const r of downs) expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(conf, "utf8")).toBe(learners);
    expect(statSync(conf).mode & 0o777).toBe(0o644);
    expect(readdirSync(dirname(conf))).toEqual(["networks.conf"]);
  });

  it("refuses a networks.conf range with a line break: it never adds a line of its own", () => {
    const r = run("virtualbox/networks-conf.sh", "up", { OWNER: "labstack c", VBOX_NETWORKS: "10.20.3.0/24\n* 0.0.0.0/0", VBOX_NETWORKS_CONF: conf });
    expect(r.status).toBe(2);
    expect(readFileSync(conf, "utf8")).toBe(learners);
  });

  // The VMs below need the lab's host-only interfaces (and its networks.conf line), which the suite
  // above removed at its end.
  const withNetworks = (body: () => void) => () => {
    expect(run(hostSetup(plan).script, "up", hostSetup(plan).environment).status).toBe(0);
    for (const net of hostOnly) {
      const r = run("virtualbox/network.sh", "up", networkEnvironment(net));
      expect(r.status, r.stderr).toBe(0);
      devices[net.name] = r.stdout;
    }
    try {
      body();
    } finally {
      for (const net of hostOnly) run("virtualbox/network.sh", "down", networkEnvironment(net));
      run(hostSetup(plan).script, "down", hostSetup(plan).environment);
    }
  };

  it(
    "makes a VM's folder 0700 and its disk and seed 0600, in a state folder only the user can enter",
    withNetworks(() => {
      const node = plan.nodes[0];
      const params = { ...machineEnvironment(node).env, NAME: "labstack-perm-lab-controller", VM_DIR: "~/.local/share/labstack/perm-lab/vms/controller" };
      const vmDir = onHost(params.VM_DIR);
      const up = run("virtualbox/vm.sh", "up", params);
      expect(up.status, up.stderr).toBe(0);
      expect(mode(vmDir)).toBe("700");
      for (const file of ["disk.vdi", "seed.iso", "user-data", "meta-data", "network-config"]) expect(mode(join(vmDir, file)), file).toBe("600");
      expect(mode(dirname(vmDir))).toBe("700");
      expect(mode(join(home, ".local", "share", "labstack", "perm-lab"))).toBe("700");
      expect(run("virtualbox/vm.sh", "down", params).status).toBe(0);
      expect(existsSync(join(home, ".local", "share", "labstack", "perm-lab"))).toBe(false);
    }),
  );

  it("`down` removes a VM's folder only if the lab made it: never a folder of the learner's the VM's path names", () => {
    const folder = join(tmp, "learners-folder");
    mkdirSync(folder);
    writeFileSync(join(folder, "thesis.tex"), "years of work");
    const params = { ...machineEnvironment(plan.nodes[1]).env, NAME: "labstack-other-lab-compute1", VM_DIR: folder };
    expect(run("virtualbox/vm.sh", "down", params).status).toBe(0);
    expect(readFileSync(join(folder, "thesis.tex"), "utf8")).toBe("years of work");
    // Nor is a VM made into it.
    const up = run("virtualbox/vm.sh", "up", params);
    expect(up.status).not.toBe(0);
    expect(up.stderr).toContain(`${folder} exists, is not empty and was not made by labstack`);
    expect(host().vms.map((v) => v.name)).not.toContain(params.NAME);
    expect(readFileSync(join(folder, "thesis.tex"), "utf8")).toBe("years of work");
  });

  it(
    "`down` still removes the folder of a VM an older labstack made without marking it (VirtualBox registers its settings there)",
    withNetworks(() => {
      const params = { ...machineEnvironment(plan.nodes[2]).env, NAME: "labstack-old-lab-compute2", VM_DIR: "~/.local/share/labstack/old-lab/vms/compute2" };
      expect(run("virtualbox/vm.sh", "up", params).status).toBe(0);
      rmSync(join(onHost(params.VM_DIR), ".labstack-owned"));
      expect(run("virtualbox/vm.sh", "down", params).status).toBe(0);
      expect(existsSync(onHost(params.VM_DIR))).toBe(false);
      expect(host().vms.map((v) => v.name)).not.toContain(params.NAME);
    }),
  );
});
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
