// Each node's SSH host key, made by the lab with its credentials (plan/secrets.ts) and installed by
// the node's first step (node/host-key.sh), so that everything after it checks the node against
// the key: the engine's steps, the lab's provider, the learner's ssh_config and Ansible inventory
// (through a known_hosts file) and the CLI. The cloud-init seed is not involved: a lab made before
// keeps its VMs and gets its keys pinned by the one new step.
import type { NodeSummary } from "./outputs.js";
import { provisioning } from "./scripts.js";
import type { SecretSpec, SecretValues } from "./secrets.js";
import type { Step } from "./steps.js";

/** The generator's specs for node `node`'s host key pair: `hostKeyPrivateKey`, `hostKeyPublicKey`
 * (the comment names the node, as known_hosts shows it). */
export const nodeHostKeySecrets = (node: string) =>
  [{ name: "hostKey", kind: "ssh-key", comment: `labstack ${node}` }] as const satisfies readonly SecretSpec[];

/** What the generator prints for a node's host key. */
export type NodeHostKey = SecretValues<ReturnType<typeof nodeHostKeySecrets>>;

export const HOST_KEY_SCRIPT = provisioning("node/host-key.sh");

/** node/host-key.sh: both halves travel as secrets of the step (the bundle on stdin), resolved
 * from the node's NodeHostKey. */
export const hostKeyStep: Step = {
  script: HOST_KEY_SCRIPT,
  env: {},
  secrets: { HOST_KEY: "hostKeyPrivateKey", HOST_PUBLIC_KEY: "hostKeyPublicKey" },
};

/** A known_hosts line for the SSH server at host:port with `publicKey` (an authorized_keys line;
 * its comment is left out): `[127.0.0.1]:8222 ssh-ed25519 AAAA...`, as OpenSSH looks it up. */
export function knownHostsLine(host: string, port: number, publicKey: string): string {
  const [type, blob] = publicKey.trim().split(/\s+/);
  if (type === undefined || blob === undefined) throw new Error(`not a public key line: ${JSON.stringify(publicKey)}`);
  return `${port === 22 ? host : `[${host}]:${port}`} ${type} ${blob}`;
}

/** The lab's known_hosts: one line a node, where its SSH answers (through the lab host's loopback,
 * also when that host is remote: ProxyJump looks up the same name). Empty when a key is missing. */
export function renderKnownHosts(nodes: readonly NodeSummary[], keys: Readonly<Record<string, string>>): string {
  if (nodes.some((n) => keys[n.name] === undefined)) return "";
  return nodes.map((n) => `${knownHostsLine(n.ssh.host, n.ssh.port, keys[n.name]!)}\n`).join("");
}
