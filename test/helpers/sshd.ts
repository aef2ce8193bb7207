// An SSH server inside a test's network namespace: that namespace then plays a remote lab host
// (the `ssh` host kind), reached from outside only over SSH with a key the test made.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Namespace, THROWAWAY_SSH } from "./netns.js";

/** A lab host reached over SSH, as the SshHost component reaches it. */
export interface RemoteHost {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly keyFile: string;
}

export interface Sshd {
  readonly host: RemoteHost;
  /** The server's public host key, as ssh-keyscan prints it. */
  readonly hostKey: string;
  /** SSH sessions the server accepted so far (from its log). */
  sessions(): number;
  stop(): void;
}

export async function startSshd(ns: Namespace, address: string, dir: string, port = 2222): Promise<Sshd> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, "client-key");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host-key")]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${keyFile}.pub`), { mode: 0o600 });
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress ${address}:${port}`,
      `HostKey ${join(dir, "host-key")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // The lab's nodes are reached through this host, as through a droplet.
      "AllowTcpForwarding yes",
      "StrictModes no",
      "",
    ].join("\n"),
  );
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const daemon = spawn("ip", ["netns", "exec", ns.name, "/usr/sbin/sshd", "-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  daemon.stderr.on("data", (d) => (log += d));
  const host: RemoteHost = { address, port, user: "root", keyFile };
  for (let i = 0; i < 50; i++) {
    const probe = spawnSync("ssh", ["-i", keyFile, "-p", String(port), ...THROWAWAY_SSH, "-o", "ConnectTimeout=2", `root@${address}`, "true"]);
    if (probe.status === 0)
      return {
        host,
        hostKey: readFileSync(join(dir, "host-key.pub"), "utf8").trim(),
        sessions: () => log.split("\n").filter((l) => l.includes("Accepted publickey for root")).length,
        stop: () => daemon.kill(),
      };
    await new Promise((r) => setTimeout(r, 200));
  }
  daemon.kill();
  throw new Error(`sshd in namespace ${ns.name} did not answer on ${address}:${port}\n${log}`);
}
