// Lab 1 of the OpenStack series as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import { hypervisorOf } from "../../components/hypervisor/registry.js";
import { planLab } from "../../plan/lab.js";
import type { LabKind } from "../kind.js";
import { type OpenStackLabConfig, openstackModel } from "./model.js";
import { OpenStackLab } from "./OpenStackLab.js";
import { planOpenStack } from "./plan.js";

export const openstack: LabKind<OpenStackLabConfig> = {
  kind: "openstack",
  parse: openstackModel.parse,
  build(lab, { stack, hostPrivateKey }, opts) {
    const hypervisor = hypervisorOf(lab.hypervisor.kind);
    const plan = planLab(lab, stack, hypervisor.spec);
    const built = new OpenStackLab(stack, { plan, hypervisor, hostPrivateKey, services: planOpenStack(plan) }, opts);
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
