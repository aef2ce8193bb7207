// plan/outputs.ts: what other tools and the learner read of a lab: an ssh_config, an Ansible
// inventory like the seed's hosts.ini, a Mermaid topology, remote access and the next steps.
import { describe, expect, it } from "vitest";
import { nodeSummaries, renderHostAccess, renderInventory, renderMermaid, renderNext, renderSshConfig } from "../../../plan/outputs.js";
import { labPlan, stackLab } from "../../helpers/labs.js";

const seedLab = () => labPlan(stackLab("openstack-lab"), "openstack-lab");

describe("topology", () => {
  it("draws host, networks and every NIC as the guest names it", () => {
    const text = renderMermaid(seedLab());
    expect(text.startsWith('flowchart LR\n  host(["lab host (virtualbox)"])\n')).toBe(true);
    expect(text).toContain('net_nat{{"NAT 10.0.2.0/24 (per node)"}}');
    expect(text).toContain('net_management{{"management: hostonly 192.168.1.0/24"}}');
    expect(text).toContain('host ---|"192.168.1.1"| net_management');
    expect(text).toContain('host ---|"SSH forwards"| net_nat');
    expect(text).toContain('node_controller["controller<br/>2 vCPU, 6144 MiB"]');
    expect(text).toContain('node_controller ---|"enp0s8 192.168.1.11, promisc"| net_management');
    expect(text).toContain('node_compute2 ---|"enp0s9 (no IP), promisc"| net_guest');
    expect(text).toContain('node_compute1 ---|"enp0s3 :22 ← 8200"| net_nat');
    expect(renderMermaid(labPlan(stackLab("dev")))).toContain('node_compute1 ---|"enp0s3 :22 ← 8200"| net_nat');
    expect(renderMermaid(labPlan(stackLab("net-lab7"), "net-lab7"))).toContain('host ---|"192.168.50.1"| net_mybridge');
  });
});

describe("node summaries and ssh_config", () => {
  it("reach each node on its forward with the lab's user, by its management address, with its NICs as the guest names them", () => {
    expect(nodeSummaries(seedLab())[1]).toEqual({
      name: "compute1",
      ip: "192.168.1.21",
      ssh: { host: "127.0.0.1", port: 8200, user: "stack" },
      nics: [
        { device: "enp0s3", network: "nat" },
        { device: "enp0s8", network: "management", ip: "192.168.1.21" },
        { device: "enp0s9", network: "guest" },
      ],
    });
    expect(nodeSummaries(labPlan(stackLab("net-lab1"), "net-lab1"))[0].ip).toBe("");
  });

  it("write one Host entry a node, through the lab host when it is remote", () => {
    const nodes = nodeSummaries(seedLab());
    const local = renderSshConfig(nodes, "~/.os_credentials/lab-key");
    expect(local.split("\n\n")[0]).toBe(
      [
        "Host controller",
        "  HostName 127.0.0.1",
        "  Port 8222",
        "  User stack",
        "  IdentityFile ~/.os_credentials/lab-key",
        "  IdentitiesOnly yes",
        "  StrictHostKeyChecking no",
        "  UserKnownHostsFile /dev/null",
        "  LogLevel ERROR",
      ].join("\n"),
    );
    expect(local).not.toContain("ProxyJump");
    const remote = renderSshConfig(
      nodes,
      "~/.ssh/labstack-dev",
      { address: "203.0.113.10", port: 22, user: "root", identityFile: "~/.ssh/labstack-dev" },
      "dev",
    );
    expect(
      remote.startsWith("Host dev-host\n  HostName 203.0.113.10\n  Port 22\n  User root\n  IdentityFile ~/.ssh/labstack-dev\n  IdentitiesOnly yes\n\n"),
    ).toBe(true);
    expect(remote.match(/ {2}ProxyJump dev-host/g)).toHaveLength(3);
  });

  it("check each node's host key against the lab's known_hosts when it has one, also through the lab host", () => {
    const nodes = nodeSummaries(seedLab());
    const local = renderSshConfig(nodes, "~/.os_credentials/lab-key", undefined, "openstack-lab", "~/.os_credentials/known_hosts");
    expect(local.split("\n\n")[1]).toBe(
      [
        "Host compute1",
        "  HostName 127.0.0.1",
        "  Port 8200",
        "  User stack",
        "  IdentityFile ~/.os_credentials/lab-key",
        "  IdentitiesOnly yes",
        "  StrictHostKeyChecking yes",
        "  UserKnownHostsFile ~/.os_credentials/known_hosts",
        "  LogLevel ERROR",
      ].join("\n"),
    );
    expect(local).not.toContain("/dev/null");
    const jump = { address: "203.0.113.10", port: 22, user: "root", identityFile: "~/.ssh/labstack-dev" };
    const remote = renderSshConfig(nodes, "~/.ssh/labstack-dev", jump, "dev", "~/.ssh/labstack-dev.known_hosts");
    // The jump host keeps the learner's own known_hosts; the nodes behind it are checked against the lab's.
    expect(remote.split("\n\n")[0]).not.toContain("KnownHosts");
    expect(remote.match(/ {2}ProxyJump dev-host\n {2}StrictHostKeyChecking yes\n {2}UserKnownHostsFile ~\/\.ssh\/labstack-dev\.known_hosts\n/g)).toHaveLength(
      3,
    );
  });
});

describe("inventory", () => {
  it("groups the seed's hosts.ini way: controllers, compute nodes, and the lab's key", () => {
    const plan = seedLab();
    const groups = { controller_nodes: ["controller"], compute_nodes: ["compute1", "compute2"] };
    const text = renderInventory(plan, nodeSummaries(plan), groups, "~/.os_credentials/lab-key");
    expect(text).toContain("[controller_nodes]\ncontroller mgmt_ip=192.168.1.11 ansible_host=127.0.0.1 ansible_port=8222\n");
    expect(text).toContain(
      "[compute_nodes]\ncompute1 mgmt_ip=192.168.1.21 ansible_host=127.0.0.1 ansible_port=8200\ncompute2 mgmt_ip=192.168.1.22 ansible_host=127.0.0.1 ansible_port=8201\n",
    );
    expect(text).toContain("ansible_user=stack\nansible_ssh_private_key_file=~/.os_credentials/lab-key\n");
    expect(renderInventory(plan, nodeSummaries(plan), { nodes: ["controller"] }, "k", { address: "h.example", port: 2222, user: "lab" })).toContain(
      "-o ProxyJump=lab@h.example:2222'",
    );
    // Host keys checked against the lab's known_hosts when there is one.
    expect(renderInventory(plan, nodeSummaries(plan), groups, "k", undefined, "~/.os_credentials/known_hosts")).toContain(
      "ansible_ssh_common_args='-o StrictHostKeyChecking=yes -o UserKnownHostsFile=~/.os_credentials/known_hosts'\n",
    );
    expect(text).toContain("ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n");
  });
});

describe("remote access", () => {
  it("tunnels each node's SSH and the lab's services through the lab host", () => {
    const access = renderHostAccess(
      nodeSummaries(seedLab()),
      { address: "203.0.113.10", port: 22, user: "root", identityFile: "~/.ssh/labstack-dev" },
      { mariadb: { address: "192.168.1.11", port: 3306 } },
    );
    expect(access.address).toBe("203.0.113.10");
    expect(access.ssh).toBe("ssh -i ~/.ssh/labstack-dev -p 22 root@203.0.113.10");
    expect(access.tunnels).toEqual({
      controller: "ssh -N -L 8222:127.0.0.1:8222 -i ~/.ssh/labstack-dev -p 22 root@203.0.113.10",
      compute1: "ssh -N -L 8200:127.0.0.1:8200 -i ~/.ssh/labstack-dev -p 22 root@203.0.113.10",
      compute2: "ssh -N -L 8201:127.0.0.1:8201 -i ~/.ssh/labstack-dev -p 22 root@203.0.113.10",
      mariadb: "ssh -N -L 3306:192.168.1.11:3306 -i ~/.ssh/labstack-dev -p 22 root@203.0.113.10",
    });
    expect(renderHostAccess([], { address: "h", port: 2222, user: "lab" }).ssh).toBe("ssh -p 2222 lab@h");
  });
});

describe("next steps", () => {
  it("tell the learner how to reach each node, where the credentials are, the everyday commands and how to reset", () => {
    const plan = labPlan(stackLab("dev"));
    const text = renderNext(plan, nodeSummaries(plan).slice(0, 1), "/home/l/.local/share/labstack/dev/credentials/credentials.yaml");
    expect(text.startsWith("Lab dev is up. Next:\n")).toBe(true);
    expect(text).toContain("npx labstack ssh-config dev");
    expect(text).toContain("\n  ssh controller\n");
    expect(text).toContain("credentials: /home/l/.local/share/labstack/dev/credentials/credentials.yaml");
    expect(text).toContain("npx labstack status dev");
    expect(text).toContain("npm run verify -- dev");
    expect(text).toContain("npx labstack checkpoint restore dev ready (seconds), or pulumi destroy -s dev && pulumi up -s dev");
    const noReady = labPlan({ ...stackLab("dev"), readyCheckpoint: false });
    expect(renderNext(noReady, [], "f")).toContain("reset it: pulumi destroy -s dev && pulumi up -s dev\n");
  });
});
