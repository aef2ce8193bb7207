// A lab of services on nodes, wired from its plan (plan/services.ts): the infrastructure, each
// node's services in order (waiting for the services on other nodes they name), and the learner's
// checks once every service is up. Lab 1 of the OpenStack series is one; a lab that layers more
// services on it passes a longer plan to the same function.
import * as pulumi from "@pulumi/pulumi";
import type { ServicesPlan } from "../../plan/services.js";
import type { LabPlan } from "../../plan/types.js";
import { createLabInfrastructure, type LabArgs, type LabInfrastructure } from "./infrastructure.js";
import { NodeStep } from "./NodeStep.js";
import { readyCheckpoints } from "./readyCheckpoint.js";

export interface ServicesLab {
  readonly infra: LabInfrastructure;
  /** What each check printed, by node and check. */
  readonly checks: pulumi.Output<Record<string, Record<string, string>>>;
}

export function createServicesLab(name: string, parent: pulumi.ComponentResource, args: LabArgs<LabPlan> & { readonly services: ServicesPlan }): ServicesLab {
  const { services } = args;
  const byNode = new Map(services.nodes.map((n) => [n.node, n]));
  const infra = createLabInfrastructure(name, parent, {
    ...args,
    baseStep: (node) => byNode.get(node)!.base,
    bake: services.bake,
    services: services.endpoints,
    secrets: services.secrets,
    // The seed's hosts.ini groups.
    inventoryGroups: {
      controller_nodes: args.plan.nodes.filter((n) => services.controllers.has(n.name)).map((n) => n.name),
      compute_nodes: args.plan.nodes.filter((n) => !services.controllers.has(n.name)).map((n) => n.name),
    },
  });
  const credentials = infra.credentials.values;

  // Each node's steps in order; a step also waits for the steps on other nodes it names (a chrony
  // client for the server). Nothing else orders one node after another, so nodes run side by side.
  const done = new Map(services.nodes.map((n) => [n.node, [infra.nodes.get(n.node)!.base] as NodeStep[]]));
  const made = new Map<string, NodeStep[]>();
  const pending = services.nodes.flatMap((n) => n.services.map((service, index) => ({ node: n.node, service, index })));
  while (pending.length > 0) {
    const ready = pending.filter(
      (p) => done.get(p.node)!.length === p.index + 1 && (p.service.after ?? []).every((a) => pending.every((q) => q.service.name !== a)),
    );
    if (ready.length === 0) throw new pulumi.ResourceError(`the services of lab ${name} wait for each other in a circle`, parent);
    for (const { node, service } of ready) {
      const labNode = infra.nodes.get(node)!;
      const previous = done.get(node)!;
      const step = new NodeStep(
        `${name}-${node}-${service.name}`,
        {
          connection: labNode.connection,
          step: service.step,
          credentials,
          vmId: labNode.vmId,
          status: service.status === undefined ? undefined : { step: service.status, target: labNode.target },
        },
        { parent, dependsOn: [previous[previous.length - 1], ...(service.after ?? []).flatMap((a) => made.get(a) ?? [])] },
      );
      previous.push(step);
      made.set(service.name, [...(made.get(service.name) ?? []), step]);
      pending.splice(pending.indexOf(pending.find((p) => p.node === node && p.service === service)!), 1);
    }
  }

  const allSteps = [...done.values()].flat();
  const serverSteps = [...services.controllers].flatMap((s) => done.get(s) ?? []);
  const checks: Record<string, Record<string, pulumi.Output<string>>> = {};
  const checkSteps: NodeStep[] = [];
  for (const node of services.nodes) {
    const labNode = infra.nodes.get(node.node)!;
    // A check runs again when its node's steps or the servers' services changed: what they are,
    // not what they printed, so a repair at a refresh re-runs only the repaired step.
    const observes = [...done.get(node.node)!, ...serverSteps].map((step) => step.identity);
    checks[node.node] = {};
    for (const check of node.checks) {
      const step = new NodeStep(
        `${name}-${node.node}-check-${check.name}`,
        { connection: labNode.connection, step: check.step, credentials, vmId: labNode.vmId, observes },
        { parent, dependsOn: allSteps },
      );
      checks[node.node][check.name] = step.stdout;
      checkSteps.push(step);
    }
  }
  readyCheckpoints(name, parent, { plan: args.plan, host: infra.host, nodes: infra.nodes, steps: done }, checkSteps);
  return { infra, checks: pulumi.output(checks) };
}
