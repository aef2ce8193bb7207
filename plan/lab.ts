// The plan of a lab on VMs, built once from the validated config: every network with its parsed
// range and the host's address on it, every node with its NICs as the guest names them, the lab's
// folders on its host and the APT proxy its nodes use. Every layer above reads this; nothing parses
// a config string again, and the config itself is never rewritten.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { LabConfig } from "../model/schema.js";
import type { HypervisorSpec, LabPlan, NetworkPlan, NicPlan, NodePlan } from "./types.js";

/** A locally administered MAC (QEMU's 52:54:00 prefix) that stays the same across rebuilds. */
export function macAddress(labName: string, node: string, index: number): string {
  const h = createHash("sha256").update(`${labName}/${node}/${index}`).digest();
  return ["52", "54", "00", ...[0, 1, 2].map((i) => h[i].toString(16).padStart(2, "0"))].join(":");
}

/** The lab's state folder on its host: under the home of the user the lab runs as locally, system-wide
 * on a remote host (scripts run as root there). Named from the stack alone, so the plan is the same
 * wherever Pulumi runs. */
export function stateDirOf(config: Pick<LabConfig, "host">, stack: string): string {
  const { host } = config;
  return host.stateDir ?? (host.kind === "local" ? `~/.local/share/labstack/${stack}` : `/var/lib/labstack/${stack}`);
}

/** A lab host path as the local machine sees it, when the lab host is this machine (`~/` is `home`). */
export const localPath = (path: string, home: string) => path.replace(/^~(?=\/)/, home);

/** The file that says a lab was stopped (labstack stop); `up` refuses to run on it. */
export const stoppedMarker = (stateDir: string) => `${stateDir}/stopped`;

export function planLab<C extends LabConfig>(config: C, stack: string, hypervisor: HypervisorSpec): LabPlan<C> {
  const networks = config.networks.map(
    (net): NetworkPlan => ({
      config: net,
      name: net.name,
      kind: net.kind,
      hostCidr: net.hostAddress !== undefined && net.cidr !== undefined ? `${net.hostAddress}/${net.cidr.prefix}` : undefined,
    }),
  );
  const network = (name: string) => {
    const found = networks.find((n) => n.name === name);
    if (found === undefined) throw new Error(`no network ${name} in lab ${stack}`);
    return found;
  };
  const stateDir = stateDirOf(config, stack);
  const nodes = config.nodes.map((node): NodePlan => {
    const nics = node.nics.map((nic, index): NicPlan => {
      const net = network(nic.network);
      return {
        index,
        network: net,
        kind: net.kind,
        device: hypervisor.guestDevice(index),
        mac: macAddress(stack, node.name, index),
        ip: nic.ip,
        prefix: nic.ip !== undefined ? net.config.cidr?.prefix : undefined,
        promiscuous: nic.promiscuous,
        sshPort: nic.sshPort,
      };
    });
    const management = nics.find((n) => n.network.name === config.managementNetwork && n.ip !== undefined);
    return {
      config: node,
      name: node.name,
      nics,
      // The model requires the first NIC to be the NAT NIC with its forward.
      sshPort: nics[0].sshPort!,
      address: management?.ip ?? nics.find((n) => n.ip !== undefined)?.ip,
      vmDir: join(stateDir, "vms", node.name),
    };
  });
  const management = config.managementNetwork === undefined ? undefined : network(config.managementNetwork);
  const cacheHost = management?.config.hostAddress;
  return {
    config,
    name: stack,
    hypervisor,
    networks,
    nodes,
    management,
    stateDir,
    credentialsDir: config.credentialsDir ?? join(stateDir, "credentials"),
    aptProxy: config.aptCache.enabled && cacheHost !== undefined ? `http://${cacheHost}:${config.aptCache.port}` : undefined,
    network,
    node: (name) => {
      const found = nodes.find((n) => n.name === name);
      if (found === undefined) throw new Error(`no node ${name} in lab ${stack}`);
      return found;
    },
  };
}
