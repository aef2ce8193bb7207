// The VirtualBox driver's scripts, run for real with the parameters the components give them for
// the seed's Lab1, against a VBoxManage stand-in (test/helpers/vboxmanage-standin.mjs): VirtualBox
// itself cannot be installed on our machines. What VBoxManage would be asked, in what order, and
// what the host is left with are checked; booting the lab is the QEMU tests' job.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLab } from "../../components/model/parse.js";
import { renderSeed } from "../../components/plan/cloudinit.js";
import { prepareEnvironment, vboxMachineEnvironment, vboxNetworkEnvironment } from "../../components/plan/host.js";
import { planNics } from "../../components/plan/nics.js";
import { ROOT, stackLab } from "../helpers/labs.js";

const LAB_NAME = "openstack-lab";
const tmp = mkdtempSync(join(tmpdir(), "labstack-vbox-"));
const stateDir = join(tmp, "state");
const lab = parseLab({ ...stackLab(LAB_NAME), host: { kind: "local", vboxNetworksConf: true, stateDir } });
const files = {
  state: join(tmp, "virtualbox.json"),
  networksConf: join(tmp, "etc-vbox", "networks.conf"),
  baseImage: join(tmp, "base.qcow2"),
};
const env = {
  ...process.env,
  PATH: `${join(tmp, "bin")}:${process.env.PATH}`,
  VBOX_STANDIN_STATE: files.state,
  VBOX_NETWORKS_CONF: files.networksConf,
};

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
  dhcpservers: string[];
  vms: { name: string; state: string; memory: number; cpus: number; dir: string; nics: Record<string, any>; media: { type: string; path: string; port: number }[] }[];
  resized: Record<string, number>;
  calls: string[][];
}
const host = (): StandInState => JSON.parse(readFileSync(files.state, "utf8"));
const hostOnly = lab.networks.filter((n) => n.kind === "hostonly");
const devices: Record<string, string> = {};

function machineEnvironment(node: (typeof lab.nodes)[number], baseImage = files.baseImage) {
  const nics = planNics(lab, LAB_NAME, node);
  const seed = renderSeed({ hostname: node.name, user: lab.user, sshPublicKey: "ssh-ed25519 AAAAC3Nza test", nics });
  return { env: vboxMachineEnvironment({ labName: LAB_NAME, lab, node, nics, seed, baseImage, devices, stateDir }), nics, seed };
}

beforeAll(() => {
  mkdirSync(join(tmp, "bin"));
  writeFileSync(join(tmp, "bin", "VBoxManage"), `#!/bin/sh\nexec node ${join(ROOT, "test", "helpers", "vboxmanage-standin.mjs")} "$@"\n`);
  chmodSync(join(tmp, "bin", "VBoxManage"), 0o755);
  const img = spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", files.baseImage, "64M"], { encoding: "utf8" });
  if (img.status !== 0) throw new Error(`qemu-img (scripts/install-deps.sh installs it): ${img.stderr}`);
  // The learner's own host-only interface, made before the lab: the lab must never touch it.
  vbox("hostonlyif", "create");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("VirtualBox scripts for the seed's Lab1 (VBoxManage stand-in)", () => {
  it("refuses the seed's ranges until host preparation opens them, with the fix in the message, and leaves no interface", () => {
    const management = hostOnly[0];
    const r = run("virtualbox/network.sh", "up", vboxNetworkEnvironment(management, stateDir));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("VirtualBox refused 192.168.1.1/255.255.255.0 on vboxnet1");
    expect(r.stderr).toContain("set host.vboxNetworksConf: true");
    expect(host().hostonlyifs.map((h) => h.name)).toEqual(["vboxnet0"]);
    expect(existsSync(vboxNetworkEnvironment(management, stateDir).STATE_FILE)).toBe(false);
  });

  it("host preparation writes networks.conf with the lab's host-only ranges, once", () => {
    const params = { ...prepareEnvironment(lab), APT_CACHE: "0" };
    const first = run("host/prepare.sh", "up", params);
    expect(first.status, first.stderr).toBe(0);
    expect(readFileSync(files.networksConf, "utf8")).toBe("# labstack\n* 192.168.1.0/24 172.16.0.0/24\n");
    const second = run("host/prepare.sh", "up", params);
    expect(second.stdout + second.stderr).not.toContain("labstack: changed");
  });

  it("makes each host-only network once: the host's address, no DHCP server, found again on a re-run", () => {
    for (const net of hostOnly) {
      const r = run("virtualbox/network.sh", "up", vboxNetworkEnvironment(net, stateDir));
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
    expect(after.dhcpservers).toEqual(["HostInterfaceNetworking-vboxnet0"]);
    for (const net of hostOnly) {
      const again = run("virtualbox/network.sh", "up", vboxNetworkEnvironment(net, stateDir));
      expect(again).toMatchObject({ status: 0, stdout: devices[net.name] });
      expect(again.stderr).not.toContain("labstack: changed");
    }
    expect(host().hostonlyifs).toHaveLength(3);
  });

  it("makes every node's VM as the seed does: NIC order, NAT SSH forward, promiscuous allow-all, disk, seed, headless", () => {
    for (const node of lab.nodes) {
      const { env: params, nics, seed } = machineEnvironment(node);
      const r = run("virtualbox/vm.sh", "up", params);
      expect(r.status, r.stderr).toBe(0);
      const vm = host().vms.find((v) => v.name === `labstack-openstack-lab-${node.name}`)!;
      expect(vm).toMatchObject({ state: "running", memory: node.memoryMiB, cpus: 2 });
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
    const verbs = new Set(host().calls.slice(before).map((c) => c[0]));
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

  it("destroy powers off and unregisters every VM with its disks, removes the lab's interfaces and networks.conf, and nothing else", () => {
    for (const node of lab.nodes) {
      const params = machineEnvironment(node).env;
      const disk = host().vms.find((v) => v.name === params.NAME)!.media[0].path;
      expect(run("virtualbox/vm.sh", "down", params).status).toBe(0);
      expect(existsSync(disk)).toBe(false);
      expect(existsSync(params.VM_DIR)).toBe(false);
    }
    for (const net of hostOnly) expect(run("virtualbox/network.sh", "down", vboxNetworkEnvironment(net, stateDir)).status).toBe(0);
    expect(run("host/prepare.sh", "down", prepareEnvironment(lab)).status).toBe(0);
    const after = host();
    expect(after.vms).toEqual([]);
    expect(after.hostonlyifs.map((h) => h.name)).toEqual(["vboxnet0"]);
    expect(existsSync(files.networksConf)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    // Twice is fine: destroy after a half-finished destroy.
    for (const net of hostOnly) expect(run("virtualbox/network.sh", "down", vboxNetworkEnvironment(net, stateDir)).status).toBe(0);
    expect(run("virtualbox/vm.sh", "down", machineEnvironment(lab.nodes[0]).env).status).toBe(0);
  });
});
