// Host scripts that need root and a network, inside a namespace the test makes (issue 13): the APT
// cache is no open proxy, failed creates leave nothing behind, QEMU runs without pulumi's
// environment and without root, and a stale pidfile never makes a script skip a start, kill a
// stranger or pass for a running daemon in `status`. Real scripts run from the checkout with the
// plan's own parameters (a lab's steps as plan/ makes them), real apt-cacher-ng and QEMU; no guest
// OS is booted.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aptCacheStep } from "../../plan/aptCache.js";
import { BRIDGE_SCRIPT, bridgeEnvironment } from "../../plan/bridge.js";
import { renderSeed } from "../../plan/cloudinit.js";
import { tapName } from "../../plan/hypervisors/qemu.js";
import { prepareStep } from "../../plan/prepare.js";
import type { Script } from "../../plan/scripts.js";
import type { HostStep, LabPlan, NodePlan } from "../../plan/types.js";
import type { OpenStackLabConfig } from "../../stacks/openstack/model.js";
import { openstackBake } from "../../stacks/openstack/plan.js";
import { SCRATCH_ROOT } from "../helpers/engineLab.js";
import { labPlan, scriptPath, stackLab } from "../helpers/labs.js";
import { removeStaleNamespace } from "../helpers/netns.js";

// Fixed names are the suite's markers: a killed run's namespace and folder are removed at the next start.
const NS = "lsh-hardening";
const SCRATCH = join(SCRATCH_ROOT, "hardening");
// The lab host's folders of this run (the labs' state folders are in it).
const dir = join(SCRATCH, "run");
const UPSTREAM_PORT = "3129";
const children: ChildProcess[] = [];

/** The dev lab's plan as `stack`, its state in this run's folder; `adapt` changes its config first. */
function devPlan(stack: string, adapt: (raw: Record<string, any>) => void = () => undefined): LabPlan {
  const raw = stackLab("dev");
  raw.host = { kind: "local", stateDir: join(dir, stack) };
  adapt(raw);
  return labPlan(raw, stack);
}
/** The dev lab's APT cache: its upstream proxy is the test's, and has a password. */
const devCache = aptCacheStep(
  devPlan("dev", (raw) => {
    raw.aptCache = { ...raw.aptCache, upstreamProxy: `http://lsh3user:lsh3-s3cret@127.0.0.1:${UPSTREAM_PORT}` };
  }),
)!;
// The management network's host address (where the lab's cache listens), and another network of
// the host (a learner's LAN).
const MGMT = devCache.environment.BIND_ADDRESS;
const LAN = "10.213.1.1";

function inNs(argv: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync("ip", ["netns", "exec", NS, ...argv], { env: { ...process.env, ...env }, encoding: "utf8", input, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** A host script run from the checkout, as a test runs it, with `env` (the step's parameters). */
const script = (s: Script, action: "up" | "down" | "status" | "stop" | "resume", env: Readonly<Record<string, string>>) =>
  inNs(["bash", scriptPath(s.path), action], env);
/** A status's exit code and its lines. */
const statusOf = (step: HostStep, env: Readonly<Record<string, string>>) => {
  const r = script(step.script, "status", env);
  return { status: r.status, lines: r.stdout.trim().split("\n").filter(Boolean) };
};
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
  mkdirSync(dir, { recursive: true });
  expect(spawnSync("ip", ["netns", "add", NS]).status).toBe(0);
  inNs(["ip", "link", "set", "lo", "up"]);
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
  const requests = () => (existsSync(join(dir, "upstream.log")) ? readFileSync(join(dir, "upstream.log"), "utf8") : "");
  let upstream: ChildProcess;
  const runDir = () => devCache.environment.RUN_DIR;
  // The plan's parameters; daemon mode (this machine may have systemd), and a mirror of our choice.
  const env = () => ({
    ...devCache.environment,
    ACNG_MODE: "daemon",
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
    mkdirSync(runDir(), { recursive: true });
    writeFileSync(join(runDir(), ".labstack-owned"), "");
    stranger = bystander();
    writeFileSync(join(runDir(), "apt-cacher-ng.pid"), String(stranger));
    const up = script(devCache.script, "up", env());
    expect(up.status, up.stderr).toBe(0);
  });
  afterAll(() => {
    script(devCache.script, "down", env());
  });

  it("is the plan's cache: the dev lab's management address and port, its distribution, the upstream proxy", () => {
    expect(devCache.environment).toMatchObject({ LAB: "dev", BIND_ADDRESS: "192.168.1.1", PORT: "3142", DISTROS: "debian" });
    expect(devCache.environment.UPSTREAM_PROXY).toContain("lsh3-s3cret");
  });

  it("listens on the lab's address only", () => {
    const listeners = inNs(["ss", "-Hltn", "sport", "= :3142"])
      .stdout.trim()
      .split("\n")
      .map((l) => l.split(/\s+/)[3]);
    expect(listeners).toEqual([`${MGMT}:3142`]);
  });

  it("refuses to listen everywhere unless asked to", () => {
    const r = script(devCache.script, "up", { ...env(), BIND_ADDRESS: "0.0.0.0", RUN_DIR: join(dir, "any") });
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
    const r = script(devCache.script, "up", { ...env(), RUN_DIR: foreign, PORT: "3143" });
    expect(r.status).not.toBe(0);
    expect(script(devCache.script, "down", { ...env(), RUN_DIR: foreign }).status).toBe(0);
    expect(readFileSync(join(foreign, "data"), "utf8")).toBe("keep");
  });

  it("status is 0 while the cache serves the lab, 3 with one line once it died, even with a stranger in its pidfile; up repairs it", () => {
    expect(statusOf(devCache, env())).toEqual({ status: 0, lines: [] });
    const pid = Number(readFileSync(join(runDir(), "apt-cacher-ng.pid"), "utf8"));
    expect(spawnSync("kill", ["-9", String(pid)]).status).toBe(0);
    for (let i = 0; i < 50 && alive(pid); i++) spawnSync("sleep", ["0.1"]);
    const notRunning = { status: 3, lines: ["the lab's APT cache (apt-cacher-ng) is not running"] };
    expect(statusOf(devCache, env())).toEqual(notRunning);
    // A reused PID in the pidfile is no cache of the lab's.
    writeFileSync(join(runDir(), "apt-cacher-ng.pid"), String(stranger));
    expect(statusOf(devCache, env())).toEqual(notRunning);
    const repair = script(devCache.script, "up", env());
    expect(repair.status, repair.stderr).toBe(0);
    expect(repair.stdout).toContain(`labstack: changed started apt-cacher-ng on ${MGMT} port 3142`);
    expect(statusOf(devCache, env())).toEqual({ status: 0, lines: [] });
    expect(alive(stranger)).toBe(true);
  });
});

describe("host/apt-cache.sh (systemd mode, two labs on one host)", () => {
  // systemd does not run here: inside a mount namespace of each call, the folders the script
  // configures are the test's, and systemctl is a double that runs the unit's ExecStart as
  // systemd would (the drop-in's, else the distribution's default: every address).
  const PORT = "3152";
  /** A lab's cache step as its plan makes it, on PORT. */
  const cacheOf = (plan: LabPlan) => aptCacheStep(plan, openstackBake(plan.config as OpenStackLabConfig).cloudArchive)!.environment;
  const onPort = (raw: Record<string, any>) => {
    raw.aptCache = { ...raw.aptCache, port: Number(PORT) };
  };
  /** The dev lab with its management network on NET.0/24 (the host at NET.1). */
  const managementOn = (net: string) => (raw: Record<string, any>) => {
    onPort(raw);
    const management = raw.networks.find((n: { name: string }) => n.name === raw.managementNetwork);
    Object.assign(management, { cidr: `${net}.0/24`, hostAddress: `${net}.1` });
    for (const nic of raw.nodes.flatMap((n: { nics: object[] }) => n.nics)) {
      if (nic.network === management.name) nic.ip = nic.ip.replace(/^192\.168\.1\./, `${net}.`);
    }
  };
  // lab-a: the series' lab on a downloaded Ubuntu image with the Cloud Archive, on the management
  // address of every dev lab; lab-b: a dev lab on a management network of its own (Debian only).
  const labA = cacheOf(
    (() => {
      const raw = stackLab("openstack-lab");
      raw.host = { kind: "local", stateDir: join(dir, "lab-a") };
      onPort(raw);
      return labPlan(raw, "lab-a");
    })(),
  );
  const labB = cacheOf(devPlan("lab-b", managementOn("10.213.2")));
  const LAB_B = labB.BIND_ADDRESS;
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
  const run = (action: "up" | "down" | "status", env: Record<string, string>) => {
    const bind = Object.entries(mounts)
      .map(([target, source]) => `mount --bind ${join(root(), source)} ${target}`)
      .join(" && ");
    return inNs(["unshare", "-m", "bash", "-c", `${bind} && exec bash "$0" "$1"`, scriptPath(devCache.script.path), action], {
      ACNG_MODE: "systemd",
      FAKE_SYSTEMD: fake(),
      PATH: `${join(root(), "bin")}:${process.env.PATH}`,
      DEBIAN_MIRROR: "http://deb.debian.org/debian/",
      ...env,
    });
  };
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
  const status = (env: Record<string, string>) => {
    const r = run("status", env);
    return { status: r.status, lines: r.stdout.trim().split("\n").filter(Boolean) };
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
    expect(labA).toMatchObject({ LAB: "lab-a", BIND_ADDRESS: MGMT, PORT, DISTROS: "debian ubuntu ubuntu-cloud-archive" });
    expect(labB).toMatchObject({ LAB: "lab-b", BIND_ADDRESS: "10.213.2.1", PORT, DISTROS: "debian" });
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
    expect(listeners()).toEqual([`${MGMT}:${PORT}`, `${LAB_B}:${PORT}`].sort());
    expect(conf()).toMatch(/Remap-debrep[\s\S]*Remap-uburep[\s\S]*Remap-uca/);
    for (const lab of [labA, labB]) expect(status(lab)).toEqual({ status: 0, lines: [] });

    // One service, one port: a lab asking for another is refused and changes nothing.
    const labC = cacheOf(
      devPlan("lab-c", (raw) => {
        managementOn("10.213.1")(raw);
        raw.aptCache.port = 3153;
      }),
    );
    expect(labC).toMatchObject({ BIND_ADDRESS: LAN, PORT: "3153" });
    r = run("up", labC);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("give them the same aptCache.port");
    expect(existsSync(join(root(), "etc-acng", "labstack", "labs", "lab-c"))).toBe(false);
    expect(listeners()).toEqual([`${MGMT}:${PORT}`, `${LAB_B}:${PORT}`].sort());

    r = run("down", labA);
    expect(r.status, r.stderr).toBe(0);
    expect(listenersBecome([`${LAB_B}:${PORT}`])).toEqual([`${LAB_B}:${PORT}`]);
    // Ubuntu's archives and the Cloud Archive were lab-a's alone; Debian's stays for lab-b.
    expect(conf()).not.toMatch(/Remap-uburep|Remap-uca/);
    expect(conf()).toContain("Remap-debrep");
    expect(status(labA)).toEqual({ status: 3, lines: ["the APT cache has forgotten lab lab-a (/etc/apt-cacher-ng/labstack/labs/lab-a is gone)"] });
    expect(status(labB)).toEqual({ status: 0, lines: [] });

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
    const bootstrap = cacheOf(devPlan("bootstrap", onPort));
    expect(run("up", bootstrap).status).toBe(0);
    expect(run("down", bootstrap).status).toBe(0);
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
      // The dev lab's preparation: QEMU's and the image builder's tools (this machine has them), and the cache.
      const plan = devPlan("dev");
      const step = prepareStep(plan, openstackBake(plan.config as OpenStackLabConfig));
      expect(step.environment.APT_CACHE).toBe("1");
      const r = inNs(["unshare", "-m", "bash", "-c", `${setup} && exec bash "$0" up`, scriptPath(step.script.path)], {
        ...step.environment,
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
    // The dev lab's guest network, its bridge named by the test and given an address ip refuses.
    const plan = devPlan("dev");
    const env: Record<string, string> = { ...bridgeEnvironment(plan.name, plan.network("guest")), DEVICE: "lsh3-br0", HOST_CIDR: "10.213.9.1/99" };
    expect(env.KIND).toBe("hostonly");
    const r = script(BRIDGE_SCRIPT, "up", env);
    expect(r.status).not.toBe(0);
    expect(linkExists("lsh3-br0")).toBe(false);
  });
});

describe("qemu/vm.sh", () => {
  const base = join(dir, "base.qcow2");
  // Networking lab 2 on QEMU (one node: a NAT NIC and a host-only one), its image this blank disk:
  // the firmware finds nothing to boot and waits, which is all these tests need.
  const plan = (() => {
    const raw = stackLab("net-lab2");
    raw.hypervisor = { kind: "qemu", accel: "tcg" };
    raw.image = { path: base };
    raw.host = { kind: "local", stateDir: join(dir, "net-lab2") };
    return labPlan(raw, "net-lab2");
  })();
  const vm = plan.hypervisor.vmScript;
  /** vm.sh's parameters for `node` as the plan makes them (`devices`: the host bridge of each lab network). */
  const machine = (node: NodePlan, devices: Record<string, string> = {}): Record<string, string> => {
    const seed = renderSeed({ hostname: node.name, user: plan.config.user, sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlsh3 lsh3", nics: node.nics });
    return { ...plan.hypervisor.machineEnvironment({ plan, node, seed, baseImage: base, devices }), ...SECRETS };
  };
  const vmStatus = (env: Record<string, string>) => {
    const r = script(vm, "status", env);
    return { status: r.status, lines: r.stdout.trim().split("\n").filter(Boolean) };
  };
  beforeAll(() => {
    const made = spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "1G"], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
  });

  it("undoes its tap and its folder when `up` fails", () => {
    const node = plan.node("boxA");
    // The host-only network's bridge is missing: the tap is made, then cannot join it.
    const env = machine(node, { hostonly: "lsh3-nobridge" });
    const tap = tapName(plan.name, node.name, 1);
    expect(env.NICS).toContain(`tap=${tap} bridge=lsh3-nobridge`);
    const r = script(vm, "up", env);
    expect(r.status).not.toBe(0);
    expect(linkExists(tap)).toBe(false);
    expect(existsSync(node.vmDir)).toBe(false);
  });

  it("starts despite a stale pidfile, as nobody, without pulumi's environment; `down` kills no stranger; `status` trusts no stranger", () => {
    // The node with its NAT NIC alone: no bridge needed.
    const full = plan.node("boxA");
    const node = { ...full, nics: full.nics.filter((n) => n.kind === "nat") };
    const vmDir = node.vmDir;
    mkdirSync(vmDir, { recursive: true });
    writeFileSync(join(vmDir, ".labstack-owned"), "");
    const stranger = bystander();
    writeFileSync(join(vmDir, "qemu.pid"), String(stranger));
    const env = machine(node);
    expect(env.ACCEL).toBe("tcg");
    const notRunning = { status: 3, lines: [`boxA's VM is not running (no QEMU for ${vmDir}/qemu.pid)`] };
    expect(vmStatus(env)).toEqual(notRunning);
    const up = script(vm, "up", env);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain("labstack: changed started boxA");
    const pid = Number(readFileSync(join(vmDir, "qemu.pid"), "utf8"));
    expect(pid).not.toBe(stranger);
    expect(leakedSecrets(pid)).toEqual([]);
    expect(procFile(pid, "status")).toMatch(/^Uid:\s+65534\s/m);
    // Its disks were opened before it dropped root: it keeps running in the firmware.
    spawnSync("sleep", ["2"]);
    expect(alive(pid)).toBe(true);
    expect(vmStatus(env)).toEqual({ status: 0, lines: [] });
    const again = script(vm, "up", env);
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain("labstack: changed");
    expect(script(vm, "down", env).status).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(existsSync(vmDir)).toBe(false);
    expect(vmStatus(env)).toEqual(notRunning);
    // The stale pidfile's stranger is no VM of the lab's, up or down.
    mkdirSync(vmDir, { recursive: true });
    writeFileSync(join(vmDir, ".labstack-owned"), "");
    writeFileSync(join(vmDir, "qemu.pid"), String(stranger));
    expect(vmStatus(env)).toEqual(notRunning);
    expect(script(vm, "down", env).status).toBe(0);
    expect(alive(stranger)).toBe(true);
  });

  it("keeps the seed it was made with when started again, and `stop` then `resume` runs it from its saved state", () => {
    const full = plan.node("boxA");
    const node = { ...full, nics: full.nics.filter((n) => n.kind === "nat") };
    const env = machine(node);
    expect(script(vm, "up", env).status).toBe(0);
    const seed = readFileSync(join(node.vmDir, "seed.img"));
    // The VM died; a newer release renders its seed otherwise: started again on the seed it has
    // (a new one would be a new instance to cloud-init: new host keys).
    const pid = Number(readFileSync(join(node.vmDir, "qemu.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 50 && alive(pid); i++) spawnSync("sleep", ["0.1"]);
    const restarted = script(vm, "up", { ...env, USER_DATA: `${env.USER_DATA}# rendered by a newer release\n` });
    expect(restarted.status, restarted.stderr).toBe(0);
    expect(readFileSync(join(node.vmDir, "seed.img")).equals(seed)).toBe(true);
    // labstack stop, then start: resumed from its own command line and saved state.
    const stop = script(vm, "stop", env);
    expect(stop.stdout, stop.stderr).toContain("labstack: changed stopped boxA (state saved)");
    expect(vmStatus(env).status).toBe(3);
    const which = { VM_DIR: env.VM_DIR, NAME: env.NAME };
    const resume = script(vm, "resume", which);
    expect(resume.status, resume.stderr).toBe(0);
    expect(resume.stdout).toContain("labstack: changed resumed boxA where it was stopped");
    expect(vmStatus(env)).toEqual({ status: 0, lines: [] });
    expect(script(vm, "resume", which)).toMatchObject({ status: 0, stdout: "" });
    // Nothing saved any more: a VM that died cannot be resumed, `up` starts it.
    process.kill(Number(readFileSync(join(node.vmDir, "qemu.pid"), "utf8")), "SIGKILL");
    spawnSync("sleep", ["1"]);
    expect(script(vm, "resume", which)).toMatchObject({ status: 3, stdout: "boxA has no saved state to resume\n" });
    expect(script(vm, "down", env).status).toBe(0);
  });
});
