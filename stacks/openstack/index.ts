// Lab1 of the OpenStack series as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import { parseOpenStackLab } from "../../model/parse.js";
import type { OpenStackLabConfig } from "../../model/schema.js";
import { withEnvironmentProxy } from "../../plan/host.js";
import type { LabKind } from "../kind.js";
import { OpenStackLab } from "./OpenStackLab.js";

export const openstack: LabKind<OpenStackLabConfig> = {
  kind: "openstack",
  parse: parseOpenStackLab,
  build(lab, stack, options, opts) {
    const built = new OpenStackLab(stack, { ...options, lab: withEnvironmentProxy(lab, process.env), labName: stack }, opts);
    return {
      description: lab.description ?? "OpenStack playground (Lab1): controller and compute nodes with Chrony, MariaDB, RabbitMQ and Memcached",
      nodes: built.nodes,
      ssh_config: built.sshConfig,
      // Ansible's: its groups follow the seed's hosts.ini.
      inventory: built.inventory,
      topology: built.topology,
      credentials: pulumi.secret(built.credentials),
      checks: built.checks,
      host: built.hostAccess,
      next: built.next,
    };
  },
};
