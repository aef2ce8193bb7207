// Texts other tools consume: an OpenSSH client config, an Ansible inventory like the seed's
// hosts.ini, and a Mermaid diagram of the topology. Pure functions of the lab model.
import { NAT } from "../model/schema.js";
import type { LabPlan } from "./types.js";

export interface NodeSummary {
  readonly name: string;
  readonly managementIp: string;
  readonly ssh: { readonly host: string; readonly port: number; readonly user: string };
}

export function nodeSummaries(plan: LabPlan, sshHost = "127.0.0.1"): NodeSummary[] {
  return plan.nodes.map((n) => ({
    name: n.name,
    // Networking labs have no management network: their first static address stands in.
    managementIp: n.address ?? "",
    ssh: { host: sshHost, port: n.sshPort, user: plan.config.user },
  }));
}

/** A remote lab host that nodes are reached through (their SSH forwards listen on its loopback). */
export interface JumpHost {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** Key for the host itself; none = the user's own SSH setup (agent, ~/.ssh/config). */
  readonly identityFile?: string;
}

const sshOptions = [
  // Each rebuild makes new host keys on the same forwarded port.
  `  StrictHostKeyChecking no`,
  `  UserKnownHostsFile /dev/null`,
  `  LogLevel ERROR`,
];

export function renderSshConfig(nodes: readonly NodeSummary[], identityFile: string, jump?: JumpHost, labName = "lab"): string {
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
  const nodeEntries = nodes.map((n) =>
    [
      `Host ${n.name}`,
      `  HostName ${n.ssh.host}`,
      `  Port ${n.ssh.port}`,
      `  User ${n.ssh.user}`,
      `  IdentityFile ${identityFile}`,
      `  IdentitiesOnly yes`,
      ...(jump !== undefined ? [`  ProxyJump ${jumpAlias}`] : []),
      ...sshOptions,
    ].join("\n"),
  );
  return `${[...hostEntry, ...nodeEntries].join("\n\n")}\n`;
}

/** A service on a node that a learner may want on their laptop (MariaDB, RabbitMQ, ...). */
export interface ServiceEndpoint {
  readonly address: string;
  readonly port: number;
}

/** How to reach a remote lab host and, through SSH tunnels, each node's SSH and the lab's services from the laptop. */
export function renderHostAccess(
  nodes: readonly NodeSummary[],
  jump: JumpHost,
  services: Readonly<Record<string, ServiceEndpoint>> = {},
): { address: string; ssh: string; tunnels: Record<string, string> } {
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

/** Ansible inventory in the seed's hosts.ini shape: controller_nodes and compute_nodes. */
export function renderInventory(plan: LabPlan, nodes: readonly NodeSummary[], controllers: ReadonlySet<string>, identityFile: string, jump?: JumpHost): string {
  const proxy = jump === undefined ? "" : ` -o ProxyJump=${jump.user}@${jump.address}:${jump.port}`;
  const line = (n: NodeSummary) => `${n.name} mgmt_ip=${n.managementIp} ansible_host=${n.ssh.host} ansible_port=${n.ssh.port}`;
  const group = (title: string, members: NodeSummary[]) => `[${title}]\n${members.map(line).join("\n")}\n`;
  return [
    group(
      "controller_nodes",
      nodes.filter((n) => controllers.has(n.name)),
    ),
    group(
      "compute_nodes",
      nodes.filter((n) => !controllers.has(n.name)),
    ),
    `[all:vars]\nansible_user=${plan.config.user}\nansible_ssh_private_key_file=${identityFile}\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null${proxy}'\n`,
  ].join("\n");
}

const id = (text: string) => text.replace(/[^a-zA-Z0-9_]/g, "_");

export function renderMermaid(plan: LabPlan): string {
  const lines = ["flowchart LR", `  host(["lab host (${plan.hypervisor.kind})"])`];
  for (const net of plan.networks) {
    const { config } = net;
    const label = net.kind === "nat" ? `NAT ${NAT.network.text} (per node)` : `${net.name}: ${net.kind}${config.cidr ? ` ${config.cidr.text}` : ""}`;
    lines.push(`  net_${id(net.name)}{{"${label}"}}`);
    if (net.kind === "nat") lines.push(`  host ---|"SSH forwards"| net_${id(net.name)}`);
    else if (config.hostAddress !== undefined) lines.push(`  host ---|"${config.hostAddress}"| net_${id(net.name)}`);
    else if (net.kind === "bridged") lines.push(`  host ---|"${config.device}"| net_${id(net.name)}`);
  }
  for (const node of plan.nodes) {
    lines.push(`  node_${id(node.name)}["${node.name}<br/>${node.config.cpus} vCPU, ${node.config.memoryMiB} MiB"]`);
    for (const nic of node.nics) {
      const label =
        nic.kind === "nat" ? `${nic.device} :22 ← ${nic.sshPort}` : `${nic.device}${nic.ip ? ` ${nic.ip}` : " (no IP)"}${nic.promiscuous ? ", promisc" : ""}`;
      lines.push(`  node_${id(node.name)} ---|"${label}"| net_${id(nic.network.name)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** What to do once `up` is done (the `next` output): how to reach each node, where the
 * credentials are, how to check the lab again and how to reset it. */
export function renderNext(labName: string, nodes: readonly NodeSummary[], credentialsFile: string): string {
  const config = `~/.ssh/labstack-${labName}.conf`;
  return [
    `Lab ${labName} is up. Next:`,
    `  pulumi stack output ssh_config -s ${labName} > ${config}`,
    ...nodes.map((n) => `  ssh -F ${config} ${n.name}`),
    `  credentials: ${credentialsFile} (or: pulumi stack output credentials --show-secrets -s ${labName})`,
    `  check it again, repairing what drifted: npm run verify -- ${labName}`,
    `  reset it: pulumi destroy -s ${labName} && pulumi up -s ${labName}`,
    "",
  ].join("\n");
}
