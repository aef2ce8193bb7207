// Everything the OpenStack lab (Lab1 of the series) runs on its nodes, as steps, computed from the
// lab model alone. The stack wires these into resources; the VM tests run them directly.
import type { LabNode, OpenStackLabConfig } from "../model/schema.js";
import { type ImageBake, labAptProxy } from "./host.js";
import { managementIp, planNics } from "./nics.js";
import type { ServiceEndpoint } from "./outputs.js";
import type { Step } from "./steps.js";

export interface NodeSteps {
  readonly node: string;
  /** Base setup, before anything else on the node. */
  readonly base: Step;
  /** Services in the order they are set up. */
  readonly services: readonly { readonly name: string; readonly step: Step }[];
  /** The learner's checks, run once the node's services (and the services it uses) are up. */
  readonly checks: readonly { readonly name: string; readonly step: Step }[];
}

/** The packages every node gets besides the services: the OpenStack client, and the clients
 * the checks use to reach the controller's services the way OpenStack will. */
export function basePackages(lab: OpenStackLabConfig): string[] {
  return [...(lab.openstackClient ? ["python3-openstackclient"] : []), "mariadb-client", "python3-amqp", "chrony"];
}

export function hostsEntries(lab: OpenStackLabConfig): string {
  return lab.nodes.map((n) => `${managementIp(lab, n)} ${n.name}`).join("\n");
}

export function managementNetwork(lab: OpenStackLabConfig) {
  return lab.networks.find((n) => n.name === lab.managementNetwork)!;
}

/** Packages each service step installs (see its script), baked into a built image. */
export const SERVICE_PACKAGES = {
  chrony: ["chrony"],
  mariadb: ["mariadb-server", "python3-pymysql"],
  rabbitmq: ["rabbitmq-server"],
  memcached: ["memcached"],
} as const;

/** Units the service steps enable on the nodes that run them: off in a baked image, so compute
 * nodes do not start a database and a broker they never use. */
const SERVICE_UNITS = ["mariadb.service", "mariadb.socket", "rabbitmq-server.service", "memcached.service"];

/** The OpenStack lab's bake: every node's packages and every service's, one image for all nodes. */
export function openstackBake(lab: OpenStackLabConfig): ImageBake {
  const { mariadb, rabbitmq, memcached } = lab.services;
  const services = [
    ...(mariadb ? SERVICE_PACKAGES.mariadb : []),
    ...(rabbitmq ? SERVICE_PACKAGES.rabbitmq : []),
    ...(memcached ? SERVICE_PACKAGES.memcached : []),
  ];
  return { packages: [...new Set([...basePackages(lab), ...services])], servicesOff: SERVICE_UNITS, cloudArchive: lab.cloudArchive };
}

function nodeIp(lab: OpenStackLabConfig, name: string): string {
  return managementIp(lab, lab.nodes.find((n) => n.name === name)!);
}

export function planNodeSteps(lab: OpenStackLabConfig, labName: string, node: LabNode): NodeSteps {
  const ip = managementIp(lab, node);
  const { chrony, mariadb, rabbitmq, memcached } = lab.services;
  const unnumbered = planNics(lab, labName, node).filter((n) => n.kind !== "nat" && n.ip === undefined);
  const base: Step = {
    script: "node/base-setup.sh",
    env: {
      HOSTS: hostsEntries(lab),
      APT_PROXY_URL: labAptProxy(lab) ?? "",
      CLOUD_ARCHIVE: lab.cloudArchive ?? "",
      UNNUMBERED_DEVICES: unnumbered.map((n) => n.device).join(" "),
      PACKAGES: basePackages(lab).join(" "),
    },
  };

  const services: { name: string; step: Step }[] = [];
  const checks: { name: string; step: Step }[] = [];
  checks.push({ name: "hosts", step: { script: "checks/hosts.sh", env: { HOSTS: hostsEntries(lab) } } });

  if (chrony !== undefined) {
    if (chrony.server === node.name) {
      services.push({ name: "chrony-server", step: { script: "node/chrony-server.sh", env: { ALLOW_CIDR: managementNetwork(lab).cidr! } } });
      checks.push({ name: "chrony", step: { script: "checks/chrony.sh", env: { ROLE: "server" } } });
    } else {
      services.push({ name: "chrony-client", step: { script: "node/chrony-client.sh", env: { SERVER: chrony.server } } });
      checks.push({
        name: "chrony",
        step: { script: "checks/chrony.sh", env: { ROLE: "client", SERVER: chrony.server, SERVER_IP: nodeIp(lab, chrony.server) } },
      });
    }
  }
  if (mariadb?.node === node.name) {
    services.push({ name: "mariadb", step: { script: "node/mariadb.sh", env: { BIND_ADDRESS: ip }, secrets: { ROOT_PASSWORD: "mariadbRootPassword" } } });
    checks.push({
      name: "mariadb",
      step: { script: "checks/mariadb-server.sh", env: { BIND_ADDRESS: ip }, secrets: { ROOT_PASSWORD: "mariadbRootPassword" } },
    });
  }
  if (rabbitmq?.node === node.name) {
    services.push({
      name: "rabbitmq",
      step: { script: "node/rabbitmq.sh", env: { BIND_ADDRESS: ip, RABBIT_USER: rabbitmq.user }, secrets: { RABBIT_PASSWORD: "rabbitmqPassword" } },
    });
    checks.push({ name: "rabbitmq", step: { script: "checks/rabbitmq-server.sh", env: { BIND_ADDRESS: ip, RABBIT_USER: rabbitmq.user } } });
  }
  if (memcached?.node === node.name) {
    services.push({ name: "memcached", step: { script: "node/memcached.sh", env: { LISTEN_ADDRESS: ip } } });
  }
  // Every node uses the controller's services as OpenStack's agents will: by name, over the
  // management network, with the generated credentials.
  if (mariadb !== undefined) {
    checks.push({
      name: "mariadb-login",
      step: { script: "checks/mariadb-login.sh", env: { DB_HOST: mariadb.node }, secrets: { ROOT_PASSWORD: "mariadbRootPassword" } },
    });
  }
  if (rabbitmq !== undefined) {
    checks.push({
      name: "rabbitmq-login",
      step: {
        script: "checks/rabbitmq-login.sh",
        env: { RABBIT_HOST: rabbitmq.node, RABBIT_USER: rabbitmq.user },
        secrets: { RABBIT_PASSWORD: "rabbitmqPassword" },
      },
    });
  }
  if (memcached !== undefined) {
    checks.push({
      name: "memcached",
      step: { script: "checks/memcached.sh", env: { MEMCACHED_HOST: memcached.node, MEMCACHED_IP: nodeIp(lab, memcached.node), NODE: node.name } },
    });
  }
  return { node: node.name, base, services, checks };
}

/** The lab's services as a learner would tunnel to them from a laptop when the lab host is remote. */
export function serviceEndpoints(lab: OpenStackLabConfig): Record<string, ServiceEndpoint> {
  const { mariadb, rabbitmq, memcached } = lab.services;
  const endpoints: Record<string, ServiceEndpoint> = {};
  if (mariadb) endpoints.mariadb = { address: nodeIp(lab, mariadb.node), port: 3306 };
  if (rabbitmq) endpoints.rabbitmq = { address: nodeIp(lab, rabbitmq.node), port: 5672 };
  if (memcached) endpoints.memcached = { address: nodeIp(lab, memcached.node), port: 11211 };
  return endpoints;
}

/** Nodes whose services others depend on, so their setup must come first. */
export function serverNodes(lab: OpenStackLabConfig): Set<string> {
  const { chrony, mariadb, rabbitmq, memcached } = lab.services;
  return new Set([chrony?.server, mariadb?.node, rabbitmq?.node, memcached?.node].filter((n): n is string => n !== undefined));
}
