// The host scripts touch only what the lab made (issue 13): run for real on folders and processes
// a learner could have, in a scratch folder; nothing here needs root or a network.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseLab } from "../../model/parse.js";
import { aptCacheEnvironment, credentialsFileEnvironment, labCredentialsDir, urlHasCredentials } from "../../plan/host.js";
import { scriptPath } from "../../plan/steps.js";
import { stackLab } from "../helpers/labs.js";

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lsh3-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
afterAll(() => children.forEach((c) => c.kill("SIGKILL")));

function run(script: string, action: "up" | "down", env: Record<string, string>, cwd = dir) {
  const r = spawnSync("bash", [scriptPath(script), action], { env: { ...process.env, ...env }, cwd, encoding: "utf8", timeout: 30_000 });
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

describe("host/minikube.sh down", () => {
  it("leaves a BIN_DIR the lab did not make untouched", () => {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "kubectl"), "the learner's own kubectl");
    writeFileSync(join(bin, "notes"), "keep me");
    expect(run("host/minikube.sh", "down", { PROFILE: "lsh3", BIN_DIR: bin }).status).toBe(0);
    expect(readFileSync(join(bin, "kubectl"), "utf8")).toBe("the learner's own kubectl");
    expect(existsSync(join(bin, "notes"))).toBe(true);
  });

  it("removes only minikube and kubectl from the lab's BIN_DIR", () => {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, ".labstack-owned"), "");
    // A minikube that knows no cluster: `down` deletes the profile and the binaries.
    writeFileSync(join(bin, "minikube"), '#!/bin/sh\n[ "$3" = status ] && exit 85\nexit 0\n');
    chmodSync(join(bin, "minikube"), 0o755);
    writeFileSync(join(bin, "kubectl"), "");
    writeFileSync(join(bin, "helm"), "put here by the learner");
    expect(run("host/minikube.sh", "down", { PROFILE: "lsh3", BIN_DIR: bin }).status).toBe(0);
    expect(existsSync(join(bin, "minikube")) || existsSync(join(bin, "kubectl"))).toBe(false);
    expect(readFileSync(join(bin, "helm"), "utf8")).toBe("put here by the learner");
  });

  it("refuses to install into a folder that is not the lab's", () => {
    const bin = join(dir, "usr-bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "ls"), "");
    const r = run("host/minikube.sh", "up", {
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
  const lab = parseLab(stackLab("dev"));
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
    const stateDir = join(dir, "state", "dev");
    const folder = labCredentialsDir(lab, stateDir);
    expect(folder).toBe(join(stateDir, "credentials"));
    const up = run("host/credentials-file.sh", "up", credentialsFileEnvironment(folder, values));
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout.trim()).toBe(join(folder, "credentials.yaml"));
    expect(mode(folder)).toBe("700");
    expect(mode(join(folder, "lab-key"))).toBe("600");
    expect(run("host/credentials-file.sh", "down", credentialsFileEnvironment(folder, values)).status).toBe(0);
    expect(existsSync(folder)).toBe(false);
  });

  it("leaves the lab's state folder to the preflight's down, which removes it once empty", () => {
    const stateDir = join(dir, "state", "last");
    const folder = labCredentialsDir(lab, stateDir);
    const preflightDown = () => run("host/preflight.sh", "down", { STATE_DIR: stateDir });
    expect(run("host/credentials-file.sh", "up", credentialsFileEnvironment(folder, values)).status).toBe(0);
    mkdirSync(join(stateDir, "web-8080"));
    expect(run("host/credentials-file.sh", "down", credentialsFileEnvironment(folder, values)).status).toBe(0);
    // Destroy runs the preflight last, but another of the lab's folders may still be there if a
    // part failed: the state folder stays, with what is in it.
    expect(preflightDown().status).toBe(0);
    expect(existsSync(join(stateDir, "web-8080"))).toBe(true);
    rmSync(join(stateDir, "web-8080"), { recursive: true });
    expect(preflightDown().status).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
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

  it("expands ~/ to the host user's home, never a folder named ~", () => {
    const home = join(dir, "home");
    mkdirSync(home);
    const r = run("host/credentials-file.sh", "up", { ...credentialsFileEnvironment("~/.os_credentials", values), HOME: home });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(home, ".os_credentials", "credentials.yaml"));
    expect(existsSync(join(dir, "~"))).toBe(false);
    const relative = run("host/credentials-file.sh", "up", credentialsFileEnvironment("./creds", values));
    expect(relative.status).not.toBe(0);
    expect(relative.stderr).toContain("credentialsDir must be an absolute path or start with ~/");
  });
});

describe("host/web-server.sh", () => {
  const port = String(20_000 + (process.pid % 20_000));

  it("starts despite a stale pidfile, never kills its process, and keeps pulumi's environment out", () => {
    const runDir = join(dir, "web");
    mkdirSync(runDir);
    writeFileSync(join(runDir, ".labstack-owned"), "");
    const other = bystander();
    writeFileSync(join(runDir, "pid"), String(other.pid));
    const env = { PORT: port, TOKEN: "hello", RUN_DIR: runDir, PULUMI_CONFIG_PASSPHRASE: "lsh3-passphrase", DIGITALOCEAN_TOKEN: "lsh3-token" };
    const up = run("host/web-server.sh", "up", env);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain("started web server");
    const pid = Number(readFileSync(join(runDir, "pid"), "utf8"));
    expect(pid).not.toBe(other.pid);
    expect(environ(pid).filter((v) => v.startsWith("PULUMI_") || v.startsWith("DIGITALOCEAN_"))).toEqual([]);
    expect(run("host/web-server.sh", "down", env).status).toBe(0);
    expect(alive(other.pid!)).toBe(true);
    expect(alive(pid)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
  });

  it("leaves a RUN_DIR it did not make, and the process of a stale pidfile in it", () => {
    const runDir = join(dir, "mine");
    mkdirSync(runDir);
    writeFileSync(join(runDir, "thesis.tex"), "years of work");
    const other = bystander();
    writeFileSync(join(runDir, "pid"), String(other.pid));
    expect(run("host/web-server.sh", "up", { PORT: port, TOKEN: "t", RUN_DIR: runDir }).status).not.toBe(0);
    expect(run("host/web-server.sh", "down", { PORT: port, RUN_DIR: runDir }).status).toBe(0);
    expect(readFileSync(join(runDir, "thesis.tex"), "utf8")).toBe("years of work");
    expect(alive(other.pid!)).toBe(true);
  });
});

describe("host/minikube-tunnel.sh down", () => {
  it("kills no stranger from a stale pidfile and removes no folder it did not make", () => {
    const runDir = join(dir, "tunnel");
    mkdirSync(runDir);
    const other = bystander();
    writeFileSync(join(runDir, "tunnel.pid"), String(other.pid));
    expect(run("host/minikube-tunnel.sh", "down", { PROFILE: "lsh3", BIN_DIR: join(dir, "bin"), RUN_DIR: runDir }).status).toBe(0);
    expect(alive(other.pid!)).toBe(true);
    expect(existsSync(join(runDir, "tunnel.pid"))).toBe(true);
  });
});

describe("checks/capture.sh", () => {
  it("hands the filter to tcpdump after `--`, where it can never be an option", () => {
    // A tcpdump stand-in that only records its command line: what matters here is that line.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "tcpdump"), `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, "argv")}\n`);
    chmodSync(join(bin, "tcpdump"), 0o755);
    const r = spawnSync("bash", [scriptPath("checks/capture.sh")], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DEVICE: "lo", FILTER: "-w /tmp/lsh3-pwned", PATTERN: "x", TARGET: "127.0.0.1" },
      encoding: "utf8",
    });
    expect(r.status).not.toBe(0);
    expect(readFileSync(join(dir, "argv"), "utf8").trim().split("\n").slice(-2)).toEqual(["--", "-w /tmp/lsh3-pwned"]);
  });
});

describe("APT cache parameters", () => {
  it("bind to the management network's host address and name the lab's distributions", () => {
    const lab = parseLab(stackLab("dev"));
    const env = aptCacheEnvironment(lab, "dev", "/state");
    expect(env.LAB).toBe("dev");
    expect(env.BIND_ADDRESS).toBe(lab.networks.find((n) => n.name === lab.managementNetwork)!.hostAddress);
    expect(env.DISTROS.split(" ")).toContain("debian");
  });

  it("treat an upstream proxy with a user or password as a credential", () => {
    expect(urlHasCredentials("http://user:pass@proxy:3128")).toBe(true);
    expect(urlHasCredentials("http://proxy:3128")).toBe(false);
    expect(urlHasCredentials(undefined)).toBe(false);
  });
});
