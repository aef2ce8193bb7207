// A droplet's user data, checked and applied without a cloud: `cloud-init schema` validates it
// offline (the cloud-init package, from scripts/install-deps.sh), and a test's SSH server in its
// own network namespace is set up from the parts a lab host needs, as cloud-init would on the
// droplet: the host keys from `ssh_keys`, root's authorized keys (those the API put into the
// droplet's metadata and any the user data adds), and the packages it would install, which must
// already be on this machine (the test host installs nothing; scripts/install-deps.sh does).
// Anything else the user data asks of a lab host is refused, so a new key is noticed here first.
// Its SSH sessions see cloud-init as done (`cloud-init status`), as a droplet's would once the
// user data is applied: this machine's own cloud-init never ran, and `--wait` would wait forever.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { Namespace } from "./netns.js";

export interface SchemaResult {
  readonly valid: boolean;
  /** cloud-init's own words: "Valid cloud-config: …" or its schema errors. */
  readonly output: string;
}

/** Whether `cloud-init` is installed here (its schema check needs it). */
export function cloudInitInstalled(): boolean {
  return spawnSync("cloud-init", ["--version"]).status === 0;
}

/** Packages (Debian names) not installed on this machine. */
export function missingPackages(packages: readonly string[]): string[] {
  return packages.filter((p) => {
    const r = spawnSync("dpkg-query", ["-W", "-f", `\${db:Status-Abbrev}`, p], { encoding: "utf8" });
    return r.status !== 0 || !r.stdout.startsWith("ii");
  });
}

/** Validates a user-data text with cloud-init's schema, offline. Throws when cloud-init is missing. */
export function cloudConfigSchema(userData: string): SchemaResult {
  const dir = mkdtempSync(join(tmpdir(), "labstack-cloud-config-"));
  try {
    const file = join(dir, "user-data");
    writeFileSync(file, userData);
    const r = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
    if (r.error) throw new Error(`cloud-init schema could not run (${r.error.message}); install cloud-init: bash scripts/install-deps.sh`);
    return { valid: r.status === 0, output: `${r.stdout}${r.stderr}`.replaceAll(file, "user-data").trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What cloud-init would make of a lab host's user data. */
export interface LabHostConfig {
  /** Host key pairs by type (ed25519, rsa, ecdsa): from `ssh_keys`. */
  readonly hostKeys: ReadonlyMap<string, { readonly privateKey: string; readonly publicKey: string }>;
  /** Key types cloud-init would generate itself: `ssh_genkeytypes`, only when there are no `ssh_keys` (its cc_ssh). */
  readonly generated: readonly string[];
  /** root's authorized keys from the user data (`ssh_authorized_keys`, a `root` or `default` user). */
  readonly authorizedKeys: readonly string[];
  readonly packages: readonly string[];
}

/** The keys of a cloud-config this helper knows how to apply, or knows to leave to the real droplet. */
const APPLIED = new Set([
  "ssh_keys",
  "ssh_deletekeys",
  "ssh_genkeytypes",
  "ssh_authorized_keys",
  "users",
  "disable_root",
  "packages",
  "package_update",
  "package_upgrade",
]);

export function labHostConfig(userData: string): LabHostConfig {
  if (!userData.startsWith("#cloud-config\n")) throw new Error("user data is not a cloud-config (no #cloud-config first line)");
  const config = parse(userData) ?? {};
  const unknown = Object.keys(config).filter((k) => !APPLIED.has(k));
  if (unknown.length > 0) throw new Error(`user data asks for what this test host does not apply: ${unknown.join(", ")}`);
  if (config.disable_root === true) throw new Error("user data disables root, the user the lab connects as");
  const hostKeys = new Map<string, { privateKey: string; publicKey: string }>();
  for (const [name, value] of Object.entries<string>(config.ssh_keys ?? {})) {
    const m = /^(ed25519|rsa|ecdsa)_(private|public)$/.exec(name);
    if (!m) throw new Error(`ssh_keys.${name}: not a host key this test host applies`);
    const pair = hostKeys.get(m[1]) ?? { privateKey: "", publicKey: "" };
    hostKeys.set(m[1], m[2] === "private" ? { ...pair, privateKey: value } : { ...pair, publicKey: value.trim() });
  }
  for (const [type, pair] of hostKeys) if (!pair.privateKey || !pair.publicKey) throw new Error(`ssh_keys: ${type} needs both its private and its public half`);
  const genkeytypes: string[] = config.ssh_genkeytypes ?? ["rsa", "ecdsa", "ed25519"];
  const authorizedKeys: string[] = [...(config.ssh_authorized_keys ?? [])];
  for (const user of config.users ?? []) {
    if (user === "default") continue;
    const name = typeof user === "string" ? user : user.name;
    // Other users would be accounts on the machine running the test, not in a namespace.
    if (name !== "root") throw new Error(`users: ${name}: this test host serves root only`);
    authorizedKeys.push(...(user.ssh_authorized_keys ?? []));
  }
  return {
    hostKeys,
    generated: hostKeys.size > 0 ? [] : genkeytypes,
    authorizedKeys,
    packages: [...(config.packages ?? [])].map(String),
  };
}

export interface CloudInitHost {
  readonly address: string;
  readonly port: number;
  /** The host's public keys as the server offers them (ssh-keyscan), one line each. */
  readonly offeredKeys: readonly string[];
  /** What the user data would have installed (all of it already here). */
  readonly packages: readonly string[];
  /** cloud-init's schema check of the user data; undefined when cloud-init is not installed. */
  readonly schema: SchemaResult | undefined;
  stop(): void;
}

/**
 * An SSH server in `ns` on `address:port`, set up from a droplet's user data and the keys the
 * API gave the droplet (`apiKeys`: root's authorized keys, as DigitalOcean's metadata gives them).
 */
export async function startCloudInitHost(
  ns: Namespace,
  address: string,
  dir: string,
  userData: string,
  apiKeys: readonly string[],
  port = 22,
): Promise<CloudInitHost> {
  const schema = cloudInitInstalled() ? cloudConfigSchema(userData) : undefined;
  if (schema !== undefined && !schema.valid) throw new Error(`cloud-init refuses the user data:\n${schema.output}`);
  const config = labHostConfig(userData);
  const missing = missingPackages(config.packages);
  if (missing.length > 0)
    throw new Error(`the user data installs ${missing.join(", ")}, which this test host lacks (it installs nothing): bash scripts/install-deps.sh`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // cloud-init as the droplet's sessions see it once the user data is applied; anything but
  // `status` goes to the real one.
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "cloud-init"), '#!/bin/sh\n[ "$1" = status ] || exec /usr/bin/cloud-init "$@"\necho "status: done"\n', { mode: 0o755 });
  const hostKeyFiles: string[] = [];
  for (const [type, pair] of config.hostKeys) {
    const file = join(dir, `ssh_host_${type}_key`);
    writeFileSync(file, pair.privateKey.endsWith("\n") ? pair.privateKey : `${pair.privateKey}\n`, { mode: 0o600 });
    writeFileSync(`${file}.pub`, `${pair.publicKey}\n`);
    hostKeyFiles.push(file);
  }
  for (const type of config.generated) {
    const file = join(dir, `ssh_host_${type}_key`);
    spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", file]);
    hostKeyFiles.push(file);
  }
  writeFileSync(join(dir, "authorized_keys"), [...apiKeys, ...config.authorizedKeys].map((k) => `${k.trim()}\n`).join(""), { mode: 0o600 });
  const sshdConfig = join(dir, "sshd_config");
  writeFileSync(
    sshdConfig,
    [
      `ListenAddress ${address}:${port}`,
      ...hostKeyFiles.map((f) => `HostKey ${f}`),
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      // A lab host is the jump host to its nodes.
      "AllowTcpForwarding yes",
      "StrictModes no",
      `SetEnv PATH=${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      "",
    ].join("\n"),
  );
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const daemon = spawn("ip", ["netns", "exec", ns.name, "/usr/sbin/sshd", "-D", "-e", "-f", sshdConfig], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  daemon.stderr.on("data", (d) => (log += d));
  for (let i = 0; i < 50; i++) {
    const scan = spawnSync("ip", ["netns", "exec", ns.name, "ssh-keyscan", "-T", "2", "-p", String(port), address], { encoding: "utf8" });
    const offeredKeys = scan.stdout
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(" ").slice(1).join(" "));
    if (offeredKeys.length > 0) return { address, port, offeredKeys, packages: config.packages, schema, stop: () => daemon.kill() };
    await new Promise((r) => setTimeout(r, 200));
  }
  daemon.kill();
  throw new Error(`sshd from the user data did not answer on ${address}:${port} in ${ns.name}\n${log}\n${readFileSync(sshdConfig, "utf8")}`);
}
