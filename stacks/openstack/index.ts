// Lab 1 of the OpenStack series as a lab kind.
import * as pulumi from "@pulumi/pulumi";
import { hypervisorOf } from "../../components/hypervisor/registry.js";
import { planLab } from "../../plan/lab.js";
import { labTopology } from "../../plan/topology.js";
import type { LabKind } from "../kind.js";
import { type OpenStackLabConfig, openstackModel } from "./model.js";
import { OpenStackLab } from "./OpenStackLab.js";
import { planOpenStack } from "./plan.js";

const planned = (lab: OpenStackLabConfig, stack: string) => planOpenStack(planLab(lab, stack, hypervisorOf(lab.hypervisor.kind).spec));

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
      host_keys: built.hostKeys,
      known_hosts: built.knownHosts,
      topology: built.topology,
      credentials: pulumi.secret(built.credentials),
      checks: built.checks,
      host: built.hostAccess,
      next: built.next,
    };
  },
  checks(lab, stack) {
    return planned(lab, stack).nodes.flatMap((n) =>
      n.checks.map((c) => ({ name: `${n.node}/${c.name}`, on: { node: n.node }, step: c.step, readsClock: c.readsClock })),
    );
  },
  topology: (lab, stack) => labTopology(planLab(lab, stack, hypervisorOf(lab.hypervisor.kind).spec)),
  statuses(lab, stack) {
    return planned(lab, stack).nodes.flatMap((n) =>
      n.services.flatMap((s) => (s.status === undefined ? [] : [{ name: `${n.node}/${s.name}`, on: { node: n.node }, step: s.status }])),
    );
  },
};
