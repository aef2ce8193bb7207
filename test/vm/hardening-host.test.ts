// Host scripts that need root and a network, inside a namespace the test makes (issue 13): the APT
// cache is no open proxy, failed creates leave nothing behind, QEMU runs without pulumi's
// environment and without root, and a stale pidfile never makes a script skip a start or kill a
// stranger. Real scripts, real apt-cacher-ng and QEMU; no guest OS is booted.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLab } from "../../model/parse.js";
import { prepareEnvironment } from "../../plan/host.js";
import { records, scriptPath } from "../../plan/steps.js";
import { SCRATCH_ROOT } from "../helpers/engineLab.js";
import { stackLab } from "../helpers/labs.js";
import { removeStaleNamespace } from "../helpers/netns.js";

// Fixed names are the suite's markers: a killed run's namespace and folder are removed at the next start.
const NS = "lsh-hardening";
const SCRATCH = join(SCRATCH_ROOT, "hardening");
const MGMT = "10.213.0.1";
const LAN = "10.213.1.1";
let dir: string;
const children: ChildProcess[] = [];

function inNs(argv: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync("ip", ["netns", "exec", NS, ...argv], { env: { ...process.env, ...env }, encoding: "utf8", input, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const script = (name: string, action: "up" | "down", env: Record<string, string>) => inNs(["bash", scriptPath(name), action], env);
const linkExists = (dev: string) => inNs(["ip", "link", "show", "dev", dev]).status === 0;
const alive = (pid: number) => spawnSync("kill", ["-0", String(pid)]).status === 0;
const procFile = (pid: number, file: string) => readFileSync(`/proc/${pid}/${file}`, "utf8");
const SECRETS = { PULUMI_CONFIG_PASSPHRASE: "lsh3-passphrase", DIGITALOCEAN_TOKEN: "lsh3-token" };
const leakedSecrets = (pid: number) =>
  procFile(pid, "environ")
    .split("\0")
    .filter((v) => v.startsWith("PULUMI_") || v.startsWith("DIGITALOCEAN_"));

/** A process that is not the lab's, as a reused PID in a stale pidfile would be. */
function bystander(): number {
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  children.push(child);
  return child.pid!;
}

beforeAll(() => {
  removeStaleNamespace(NS);
  rmSync(SCRATCH, { recursive: true, force: true });
  mkdirSync(SCRATCH, { recursive: true });
  dir = mkdtempSync(join(SCRATCH, "run-"));
  expect(spawnSync("ip", ["netns", "add", NS]).status).toBe(0);
  inNs(["ip", "link", "set", "lo", "up"]);
  // The management network's host address, and another network of the host (a learner's LAN).
  for (const argv of [
    ["link", "add", "lsh3-net", "type", "bridge"],
    ["addr", "add", `${MGMT}/24`, "dev", "lsh3-net"],
    ["addr", "add", `${LAN}/24`, "dev", "lsh3-net"],
    ["link", "set", "lsh3-net", "up"],
  ]) {
    expect(inNs(["ip", ...argv]).status).toBe(0);
  }
});
afterAll(() => {
  children.forEach((c) => c.kill("SIGKILL"));
  spawnSync("ip", ["netns", "del", NS]);
  // The whole suite folder, not only this run's: nothing of the suite stays in /tmp.
  rmSync(SCRATCH, { recursive: true, force: true });
});

describe("host/apt-cache.sh (daemon mode)", () => {
  // The upstream proxy the cache is chained to records every request it gets, and answers 404.
  const UPSTREAM_PORT = "3129";
  const requests = () => (existsSync(join(dir, "upstream.log")) ? readFileSync(join(dir, "upstream.log"), "utf8") : "");
  let upstream: ChildProcess;
  const runDir = () => join(dir, "acng");
  const env = () => ({
    ACNG_MODE: "daemon",
    BIND_ADDRESS: MGMT,
    PORT: "3142",
    DISTROS: "debian",
    RUN_DIR: runDir(),
    UPSTREAM_PROXY: `http://lsh3user:lsh3-s3cret@127.0.0.1:${UPSTREAM_PORT}`,
    DEBIAN_MIRROR: "http://deb.debian.org/debian/",
    ...SECRETS,
  });
  const viaCache = (url: string) => inNs(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "30", "-x", `http://${MGMT}:3142`, url]).stdout;
  let stranger: number;

  beforeAll(() => {
    const server = `
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[1], "a") as f: f.write(self.requestline + "\\n")
        self.send_error(404)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", ${UPSTREAM_PORT}), H).serve_forever()
`;
    upstream = spawn("ip", ["netns", "exec", NS, "python3", "-c", server, join(dir, "upstream.log")], { stdio: "ignore" });
    children.push(upstream);
    for (let i = 0; i < 50 && inNs(["curl", "-s", "-o", "/dev/null", `http://127.0.0.1:${UPSTREAM_PORT}/ready`]).status !== 0; i++) spawnSync("sleep", ["0.2"]);
    // A stale pidfile in the lab's own run folder, naming a stranger.
    mkdirSync(runDir());
    writeFileSync(join(runDir(), ".labstack-owned"), "");
    stranger = bystander();
    writeFileSync(join(runDir(), "apt-cacher-ng.pid"), String(stranger));
    const up = script("host/apt-cache.sh", "up", env());
    expect(up.status, up.stderr).toBe(0);
  });
  afterAll(() => {
    script("host/apt-cache.sh", "down", env());
  });

  it("listens on the lab's address only", () => {
    const listeners = inNs(["ss", "-Hltn", "sport", "= :3142"])
      .stdout.trim()
      .split("\n")
      .map((l) => l.split(/\s+/)[3]);
    expect(listeners).toEqual([`${MGMT}:3142`]);
  });

  it("refuses to listen everywhere unless asked to", () => {
    const r = script("host/apt-cache.sh", "up", { ...env(), BIND_ADDRESS: "0.0.0.0", RUN_DIR: join(dir, "any") });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("BIND_ADDRESS 0.0.0.0 would open the cache to every network of the host; set BIND_ANY=1");
  });

  it("fetches the lab's distribution through the upstream proxy, and nothing else", () => {
    viaCache("http://deb.debian.org/debian/dists/bookworm/Release");
    expect(requests()).toContain("GET http://deb.debian.org/debian/dists/bookworm/Release");
    for (const url of [
      `http://${LAN}/router-admin`,
      "http://archive.ubuntu.com/ubuntu/dists/noble/Release",
      "http://ubuntu-cloud.archive.canonical.com/ubuntu/dists/x/Release",
      "http://example.com/",
    ]) {
      expect(viaCache(url), url).toBe("403");
    }
    expect(requests()).not.toMatch(/router-admin|ubuntu|example\.com/);
  });

  it("keeps the proxy's password and pulumi's environment out of reach", () => {
    const pid = Number(readFileSync(join(runDir(), "apt-cacher-ng.pid"), "utf8"));
    expect(pid).not.toBe(stranger);
    expect(procFile(pid, "cmdline")).not.toContain("lsh3-s3cret");
    expect(leakedSecrets(pid)).toEqual([]);
    const conf = readFileSync(join(runDir(), "conf", "acng.conf"), "utf8");
    expect(conf).toContain("lsh3-s3cret");
    expect(statSync(join(runDir(), "conf", "acng.conf")).mode & 0o077).toBe(0);
  });

  it("leaves the stranger of the stale pidfile alive, and a run folder it did not make", () => {
    expect(alive(stranger)).toBe(true);
    const foreign = join(dir, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "data"), "keep");
    const r = script("host/apt-cache.sh", "up", { ...env(), RUN_DIR: foreign, PORT: "3143" });
    expect(r.status).not.toBe(0);
    expect(script("host/apt-cache.sh", "down", { ...env(), RUN_DIR: foreign }).status).toBe(0);
    expect(readFileSync(join(foreign, "data"), "utf8")).toBe("keep");
  });
});

describe("host/apt-cache.sh (systemd mode, two labs on one host)", () => {
  // systemd does not run here: inside a mount namespace of each call, the folders the script
  // configures are the test's, and systemctl is a double that runs the unit's ExecStart as
  // systemd would (the drop-in's, else the distribution's default: every address).
  const PORT = "3152";
  const LAB_B = "10.213.2.1";
  const root = () => join(dir, "systemd");
  const fake = () => join(root(), "fake");
  const mounts: Record<string, string> = {
    "/etc/apt-cacher-ng": "etc-acng",
    "/etc/systemd/system": "etc-systemd",
    "/var/cache/apt-cacher-ng": "cache",
    "/var/log/apt-cacher-ng": "log",
  };
  const systemctl = `#!/usr/bin/env bash
state=$FAKE_SYSTEMD
echo "$*" >> "$state/calls"
args=(); for a in "$@"; do [[ "$a" == --quiet ]] || args+=("$a"); done
running() { [[ -f "$state/pid" ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }
stop() { if running; then kill "$(cat "$state/pid")"; while running; do sleep 0.05; done; fi; rm -f "$state/pid"; }
case "\${args[0]}" in
  is-active) running ;;
  is-enabled) [[ -f "$state/enabled" ]] ;;
  enable) touch "$state/enabled" ;;
  disable) rm -f "$state/enabled" ;;
  daemon-reload) ;;
  stop) stop ;;
  start|restart)
    stop
    dropin=/etc/systemd/system/apt-cacher-ng.service.d/labstack.conf
    if [[ -f "$dropin" ]]; then line=$(grep '^ExecStart=.' "$dropin" | tail -n1); cmd=\${line#ExecStart=}
    else cmd="/usr/sbin/apt-cacher-ng -c $state/default ForeGround=1"; fi
    # shellcheck disable=SC2086
    setsid $cmd "SocketPath=$state/socket" </dev/null >/dev/null 2>&1 &
    echo $! > "$state/pid" ;;
  *) exit 1 ;;
esac
`;
  const run = (action: "up" | "down", env: Record<string, string>) => {
    const bind = Object.entries(mounts)
      .map(([target, source]) => `mount --bind ${join(root(), source)} ${target}`)
      .join(" && ");
    return inNs(["unshare", "-m", "bash", "-c", `${bind} && exec bash "$0" "$1"`, scriptPath("host/apt-cache.sh"), action], {
      ACNG_MODE: "systemd",
      PORT,
      FAKE_SYSTEMD: fake(),
      PATH: `${join(root(), "bin")}:${process.env.PATH}`,
      DEBIAN_MIRROR: "http://deb.debian.org/debian/",
      ...env,
    });
  };
  const labA = { LAB: "lab-a", BIND_ADDRESS: MGMT, DISTROS: "debian" };
  const labB = { LAB: "lab-b", BIND_ADDRESS: LAB_B, DISTROS: "ubuntu" };
  const listeners = () =>
    inNs(["ss", "-Hltn", "sport", `= :${PORT}`])
      .stdout.trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[3])
      .sort();
  // A restart returns before the daemon listens (as with systemd): wait for the listeners to settle.
  const listenersBecome = (expected: string[]) => {
    for (let i = 0; i < 50 && JSON.stringify(listeners()) !== JSON.stringify(expected); i++) spawnSync("sleep", ["0.1"]);
    return listeners();
  };
  const EVERYWHERE = [`0.0.0.0:${PORT}`, `[::]:${PORT}`];
  const conf = () => readFileSync(join(root(), "etc-acng", "labstack", "acng.conf"), "utf8");
  const restarts = () =>
    readFileSync(join(fake(), "calls"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("restart")).length;
  const enabled = () => existsSync(join(fake(), "enabled"));

  beforeAll(() => {
    for (const sub of [...Object.values(mounts), "bin", "fake/default", "fake/cache", "fake/log"]) mkdirSync(join(root(), sub), { recursive: true });
    writeFileSync(join(root(), "bin", "systemctl"), systemctl, { mode: 0o755 });
    writeFileSync(join(fake(), "calls"), "");
    writeFileSync(
      join(fake(), "default", "acng.conf"),
      `CacheDir: ${join(fake(), "cache")}\nLogDir: ${join(fake(), "log")}\nSupportDir: /usr/lib/apt-cacher-ng\nPort: ${PORT}\n`,
    );
    expect(inNs(["ip", "addr", "add", `${LAB_B}/24`, "dev", "lsh3-net"]).status).toBe(0);
  });
  afterAll(() => {
    const pid = join(fake(), "pid");
    if (existsSync(pid)) spawnSync("kill", ["-9", readFileSync(pid, "utf8").trim()]);
  });

  it("serves each lab on its own address; a lab's down takes only its own away; the last leaves the service as it was", () => {
    // Before the first lab: installed, disabled and stopped, as the host preparation leaves it.
    let r = run("up", labA);
    expect(r.status, r.stderr).toBe(0);
    expect(listeners()).toEqual([`${MGMT}:${PORT}`]);
    expect(enabled()).toBe(true);
    const once = restarts();
    r = run("up", labA);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("changed");
    expect(restarts()).toBe(once);

    r = run("up", labB);
    expect(r.status, r.stderr).toBe(0);
    expect(listeners()).toEqual([`${MGMT}:${PORT}`, `${LAB_B}:${PORT}`]);
    expect(conf()).toMatch(/Remap-debrep[\s\S]*Remap-uburep/);

    // One service, one port: a lab asking for another is refused and changes nothing.
    r = run("up", { LAB: "lab-c", BIND_ADDRESS: LAN, DISTROS: "debian", PORT: "3153" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("give them the same aptCache.port");
    expect(existsSync(join(root(), "etc-acng", "labstack", "labs", "lab-c"))).toBe(false);
    expect(listeners()).toEqual([`${MGMT}:${PORT}`, `${LAB_B}:${PORT}`]);

    r = run("down", labA);
    expect(r.status, r.stderr).toBe(0);
    expect(listenersBecome([`${LAB_B}:${PORT}`])).toEqual([`${LAB_B}:${PORT}`]);
    expect(conf()).not.toContain("Remap-debrep");

    r = run("down", labB);
    expect(r.status, r.stderr).toBe(0);
    expect(listeners()).toEqual([]);
    expect(existsSync(join(root(), "etc-acng", "labstack"))).toBe(false);
    expect(existsSync(join(root(), "etc-systemd", "apt-cacher-ng.service.d", "labstack.conf"))).toBe(false);
    expect(enabled()).toBe(false);
  });

  it("gives a service that ran before the first lab its own configuration back after the last", () => {
    expect(
      spawnSync("ip", ["netns", "exec", NS, join(root(), "bin", "systemctl"), "enable", "apt-cacher-ng"], { env: { ...process.env, FAKE_SYSTEMD: fake() } })
        .status,
    ).toBe(0);
    expect(run("up", { LAB: "bootstrap", BIND_ADDRESS: MGMT }).status).toBe(0);
    expect(run("down", { LAB: "bootstrap", BIND_ADDRESS: MGMT }).status).toBe(0);
    // ...which is what a lab's up finds: enabled and listening everywhere (the default).
    expect(
      spawnSync("ip", ["netns", "exec", NS, join(root(), "bin", "systemctl"), "restart", "apt-cacher-ng"], { env: { ...process.env, FAKE_SYSTEMD: fake() } })
        .status,
    ).toBe(0);
    expect(listenersBecome(EVERYWHERE)).toEqual(EVERYWHERE);
    expect(run("up", labA).status).toBe(0);
    expect(listeners()).toEqual([`${MGMT}:${PORT}`]);
    expect(run("down", labA).status).toBe(0);
    expect(listenersBecome(EVERYWHERE)).toEqual(EVERYWHERE);
    expect(enabled()).toBe(true);
  });
});

describe("host/prepare.sh", () => {
  it("leaves an apt-cacher-ng it installed off: Debian would start it listening on every address", () => {
    // A host with systemd and no apt-cacher-ng yet, in a mount namespace; apt-get and systemctl
    // are doubles that record their calls.
    const bin = join(dir, "prepare-bin");
    const calls = join(dir, "prepare-calls");
    mkdirSync(bin, { recursive: true });
    for (const tool of ["apt-get", "systemctl"]) writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${calls}"\n`, { mode: 0o755 });
    const prepare = (apt: boolean) => {
      const setup = ["mount -t tmpfs none /run", "mkdir -p /run/systemd/system", ...(apt ? ["mount --bind /dev/null /usr/sbin/apt-cacher-ng"] : [])].join(
        " && ",
      );
      writeFileSync(calls, "");
      const r = inNs(["unshare", "-m", "bash", "-c", `${setup} && exec bash "$0" up`, scriptPath("host/prepare.sh")], {
        ...prepareEnvironment(parseLab(stackLab("dev"))),
        APT_CACHE: "1",
        PATH: `${bin}:${process.env.PATH}`,
      });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(calls, "utf8").trim().split("\n").filter(Boolean);
    };
    expect(prepare(true)).toEqual(["apt-get update -q", "apt-get install -y -q apt-cacher-ng", "systemctl disable --now --quiet apt-cacher-ng"]);
    // One the learner had before is theirs: left as it is.
    expect(prepare(false)).toEqual([]);
  });
});

describe("host/bridge.sh", () => {
  it("removes a bridge it created when its setup fails", () => {
    const r = script("host/bridge.sh", "up", { DEVICE: "lsh3-br0", KIND: "hostonly", HOST_CIDR: "10.213.9.1/99", CREATE: "0", OWNER: "labstack lsh3" });
    expect(r.status).not.toBe(0);
    expect(linkExists("lsh3-br0")).toBe(false);
  });
});

describe("qemu/vm.sh", () => {
  const base = () => join(dir, "base.qcow2");
  const machine = (vmDir: string, nics: string) => ({
    VM_DIR: vmDir,
    NAME: "lsh3vm",
    BASE_IMAGE: base(),
    MEMORY_MIB: "64",
    CPUS: "1",
    DISK_GIB: "1",
    ACCEL: "tcg",
    USER_DATA: "#cloud-config\n",
    META_DATA: "instance-id: lsh3\n",
    NETWORK_CONFIG: "version: 2\n",
    NICS: nics,
    ...SECRETS,
  });
  beforeAll(() => {
    // A blank disk: the firmware finds nothing to boot and waits, which is all these tests need.
    const made = spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", base(), "1G"], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
  });

  it("undoes its tap and its folder when `up` fails", () => {
    const vmDir = join(dir, "vms", "broken");
    const r = script("qemu/vm.sh", "up", machine(vmDir, records([{ kind: "tap", mac: "52:54:00:13:00:01", tap: "lsh3tap0", bridge: "lsh3-nobridge" }])));
    expect(r.status).not.toBe(0);
    expect(linkExists("lsh3tap0")).toBe(false);
    expect(existsSync(vmDir)).toBe(false);
  });

  it("starts despite a stale pidfile, as nobody, without pulumi's environment; `down` kills no stranger", () => {
    const vmDir = join(dir, "vms", "lsh3vm");
    mkdirSync(vmDir, { recursive: true });
    writeFileSync(join(vmDir, ".labstack-owned"), "");
    const stranger = bystander();
    writeFileSync(join(vmDir, "qemu.pid"), String(stranger));
    const env = machine(vmDir, records([{ kind: "nat", mac: "52:54:00:13:00:02", port: 2299 }]));
    const up = script("qemu/vm.sh", "up", env);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain("labstack: changed started lsh3vm");
    const pid = Number(readFileSync(join(vmDir, "qemu.pid"), "utf8"));
    expect(pid).not.toBe(stranger);
    expect(leakedSecrets(pid)).toEqual([]);
    expect(procFile(pid, "status")).toMatch(/^Uid:\s+65534\s/m);
    // Its disks were opened before it dropped root: it keeps running in the firmware.
    spawnSync("sleep", ["2"]);
    expect(alive(pid)).toBe(true);
    const again = script("qemu/vm.sh", "up", env);
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain("labstack: changed");
    expect(script("qemu/vm.sh", "down", env).status).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(existsSync(vmDir)).toBe(false);
    // The stale pidfile's stranger is no VM of the lab's, up or down.
    mkdirSync(vmDir, { recursive: true });
    writeFileSync(join(vmDir, ".labstack-owned"), "");
    writeFileSync(join(vmDir, "qemu.pid"), String(stranger));
    expect(script("qemu/vm.sh", "down", env).status).toBe(0);
    expect(alive(stranger)).toBe(true);
  });
});
