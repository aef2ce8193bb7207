// Texts other tools consume: an OpenSSH client config, an Ansible inventory like the seed's
// hosts.ini, and a Mermaid diagram of the topology. Pure functions of the lab model.
import { labTopology, renderMermaid as renderTopologyMermaid } from "./topology.js";
import type { LabPlan } from "./types.js";

/** A node as every lab kind exports it (the `nodes` output, docs/outputs.md): one shape for all. */
export interface LabNode {
  readonly name: string;
  /** Its address in the lab: the management network's, else its first static one ("" if none). */
  readonly ip: string;
  /** Where its SSH answers, from the machine running Pulumi (through the lab host when remote);
   * none for a node the lab does not reach over SSH (minikube's). */
  readonly ssh?: { readonly host: string; readonly port: number; readonly user: string };
  /** Its NICs in order, named as the guest names them; none for minikube's node. */
  readonly nics: readonly { readonly device: string; readonly network: string; readonly ip?: string }[];
}

/** A node of a lab on VMs: always reached over SSH. */
export interface NodeSummary extends LabNode {
  readonly ssh: NonNullable<LabNode["ssh"]>;
}

export function nodeSummaries(plan: LabPlan, sshHost = "127.0.0.1"): NodeSummary[] {
  return plan.nodes.map((n) => ({
    name: n.name,
    ip: n.address ?? "",
    ssh: { host: sshHost, port: n.sshPort, user: plan.config.user },
    nics: n.nics.map((nic) => ({ device: nic.device, network: nic.network.name, ...(nic.ip === undefined ? {} : { ip: nic.ip }) })),
  }));
}

/** The inventory's groups: names and their nodes, in order (Lab 1's controller_nodes and compute_nodes). */
export type InventoryGroups = Readonly<Record<string, readonly string[]>>;

/** A remote lab host that nodes are reached through (their SSH forwards listen on its loopback). */
export interface JumpHost {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Key for the host itself; none = the user's own SSH setup (agent, ~/.ssh/config). */
  readonly identityFile?: string;
}

/** How a node's host key is checked: against the lab's known_hosts (plan/hostKeys.ts), whose keys
 * the nodes got from the lab; without one (a lab whose last `up` was before the keys were pinned),
 * not at all, as then. */
const hostKeyOptions = (knownHostsFile: string | undefined) =>
  knownHostsFile === undefined
    ? [`  StrictHostKeyChecking no`, `  UserKnownHostsFile /dev/null`, `  LogLevel ERROR`]
    : [`  StrictHostKeyChecking yes`, `  UserKnownHostsFile ${knownHostsFile}`, `  LogLevel ERROR`];

/** The ssh_config of the nodes (through the lab host when it is remote). `knownHostsFile`: where
 * the lab's known_hosts is (the credentials folder's, or the CLI's copy). */
export function renderSshConfig(nodes: readonly NodeSummary[], identityFile: string, jump?: JumpHost, labName = "lab", knownHostsFile?: string): string {
  const jumpAlias = `${labName}-host`;
  const hostEntry =
    jump === undefined
      ? []
      : [
          [
            `Host ${jumpAlias}`,
            `  HostName ${jump.address}`,
            `  Port ${jump.port}`,
            `  User ${jump.user}`,
            ...(jump.identityFile !== undefined ? [`  IdentityFile ${jump.identityFile}`, `  IdentitiesOnly yes`] : []),
          ].join("\n"),
        ];
  const nodeEntries = nodes.map(({ name, ssh }) =>
    [
      `Host ${name}`,
      `  HostName ${ssh.host}`,
      `  Port ${ssh.port}`,
      `  User ${ssh.user}`,
      `  IdentityFile ${identityFile}`,
      `  IdentitiesOnly yes`,
      ...(jump !== undefined ? [`  ProxyJump ${jumpAlias}`] : []),
      ...hostKeyOptions(knownHostsFile),
    ].join("\n"),
  );
  return `${[...hostEntry, ...nodeEntries].join("\n\n")}\n`;
}

/** A service on a node that a learner may want on their laptop (MariaDB, RabbitMQ, ...). */
export interface ServiceEndpoint {
  readonly address: string;
  readonly port: number;
}

/** How a remote lab host is reached from the laptop (the `host` output). */
export interface HostAccess {
  readonly address: string;
  /** The SSH command to the host. */
  readonly ssh: string;
  /** `ssh -N -L ...` commands by node or service name. */
  readonly tunnels: Readonly<Record<string, string>>;
}

/** How to reach a remote lab host and, through SSH tunnels, each node's SSH and the lab's services from the laptop. */
export function renderHostAccess(nodes: readonly NodeSummary[], jump: JumpHost, services: Readonly<Record<string, ServiceEndpoint>> = {}): HostAccess {
  const target = `${jump.identityFile !== undefined ? `-i ${jump.identityFile} ` : ""}-p ${jump.port} ${jump.user}@${jump.address}`;
  const tunnel = (local: number, address: string, port: number) => `ssh -N -L ${local}:${address}:${port} ${target}`;
  return {
    address: jump.address,
    ssh: `ssh ${target}`,
    tunnels: {
      ...Object.fromEntries(nodes.map((n) => [n.name, tunnel(n.ssh.port, "127.0.0.1", n.ssh.port)])),
      ...Object.fromEntries(Object.entries(services).map(([name, s]) => [name, tunnel(s.port, s.address, s.port)])),
    },
  };
}

/** Ansible inventory in the seed's hosts.ini shape: one section a group (Lab 1: controller_nodes
 * and compute_nodes), the lab's user, key and SSH options for all (host keys checked against
 * `knownHostsFile`, as in the ssh_config). */
export function renderInventory(
  plan: LabPlan,
  nodes: readonly NodeSummary[],
  groups: InventoryGroups,
  identityFile: string,
  jump?: JumpHost,
  knownHostsFile?: string,
): string {
  const proxy = jump === undefined ? "" : ` -o ProxyJump=${jump.user}@${jump.address}:${jump.port}`;
  const hostKeys =
    knownHostsFile === undefined
      ? "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
      : `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHostsFile}`;
  const line = (n: NodeSummary) => `${n.name} mgmt_ip=${n.ip} ansible_host=${n.ssh.host} ansible_port=${n.ssh.port}`;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return [
    ...Object.entries(groups).map(([title, members]) => `[${title}]\n${members.map((m) => line(byName.get(m)!)).join("\n")}\n`),
    `[all:vars]\nansible_user=${plan.config.user}\nansible_ssh_private_key_file=${identityFile}\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_common_args='${hostKeys}${proxy}'\n`,
  ].join("\n");
}

/** The `topology` output: the lab's Mermaid flowchart (plan/topology.ts draws it). */
export const renderMermaid = (plan: LabPlan): string => renderTopologyMermaid(labTopology(plan));

/** What to do once `up` is done (the `next` output): how to reach each node as the posts do, where
 * the credentials are, the everyday commands, and how to reset the lab. */
export function renderNext(plan: LabPlan, nodes: readonly NodeSummary[], credentialsFile: string): string {
  const stack = plan.name;
  return [
    `Lab ${stack} is up. Next:`,
    `  npx labstack ssh-config ${stack}    (once: then ssh reaches the nodes by name, as in the posts)`,
    ...nodes.map((n) => `  ssh ${n.name}`),
    `  credentials: ${credentialsFile} (or: pulumi stack output credentials --show-secrets -s ${stack})`,
    `  how it is now: npx labstack status ${stack}; its picture: npx labstack graph ${stack}`,
    `  check it again, repairing what drifted: npm run verify -- ${stack}`,
    `  keep a state to come back to: npx labstack checkpoint save ${stack} NAME (restore, list, delete)`,
    `  done for the day: npx labstack stop ${stack}, then npx labstack start ${stack}`,
    plan.config.readyCheckpoint
      ? `  reset it: npx labstack checkpoint restore ${stack} ready (seconds), or pulumi destroy -s ${stack} && pulumi up -s ${stack}`
      : `  reset it: pulumi destroy -s ${stack} && pulumi up -s ${stack}`,
    "",
  ].join("\n");
}
