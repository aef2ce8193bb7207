// The host scripts touch only what the lab made (issue 13), say what drifted when asked for their
// status, and see only the parameters the plan gives them: run for real on folders and processes a
// learner could have, in a scratch folder, from this checkout or as the bundle the lab sends. Nothing
// here needs a network: the one interface a script reads (bridge.sh's) is an `ip` stand-in.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { aptCacheStep, urlHasCredentials } from "../../../plan/aptCache.js";
import { BRIDGE_SCRIPT, bridgeEnvironment } from "../../../plan/bridge.js";
import { credentialsFileEnvironment } from "../../../plan/credentials.js";
import { IMAGE_SCRIPT } from "../../../plan/image.js";
import { bundle, provisioning, type Script } from "../../../plan/scripts.js";
import { labPlan, scriptPath, stackLab } from "../../helpers/labs.js";

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lsh3-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
afterAll(() => children.forEach((c) => c.kill("SIGKILL")));

type Action = "up" | "down" | "status" | "stop" | "start";

/** A script from this checkout, with the caller's environment and `env` over it. */
function run(script: string, action: Action, env: Record<string, string>, cwd = dir) {
  const r = spawnSync("bash", [scriptPath(script), action], { env: { ...process.env, ...env }, cwd, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A script as the lab runs it: its bundle with `params` on `bash -s ACTION`, from a caller whose
 * environment is `callerEnv` (PATH and HOME are the test's unless given). */
function runBundle(script: Script, action: Action, params: Record<string, string>, callerEnv: Record<string, string> = {}, cwd = dir) {
  const r = spawnSync("bash", ["-s", action], {
    input: bundle(script, params),
    env: { PATH: process.env.PATH!, HOME: join(dir, "home"), ...callerEnv },
    cwd,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A process that is not the lab's, as a reused PID in a stale pidfile would be. */
function bystander(): ChildProcess {
  const child = spawn("sleep", ["300"], { stdio: "ignore" });
  children.push(child);
  return child;
}
const alive = (pid: number) => spawnSync("kill", ["-0", String(pid)]).status === 0;
const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

async function freePort(): Promise<number> {
  const server = await new Promise<Server>((resolve) =>
    createServer().listen(0, "127.0.0.1", function (this: Server) {
      resolve(this);
    }),
  );
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What `status` says when what the script made holds: nothing, exit 0. */
const fine = { status: 0, stdout: "" };
/** What it says when it drifted: one line, exit 3 (components/provider/health.ts DRIFTED). */
const drifted = (line: string) => ({ status: 3, stdout: `${line}\n` });

describe("the bundle a script reaches its host in", () => {
  /** A script of the test's own that prints the environment it runs with. */
  const probe = (): Script => {
    const root = join(dir, "probe-root");
    mkdirSync(join(root, "probe"), { recursive: true });
    writeFileSync(
      join(root, "probe", "env.sh"),
      '#!/usr/bin/env bash\nset -euo pipefail\nsource "$LABSTACK_DIR/lib/common.sh"\necho "action=$1"\nenv -0 | sort -z | tr "\\0" "\\n"\n',
    );
    return { root, path: "probe/env.sh" };
  };

  it("passes on exactly the plan's parameters, never a stray variable of the caller's environment", () => {
    const value = 'it\'s a "value" with  spaces,\nlines and $dollars `ticks`';
    const r = runBundle(
      probe(),
      "status",
      { VM_DIR: "~/vms/a", ODD: value },
      { DISTRO: "x", RUNAS: "root", PULUMI_CONFIG_PASSPHRASE: "lsh3-passphrase", DIGITALOCEAN_TOKEN: "lsh3-token", http_proxy: "http://10.0.0.1:3128" },
    );
    expect(r.status, r.stderr).toBe(0);
    const [action, ...lines] = r.stdout.trimEnd().split("\n");
    expect(action).toBe("action=status");
    const names = lines.filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l)).map((l) => l.split("=")[0]);
    expect(names).not.toContain("DISTRO");
    expect(names).not.toContain("RUNAS");
    expect(names.filter((n) => n.startsWith("PULUMI_") || n.startsWith("DIGITALOCEAN_"))).toEqual([]);
    // The parameters, whole, ~/ left for the script to expand; the caller's search path, home and
    // proxy (the host's own), the locale, and where the bundle lies.
    expect(lines).toContain("VM_DIR=~/vms/a");
    expect(r.stdout).toContain(`ODD=${value}\n`);
    expect(lines).toEqual(
      expect.arrayContaining([
        `PATH=${process.env.PATH}`,
        `HOME=${join(dir, "home")}`,
        `LABSTACK_HOME=${join(dir, "home")}`,
        "LANG=C.UTF-8",
        "http_proxy=http://10.0.0.1:3128",
      ]),
    );
    expect(lines.find((l) => l.startsWith("LABSTACK_DIR="))).toMatch(/^LABSTACK_DIR=\/tmp\/tmp\.\w+$/);
  });

  it("keeps a stray DISTRO from turning the image step into an image build, and leaves no folder behind", () => {
    const image = join(dir, "my image.qcow2");
    writeFileSync(image, "");
    // Where the bundle makes its folder (mktemp's TMPDIR, the caller's).
    const scratch = join(dir, "scratch");
    mkdirSync(scratch);
    // image.sh builds an image when it sees DISTRO; the lab asked for a local file.
    const r = runBundle(
      IMAGE_SCRIPT,
      "up",
      { IMAGE_PATH: image, IMAGE_URL: "", IMAGE_SHA256: "" },
      { DISTRO: "x", RUNAS: "root", RELEASE: "y", TMPDIR: scratch },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(image);
    // And from a checkout, the same caller's DISTRO would reach it: what the bundle protects from.
    const direct = run("host/image.sh", "up", { IMAGE_PATH: image, DISTRO: "x", CACHE_DIR: join(dir, "cache") });
    expect(direct.stdout.trim()).not.toBe(image);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it("runs the script with stdin closed and gives back its exit code", () => {
    const root = join(dir, "code-root");
    mkdirSync(join(root, "t"), { recursive: true });
    writeFileSync(join(root, "t", "code.sh"), '#!/usr/bin/env bash\nif read -r line; then echo "read: $line"; fi\nexit 3\n');
    const r = runBundle({ root, path: "t/code.sh" }, "status", {});
    expect(r).toMatchObject({ status: 3, stdout: "" });
  });
});

describe("minikube/minikube.sh down", () => {
  it("leaves a BIN_DIR the lab did not make untouched", () => {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "kubectl"), "the learner's own kubectl");
    writeFileSync(join(bin, "notes"), "keep me");
    expect(run("minikube/minikube.sh", "down", { PROFILE: "lsh3", BIN_DIR: bin }).status).toBe(0);
    expect(readFileSync(join(bin, "kubectl"), "utf8")).toBe("the learner's own kubectl");
    expect(existsSync(join(bin, "notes"))).toBe(true);
  });

  it("removes only minikube and kubectl from the lab's BIN_DIR, ~/ being the host user's home", () => {
    const home = join(dir, "home");
    const bin = join(home, ".local", "share", "labstack", "minikube", "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, ".labstack-owned"), "");
    // A minikube that knows no cluster: `down` deletes the profile and the binaries.
    writeFileSync(join(bin, "minikube"), '#!/bin/sh\n[ "$3" = status ] && exit 85\nexit 0\n');
    chmodSync(join(bin, "minikube"), 0o755);
    writeFileSync(join(bin, "kubectl"), "");
    writeFileSync(join(bin, "helm"), "put here by the learner");
    expect(run("minikube/minikube.sh", "down", { PROFILE: "lsh3", BIN_DIR: "~/.local/share/labstack/minikube/bin", HOME: home }).status).toBe(0);
    expect(existsSync(join(bin, "minikube")) || existsSync(join(bin, "kubectl"))).toBe(false);
    expect(readFileSync(join(bin, "helm"), "utf8")).toBe("put here by the learner");
    expect(existsSync(join(dir, "~"))).toBe(false);
  });

  it("refuses to install into a folder that is not the lab's", () => {
    const bin = join(dir, "usr-bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "ls"), "");
    const r = run("minikube/minikube.sh", "up", {
      PROFILE: "lsh3",
      BIN_DIR: bin,
      MINIKUBE_URL: "http://127.0.0.1:9/m",
      MINIKUBE_SHA256: "0".repeat(64),
      KUBECTL_URL: "http://127.0.0.1:9/k",
      KUBECTL_SHA256: "0".repeat(64),
      KUBERNETES_VERSION: "v1.0.0",
      DRIVER: "none",
      MEMORY_MIB: "1",
      CPUS: "1",
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${bin} exists, is not empty and was not made by labstack`);
  });
});

describe("host/credentials-file.sh", () => {
  const plan = labPlan(stackLab("dev"), "dev");
  const values = {
    mariadbRootPassword: "m",
    rabbitmqPassword: "r",
    osAdminPassword: "a",
    osDemoPassword: "d",
    osSharedSecret: "s",
    sshPrivateKey: "PRIVATE",
    sshPublicKey: "PUBLIC",
  };

  it("defaults to a folder of the stack's own, made 0700 and removed with the lab", () => {
    expect(plan.credentialsDir).toBe(`${plan.stateDir}/credentials`);
    expect(plan.credentialsDir).toBe("~/.local/share/labstack/dev/credentials");
    const home = join(dir, "home");
    const folder = join(home, ".local", "share", "labstack", "dev", "credentials");
    const up = runBundle(CREDENTIALS(), "up", credentialsFileEnvironment(plan.credentialsDir, values), { HOME: home });
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout.trim()).toBe(join(folder, "credentials.yaml"));
    expect(readFileSync(join(folder, "credentials.yaml"), "utf8")).toBe(
      "MARIADB_ROOT_PASSWORD: m\nRABBITMQ_PASSWORD: r\nOS_ADMIN_PASSWORD: a\nOS_DEMO_PASSWORD: d\nOS_SHARED_SECRET: s\n",
    );
    expect(mode(folder)).toBe("700");
    expect(mode(join(folder, "lab-key"))).toBe("600");
    expect(runBundle(CREDENTIALS(), "down", credentialsFileEnvironment(plan.credentialsDir, values), { HOME: home }).status).toBe(0);
    expect(existsSync(folder)).toBe(false);
  });

  it("names its lab in credentials.yaml, and a second lab sharing the folder neither overwrites nor removes it", () => {
    const home = join(dir, "home");
    const shared = "~/shared-credentials";
    const file = join(home, "shared-credentials", "credentials.yaml");
    const labA = (action: "up" | "down") => run("host/credentials-file.sh", action, { ...credentialsFileEnvironment(shared, values, "lab-a"), HOME: home });
    const labB = (action: "up" | "down") =>
      run("host/credentials-file.sh", action, { ...credentialsFileEnvironment(shared, { ...values, rabbitmqPassword: "other" }, "lab-b"), HOME: home });
    // A file an older labstack wrote (no lab named) with exactly lab A's values is lab A's: stamped.
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "MARIADB_ROOT_PASSWORD: m\nRABBITMQ_PASSWORD: r\nOS_ADMIN_PASSWORD: a\nOS_DEMO_PASSWORD: d\nOS_SHARED_SECRET: s\n");
    expect(labA("up").status).toBe(0);
    const written = readFileSync(file, "utf8");
    expect(written.split("\n")[0]).toMatch(/^# labstack lab lab-a /);
    expect(labA("up").status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(written);

    const refused = labB("up");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${file} was written by lab lab-a, not by this lab (lab-b)`);
    expect(readFileSync(file, "utf8")).toBe(written);
    const down = labB("down");
    expect(down.status).toBe(0);
    expect(down.stderr).toContain("lab lab-a wrote it");
    expect(readFileSync(file, "utf8")).toBe(written);

    expect(labA("down").status).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it("writes the nodes' known_hosts beside the key, and it goes with the lab's files, never with another lab's", () => {
    const home = join(dir, "home");
    const folder = join(home, "shared-credentials");
    const knownHosts = "[127.0.0.1]:8222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIa\n[127.0.0.1]:8200 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIb\n";
    const labA = (action: "up" | "down", known = knownHosts) =>
      run("host/credentials-file.sh", action, { ...credentialsFileEnvironment("~/shared-credentials", values, "lab-a", known), HOME: home });
    const up = labA("up");
    expect(up.status, up.stderr).toBe(0);
    expect(readFileSync(join(folder, "known_hosts"), "utf8")).toBe(knownHosts);
    expect(mode(join(folder, "known_hosts"))).toBe("644");
    // Rotated keys are written over the lab's own file.
    const rotated = knownHosts.replace("AAAAIa", "AAAAIc");
    expect(labA("up", rotated).status).toBe(0);
    expect(readFileSync(join(folder, "known_hosts"), "utf8")).toBe(rotated);
    // A lab sharing the folder neither overwrites nor removes it.
    const labB = (action: "up" | "down") =>
      run("host/credentials-file.sh", action, {
        ...credentialsFileEnvironment("~/shared-credentials", values, "lab-b", "[127.0.0.1]:9000 ssh-ed25519 AAAAx\n"),
        HOME: home,
      });
    expect(labB("up").status).toBe(1);
    expect(labB("down").status).toBe(0);
    expect(readFileSync(join(folder, "known_hosts"), "utf8")).toBe(rotated);
    expect(labA("down", rotated).status).toBe(0);
    expect(existsSync(join(folder, "known_hosts"))).toBe(false);
    expect(existsSync(join(folder, "lab-key"))).toBe(false);
  });

  it("leaves the lab's state folder to the preflight's down, which removes it once empty", () => {
    const home = join(dir, "home");
    const stateDir = join(home, ".local", "share", "labstack", "dev");
    const preflightDown = () => run("host/preflight.sh", "down", { STATE_DIR: plan.stateDir, HOME: home });
    expect(run("host/credentials-file.sh", "up", { ...credentialsFileEnvironment(plan.credentialsDir, values), HOME: home }).status).toBe(0);
    mkdirSync(join(stateDir, "web-8080"));
    expect(run("host/credentials-file.sh", "down", { ...credentialsFileEnvironment(plan.credentialsDir, values), HOME: home }).status).toBe(0);
    // Destroy runs the preflight last, but another of the lab's folders may still be there if a
    // part failed: the state folder stays, with what is in it.
    expect(preflightDown().status).toBe(0);
    expect(existsSync(join(stateDir, "web-8080"))).toBe(true);
    rmSync(join(stateDir, "web-8080"), { recursive: true });
    expect(preflightDown().status).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
    expect(existsSync(join(home, ".local", "share", "labstack"))).toBe(true);
  });

  it("never chmods nor removes an existing folder, and keeps what else is in it", () => {
    const folder = join(dir, "shared");
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    writeFileSync(join(folder, "other-lab.yaml"), "x");
    expect(run("host/credentials-file.sh", "up", credentialsFileEnvironment(folder, values)).status).toBe(0);
    expect(mode(folder)).toBe("755");
    expect(mode(join(folder, "credentials.yaml"))).toBe("600");
    expect(run("host/credentials-file.sh", "down", credentialsFileEnvironment(folder, values)).status).toBe(0);
    expect(existsSync(join(folder, "credentials.yaml"))).toBe(false);
    expect(existsSync(join(folder, "other-lab.yaml"))).toBe(true);
  });

  it("expands ~/ to the host user's home (the lab's, also once run again as root), never a folder named ~", () => {
    const home = join(dir, "home");
    mkdirSync(home);
    const r = run("host/credentials-file.sh", "up", { ...credentialsFileEnvironment("~/.os_credentials", values), HOME: home });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(home, ".os_credentials", "credentials.yaml"));
    expect(existsSync(join(dir, "~"))).toBe(false);
    // sudo --preserve-env keeps LABSTACK_HOME, the home of the user the lab runs as, over root's.
    const learner = join(dir, "learner");
    const asRoot = run("host/credentials-file.sh", "up", { ...credentialsFileEnvironment("~/.os_credentials", values), HOME: home, LABSTACK_HOME: learner });
    expect(asRoot.stdout.trim()).toBe(join(learner, ".os_credentials", "credentials.yaml"));
    const relative = run("host/credentials-file.sh", "up", credentialsFileEnvironment("./creds", values));
    expect(relative.status).not.toBe(0);
    expect(relative.stderr).toContain("credentialsDir must be an absolute path or start with ~/");
  });
});
const CREDENTIALS = () => provisioning("host/credentials-file.sh");

describe("network/web-server.sh", () => {
  const port = String(20_000 + (process.pid % 20_000));
  const WEB = provisioning("network/web-server.sh");

  it("starts despite a stale pidfile, never kills its process, and keeps pulumi's environment out", () => {
    const runDir = join(dir, "web");
    mkdirSync(runDir);
    writeFileSync(join(runDir, ".labstack-owned"), "");
    const other = bystander();
    writeFileSync(join(runDir, "pid"), String(other.pid));
    const env = { PORT: port, TOKEN: "hello", RUN_DIR: runDir, PULUMI_CONFIG_PASSPHRASE: "lsh3-passphrase", DIGITALOCEAN_TOKEN: "lsh3-token" };
    // A stranger's PID in the pidfile is no web server of the lab's.
    expect(run("network/web-server.sh", "status", env)).toMatchObject(drifted(`the NAT lab's web server on 127.0.0.1:${port} is not running`));
    const up = run("network/web-server.sh", "up", env);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain("started web server");
    const pid = Number(readFileSync(join(runDir, "pid"), "utf8"));
    expect(pid).not.toBe(other.pid);
    expect(environ(pid).filter((v) => v.startsWith("PULUMI_") || v.startsWith("DIGITALOCEAN_"))).toEqual([]);
    expect(run("network/web-server.sh", "status", env)).toMatchObject(fine);
    expect(run("network/web-server.sh", "down", env).status).toBe(0);
    expect(alive(other.pid!)).toBe(true);
    expect(alive(pid)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
  });

  it("`status` finds the server gone, on one line, and `up` starts it again, in the plan's ~/ folder", () => {
    const home = join(dir, "home");
    const params = { PORT: port, TOKEN: "lsh3-token-page", RUN_DIR: "~/.local/share/labstack/net-lab1/web-server" };
    const runDir = join(home, ".local", "share", "labstack", "net-lab1", "web-server");
    const up = runBundle(WEB, "up", params, { HOME: home });
    expect(up.status, up.stderr).toBe(0);
    expect(readFileSync(join(runDir, "www", "index.html"), "utf8")).toContain("lsh3-token-page");
    // What the Health runs at a refresh: the same bundle, asked for its status.
    expect(runBundle(WEB, "status", params, { HOME: home })).toMatchObject(fine);
    const pid = Number(readFileSync(join(runDir, "pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 50 && alive(pid); i++) spawnSync("sleep", ["0.1"]);
    expect(runBundle(WEB, "status", params, { HOME: home })).toMatchObject(drifted(`the NAT lab's web server on 127.0.0.1:${port} is not running`));
    const repair = runBundle(WEB, "up", { ...params, LABSTACK_REPAIR: "1" }, { HOME: home });
    expect(repair.status, repair.stderr).toBe(0);
    expect(repair.stdout).toContain("labstack: changed started web server");
    expect(runBundle(WEB, "status", params, { HOME: home })).toMatchObject(fine);
    expect(runBundle(WEB, "down", params, { HOME: home }).status).toBe(0);
    expect(existsSync(runDir)).toBe(false);
    expect(existsSync(join(dir, "~"))).toBe(false);
  });

  it("leaves a RUN_DIR it did not make, and the process of a stale pidfile in it", () => {
    const runDir = join(dir, "mine");
    mkdirSync(runDir);
    writeFileSync(join(runDir, "thesis.tex"), "years of work");
    const other = bystander();
    writeFileSync(join(runDir, "pid"), String(other.pid));
    expect(run("network/web-server.sh", "up", { PORT: port, TOKEN: "t", RUN_DIR: runDir }).status).not.toBe(0);
    expect(run("network/web-server.sh", "down", { PORT: port, RUN_DIR: runDir }).status).toBe(0);
    expect(readFileSync(join(runDir, "thesis.tex"), "utf8")).toBe("years of work");
    expect(alive(other.pid!)).toBe(true);
  });
});

describe("minikube/minikube-tunnel.sh down", () => {
  it("kills no stranger from a stale pidfile and removes no folder it did not make", () => {
    const runDir = join(dir, "tunnel");
    mkdirSync(runDir);
    const other = bystander();
    writeFileSync(join(runDir, "tunnel.pid"), String(other.pid));
    expect(run("minikube/minikube-tunnel.sh", "down", { PROFILE: "lsh3", BIN_DIR: join(dir, "bin"), RUN_DIR: runDir }).status).toBe(0);
    expect(alive(other.pid!)).toBe(true);
    expect(existsSync(join(runDir, "tunnel.pid"))).toBe(true);
  });
});

describe("network/check-capture.sh", () => {
  it("hands the filter to tcpdump after `--`, where it can never be an option", () => {
    // A tcpdump stand-in that only records its command line: what matters here is that line.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "tcpdump"), `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, "argv")}\n`);
    chmodSync(join(bin, "tcpdump"), 0o755);
    const r = spawnSync("bash", [scriptPath("network/check-capture.sh")], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DEVICE: "lo", FILTER: "-w /tmp/lsh3-pwned", PATTERN: "x", TARGET: "127.0.0.1" },
      encoding: "utf8",
    });
    expect(r.status).not.toBe(0);
    expect(readFileSync(join(dir, "argv"), "utf8").trim().split("\n").slice(-2)).toEqual(["--", "-w /tmp/lsh3-pwned"]);
    expect(existsSync("/tmp/lsh3-pwned")).toBe(false);
  });
});

describe("host/bridge.sh status", () => {
  /** An `ip` that answers bridge.sh's questions as iproute2 does, from one file a device. */
  function ipStandIn(): string {
    const bin = join(dir, "ip-bin");
    mkdirSync(join(bin, "links"), { recursive: true });
    writeFileSync(
      join(bin, "ip"),
      `#!/bin/bash
links=$(dirname "$0")/links
show() { # DEVICE ONELINE
  [[ -f "$links/$1" ]] || { echo "Device \\"$1\\" does not exist." >&2; exit 1; }
  source "$links/$1"
  local flags=BROADCAST,MULTICAST state=DOWN sep=$'\\n'
  [[ "$up" == 1 ]] && flags="$flags,UP,LOWER_UP" state=UP
  [[ "$2" == 1 ]] && sep='\\'
  printf '7: %s: <%s> mtu 1500 qdisc noqueue state %s mode DEFAULT group default qlen 1000%s    link/ether 6e:1c:4d:0a:0b:0c brd ff:ff:ff:ff:ff:ff' "$1" "$flags" "$state" "$sep"
  [[ -n "$alias" ]] && printf '%s    alias %s' "$sep" "$alias"
  echo
}
case "$*" in
  "link show dev "*) show "$4" 0 ;;
  "-o link show dev "*) show "$5" 1 ;;
  "-o -4 addr show dev "*) [[ -f "$links/$6" ]] || exit 1; source "$links/$6"
    for a in $addrs; do printf '7: %s    inet %s scope global %s\\\\       valid_lft forever preferred_lft forever\\n' "$6" "$a" "$6"; done ;;
  *) echo "ip stand-in: not asked for: ip $*" >&2; exit 2 ;;
esac
`,
    );
    chmodSync(join(bin, "ip"), 0o755);
    return bin;
  }
  const link = (bin: string, device: string, state: { up: boolean; alias?: string; addrs?: string[] }) =>
    writeFileSync(
      join(bin, "links", device),
      `up=${state.up ? 1 : 0}\nalias=${JSON.stringify(state.alias ?? "")}\naddrs=${JSON.stringify((state.addrs ?? []).join(" "))}\n`,
    );

  it("says a lab's bridge is gone, down or without the host's address, on one line; fine when it holds", () => {
    const plan = labPlan(stackLab("dev"), "dev");
    const guest = plan.network("guest");
    const params = bridgeEnvironment(plan.name, guest);
    expect(params).toMatchObject({ KIND: "hostonly", HOST_CIDR: "172.16.0.1/24", OWNER: "labstack dev" });
    const bin = ipStandIn();
    const status = () => runBundle(BRIDGE_SCRIPT, "status", params, { PATH: `${bin}:${process.env.PATH}` });
    expect(status()).toMatchObject(drifted(`bridge ${params.DEVICE} is gone`));
    link(bin, params.DEVICE, { up: true, alias: "labstack dev", addrs: ["172.16.0.1/24"] });
    expect(status()).toMatchObject(fine);
    link(bin, params.DEVICE, { up: false, alias: "labstack dev", addrs: ["172.16.0.1/24"] });
    expect(status()).toMatchObject(drifted(`bridge ${params.DEVICE} is down`));
    link(bin, params.DEVICE, { up: true, alias: "labstack dev", addrs: ["172.16.0.9/24"] });
    expect(status()).toMatchObject(drifted(`bridge ${params.DEVICE} has lost 172.16.0.1/24`));
  });

  it("asks only that an existing bridge the lab attaches to is there", () => {
    const plan = labPlan({ ...stackLab("dev"), networks: [...stackLab("dev").networks, { name: "learners", kind: "bridged", device: "lsh3br" }] }, "dev");
    const params = bridgeEnvironment(plan.name, plan.network("learners"));
    expect(params).toMatchObject({ DEVICE: "lsh3br", KIND: "bridged", CREATE: "0" });
    const bin = ipStandIn();
    const status = () => runBundle(BRIDGE_SCRIPT, "status", params, { PATH: `${bin}:${process.env.PATH}` });
    expect(status()).toMatchObject(drifted("bridge lsh3br is gone"));
    // The learner's bridge, down and without the lab's alias: not the lab's to judge.
    link(bin, "lsh3br", { up: false });
    expect(status()).toMatchObject(fine);
  });
});

/** Whether apt-cacher-ng can listen on this machine's loopback at all (a sandbox whose resolver
 * knows no configured address makes it fail with "Error resolving address for binding"). */
function acngListens(): boolean {
  if (!existsSync("/usr/sbin/apt-cacher-ng")) return false;
  const probe = mkdtempSync(join(tmpdir(), "lsh3-acng-"));
  try {
    const r = spawnSync(
      "bash",
      [
        "-c",
        `port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$0/conf"
printf 'CacheDir: %s\\nLogDir: %s\\nSupportDir: /usr/lib/apt-cacher-ng\\nPort: %s\\nBindAddress: 127.0.0.1\\n' "$0" "$0" "$port" > "$0/conf/acng.conf"
/usr/sbin/apt-cacher-ng -c "$0/conf" ForeGround=1 "SocketPath=$0/socket" >/dev/null 2>&1 &
for _ in $(seq 30); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { kill $!; exit 0; }; sleep 0.1; done
kill $!; exit 1`,
        probe,
      ],
      { encoding: "utf8" },
    );
    return r.status === 0;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

describe("host/apt-cache.sh (its own daemon, without systemd)", () => {
  const plan = labPlan(stackLab("dev"), "dev");

  it("plans a cache on the management network's host address for the lab's distributions, in the plan's ~/ folder", () => {
    const cache = aptCacheStep(plan)!;
    expect(cache.script.path).toBe("host/apt-cache.sh");
    expect(cache.environment).toMatchObject({
      LAB: "dev",
      PORT: "3142",
      BIND_ADDRESS: plan.network("management").config.hostAddress,
      UPSTREAM_PROXY: "",
      RUN_DIR: "~/.local/share/labstack/dev/apt-cacher-ng",
    });
    expect(cache.environment.DISTROS.split(" ")).toContain("debian");
    expect(aptCacheStep(labPlan({ ...stackLab("dev"), aptCache: { enabled: false } }, "dev"))).toBeUndefined();
  });

  it("treats an upstream proxy with a user or password as a credential", () => {
    expect(urlHasCredentials("http://user:pass@proxy:3128")).toBe(true);
    expect(urlHasCredentials("http://proxy:3128")).toBe(false);
    expect(urlHasCredentials(undefined)).toBe(false);
  });

  /** The plan's cache step, listening where this machine has an address (the lab's management
   * network has none here), in a home of the test's own. */
  async function cacheRun(callerEnv: Record<string, string> = {}) {
    const cache = aptCacheStep(plan)!;
    const home = join(dir, "home");
    const params = { ...cache.environment, BIND_ADDRESS: "127.0.0.1", PORT: String(await freePort()) };
    const runDir = join(home, ".local", "share", "labstack", "dev", "apt-cacher-ng");
    const apt = (action: Action, extra: Record<string, string> = {}) => runBundle(cache.script, action, { ...params, ...extra }, { HOME: home, ...callerEnv });
    return { params, runDir, apt, pidfile: join(runDir, "apt-cacher-ng.pid") };
  }

  it("`status` trusts only a running process of the lab's cache: none, or a stranger's PID in its pidfile, is drift on one line", async () => {
    const { runDir, apt, pidfile } = await cacheRun();
    const gone = drifted("the lab's APT cache (apt-cacher-ng) is not running");
    expect(apt("status")).toMatchObject(gone);
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, ".labstack-owned"), "");
    const other = bystander();
    writeFileSync(pidfile, String(other.pid));
    expect(apt("status")).toMatchObject(gone);
    // A process with the cache's own marker on its command line (as apt-cache.sh starts
    // apt-cacher-ng: PidFile=<its pidfile>) is the lab's cache.
    const daemon = spawn("bash", ["-c", "sleep 300; :", "apt-cacher-ng", "-c", join(runDir, "conf"), "ForeGround=0", `PidFile=${pidfile}`], {
      stdio: "ignore",
    });
    children.push(daemon);
    writeFileSync(pidfile, String(daemon.pid));
    expect(apt("status")).toMatchObject(fine);
    daemon.kill("SIGKILL");
    for (let i = 0; i < 50 && alive(daemon.pid!); i++) spawnSync("sleep", ["0.1"]);
    expect(apt("status")).toMatchObject(gone);
    expect(alive(other.pid!)).toBe(true);
  });

  // Where apt-cacher-ng cannot listen (see acngListens), each `up` waits 10 s for it in vain.
  it("fetches through the host's http_proxy when the lab names no upstream proxy, and through the lab's when it does", { timeout: 90_000 }, async () => {
    const { runDir, apt } = await cacheRun({ http_proxy: "127.0.0.1:9" });
    // A folder the lab made before (a re-run): its configuration stays for us to read whether or
    // not apt-cacher-ng can listen on this machine.
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, ".labstack-owned"), "");
    const conf = join(runDir, "conf", "acng.conf");
    try {
      apt("up");
      expect(readFileSync(conf, "utf8")).toMatch(/^Proxy: http:\/\/127\.0\.0\.1:9$/m);
      // Readable by the cache alone: it may hold the proxy's password.
      expect(mode(conf)).toBe("600");
      apt("up", { UPSTREAM_PROXY: "http://127.0.0.1:8" });
      expect(readFileSync(conf, "utf8")).toMatch(/^Proxy: http:\/\/127\.0\.0\.1:8$/m);
    } finally {
      expect(apt("down").status).toBe(0);
    }
    expect(existsSync(runDir)).toBe(false);
  });

  it.skipIf(!acngListens())("runs the lab's cache, says when it stopped, and starts it again at `up` (apt-cacher-ng for real)", async () => {
    const { params, runDir, apt, pidfile } = await cacheRun();
    try {
      const up = apt("up");
      expect(up.status, up.stderr).toBe(0);
      expect(up.stdout).toContain(`labstack: changed started apt-cacher-ng on 127.0.0.1 port ${params.PORT}`);
      expect(apt("status")).toMatchObject(fine);
      const pid = Number(readFileSync(pidfile, "utf8"));
      // Nothing of the caller's environment reaches the daemon.
      expect(environ(pid).filter((v) => v !== "" && !/^(PATH|HOME|LANG)=/.test(v))).toEqual([]);
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 50 && alive(pid); i++) spawnSync("sleep", ["0.1"]);
      expect(apt("status")).toMatchObject(drifted("the lab's APT cache (apt-cacher-ng) is not running"));
      const repair = apt("up", { LABSTACK_REPAIR: "1" });
      expect(repair.status, repair.stderr).toBe(0);
      expect(repair.stdout).toContain("labstack: changed started apt-cacher-ng");
      expect(apt("status")).toMatchObject(fine);
      // labstack stop/start: the instance ends and comes back from the configuration `up` wrote.
      expect(apt("stop").stdout).toBe("labstack: changed stopped apt-cacher-ng of lab dev\n");
      expect(apt("status")).toMatchObject(drifted("the lab's APT cache (apt-cacher-ng) is not running"));
      expect(apt("stop")).toMatchObject({ status: 0, stdout: "" });
      const start = apt("start", { BIND_ADDRESS: params.BIND_ADDRESS });
      expect(start.stdout, start.stderr).toContain("labstack: changed started apt-cacher-ng");
      expect(apt("status")).toMatchObject(fine);
      expect(apt("start")).toMatchObject({ status: 0, stdout: "" });
    } finally {
      expect(apt("down").status).toBe(0);
    }
    expect(existsSync(runDir)).toBe(false);
    expect(existsSync(dirname(runDir))).toBe(false);
  });
});
