// Lab1 of the OpenStack series: the lab host prepared, credentials generated, the APT cache, the
// hypervisor's networks and one VM per node, base setup, Chrony, MariaDB, RabbitMQ, Memcached,
// and the learner's checks, which fail `up` when the lab is not what the posts promise.
import * as pulumi from "@pulumi/pulumi";
import type { LabArgs } from "../../components/lab/infrastructure.js";
import { createLabInfrastructure } from "../../components/lab/infrastructure.js";
import { NodeStep } from "../../components/lab/NodeStep.js";
import type { OpenStackLabConfig } from "../../model/schema.js";
import { openstackBake, planNodeSteps, serverNodes, serviceEndpoints } from "../../plan/openstack.js";
import { type NodeSummary, renderInventory, renderMermaid, renderNext } from "../../plan/outputs.js";
import type { CredentialValues } from "../../plan/steps.js";

export class OpenStackLab extends pulumi.ComponentResource {
  readonly nodes: NodeSummary[];
  readonly sshConfig: pulumi.Output<string>;
  readonly inventory: pulumi.Output<string>;
  /** Remote hosts: the SSH command and tunnels from the laptop. */
  readonly hostAccess: pulumi.Output<unknown> | undefined;
  /** What to do now that the lab is up (renderNext). */
  readonly next: pulumi.Output<string>;
  readonly topology: string;
  readonly credentials: pulumi.Output<CredentialValues>;
  readonly credentialsFile: pulumi.Output<string>;
  /** What each check printed, by node and check. */
  readonly checks: pulumi.Output<Record<string, Record<string, string>>>;

  constructor(name: string, args: LabArgs<OpenStackLabConfig>, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:stacks:OpenStackLab", name, {}, opts);
    const { lab, labName } = args;
    const steps = new Map(lab.nodes.map((n) => [n.name, planNodeSteps(lab, labName, n)]));
    const infra = createLabInfrastructure(name, this, {
      ...args,
      baseStep: (n) => steps.get(n.name)!.base,
      bake: openstackBake(lab),
      services: serviceEndpoints(lab),
    });
    const credentials = infra.credentials.values;

    const servers = serverNodes(lab);
    const { verify } = infra.host;
    const nodeSteps = new Map<string, NodeStep[]>();
    let chronyServer: NodeStep | undefined;
    // Servers first: a compute node's chrony client needs the controller's time server. Nothing
    // else orders one node after another, so the nodes' steps run side by side.
    const rank = (n: { name: string }) => (n.name === lab.services.chrony?.server ? 2 : servers.has(n.name) ? 1 : 0);
    const ordered = [...lab.nodes].sort((a, b) => rank(b) - rank(a));
    for (const node of ordered) {
      const labNode = infra.nodes.get(node.name)!;
      const done: NodeStep[] = [labNode.base];
      for (const service of steps.get(node.name)!.services) {
        const dependsOn = [done[done.length - 1], ...(service.name === "chrony-client" && chronyServer ? [chronyServer] : [])];
        const step = new NodeStep(
          `${name}-${node.name}-${service.name}`,
          { connection: labNode.connection, step: service.step, credentials, vmId: labNode.vmId, verify },
          { parent: this, dependsOn },
        );
        if (service.name === "chrony-server") chronyServer = step;
        done.push(step);
      }
      nodeSteps.set(node.name, done);
    }
    const allSteps = [...nodeSteps.values()].flat();
    const serverOutputs = [...servers].flatMap((s) => nodeSteps.get(s)!.map((step) => step.stdout));
    const checkOutputs: Record<string, Record<string, pulumi.Output<string>>> = {};
    for (const node of lab.nodes) {
      const labNode = infra.nodes.get(node.name)!;
      // A check runs again when its node's steps or the servers' services did something new.
      const observes = [...nodeSteps.get(node.name)!.map((step) => step.stdout), ...serverOutputs];
      checkOutputs[node.name] = {};
      for (const check of steps.get(node.name)!.checks) {
        const step = new NodeStep(
          `${name}-${node.name}-check-${check.name}`,
          { connection: labNode.connection, step: check.step, credentials, vmId: labNode.vmId, verify, observes },
          { parent: this, dependsOn: allSteps },
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
    this.next = infra.credentialsFile.apply((file) => renderNext(labName, this.nodes, file.trim()));
    this.checks = pulumi.output(checkOutputs);
    this.registerOutputs({ nodes: this.nodes, credentials: this.credentials, checks: this.checks });
  }
}
