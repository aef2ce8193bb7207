// host/preflight.sh run for real with the parameters the components give it, on a made-up host:
// the kernel's facts (/proc, /sys, /dev) from a folder (HOST_ROOT), routes and listening ports in a
// network namespace of the test's own, and a user without root through setpriv.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vboxNetworkEnvironment } from "../../components/hypervisor/virtualbox/plan.js";
import { parseLab } from "../../model/parse.js";
import type { Lab } from "../../model/schema.js";
import { hostBridgeName } from "../../plan/bridge.js";
import { preflightEnvironment } from "../../plan/host.js";
import { ROOT, stackLab } from "../helpers/labs.js";
import { removeStaleNamespace } from "../helpers/netns.js";

const NS = "lsh1-preflight";
const tmp = mkdtempSync(join(tmpdir(), "labstack-preflight-"));
const stateDir = join(tmp, "state");
// The package mirror the dev lab builds its image from: a web server in the test's namespace.
const MIRROR_PORT = 18080;
const mirror = `http://127.0.0.1:${MIRROR_PORT}/debian`;
const withMirror = (raw: Record<string, any>, url = mirror): Record<string, any> => ({ ...raw, image: { build: { ...raw.image.build, mirror: url } } });
const vboxLab = parseLab({ ...stackLab("openstack-lab"), host: { kind: "local", stateDir } });
const qemuLab = parseLab(withMirror({ ...stackLab("dev"), host: { kind: "local", stateDir } }));
const listeners: ChildProcess[] = [];

/** A host's kernel facts as preflight.sh reads them under HOST_ROOT. */
function kernel(name: string, facts: { release?: string; devices?: string[]; modules?: string[]; virtAtLoad?: string } = {}): string {
  const root = join(tmp, name);
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  file("proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         8000000 kB\n");
  file("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme de pse vmx sse2\n");
  file("proc/sys/kernel/osrelease", `${facts.release ?? "6.8.0-45-generic"}\n`);
  for (const device of facts.devices ?? ["vboxdrv", "vboxnetctl"]) file(`dev/${device}`, "");
  for (const module of facts.modules ?? []) mkdirSync(join(root, "sys/module", module), { recursive: true });
  if (facts.virtAtLoad !== undefined) file("sys/module/kvm/parameters/enable_virt_at_load", `${facts.virtAtLoad}\n`);
  return root;
}

function ns(...args: string[]) {
  const r = spawnSync("ip", ["-n", NS, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip -n ${NS} ${args.join(" ")}: ${r.stderr}`);
}
/** A device in the namespace carrying an address, hence a route (a bridge: no module needed beyond the lab's own). */
function addressed(device: string, cidr: string) {
  ns("link", "add", device, "type", "bridge");
  ns("addr", "add", cidr, "dev", device);
  ns("link", "set", device, "up");
}

function userCopy(): string {
  const copy = join(tmp, "provisioning");
  for (const script of ["host/preflight.sh", "host/mirror.sh", "lib/records.sh"]) {
    mkdirSync(dirname(join(copy, script)), { recursive: true });
    copyFileSync(join(ROOT, "provisioning", script), join(copy, script));
  }
  chmodSync(copy, 0o755);
  return join(copy, "host", "preflight.sh");
}

function preflight(params: Record<string, string>, opts: { root?: string; asUser?: boolean; path?: string } = {}) {
  // setpriv: the script as an unprivileged user (nobody), as Pulumi run by a learner would; from
  // a copy in the test's world-readable folder, since a checkout may be private to root (CI's is).
  const script = opts.asUser ? userCopy() : join(ROOT, "provisioning", "host", "preflight.sh");
  const user = opts.asUser ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  const env = { PATH: opts.path ?? process.env.PATH!, HOST_ROOT: opts.root ?? kernel("default"), ...params };
  const r = spawnSync("ip", ["netns", "exec", NS, ...user, "bash", script, "up"], { env, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const env = (lab: Lab, name: string) => preflightEnvironment(lab, name, stateDir);

/** A process in the namespace listening on 127.0.0.1:port; `argv` ends up on its command line. */
async function listen(port: number, address = "127.0.0.1", ...argv: string[]) {
  const child = spawn(
    "ip",
    ["netns", "exec", NS, process.execPath, "-e", `require("net").createServer().listen(${port}, "${address}", () => console.log("up"))`, ...argv],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  listeners.push(child);
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  return child;
}

beforeAll(() => {
  removeStaleNamespace(NS);
  const r = spawnSync("ip", ["netns", "add", NS], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`a network namespace is needed (run as root): ${r.stderr}`);
  ns("link", "set", "lo", "up");
  // Readable by the unprivileged user of the sudo test.
  chmodSync(tmp, 0o755);
  const release = join(tmp, "mirror", "debian", "dists", "bookworm", "Release");
  mkdirSync(dirname(release), { recursive: true });
  writeFileSync(release, "Suite: stable\nCodename: bookworm\n");
  const server = spawn("ip", ["netns", "exec", NS, "python3", "-m", "http.server", "-b", "127.0.0.1", String(MIRROR_PORT)], {
    cwd: join(tmp, "mirror"),
    stdio: "ignore",
  });
  listeners.push(server);
  for (let i = 0; i < 50 && spawnSync("ip", ["netns", "exec", NS, "curl", "-fs", "-o", "/dev/null", `${mirror}/dists/bookworm/Release`]).status !== 0; i++) {
    spawnSync("sleep", ["0.1"]);
  }
});
afterAll(() => {
  for (const child of listeners) child.kill();
  spawnSync("ip", ["netns", "del", NS]);
  rmSync(tmp, { recursive: true, force: true });
});

describe("host preflight", () => {
  it("passes a host with all the lab needs, changing nothing", () => {
    for (const [lab, name] of [
      [vboxLab, "openstack-lab"],
      [qemuLab, "dev"],
    ] as const) {
      const r = preflight(env(lab, name));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("preflight: ok");
    }
  });

  it("names what VirtualBox lacks, its driver's devices and a KVM holding the CPU on Linux 6.12 and later, with the fixes", () => {
    const bare = preflight(env(vboxLab, "openstack-lab"), { root: kernel("bare", { release: "6.12.3-arch1", devices: [], modules: ["kvm", "kvm_intel"] }) });
    expect(bare.status).toBe(1);
    expect(bare.stderr).toContain("no /dev/vboxdrv): sudo modprobe vboxdrv");
    expect(bare.stderr).toContain("no /dev/vboxnetctl): sudo modprobe vboxnetadp");
    expect(bare.stderr).toContain("KVM (kvm_intel) is loaded");
    expect(bare.stderr).toContain("sudo modprobe -r kvm_intel kvm");
    // Before 6.12 KVM takes the CPU only while a KVM VM runs; with enable_virt_at_load=N not at all.
    expect(preflight(env(vboxLab, "openstack-lab"), { root: kernel("old-kernel", { release: "6.11.0", modules: ["kvm", "kvm_amd"] }) }).status).toBe(0);
    expect(
      preflight(env(vboxLab, "openstack-lab"), {
        root: kernel("virt-not-at-load", { release: "6.14.0-24-generic", modules: ["kvm", "kvm_amd"], virtAtLoad: "N" }),
      }).status,
    ).toBe(0);
    // QEMU needs none of VirtualBox's devices.
    expect(preflight(env(qemuLab, "dev"), { root: kernel("no-vbox", { devices: [] }) }).status).toBe(0);
  });

  it("refuses a lab network over a route the host has, naming the key, the route and the way out; the lab's own devices do not count", () => {
    addressed("lsh1lan", "192.168.1.5/24");
    addressed("lsh1vpn", "10.8.0.2/24");
    ns("route", "add", "172.16.0.0/16", "dev", "lsh1vpn");
    ns("route", "add", "default", "via", "10.8.0.1");
    for (const [lab, name] of [
      [vboxLab, "openstack-lab"],
      [qemuLab, "dev"],
    ] as const) {
      const r = preflight(env(lab, name));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/labstack:lab\.networks\[1\]\.cidr: 192\.168\.1\.0\/24 overlaps the route '192\.168\.1\.0\/24 dev lsh1lan [^']*'/);
      expect(r.stderr).toContain("labstack:lab.networks[2].cidr: 172.16.0.0/24 overlaps the route '172.16.0.0/16 dev lsh1vpn");
      expect(r.stderr).toContain("Pick a range the host does not route");
      expect(r.stderr).not.toContain("default");
    }
    ns("link", "del", "lsh1lan");
    ns("link", "del", "lsh1vpn");
    // The lab is up: its own vboxnetN (recorded by network.sh) or bridges carry its ranges.
    const [management, guest] = vboxLab.networks.filter((n) => n.kind === "hostonly");
    for (const [net, device] of [
      [management, "vboxnet1"],
      [guest, "vboxnet2"],
    ] as const) {
      addressed(device, `${net.hostAddress}/24`);
      const file = vboxNetworkEnvironment(net, stateDir).STATE_FILE;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${device}\n`);
    }
    const rerun = preflight(env(vboxLab, "openstack-lab"));
    expect(rerun.status, rerun.stderr).toBe(0);
    // ...but not another lab's.
    const other = preflight(env(qemuLab, "dev"));
    expect(other.stderr).toContain("overlaps the route '192.168.1.0/24 dev vboxnet1");
    for (const device of ["vboxnet1", "vboxnet2"]) ns("link", "del", device);
    for (const net of qemuLab.networks.filter((n) => n.kind === "hostonly")) addressed(hostBridgeName("dev", net), `${net.hostAddress}/24`);
    const qemuRerun = preflight(env(qemuLab, "dev"));
    expect(qemuRerun.status, qemuRerun.stderr).toBe(0);
    for (const net of qemuLab.networks.filter((n) => n.kind === "hostonly")) ns("link", "del", hostBridgeName("dev", net));
  });

  it("refuses an SSH forward port in use on 127.0.0.1, unless the lab's own running VM holds it", async () => {
    const [controller] = qemuLab.nodes;
    const port = controller.nics[0].sshPort!;
    const stranger = await listen(port, "0.0.0.0");
    const taken = preflight(env(qemuLab, "dev"));
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain(`labstack:lab.nodes[0].nics[0].sshPort: port ${port} on 127.0.0.1 is already in use`);
    stranger.kill();
    await new Promise((resolve) => stranger.once("exit", resolve));
    // QEMU: the VM is the process whose command line names the node's pidfile.
    const vm = await listen(port, "127.0.0.1", join(stateDir, "vms", controller.name, "qemu.pid"));
    const rerun = preflight(env(qemuLab, "dev"));
    expect(rerun.status, rerun.stderr).toBe(0);
    vm.kill();
    await new Promise((resolve) => vm.once("exit", resolve));
  });

  it("refuses a VirtualBox SSH port in use unless VirtualBox runs the lab's VM for that node", async () => {
    const port = vboxLab.nodes[0].nics[0].sshPort!;
    const holder = await listen(port);
    const bin = join(tmp, "vbox-bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "VBoxManage"), `#!/bin/sh\nexec ${process.execPath} ${join(ROOT, "test", "helpers", "vboxmanage-standin.mjs")} "$@"\n`);
    chmodSync(join(bin, "VBoxManage"), 0o755);
    const vms = (running: string) => ({
      hostonlyifs: [],
      dhcpservers: [],
      registry: {},
      calls: [],
      vms: [{ name: running, uuid: "1", state: "running", nics: {}, media: [] }],
    });
    const standIn = join(tmp, "vbox.json");
    const path = `${bin}:${process.env.PATH}`;
    writeFileSync(standIn, JSON.stringify(vms("labstack-other-lab-controller")));
    const taken = preflight({ ...env(vboxLab, "openstack-lab"), VBOX_STANDIN_STATE: standIn }, { path });
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain(`labstack:lab.nodes[0].nics[0].sshPort: port ${port} on 127.0.0.1 is already in use`);
    writeFileSync(standIn, JSON.stringify(vms("labstack-openstack-lab-controller")));
    const rerun = preflight({ ...env(vboxLab, "openstack-lab"), VBOX_STANDIN_STATE: standIn }, { path });
    expect(rerun.status, rerun.stderr).toBe(0);
    holder.kill();
  });

  it("asks a user without password-less sudo for it when the lab needs root", () => {
    const sudo = (code: number) => {
      const bin = join(tmp, `sudo-${code}`);
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, "sudo"), `#!/bin/sh\n[ "$1" = -n ] || exit 2\n${code ? "echo 'sudo: a password is required' >&2\n" : ""}exit ${code}\n`);
      chmodSync(join(bin, "sudo"), 0o755);
      return `${bin}:${process.env.PATH}`;
    };
    const params = env(qemuLab, "dev");
    const refused = preflight(params, { asUser: true, path: sudo(1) });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("needs root on");
    expect(refused.stderr).toContain("for QEMU's taps and bridges, the APT cache's system service, and nobody has no password-less sudo");
    expect(refused.stderr).toContain("/etc/sudoers.d/labstack");
    expect(preflight(params, { asUser: true, path: sudo(0) }).status).toBe(0);
    expect(preflight({ ...params, NEED_ROOT: "" }, { asUser: true, path: sudo(1) }).status).toBe(0);
  });

  it("refuses a package mirror that has no Release file for the image's release, naming the key and the way out", () => {
    const missing = preflight(env(parseLab(withMirror({ ...stackLab("dev"), host: { kind: "local", stateDir } }, `${mirror}-gone`)), "dev"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`labstack:lab.image.build.mirror: the local host `);
    expect(missing.stderr).toContain(`cannot fetch ${mirror}-gone/dists/bookworm/Release (curl: (22) The requested URL returned error: 404)`);
    expect(missing.stderr).toContain("set image.build.mirror to a mirror the host reaches");
    // Nothing listens behind a proxy that does not exist.
    const params = { ...env(qemuLab, "dev"), MIRROR_PROXY: "http://127.0.0.1:9" };
    expect(preflight(params).stderr).toContain("through the lab's upstream proxy");
  });

  it("checks the files and host interfaces the config names, by their keys", () => {
    addressed("lsh1br", "10.77.0.1/24");
    const disk = join(tmp, "disk.qcow2");
    writeFileSync(disk, "");
    const raw = stackLab("dev");
    raw.host = { kind: "local", stateDir };
    // A path with spaces reaches the script whole.
    raw.image = { path: disk, kernel: join(tmp, "missing  vmlinuz"), initrd: disk };
    raw.networks.push({ name: "learners", kind: "bridged", device: "lsh1br" }, { name: "office", kind: "bridged", device: "lsh1nope" });
    const r = preflight(env(parseLab(raw), "dev"));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      `preflight: labstack:lab.image.kernel: ${join(tmp, "missing  vmlinuz")} is not a readable file on the local host ${spawnSync("hostname", { encoding: "utf8" }).stdout.trim()}; fix the path or the file's permissions`,
      expect.stringMatching(
        /^preflight: labstack:lab\.networks\[4\]\.device: the local host \S+ has no interface lsh1nope to bridge to; create it first, or set create: true/,
      ),
    ]);
    ns("link", "del", "lsh1br");
  });
});
