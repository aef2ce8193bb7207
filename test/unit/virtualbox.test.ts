// The VirtualBox driver's scripts, run for real with the parameters the components give them for
// the seed's Lab1, against a VBoxManage stand-in (test/helpers/vboxmanage-standin.mjs): VirtualBox
// itself cannot be installed on our machines. What VBoxManage would be asked, in what order, and
// what the host is left with are checked; booting the lab is the QEMU tests' job.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { virtualbox } from "../../components/hypervisor/virtualbox/index.js";
import { vboxMachineEnvironment, vboxNetworkEnvironment } from "../../components/hypervisor/virtualbox/plan.js";
import { parseLab } from "../../model/parse.js";
import type { Lab } from "../../model/schema.js";
import { renderSeed } from "../../plan/cloudinit.js";
import { planNics } from "../../plan/nics.js";
import { ROOT, stackLab } from "../helpers/labs.js";

const LAB_NAME = "openstack-lab";
const tmp = mkdtempSync(join(tmpdir(), "labstack-vbox-"));
const stateDir = join(tmp, "state");
const lab = parseLab({ ...stackLab(LAB_NAME), host: { kind: "local", stateDir } });
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
  PATH: `${join(tmp, "bin")}:${process.env.PATH}`,
  VBOX_STANDIN_STATE: files.state,
  VBOX_NETWORKS_CONF: files.networksConf,
  VBOX_STANDIN_DEV: files.dev,
};

/** VirtualBox's own step on the host for a lab (networks.conf), as the lab component runs it. */
function hostSetup(l: Lab, name: string) {
  const setup = virtualbox.hostSetup?.(l, name);
  if (setup === undefined) throw new Error(`${name} asks VirtualBox for no host setup`);
  return setup;
}

function run(script: string, action: "up" | "down", params: Record<string, string>) {
  const r = spawnSync("bash", [join(ROOT, "provisioning", script), action], { env: { ...env, ...params }, encoding: "utf8" });
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
const hostOnly = lab.networks.filter((n) => n.kind === "hostonly");
const devices: Record<string, string> = {};

function machineEnvironment(node: (typeof lab.nodes)[number], baseImage = files.baseImage) {
  const nics = planNics(lab, LAB_NAME, node);
  const seed = renderSeed({ hostname: node.name, user: lab.user, sshPublicKey: "ssh-ed25519 AAAAC3Nza test", nics });
  return { env: vboxMachineEnvironment({ labName: LAB_NAME, lab, node, nics, seed, baseImage, devices, stateDir }), nics, seed };
}

beforeAll(() => {
  mkdirSync(join(tmp, "bin"));
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
  it("refuses the seed's ranges until host preparation opens them, with the fix in the message, and leaves no interface", () => {
    const management = hostOnly[0];
    const r = run("virtualbox/network.sh", "up", vboxNetworkEnvironment(management, stateDir));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("VirtualBox refused 192.168.1.1/255.255.255.0 on vboxnet1");
    expect(r.stderr).toContain("set hypervisor.networksConf: true");
    expect(host().hostonlyifs.map((h) => h.name)).toEqual(["vboxnet0"]);
    expect(existsSync(vboxNetworkEnvironment(management, stateDir).STATE_FILE)).toBe(false);
  });

  it("says why VirtualBox could not make a host-only interface, with the fix, and leaves nothing", () => {
    const params = vboxNetworkEnvironment(hostOnly[0], stateDir);
    const r = run("virtualbox/network.sh", "up", { ...params, VBOX_STANDIN_DEV: files.noDev });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("failed to open /dev/vboxnetctl: No such file or directory");
    expect(r.stderr).toContain("sudo modprobe vboxnetadp");
    expect(host().hostonlyifs.map((h) => h.name)).toEqual(["vboxnet0"]);
    expect(existsSync(params.STATE_FILE)).toBe(false);
  });

  it("VirtualBox's host setup writes networks.conf with the lab's host-only ranges and VirtualBox's default, once", () => {
    const setup = hostSetup(lab, LAB_NAME);
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
    const other = parseLab({
      ...stackLab(LAB_NAME),
      host: { kind: "local" },
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
    });
    const step = (l: typeof lab, name: string, action: "up" | "down") =>
      run(hostSetup(l, name).script, action, { ...hostSetup(l, name).environment, VBOX_NETWORKS_CONF: conf });
    for (const r of [step(lab, LAB_NAME, "up"), step(other, "other", "up")]) expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(conf, "utf8")).toBe(`${learners}# labstack openstack-lab\n* 192.168.1.0/24 172.16.0.0/24\n# labstack other\n* 192.168.70.0/24\n`);
    expect(step(lab, LAB_NAME, "down").status).toBe(0);
    expect(readFileSync(conf, "utf8")).toBe(`${learners}# labstack other\n* 192.168.70.0/24\n`);
    expect(step(other, "other", "down").status).toBe(0);
    expect(readFileSync(conf, "utf8")).toBe(learners);
    expect(statSync(conf).mode & 0o777).toBe(0o640);
    expect(readdirSync(dirname(conf))).toEqual(["networks.conf"]);
  });

  it("makes each host-only network once: the host's address, no DHCP server, found again on a re-run, whatever the user's language", () => {
    for (const net of hostOnly) {
      const r = run("virtualbox/network.sh", "up", { ...vboxNetworkEnvironment(net, stateDir), LANG: "fr_FR.UTF-8" });
      expect(r.status, r.stderr).toBe(0);
      devices[net.name] = r.stdout;
    }
    expect(devices).toEqual({ management: "vboxnet1", guest: "vboxnet2" });
    const after = host();
    expect(after.hostonlyifs).toEqual([
      { name: "vboxnet0", ip: "192.168.56.1", mask: "255.255.255.0" },
      { name: "vboxnet1", ip: "192.168.1.1", mask: "255.255.255.0" },
      { name: "vboxnet2", ip: "172.16.0.1", mask: "255.255.255.0" },
    ]);
    expect(after.dhcpservers.map((d) => d.network)).toEqual(["HostInterfaceNetworking-vboxnet0"]);
    for (const net of hostOnly) {
      const again = run("virtualbox/network.sh", "up", { ...vboxNetworkEnvironment(net, stateDir), LC_MESSAGES: "de_DE.UTF-8" });
      expect(again).toMatchObject({ status: 0, stdout: devices[net.name] });
      expect(again.stderr).not.toContain("labstack: changed");
    }
    expect(host().hostonlyifs).toHaveLength(3);
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
    expect(run("virtualbox/network.sh", "down", params).status).toBe(0);
    vbox("hostonlyif", "remove", "vboxnet3");
  });

  it("makes every node's VM as the seed does: NIC order, NAT SSH forward, promiscuous allow-all, disk, seed, headless", () => {
    for (const node of lab.nodes) {
      const { env: params, nics, seed } = machineEnvironment(node);
      const r = run("virtualbox/vm.sh", "up", params);
      expect(r.status, r.stderr).toBe(0);
      const vm = host().vms.find((v) => v.name === `labstack-openstack-lab-${node.name}`)!;
      expect(vm).toMatchObject({ state: "running", memory: node.memoryMiB, cpus: 2 });
      expect(vm.settings.rtcuseutc).toBe("on");
      const mac = (i: number) => nics[i].mac.replaceAll(":", "").toUpperCase();
      expect(vm.nics).toEqual({
        "1": { kind: "nat", mac: mac(0), forwards: [`ssh,tcp,127.0.0.1,${node.nics[0].sshPort},,22`], type: "virtio" },
        "2": { kind: "hostonly", mac: mac(1), hostonly: "vboxnet1", promisc: "allow-all", forwards: [], type: "virtio" },
        "3": { kind: "hostonly", mac: mac(2), hostonly: "vboxnet2", promisc: "allow-all", forwards: [], type: "virtio" },
      });
      const [disk, dvd] = vm.media;
      expect(disk).toMatchObject({ type: "hdd", port: 0 });
      const info = JSON.parse(spawnSync("qemu-img", ["info", "--output=json", disk.path], { encoding: "utf8" }).stdout);
      expect(info.format).toBe("vdi");
      expect(host().resized[disk.path]).toBe(node.diskGiB * 1024);
      expect(dvd).toMatchObject({ type: "dvddrive", port: 1 });
      expect(spawnSync("blkid", ["-o", "value", "-s", "LABEL", dvd.path], { encoding: "utf8" }).stdout.trim()).toBe("cidata");
      expect(readFileSync(join(params.VM_DIR, "user-data"), "utf8")).toBe(seed.userData);
      expect(readFileSync(join(params.VM_DIR, "network-config"), "utf8")).toContain("192.168.1.");
    }
    expect(host().vms.map((v) => v.name)).toEqual(["labstack-openstack-lab-controller", "labstack-openstack-lab-compute1", "labstack-openstack-lab-compute2"]);
  });

  it("a second run changes nothing: no VM made, changed or started", () => {
    const before = host().calls.length;
    for (const node of lab.nodes) {
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

  it("a VM that fails half-way is unmade, so the next run makes it whole", () => {
    const node = lab.nodes[2];
    const { env: good } = machineEnvironment(node);
    expect(run("virtualbox/vm.sh", "down", good).status).toBe(0);
    const broken = run("virtualbox/vm.sh", "up", machineEnvironment(node, join(tmp, "missing.qcow2")).env);
    expect(broken.status).not.toBe(0);
    expect(host().vms.map((v) => v.name)).not.toContain("labstack-openstack-lab-compute2");
    expect(existsSync(good.VM_DIR)).toBe(false);
    const retry = run("virtualbox/vm.sh", "up", good);
    expect(retry.status, retry.stderr).toBe(0);
    const remade = host().vms.find((v) => v.name === "labstack-openstack-lab-compute2")!;
    expect(remade).toMatchObject({ state: "running" });
    expect(remade.media).toHaveLength(2);
  });

  it("a VM that fails after its disk was made leaves no disk in VirtualBox's media registry, so a retry is not refused", () => {
    const node = lab.nodes[2];
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
    const node = lab.nodes[2];
    const { env: good } = machineEnvironment(node);
    expect(run("virtualbox/vm.sh", "down", good).status).toBe(0);
    const started = join(tmp, "seed-started");
    const child = spawn("bash", [join(ROOT, "provisioning", "virtualbox", "vm.sh"), "up"], {
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
    expect(existsSync(good.VM_DIR)).toBe(false);
    const retry = run("virtualbox/vm.sh", "up", good);
    expect(retry.status, retry.stderr).toBe(0);
    expect(host().vms.find((v) => v.name === good.NAME)!.media).toHaveLength(2);
  });

  it("a VM does not start while its SSH port is taken or VirtualBox's driver is missing, and starts once they are fixed", async () => {
    const node = lab.nodes[2];
    const { env: good } = machineEnvironment(node);
    expect(run("virtualbox/vm.sh", "down", good).status).toBe(0);
    const holder = createServer().listen(node.nics[0].sshPort, "127.0.0.1");
    await once(holder, "listening");
    const busy = run("virtualbox/vm.sh", "up", good);
    holder.close();
    expect(busy.status).not.toBe(0);
    expect(busy.stderr).toContain(`failed to set up redirection of ${node.nics[0].sshPort} to 22`);
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
    for (const [i, node] of lab.nodes.entries()) {
      const params = machineEnvironment(node).env;
      const disk = host().vms.find((v) => v.name === params.NAME)!.media[0].path;
      setVmState(params.NAME, states[i]);
      const started = performance.now();
      expect(run("virtualbox/vm.sh", "down", params).status).toBe(0);
      if (states[i] !== "running") expect(performance.now() - started).toBeLessThan(5000);
      expect(existsSync(disk)).toBe(false);
      expect(existsSync(params.VM_DIR)).toBe(false);
    }
    for (const net of hostOnly) expect(run("virtualbox/network.sh", "down", vboxNetworkEnvironment(net, stateDir)).status).toBe(0);
    expect(run(hostSetup(lab, LAB_NAME).script, "down", hostSetup(lab, LAB_NAME).environment).status).toBe(0);
    const after = host();
    expect(after.vms).toEqual([]);
    expect(after.hostonlyifs.map((h) => h.name)).toEqual(["vboxnet0"]);
    expect(existsSync(files.networksConf)).toBe(false);
    expect(readdirSync(dirname(files.networksConf))).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    // Twice is fine: destroy after a half-finished destroy.
    for (const net of hostOnly) expect(run("virtualbox/network.sh", "down", vboxNetworkEnvironment(net, stateDir)).status).toBe(0);
    expect(run("virtualbox/vm.sh", "down", machineEnvironment(lab.nodes[0]).env).status).toBe(0);
  });
});
