// Texts other tools consume: an OpenSSH client config, an Ansible inventory like the seed's
// hosts.ini, and a Mermaid diagram of the topology. Pure functions of the lab model.
import type { Lab } from "../model/schema.js";
import { managementIp, planNics, sshPort } from "./nics.js";

export interface NodeSummary {
  readonly name: string;
  readonly managementIp: string;
  readonly ssh: { readonly host: string; readonly port: number; readonly user: string };
}

export function nodeSummaries(lab: Lab, sshHost = "127.0.0.1"): NodeSummary[] {
  return lab.nodes.map((n) => ({
    name: n.name,
    // Networking labs have no management network: their first static address stands in.
    managementIp: lab.managementNetwork !== undefined ? managementIp(lab, n) : (n.nics.find((nic) => nic.ip !== undefined)?.ip ?? ""),
    ssh: { host: sshHost, port: sshPort(n), user: lab.user },
  }));
}

export function renderSshConfig(nodes: readonly NodeSummary[], identityFile: string): string {
  return nodes
    .map((n) =>
      [
        `Host ${n.name}`,
        `  HostName ${n.ssh.host}`,
        `  Port ${n.ssh.port}`,
        `  User ${n.ssh.user}`,
        `  IdentityFile ${identityFile}`,
        `  IdentitiesOnly yes`,
        // Each rebuild makes new host keys on the same forwarded port.
        `  StrictHostKeyChecking no`,
        `  UserKnownHostsFile /dev/null`,
        `  LogLevel ERROR`,
      ].join("\n"),
    )
    .join("\n\n") + "\n";
}

/** Ansible inventory in the seed's hosts.ini shape: controller_nodes and compute_nodes. */
export function renderInventory(lab: Lab, nodes: readonly NodeSummary[], controllers: ReadonlySet<string>, identityFile: string): string {
  const line = (n: NodeSummary) => `${n.name} mgmt_ip=${n.managementIp} ansible_host=${n.ssh.host} ansible_port=${n.ssh.port}`;
  const group = (title: string, members: NodeSummary[]) => `[${title}]\n${members.map(line).join("\n")}\n`;
  return [
    group("controller_nodes", nodes.filter((n) => controllers.has(n.name))),
    group("compute_nodes", nodes.filter((n) => !controllers.has(n.name))),
    `[all:vars]\nansible_user=${lab.user}\nansible_ssh_private_key_file=${identityFile}\nansible_python_interpreter=/usr/bin/python3\nansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n`,
  ].join("\n");
}

const id = (text: string) => text.replace(/[^a-zA-Z0-9_]/g, "_");

export function renderMermaid(lab: Lab, labName: string): string {
  const lines = ["flowchart LR", `  host(["lab host (${lab.hypervisor.kind})"])`];
  for (const net of lab.networks) {
    const label = net.kind === "nat" ? "NAT 10.0.2.0/24 (per node)" : `${net.name}: ${net.kind}${net.cidr ? ` ${net.cidr}` : ""}`;
    lines.push(`  net_${id(net.name)}{{"${label}"}}`);
    if (net.kind === "nat") lines.push(`  host ---|"SSH forwards"| net_${id(net.name)}`);
    else if (net.hostAddress !== undefined) lines.push(`  host ---|"${net.hostAddress}"| net_${id(net.name)}`);
    else if (net.kind === "bridged") lines.push(`  host ---|"${net.device}"| net_${id(net.name)}`);
  }
  for (const node of lab.nodes) {
    lines.push(`  node_${id(node.name)}["${node.name}<br/>${node.cpus} vCPU, ${node.memoryMiB} MiB"]`);
    for (const nic of planNics(lab, labName, node)) {
      const label = nic.kind === "nat" ? `${nic.device} :22 ← ${nic.sshPort}` : `${nic.device}${nic.ip ? ` ${nic.ip}` : " (no IP)"}${nic.promiscuous ? ", promisc" : ""}`;
      lines.push(`  node_${id(node.name)} ---|"${label}"| net_${id(nic.network)}`);
    }
  }
  return lines.join("\n") + "\n";
}
