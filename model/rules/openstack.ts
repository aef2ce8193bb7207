// The rules of an OpenStack lab's own keys: a management network, and services placed on nodes
// the lab has.
import type { OpenStackLabConfig } from "../schema.js";
import { type Context, type KindRules, labChecker, unknownNode } from "./common.js";

/** The controller's services and the APT cache live on it. */
function managementRequired({ lab, add }: Context<OpenStackLabConfig>) {
  if (lab.managementNetwork === undefined) add(["managementNetwork"], "is required for an openstack lab");
}

function servicePlacements({ lab, nodes, add }: Context<OpenStackLabConfig>) {
  const placements: [string, string | undefined][] = [
    ["chrony.server", lab.services.chrony?.server],
    ["mariadb.node", lab.services.mariadb?.node],
    ["rabbitmq.node", lab.services.rabbitmq?.node],
    ["memcached.node", lab.services.memcached?.node],
  ];
  for (const [key, node] of placements) {
    if (node !== undefined && !nodes.has(node)) add(["services", ...key.split(".")], unknownNode(node, nodes));
  }
}

export const openStackLabRules: KindRules<OpenStackLabConfig> = { rules: [managementRequired, servicePlacements] };

export const checkOpenStackLab = labChecker(openStackLabRules);
