// node/host-key.sh, run as a node gets it (the plan's own step, its bundle on `bash -s up`, with
// a pair the lab's own generator made) against a scratch root (ROOT) standing in for the node's /,
// with stand-ins for what reaches beyond the files: `sshd` (its -t check), `systemctl` (the reload,
// after which the `ssh-keyscan` stand-in sees the key on disk, as sshd then offers it). ssh-keygen
// is the real one. Each stand-in notes its command line, so the tests see what ran, in what order,
// and that no key was ever on a command line.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hostKeyStep, type NodeHostKey, nodeHostKeySecrets } from "../../../../plan/hostKeys.js";
import { generatorProgram } from "../../../../plan/secrets.js";
import { nodeStdin } from "../../../../plan/steps.js";

/** A fresh pair from the lab's own generator (plan/secrets.ts), as the lab makes a node's. */
function generated(node: string): NodeHostKey {
  const r = spawnSync(process.execPath, ["-e", generatorProgram(nodeHostKeySecrets(node))], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as NodeHostKey;
}

/** Debian's and Ubuntu's sshd_config: the drop-in folder first, no HostKey of its own. */
const DEBIAN_SSHD_CONFIG = "Include /etc/ssh/sshd_config.d/*.conf\n\n#HostKey /etc/ssh/ssh_host_ed25519_key\nKbdInteractiveAuthentication no\nUsePAM yes\n";

let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "labstack-host-key-"));
  root = join(dir, "root");
  mkdirSync(join(root, "etc", "ssh", "sshd_config.d"), { recursive: true });
  writeFileSync(join(root, "etc", "ssh", "sshd_config"), DEBIAN_SSHD_CONFIG);
  // What cloud-init left: a key of its own making (ssh_genkeytypes ed25519).
  const made = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "root@controller", "-f", join(root, "etc", "ssh", "ssh_host_ed25519_key")]);
  expect(made.status).toBe(0);
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const log = join(dir, "asked");
  const served = join(dir, "served");
  // sshd offers the key it read at its last (re)load: cloud-init's until the reload.
  writeFileSync(served, readFileSync(join(root, "etc", "ssh", "ssh_host_ed25519_key.pub")));
  const standIns: Record<string, string> = {
    sshd: `echo "sshd $*" >> '${log}'\n[ ! -e '${dir}/sshd-refuses' ] || { echo "/etc/ssh/sshd_config line 3: Bad configuration option: Foo" >&2; exit 255; }`,
    systemctl: `echo "systemctl $*" >> '${log}'\ncp '${root}/etc/ssh/ssh_host_ed25519_key.pub' '${served}'`,
    "ssh-keyscan": `echo "ssh-keyscan $*" >> '${log}'\nprintf '127.0.0.1 %s\\n' "$(cut -d' ' -f1,2 '${served}')"`,
  };
  for (const [name, body] of Object.entries(standIns)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One run of the step's bundle with `pair`, as the lab sends it (ROOT added for the test). */
function run(pair: Record<string, string>) {
  const stdin = nodeStdin({ ...hostKeyStep, env: { ROOT: root } }, pair);
  const r = spawnSync("bash", ["-s", "up"], {
    input: stdin,
    env: { PATH: `${join(dir, "bin")}:${process.env.PATH}`, HOME: join(dir, "home") },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const file = (path: string) => join(root, "etc", "ssh", path);
const read = (path: string) => readFileSync(file(path), "utf8");
const mode = (path: string) => (statSync(file(path)).mode & 0o777).toString(8);
/** What the stand-ins were asked, one line a call, and forgets it. */
function asked(): string[] {
  const log = join(dir, "asked");
  const lines = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  rmSync(log, { force: true });
  return lines;
}

describe("node/host-key.sh", () => {
  it("installs the lab's pair, makes sshd offer it alone, checks and reloads sshd, and waits until it is offered", () => {
    const pair = generated("controller");
    const r = run(pair);
    expect(r.status, r.stderr).toBe(0);
    expect(read("ssh_host_ed25519_key")).toBe(pair.hostKeyPrivateKey);
    expect(read("ssh_host_ed25519_key.pub")).toBe(`${pair.hostKeyPublicKey}\n`);
    expect(mode("ssh_host_ed25519_key")).toBe("600");
    expect(mode("ssh_host_ed25519_key.pub")).toBe("644");
    expect(statSync(file("ssh_host_ed25519_key")).uid).toBe(process.getuid!());
    // The pair is what ssh-keygen reads: the generator's private key gives its public key.
    const derived = spawnSync("ssh-keygen", ["-y", "-f", file("ssh_host_ed25519_key")], { encoding: "utf8" });
    expect(derived.stdout.split(" ").slice(0, 2)).toEqual(pair.hostKeyPublicKey.split(" ").slice(0, 2));
    // The drop-in names the node's path, not the scratch root's.
    expect(read("sshd_config.d/10-labstack-host-key.conf")).toMatch(/\nHostKey \/etc\/ssh\/ssh_host_ed25519_key\n$/);
    expect(read("sshd_config")).toBe(DEBIAN_SSHD_CONFIG);
    // Checked, then reloaded (not restarted), then seen offered.
    expect(asked()).toEqual([`sshd -t -f ${file("sshd_config")}`, "systemctl try-reload-or-restart ssh.service", "ssh-keyscan -T 5 -t ed25519 127.0.0.1"]);
    expect(r.stdout).toContain(`labstack: changed ${file("ssh_host_ed25519_key")}\n`);
    expect(r.stdout).toContain("labstack: changed sshd offers the lab's host key (ssh-ed25519)\n");
    // The key was on none of those command lines (above), and is in nothing the step printed.
    expect(r.stdout + r.stderr).not.toContain(pair.hostKeyPrivateKey.split("\n")[1]);
  });

  it("prints nothing and changes nothing when run again, and puts right a key left with other permissions", () => {
    const pair = generated("compute1");
    expect(run(pair).status).toBe(0);
    asked();
    const again = run(pair);
    expect(again).toEqual({ status: 0, stdout: "", stderr: "" });
    // It only asked whether sshd offers the key.
    expect(asked()).toEqual(["ssh-keyscan -T 5 -t ed25519 127.0.0.1"]);
    chmodSync(file("ssh_host_ed25519_key"), 0o644);
    const fixed = run(pair);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain(`labstack: changed ${file("ssh_host_ed25519_key")}: owner and mode\n`);
    expect(mode("ssh_host_ed25519_key")).toBe("600");
    expect(asked()[0]).toMatch(/^sshd -t /);
  });

  it("refuses a private key that is not the public key's pair before touching anything or asking sshd", () => {
    const before = { key: read("ssh_host_ed25519_key"), pub: read("ssh_host_ed25519_key.pub") };
    const [a, b] = [generated("controller"), generated("controller")];
    const mixed = run({ hostKeyPrivateKey: a.hostKeyPrivateKey, hostKeyPublicKey: b.hostKeyPublicKey });
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain("HOST_KEY and HOST_PUBLIC_KEY are not one key pair: nothing changed");
    const broken = run({
      hostKeyPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n",
      hostKeyPublicKey: a.hostKeyPublicKey,
    });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain("HOST_KEY is not an unencrypted OpenSSH private key");
    const notEd25519 = run({ hostKeyPrivateKey: a.hostKeyPrivateKey, hostKeyPublicKey: "ssh-rsa AAAAB3NzaC1yc2E= x" });
    expect(notEd25519.status).toBe(2);
    expect(notEd25519.stderr).toContain("HOST_PUBLIC_KEY is not an ssh-ed25519 public key line");
    expect({ key: read("ssh_host_ed25519_key"), pub: read("ssh_host_ed25519_key.pub") }).toEqual(before);
    expect(existsSync(file("sshd_config.d/10-labstack-host-key.conf"))).toBe(false);
    expect(asked()).toEqual([]);
  });

  it("puts everything back and leaves sshd alone when sshd refuses the configuration", () => {
    const before = { key: read("ssh_host_ed25519_key"), pub: read("ssh_host_ed25519_key.pub") };
    writeFileSync(join(dir, "sshd-refuses"), "");
    const r = run(generated("controller"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("sshd refuses its configuration with the lab's host key, put back as it was (sshd not reloaded): /etc/ssh/sshd_config line 3");
    expect({ key: read("ssh_host_ed25519_key"), pub: read("ssh_host_ed25519_key.pub") }).toEqual(before);
    expect(mode("ssh_host_ed25519_key")).toBe("600");
    expect(existsSync(file("sshd_config.d/10-labstack-host-key.conf"))).toBe(false);
    expect(asked()).toEqual([`sshd -t -f ${file("sshd_config")}`]);
  });

  it("fails when sshd does not offer the key after its reload", () => {
    // A reload that changed nothing (the stand-in serves cloud-init's key still).
    writeFileSync(join(dir, "bin", "systemctl"), `#!/bin/sh\necho "systemctl $*" >> '${join(dir, "asked")}'\n`);
    const r = run(generated("controller"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("sshd still does not offer the lab's host key after its reload");
  }, 40_000);

  it("reloads sshd when the files are in place but sshd does not offer the key (a run that stopped half-way)", () => {
    const pair = generated("controller");
    expect(run(pair).status).toBe(0);
    // sshd serves another key again, as if the reload never happened.
    writeFileSync(join(dir, "served"), readFileSync(join(dir, "served"), "utf8").replace(/ssh-ed25519 \S+/, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIother"));
    asked();
    const r = run(pair);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("labstack: changed sshd offers the lab's host key (ssh-ed25519)\n");
    expect(asked()).toEqual([
      "ssh-keyscan -T 5 -t ed25519 127.0.0.1",
      `sshd -t -f ${file("sshd_config")}`,
      "systemctl try-reload-or-restart ssh.service",
      "ssh-keyscan -T 5 -t ed25519 127.0.0.1",
    ]);
  });

  it("installs the key without a drop-in where sshd_config does not read sshd_config.d", () => {
    writeFileSync(file("sshd_config"), "UsePAM yes\n");
    const pair = generated("controller");
    const r = run(pair);
    expect(r.status, r.stderr).toBe(0);
    expect(read("ssh_host_ed25519_key.pub")).toBe(`${pair.hostKeyPublicKey}\n`);
    expect(existsSync(file("sshd_config.d/10-labstack-host-key.conf"))).toBe(false);
  });
});
