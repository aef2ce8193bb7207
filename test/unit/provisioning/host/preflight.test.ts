// host/preflight.sh run for real as the lab runs it: its bundle (plan/scripts.ts) on `bash -s up`
// with the plan's parameters, on a made-up host. The kernel's facts (/proc, /sys, /dev) come from a
// folder (HOST_ROOT), the host's routes and interfaces from an `ip` stand-in that prints what the
// test says, listening ports are real ones on this machine's loopback (the lab's SSH forwards are
// free ports picked here), the package mirror a web server of the test's own, and a user without
// root is `nobody` through setpriv. No network namespace: nothing of the machine is changed.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostBridgeName } from "../../../../plan/bridge.js";
import { vboxNetworkEnvironment } from "../../../../plan/hypervisors/virtualbox.js";
import { labPreflight } from "../../../../plan/preflight.js";
import { bundle } from "../../../../plan/scripts.js";
import type { LabPlan } from "../../../../plan/types.js";
import { labPlan, ROOT, stackLab } from "../../../helpers/labs.js";
import { finished } from "../../../helpers/processes.js";
import { argvHolding, standIns as recordingStandIns } from "../../../helpers/standIns.js";

const tmp = mkdtempSync(join(tmpdir(), "labstack-preflight-"));
// The home of the user running the lab: the plan's ~/ folders are there.
const home = join(tmp, "home");
const standIns = join(tmp, "bin");
const listeners: ChildProcess[] = [];
let mirror = "";
let ports: number[] = [];
let vboxPlan: LabPlan;
let qemuPlan: LabPlan;

/** Free TCP ports on 127.0.0.1, for the nodes' SSH forwards. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve) =>
          createServer().listen(0, "127.0.0.1", function (this: Server) {
            resolve(this);
          }),
        ),
    ),
  );
  const found = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return found;
}

/** A lab's raw config with the test's SSH ports (and mirror). */
function raw(stack: string, mirrorUrl?: string): Record<string, any> {
  const lab = stackLab(stack);
  lab.nodes.forEach((node: any, i: number) => {
    node.nics[0].sshPort = ports[i];
  });
  if (mirrorUrl !== undefined) lab.image = { build: { ...lab.image.build, mirror: mirrorUrl } };
  return lab;
}

/** A host's kernel facts as preflight.sh reads them under HOST_ROOT. */
function kernel(name: string, facts: { release?: string; devices?: string[]; modules?: string[]; virtAtLoad?: string } = {}): string {
  const root = join(tmp, "kernels", name);
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

/** What the `ip` stand-in shows: the host's main routing table and its interfaces. */
function hostNetwork(routes: string[], links: string[] = []) {
  writeFileSync(join(standIns, "routes"), routes.map((r) => `${r}\n`).join(""));
  writeFileSync(join(standIns, "links"), links.map((l) => `${l}\n`).join(""));
}
const HOME_LAN = ["default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5 metric 100", "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5"];

function executable(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** The lab's preflight step, as the lab component runs it (its memory: what its nodes need). */
const step = (plan: LabPlan) =>
  labPreflight(
    plan,
    plan.config.nodes.reduce((sum, n) => sum + n.memoryMiB, 0),
  );

interface Run {
  /** The host's kernel facts. @default a host with everything */
  readonly root?: string;
  /** As `nobody`, as Pulumi run by a learner would. */
  readonly asUser?: boolean;
  /** Folders before the stand-ins' on the PATH. */
  readonly path?: string;
  /** More of the caller's environment (a proxy). */
  readonly env?: Record<string, string>;
  /** More parameters (the VBoxManage stand-in's state). */
  readonly params?: Record<string, string>;
  /** Keep the claims earlier runs made (other labs on the host). @default each run on a host with no other lab */
  readonly keepClaims?: boolean;
}

/** Where the preflight keeps the labs' claims in the test's home. */
const claimsRoot = () => join(home, ".local", "share", "labstack", ".claims");

/** The preflight's bundle run by `bash -s up` with the plan's parameters (and HOST_ROOT). */
function preflight(plan: LabPlan, opts: Run = {}) {
  if (!opts.keepClaims) rmSync(claimsRoot(), { recursive: true, force: true });
  const { script, environment } = step(plan);
  const program = bundle(script, { ...environment, HOST_ROOT: opts.root ?? kernel("default"), ...opts.params });
  const user = opts.asUser ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  const argv = [...user, "bash", "-s", "up"];
  const PATH = [opts.path, standIns, process.env.PATH].filter(Boolean).join(":");
  const r = spawnSync(argv[0], argv.slice(1), { input: program, env: { PATH, HOME: home, ...opts.env }, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same run, asynchronous: a server in this process (a proxy) can answer it meanwhile. */
function preflightAsync(plan: LabPlan, opts: Run = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  if (!opts.keepClaims) rmSync(claimsRoot(), { recursive: true, force: true });
  const { script, environment } = step(plan);
  const program = bundle(script, { ...environment, HOST_ROOT: opts.root ?? kernel("default"), ...opts.params });
  const PATH = [opts.path, standIns, process.env.PATH].filter(Boolean).join(":");
  const child = spawn("bash", ["-s", "up"], { env: { PATH, HOME: home, ...opts.env } });
  child.stdin.end(program);
  return finished(child);
}

/** A process listening on `address`:port; `argv` ends up on its command line. */
async function listen(port: number, address = "127.0.0.1", ...argv: string[]) {
  const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${port}, "${address}", () => console.log("up"))`, ...argv], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  listeners.push(child);
  await new Promise((resolve) => child.stdout!.once("data", resolve));
  return child;
}
const stop = async (child: ChildProcess) => {
  child.kill();
  if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once("exit", resolve));
};

beforeAll(async () => {
  mkdirSync(home, { recursive: true });
  // Readable by the unprivileged user of the sudo test.
  chmodSync(tmp, 0o755);
  // iproute2's answers to what the preflight asks: `ip -4 route show table main`, `ip link show dev X`.
  executable(
    join(standIns, "ip"),
    `#!/bin/bash
here=$(dirname "$0")
case "$*" in
  "-4 route show table main") cat "$here/routes" ;;
  "link show dev "*) grep -qxF -- "$4" "$here/links" && echo "7: $4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500" && exit 0
    echo "Device \\"$4\\" does not exist." >&2; exit 1 ;;
  *) echo "ip stand-in: not asked for: ip $*" >&2; exit 2 ;;
esac
`,
  );
  hostNetwork(HOME_LAN);
  ports = await freePorts(3);
  const release = join(tmp, "mirror", "debian", "dists", "bookworm", "Release");
  mkdirSync(dirname(release), { recursive: true });
  writeFileSync(release, "Suite: stable\nCodename: bookworm\n");
  const [mirrorPort] = await freePorts(1);
  mirror = `http://127.0.0.1:${mirrorPort}/debian`;
  const server = spawn("python3", ["-m", "http.server", "-b", "127.0.0.1", String(mirrorPort)], { cwd: join(tmp, "mirror"), stdio: "ignore" });
  listeners.push(server);
  for (let i = 0; i < 100 && spawnSync("curl", ["-fs", "-o", "/dev/null", `${mirror}/dists/bookworm/Release`]).status !== 0; i++) spawnSync("sleep", ["0.1"]);
  vboxPlan = labPlan(raw("openstack-lab"), "openstack-lab");
  qemuPlan = labPlan(raw("dev", mirror), "dev");
});
afterAll(() => {
  for (const child of listeners) child.kill();
  rmSync(tmp, { recursive: true, force: true });
});

describe("host preflight", () => {
  it("passes a host with all the lab needs, changing nothing", () => {
    for (const plan of [vboxPlan, qemuPlan]) {
      const r = preflight(plan);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("preflight: ok");
    }
    // The VirtualBox lab's own checks came with its bundle; the QEMU lab's has none.
    expect(step(vboxPlan).environment.HOST_CHECKS).toBe("virtualbox/host-checks.sh");
    expect(step(qemuPlan).environment.HOST_CHECKS).toBe("");
  });

  it("refuses a host with less memory than the lab's VMs need, with the key to change", () => {
    const big = labPlan({ ...raw("dev", mirror), nodes: raw("dev", mirror).nodes.map((n: any) => ({ ...n, memoryMiB: 8192 })) }, "dev");
    const r = preflight(big);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the lab's VMs need 24576 MiB of memory but the local host");
    expect(r.stderr).toContain("has 16000 MiB; use a bigger host or smaller VMs (nodes[].memoryMiB)");
  });

  it("names what VirtualBox lacks, its driver's devices and a KVM holding the CPU on Linux 6.12 and later, with the fixes", () => {
    const bare = preflight(vboxPlan, { root: kernel("bare", { release: "6.12.3-arch1", devices: [], modules: ["kvm", "kvm_intel"] }) });
    expect(bare.status).toBe(1);
    expect(bare.stderr).toContain("no /dev/vboxdrv): sudo modprobe vboxdrv");
    expect(bare.stderr).toContain("no /dev/vboxnetctl): sudo modprobe vboxnetadp");
    expect(bare.stderr).toContain("KVM (kvm_intel) is loaded");
    expect(bare.stderr).toContain("sudo modprobe -r kvm_intel kvm");
    // Before 6.12 KVM takes the CPU only while a KVM VM runs; with enable_virt_at_load=N not at all.
    expect(preflight(vboxPlan, { root: kernel("old-kernel", { release: "6.11.0", modules: ["kvm", "kvm_amd"] }) }).status).toBe(0);
    expect(
      preflight(vboxPlan, { root: kernel("virt-not-at-load", { release: "6.14.0-24-generic", modules: ["kvm", "kvm_amd"], virtAtLoad: "N" }) }).status,
    ).toBe(0);
    // QEMU needs none of VirtualBox's devices.
    expect(preflight(qemuPlan, { root: kernel("no-vbox", { devices: [] }) }).status).toBe(0);
  });

  it("refuses a lab network over a route the host has, naming the key, the route and the way out; the lab's own devices do not count", () => {
    hostNetwork([
      "default via 10.8.0.1 dev lsh1vpn",
      "10.8.0.0/24 dev lsh1vpn proto kernel scope link src 10.8.0.2",
      "172.16.0.0/16 dev lsh1vpn scope link",
      "192.168.1.0/24 dev lsh1lan proto kernel scope link src 192.168.1.5",
    ]);
    try {
      for (const plan of [vboxPlan, qemuPlan]) {
        const r = preflight(plan);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/labstack:lab\.networks\[1\]\.cidr: 192\.168\.1\.0\/24 overlaps the route '192\.168\.1\.0\/24 dev lsh1lan [^']*'/);
        expect(r.stderr).toContain("labstack:lab.networks[2].cidr: 172.16.0.0/24 overlaps the route '172.16.0.0/16 dev lsh1vpn");
        expect(r.stderr).toContain("Pick a range the host does not route");
        expect(r.stderr).not.toContain("default");
      }
      // The lab is up: its own vboxnetN, recorded by network.sh in the plan's ~/ folder, carry its ranges.
      const [management, guest] = vboxPlan.networks.filter((n) => n.kind === "hostonly");
      const routes: string[] = [];
      for (const [net, device] of [
        [management, "vboxnet1"],
        [guest, "vboxnet2"],
      ] as const) {
        routes.push(`${net.config.cidr!.text} dev ${device} proto kernel scope link src ${net.config.hostAddress}`);
        const file = vboxNetworkEnvironment(vboxPlan, net).STATE_FILE.replace(/^~\//, `${home}/`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `${device}\n`);
      }
      hostNetwork([...HOME_LAN, ...routes]);
      const rerun = preflight(vboxPlan);
      expect(rerun.status, rerun.stderr).toBe(0);
      // ...but not another lab's.
      const other = preflight(qemuPlan);
      expect(other.status).toBe(1);
      // It names the lab that holds the range, and the two ways out.
      expect(other.stderr).toContain("192.168.1.0/24 overlaps lab openstack-lab's network on the local host vm (its route '192.168.1.0/24 dev vboxnet1");
      expect(other.stderr).toContain("or destroy lab openstack-lab first");
      // A QEMU lab's own bridges.
      hostNetwork([
        ...HOME_LAN,
        ...qemuPlan.networks
          .filter((n) => n.kind === "hostonly")
          .map((n) => `${n.config.cidr!.text} dev ${hostBridgeName("dev", n)} proto kernel scope link src ${n.config.hostAddress}`),
      ]);
      const qemuRerun = preflight(qemuPlan);
      expect(qemuRerun.status, qemuRerun.stderr).toBe(0);
    } finally {
      hostNetwork(HOME_LAN);
    }
  });

  it("lets one of two labs whose ups overlap take a port and a range, refusing the other by name until the first is destroyed", async () => {
    const first = labPlan(raw("dev", mirror), "dev");
    const second = labPlan(raw("dev", mirror), "dev-copy");
    rmSync(claimsRoot(), { recursive: true, force: true });
    // Nothing holds the ports or ranges yet: only the claims can tell the two apart.
    const both = await Promise.all([preflightAsync(first, { keepClaims: true }), preflightAsync(second, { keepClaims: true })]);
    expect(both.map((r) => r.status).sort()).toEqual([0, 1]);
    const [winner, loser] = both[0].status === 0 ? ["dev", "dev-copy"] : ["dev-copy", "dev"];
    const refusal = both.find((r) => r.status === 1)!.stderr;
    expect(refusal).toContain(`port ${first.nodes[0].sshPort} (labstack:lab.nodes[0].nics[0].sshPort) is taken by lab ${winner}`);
    expect(refusal).toContain(`labstack:lab.networks[1].cidr: 192.168.1.0/24 overlaps lab ${winner}'s network 192.168.1.0/24`);
    const planOf = (name: string) => (name === "dev" ? first : second);
    // The winner's own re-run (an update) is not in its own way.
    expect(preflight(planOf(winner), { keepClaims: true }).status).toBe(0);
    expect(preflight(planOf(loser), { keepClaims: true }).status).toBe(1);
    // Destroyed: its claim goes with it, and the other lab may go ahead.
    const { script, environment } = step(planOf(winner));
    const down = spawnSync("bash", ["-s", "down"], { input: bundle(script, environment), env: { PATH: process.env.PATH, HOME: home }, encoding: "utf8" });
    expect(down.status, down.stderr).toBe(0);
    expect(preflight(planOf(loser), { keepClaims: true }).status).toBe(0);
    // A lab killed before it made anything leaves a claim whose state folder is gone, or is
    // another by now at the same path (a test's scratch made anew): dropped.
    rmSync(join(home, ".local", "share", "labstack", loser), { recursive: true, force: true });
    mkdirSync(join(home, ".local", "share", "labstack", loser));
    const after = preflight(planOf(winner), { keepClaims: true });
    expect(after.status, after.stderr).toBe(0);
    // The last lab's destroy leaves no claims folder behind.
    const last = step(planOf(winner));
    expect(spawnSync("bash", ["-s", "down"], { input: bundle(last.script, last.environment), env: { PATH: process.env.PATH, HOME: home } }).status).toBe(0);
    expect(existsSync(claimsRoot())).toBe(false);
  });

  it("refuses an SSH forward port in use on 127.0.0.1, unless the lab's own running VM holds it", async () => {
    const [controller] = qemuPlan.nodes;
    const port = controller.sshPort;
    const stranger = await listen(port, "0.0.0.0");
    const taken = preflight(qemuPlan);
    await stop(stranger);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain(`labstack:lab.nodes[0].nics[0].sshPort: port ${port} on 127.0.0.1 is already in use`);
    // QEMU: the VM is the process whose command line names the node's pidfile, in the plan's ~/
    // folder as the host user's home makes it.
    expect(controller.vmDir).toBe("~/.local/share/labstack/dev/vms/controller");
    const vm = await listen(port, "127.0.0.1", join(home, ".local/share/labstack/dev/vms/controller", "qemu.pid"));
    const rerun = preflight(qemuPlan);
    await stop(vm);
    expect(rerun.status, rerun.stderr).toBe(0);
  });

  it("refuses a VirtualBox SSH port in use unless VirtualBox runs the lab's VM for that node", async () => {
    const port = vboxPlan.nodes[0].sshPort;
    const holder = await listen(port);
    try {
      const bin = join(tmp, "vbox-bin");
      executable(join(bin, "VBoxManage"), `#!/bin/sh\nexec ${process.execPath} ${join(ROOT, "test", "helpers", "vboxmanage-standin.mjs")} "$@"\n`);
      const vms = (running: string) => ({
        hostonlyifs: [],
        dhcpservers: [],
        registry: {},
        calls: [],
        vms: [{ name: running, uuid: "1", state: "running", nics: {}, media: [] }],
      });
      const standIn = join(tmp, "vbox.json");
      writeFileSync(standIn, JSON.stringify(vms("labstack-other-lab-controller")));
      const taken = preflight(vboxPlan, { path: bin, params: { VBOX_STANDIN_STATE: standIn } });
      expect(taken.status).toBe(1);
      expect(taken.stderr).toContain(`labstack:lab.nodes[0].nics[0].sshPort: port ${port} on 127.0.0.1 is already in use`);
      writeFileSync(standIn, JSON.stringify(vms("labstack-openstack-lab-controller")));
      const rerun = preflight(vboxPlan, { path: bin, params: { VBOX_STANDIN_STATE: standIn } });
      expect(rerun.status, rerun.stderr).toBe(0);
    } finally {
      await stop(holder);
    }
  });

  it("asks a user without password-less sudo for it when the lab needs root, from a bundle that needs nothing of the checkout", () => {
    const sudo = (code: number) => {
      const bin = join(tmp, `sudo-${code}`);
      executable(join(bin, "sudo"), `#!/bin/sh\n[ "$1" = -n ] || exit 2\n${code ? "echo 'sudo: a password is required' >&2\n" : ""}exit ${code}\n`);
      return bin;
    };
    const refused = preflight(qemuPlan, { asUser: true, path: sudo(1) });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("needs root on");
    expect(refused.stderr).toContain("for QEMU's taps and bridges, the APT cache's system service, and nobody has no password-less sudo");
    expect(refused.stderr).toContain("/etc/sudoers.d/labstack");
    expect(preflight(qemuPlan, { asUser: true, path: sudo(0) }).status).toBe(0);
    expect(preflight(qemuPlan, { asUser: true, path: sudo(1), params: { NEED_ROOT: "" } }).status).toBe(0);
  });

  it("refuses a package mirror that has no Release file for the image's release, naming the key and the way out", () => {
    const missing = preflight(labPlan(raw("dev", `${mirror}-gone`), "dev"));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("labstack:lab.image.build.mirror: the local host ");
    expect(missing.stderr).toContain(`cannot fetch ${mirror}-gone/dists/bookworm/Release (curl: (22) The requested URL returned error: 404)`);
    expect(missing.stderr).toContain("set image.build.mirror to a mirror the host reaches");
    // Through the lab's upstream proxy, when the config names one: nothing listens behind this one.
    const proxied = labPlan({ ...raw("dev", mirror), aptCache: { enabled: true, port: 3142, upstreamProxy: "http://127.0.0.1:9" } }, "dev");
    expect(step(proxied).environment.MIRROR_PROXY).toBe("http://127.0.0.1:9");
    const viaConfig = preflight(proxied);
    expect(viaConfig.status).toBe(1);
    expect(viaConfig.stderr).toContain("through the lab's upstream proxy");
    // ...else through the host's own http_proxy, as every download of the lab on that host.
    expect(step(qemuPlan).environment.MIRROR_PROXY).toBe("");
    const viaHost = preflight(qemuPlan, { env: { http_proxy: "127.0.0.1:9" } });
    expect(viaHost.status).toBe(1);
    expect(viaHost.stderr).toContain(`cannot fetch ${mirror}/dists/bookworm/Release through the lab's upstream proxy`);
  });

  it("hands curl the upstream proxy, its password with it, in a config on stdin: on no command line", async () => {
    // A proxy of the test's own that answers for the mirror and notes the credentials it was given.
    const seen: (string | undefined)[] = [];
    const proxy = createHttpServer((req, res) => {
      seen.push(req.headers["proxy-authorization"]);
      res.writeHead(req.url?.endsWith("/dists/bookworm/Release") ? 200 : 404).end("Suite: stable\n");
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://learner:ProxyPa55@127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const plan = labPlan({ ...raw("dev", "http://mirror.example/debian"), aptCache: { enabled: true, port: 3142, upstreamProxy: url } }, "dev");
      expect(step(plan).environment.MIRROR_PROXY).toBe(url);
      const programs = recordingStandIns(mkdtempSync(join(tmp, "argv-")), { curl: "real", env: "real", bash: "real" });
      // Run asynchronously: the proxy answers from this process.
      const r = await preflightAsync(plan, { path: programs.bin });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(seen).toEqual([`Basic ${Buffer.from("learner:ProxyPa55").toString("base64")}`]);
      const curls = programs.calls("curl");
      expect(curls).toHaveLength(1);
      expect(argvHolding(programs.calls(), "ProxyPa55")).toEqual([]);
    } finally {
      proxy.close();
    }
  });

  it("checks the files and host interfaces the config names, by their keys, ~/ in the host user's home", () => {
    hostNetwork(HOME_LAN, ["eth0", "lsh1br"]);
    try {
      mkdirSync(join(home, "images"), { recursive: true });
      writeFileSync(join(home, "images", "disk.qcow2"), "");
      const lab = raw("dev");
      // A path with spaces reaches the script whole; ~/ is the home of the user the lab runs as.
      lab.image = { path: "~/images/disk.qcow2", kernel: join(tmp, "missing  vmlinuz"), initrd: "~/images/disk.qcow2" };
      lab.networks.push({ name: "learners", kind: "bridged", device: "lsh1br" }, { name: "office", kind: "bridged", device: "lsh1nope" });
      const r = preflight(labPlan(lab, "dev"));
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([
        `preflight: labstack:lab.image.kernel: ${join(tmp, "missing  vmlinuz")} is not a readable file on the local host ${spawnSync("hostname", { encoding: "utf8" }).stdout.trim()}; fix the path or the file's permissions`,
        expect.stringMatching(
          /^preflight: labstack:lab\.networks\[4\]\.device: the local host \S+ has no interface lsh1nope to bridge to; create it first, or set create: true/,
        ),
      ]);
    } finally {
      hostNetwork(HOME_LAN);
    }
  });
});
