// Reaching a lab's nodes with the learner's own OpenSSH: `ssh controller` as the posts type it,
// `labstack ssh`, and `labstack capture` (tcpdump in the guest, to the terminal or a pcap file).
// The files live in ~/.ssh/labstack/, private to the user: the lab's key (from the stack's secret
// outputs), the nodes' host keys as known_hosts (from its outputs) and an ssh_config per stack
// that ~/.ssh/config includes.
import { spawn } from "node:child_process";
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { renderKnownHosts } from "../plan/hostKeys.js";
import { type JumpHost, nodeSummaries, renderSshConfig } from "../plan/outputs.js";
import { shellQuote } from "../plan/scripts.js";
import type { Session } from "./session.js";

const sshDir = () => join(process.env.HOME ?? homedir(), ".ssh");

/** What ~/.ssh/config needs once, first (an Include inside a Host block would apply to that host
 * only). An absolute path: OpenSSH reads `~` from the password database, not $HOME. */
export const includeLine = () => `Include ${join(sshDir(), "labstack")}/*.conf`;

/** Writes `text` to `file` readable by its owner only, whatever was there. */
function writePrivate(file: string, text: string): boolean {
  if (existsSync(file) && readFileSync(file, "utf8") === text) {
    chmodSync(file, 0o600);
    return false;
  }
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
  return true;
}

/** The stack's ssh_config (and the keys and known_hosts it names) in ~/.ssh/labstack/; returns its path. */
export function writeSshConfig(session: Session, say: (line: string) => void = () => {}): string {
  if (session.plan === undefined) throw new Error(`lab ${session.name} has no nodes to reach over SSH (a ${session.lab.kind} lab)`);
  const dir = join(sshDir(), "labstack");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(sshDir(), 0o700);
  chmodSync(dir, 0o700);
  const key = join(dir, `${session.name}.key`);
  if (writePrivate(key, session.credentials.sshPrivateKey!)) say(`wrote the lab's key: ${key}`);
  let jump: JumpHost | undefined;
  if (session.host.kind === "ssh") {
    const hostKey = join(dir, `${session.name}-host.key`);
    if (writePrivate(hostKey, session.host.privateKey)) say(`wrote the lab host's key: ${hostKey}`);
    jump = { address: session.host.host, port: session.host.port, user: session.host.user, identityFile: hostKey };
  }
  // Host keys checked when the outputs have them (a lab whose last `up` was before they were
  // pinned has none: its nodes are reached unchecked, as then, until its next `up`).
  const nodes = nodeSummaries(session.plan);
  const knownHosts = renderKnownHosts(nodes, session.hostKeys);
  let knownHostsFile: string | undefined;
  if (knownHosts !== "") {
    knownHostsFile = join(dir, `${session.name}.known_hosts`);
    if (writePrivate(knownHostsFile, knownHosts)) say(`wrote the nodes' host keys: ${knownHostsFile}`);
  }
  const file = join(dir, `${session.name}.conf`);
  if (writePrivate(file, renderSshConfig(nodes, key, jump, session.name, knownHostsFile))) say(`wrote ${file}`);
  return file;
}

/** Makes ~/.ssh/config include every lab's ssh_config, so `ssh controller` works; true when it changed it. */
export function includeLabConfigs(): boolean {
  const config = join(sshDir(), "config");
  const text = existsSync(config) ? readFileSync(config, "utf8") : "";
  if (text.split("\n").some((line) => line.trim() === includeLine())) return false;
  writeFileSync(config, `# labstack's labs (npx labstack ssh-config STACK)\n${includeLine()}\n\n${text}`, { mode: 0o600 });
  chmodSync(config, 0o600);
  return true;
}

/** Runs ssh with the stack's config, the terminal attached; resolves to its exit status. */
function ssh(config: string, args: readonly string[], stdout: "inherit" | NodeJS.WritableStream = "inherit"): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", ["-F", config, ...args], { stdio: ["inherit", stdout === "inherit" ? "inherit" : "pipe", "inherit"] });
    if (stdout !== "inherit") child.stdout!.pipe(stdout);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 0 : 1)));
  });
}

/** `ssh NODE [command]` as the lab's user, the remote command quoted word by word. */
export function sshNode(session: Session, node: string, command: readonly string[]): Promise<number> {
  session.node(node);
  const config = writeSshConfig(session);
  return ssh(config, command.length === 0 ? [node] : [node, command.map(shellQuote).join(" ")]);
}

export interface CaptureOptions {
  /** A pcap file to write (for Wireshark); none: decoded lines on the terminal. */
  readonly write?: string;
  /** Stop after this many packets; none: at Ctrl-C. */
  readonly count?: number;
  /** A tcpdump filter, word by word (`icmp`, `vlan 100`). */
  readonly filter: readonly string[];
}

/** tcpdump on a node's interface (the posts' `sudo tcpdump -i enp0s8`). */
export async function capture(session: Session, node: string, device: string, options: CaptureOptions, say: (line: string) => void): Promise<number> {
  session.node(node);
  const config = writeSshConfig(session);
  const tcpdump = [
    "sudo",
    "tcpdump",
    "-n",
    "-i",
    device,
    ...(options.count === undefined ? [] : ["-c", String(options.count)]),
    ...(options.write === undefined ? ["-l"] : ["-U", "-w", "-"]),
    ...options.filter,
  ];
  const remote = tcpdump.map(shellQuote).join(" ");
  if (options.write === undefined) return ssh(config, [node, remote]);
  say(`capturing on ${node} ${device} into ${options.write}${options.count === undefined ? " (Ctrl-C to stop)" : ""}`);
  const file = createWriteStream(options.write);
  const status = await ssh(config, [node, remote], file);
  await new Promise((resolve) => file.end(resolve));
  return status;
}
