// Lab1 of the OpenStack series: the lab host prepared, credentials generated, the APT cache, the
// hypervisor's networks and one VM per node, base setup, Chrony, MariaDB, RabbitMQ, Memcached,
// and the learner's checks, which fail `up` when the lab is not what the posts promise.
import * as pulumi from "@pulumi/pulumi";
import { createLabInfrastructure } from "../components/lab/infrastructure.js";
import { NodeStep } from "../components/lab/NodeStep.js";
import type { Lab } from "../components/model/schema.js";
import { planNodeSteps, serverNodes, serviceEndpoints } from "../components/plan/openstack.js";
import { renderInventory, renderMermaid, type NodeSummary } from "../components/plan/outputs.js";
import type { CredentialValues } from "../components/plan/steps.js";

export interface LabStackArgs {
  readonly lab: Lab;
  /** Names host devices and state; the stack name. */
  readonly labName: string;
  /** Private key for an `ssh` lab host. */
  readonly hostPrivateKey?: pulumi.Input<string>;
}

export class OpenStackLab extends pulumi.ComponentResource {
  readonly nodes: NodeSummary[];
  readonly sshConfig: pulumi.Output<string>;
  readonly inventory: pulumi.Output<string>;
  /** Remote hosts: the SSH command and tunnels from the laptop. */
  readonly hostAccess: pulumi.Output<unknown> | undefined;
  readonly topology: string;
  readonly credentials: pulumi.Output<CredentialValues>;
  readonly credentialsFile: pulumi.Output<string>;
  /** What each check printed, by node and check. */
  readonly checks: pulumi.Output<Record<string, Record<string, string>>>;

  constructor(name: string, args: LabStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:stacks:OpenStackLab", name, {}, opts);
    const { lab, labName } = args;
    const steps = new Map(lab.nodes.map((n) => [n.name, planNodeSteps(lab, labName, n)]));
    const infra = createLabInfrastructure(name, this, { ...args, baseStep: (n) => steps.get(n.name)!.base, services: serviceEndpoints(lab) });
    const credentials = infra.credentials.values;

    const servers = serverNodes(lab);
    const serviceSteps: pulumi.Resource[] = [];
    const serverSteps: NodeStep[] = [];
    // Servers first: a compute node's chrony client needs the controller's time server.
    const ordered = [...lab.nodes].sort((a, b) => Number(servers.has(b.name)) - Number(servers.has(a.name)));
    for (const node of ordered) {
      const labNode = infra.nodes.get(node.name)!;
      let previous: pulumi.Resource = labNode.base;
      for (const service of steps.get(node.name)!.services) {
        const dependsOn = [previous, ...(service.name === "chrony-client" ? serverSteps : [])];
        const step = new NodeStep(
          `${name}-${node.name}-${service.name}`,
          { connection: labNode.connection, step: service.step, credentials, vmId: labNode.vmId },
          { parent: this, dependsOn },
        );
        if (servers.has(node.name)) serverSteps.push(step);
        serviceSteps.push(step);
        previous = step;
      }
    }
    const bases = [...infra.nodes.values()].map((n) => n.base);
    const checkOutputs: Record<string, Record<string, pulumi.Output<string>>> = {};
    for (const node of lab.nodes) {
      const labNode = infra.nodes.get(node.name)!;
      checkOutputs[node.name] = {};
      for (const check of steps.get(node.name)!.checks) {
        const step = new NodeStep(
          `${name}-${node.name}-check-${check.name}`,
          { connection: labNode.connection, step: check.step, credentials, vmId: labNode.vmId },
          { parent: this, dependsOn: [...bases, ...serviceSteps] },
        );
        checkOutputs[node.name][check.name] = step.stdout;
      }
    }

    const { access } = infra;
    this.nodes = access.nodes;
    this.sshConfig = access.sshConfig;
    this.inventory = pulumi.output(access.jump).apply((jump) => renderInventory(lab, this.nodes, servers, access.identityFile, jump));
    this.hostAccess = access.host;
    this.topology = renderMermaid(lab, labName);
    this.credentials = credentials;
    this.credentialsFile = infra.credentialsFile;
    this.checks = pulumi.output(checkOutputs);
    this.registerOutputs({ nodes: this.nodes, credentials: this.credentials, checks: this.checks });
  }
}
