// Lab 1 of the OpenStack series, its plan: every node's base setup, Chrony, MariaDB, RabbitMQ,
// Memcached and the learner's checks, as steps, and the image they bake into. The component
// (components/lab/ServicesLab.ts) wires these; a lab that layers more on Lab 1 extends this plan.
import type { ImageBake } from "../../plan/image.js";
import type { ServiceEndpoint } from "../../plan/outputs.js";
import { provisioning } from "../../plan/scripts.js";
import { baseSetup, type NodeSteps, type PlannedCheck, type PlannedService, type ServicesPlan, unitsActive } from "../../plan/services.js";
import type { LabPlan } from "../../plan/types.js";
import type { OpenStackLabConfig } from "./model.js";

/** The packages every node gets besides the services: the OpenStack client, and the clients
 * the checks use to reach the controller's services the way OpenStack will. */
export function basePackages(lab: OpenStackLabConfig): string[] {
  return [...(lab.openstackClient ? ["python3-openstackclient"] : []), "mariadb-client", "python3-amqp", "chrony"];
}

/** Packages each service step installs (see its script), baked into the image. */
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

const script = (path: string) => provisioning(`openstack/${path}`);

/** Every node by its management address, for /etc/hosts. */
export const hostsEntries = (plan: LabPlan) => plan.nodes.map((n) => `${n.address} ${n.name}`).join("\n");

/** The OpenStack lab's plan. Every node uses the controller's services as OpenStack's agents will:
 * by name, over the management network, with the generated credentials. */
export function planOpenStack(plan: LabPlan<OpenStackLabConfig>): ServicesPlan {
  const lab = plan.config;
  const { chrony, mariadb, rabbitmq, memcached } = lab.services;
  const ipOf = (node: string) => plan.node(node).address!;
  const hosts = hostsEntries(plan);
  const nodes = plan.nodes.map((node): NodeSteps => {
    const ip = node.address!;
    const services: PlannedService[] = [];
    const checks: PlannedCheck[] = [{ name: "hosts", step: { script: script("check-hosts.sh"), env: { HOSTS: hosts } } }];
    if (chrony !== undefined) {
      if (chrony.server === node.name) {
        services.push({
          name: "chrony-server",
          step: { script: script("chrony-server.sh"), env: { ALLOW_CIDR: plan.management!.config.cidr!.text } },
          status: unitsActive("chrony"),
        });
        checks.push({ name: "chrony", step: { script: script("check-chrony.sh"), env: { ROLE: "server" } }, readsClock: true });
      } else {
        services.push({
          name: "chrony-client",
          step: { script: script("chrony-client.sh"), env: { SERVER: chrony.server } },
          status: unitsActive("chrony"),
          // A client needs its server's time service first.
          after: ["chrony-server"],
        });
        checks.push({
          name: "chrony",
          step: { script: script("check-chrony.sh"), env: { ROLE: "client", SERVER: chrony.server, SERVER_IP: ipOf(chrony.server) } },
          readsClock: true,
        });
      }
    }
    if (mariadb?.node === node.name) {
      services.push({
        name: "mariadb",
        step: { script: script("mariadb.sh"), env: { BIND_ADDRESS: ip }, secrets: { ROOT_PASSWORD: "mariadbRootPassword" } },
        status: unitsActive("mariadb"),
      });
      checks.push({
        name: "mariadb",
        step: { script: script("check-mariadb-server.sh"), env: { BIND_ADDRESS: ip }, secrets: { ROOT_PASSWORD: "mariadbRootPassword" } },
      });
    }
    if (rabbitmq?.node === node.name) {
      services.push({
        name: "rabbitmq",
        step: { script: script("rabbitmq.sh"), env: { BIND_ADDRESS: ip, RABBIT_USER: rabbitmq.user }, secrets: { RABBIT_PASSWORD: "rabbitmqPassword" } },
        status: unitsActive("rabbitmq-server"),
      });
      checks.push({ name: "rabbitmq", step: { script: script("check-rabbitmq-server.sh"), env: { BIND_ADDRESS: ip, RABBIT_USER: rabbitmq.user } } });
    }
    if (memcached?.node === node.name) {
      services.push({ name: "memcached", step: { script: script("memcached.sh"), env: { LISTEN_ADDRESS: ip } }, status: unitsActive("memcached") });
    }
    if (mariadb !== undefined) {
      checks.push({
        name: "mariadb-login",
        step: { script: script("check-mariadb-login.sh"), env: { DB_HOST: mariadb.node }, secrets: { ROOT_PASSWORD: "mariadbRootPassword" } },
      });
    }
    if (rabbitmq !== undefined) {
      checks.push({
        name: "rabbitmq-login",
        step: {
          script: script("check-rabbitmq-login.sh"),
          env: { RABBIT_HOST: rabbitmq.node, RABBIT_USER: rabbitmq.user },
          secrets: { RABBIT_PASSWORD: "rabbitmqPassword" },
        },
      });
    }
    if (memcached !== undefined) {
      checks.push({
        name: "memcached",
        step: { script: script("check-memcached.sh"), env: { MEMCACHED_HOST: memcached.node, MEMCACHED_IP: ipOf(memcached.node), NODE: node.name } },
      });
    }
    return { node: node.name, base: baseSetup(plan, node, hosts, basePackages(lab), lab.cloudArchive ?? ""), services, checks };
  });
  const endpoints: Record<string, ServiceEndpoint> = {};
  if (mariadb) endpoints.mariadb = { address: ipOf(mariadb.node), port: 3306 };
  if (rabbitmq) endpoints.rabbitmq = { address: ipOf(rabbitmq.node), port: 5672 };
  if (memcached) endpoints.memcached = { address: ipOf(memcached.node), port: 11211 };
  const controllers = new Set([chrony?.server, mariadb?.node, rabbitmq?.node, memcached?.node].filter((n): n is string => n !== undefined));
  return { nodes, bake: openstackBake(lab), endpoints, controllers, secrets: [] };
}
