// Lab 1 of the OpenStack series, its config: its own keys (services and where they run, the Cloud
// Archive, the OpenStack client) and their rules. A lab that layers more on Lab 1 extends these.
import { z } from "zod";
import { cloudArchiveProblem, imageRelease } from "../../model/distros.js";
import type { Context, KindRules } from "../../model/rules.js";
import { unknownNode } from "../../model/rules.js";
import { name, nodeName } from "../../model/schema.js";
import { type VmLabConfig, vmLabModel } from "../../model/vmLab.js";

const placement = z.strictObject({ node: nodeName });

export const ServicesSchema = z.strictObject({
  /** NTP: the server node serves the management network, every other node syncs from it. */
  chrony: z.strictObject({ server: nodeName }).optional(),
  mariadb: placement.optional(),
  /** @default user openstack */
  rabbitmq: z
    .strictObject({
      node: nodeName,
      // RabbitMQ's own guest account logs in from localhost only, and its password is public.
      user: name
        .refine((user) => user !== "guest", "guest is RabbitMQ's built-in account (localhost only, password guest): name the lab's own, like openstack")
        .default("openstack"),
    })
    .optional(),
  memcached: placement.optional(),
});

/** The OpenStack lab's own keys. */
export const openstackShape = {
  /** @default no services */
  services: ServicesSchema.default({}),
  /** Ubuntu Cloud Archive pocket for OpenStack packages (e.g. caracal); Ubuntu nodes only. */
  cloudArchive: z
    .string()
    .regex(/^[a-z]+$/, "must be an OpenStack release code name like caracal")
    .optional(),
  /** Install python3-openstackclient on every node, as the seed's nodeSetup does. @default true */
  openstackClient: z.boolean().default(true),
};

export type OpenStackLabConfig = VmLabConfig<"openstack", typeof openstackShape>;

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

/** The Cloud Archive pocket exists for the nodes' Ubuntu release (base-setup.sh adds
 * `<release>-updates/<cloudArchive>`; on Debian it would be silently ignored). */
function cloudArchiveRelease({ lab, add }: Context<OpenStackLabConfig>) {
  if (lab.cloudArchive === undefined) return;
  const problem = cloudArchiveProblem(lab.cloudArchive, imageRelease(lab.image));
  if (problem !== undefined) add(["cloudArchive"], problem);
}

export const openstackRules: KindRules<OpenStackLabConfig> = { rules: [managementRequired, servicePlacements, cloudArchiveRelease] };

export const openstackModel = vmLabModel("openstack", openstackShape, openstackRules);
