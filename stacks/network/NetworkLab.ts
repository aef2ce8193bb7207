// One of the virtual networking labs: the nodes on the lab's networks, the guest devices the lab
// builds inside them (bridges, VLANs, VXLANs, tunnels) and the posts' observations as checks,
// run in order (side by side where they cannot disturb each other) as part of `up`, each failing
// it with what it ran and saw.

import * as pulumi from "@pulumi/pulumi";
import { HostService } from "../../components/lab/HostService.js";
import type { LabArgs } from "../../components/lab/infrastructure.js";
import { createLabInfrastructure } from "../../components/lab/infrastructure.js";
import { digest, NodeStep } from "../../components/lab/NodeStep.js";
import { readyCheckpoints } from "../../components/lab/readyCheckpoint.js";
import { type HostAccess, type NodeSummary, renderMermaid, renderNext } from "../../plan/outputs.js";
import type { LabPlan } from "../../plan/types.js";
import type { NetworkLabConfig } from "./model.js";
import { checkWaves, guestNetworkStep, hostServices, networkBaseStep, planChecks } from "./plan.js";

export class NetworkLab extends pulumi.ComponentResource {
  readonly description: string;
  readonly nodes: NodeSummary[];
  readonly inventory: pulumi.Output<string>;
  readonly sshConfig: pulumi.Output<string>;
  /** Each node's public host key, by node name, and them as known_hosts lines. */
  readonly hostKeys: pulumi.Output<Record<string, string>>;
  readonly knownHosts: pulumi.Output<string>;
  /** Remote hosts: the SSH command and tunnels from the laptop. */
  readonly hostAccess: pulumi.Output<HostAccess> | undefined;
  /** What to do now that the lab is up (renderNext). */
  readonly next: pulumi.Output<string>;
  readonly topology: string;
  /** The lab's SSH key pair (and the passwords every lab generates). */
  readonly credentials: pulumi.Output<unknown>;
  /** What each check printed, by check name, in the lab's order. */
  readonly checks: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: LabArgs<LabPlan<NetworkLabConfig>>, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:stacks:NetworkLab", name, {}, opts);
    const { plan } = args;
    const lab = plan.config;
    const infra = createLabInfrastructure(name, this, { ...args, baseStep: (n) => networkBaseStep(plan, n) });
    const { host } = infra;
    const credentials = infra.credentials.values;
    this.credentials = credentials;

    const ready: pulumi.Resource[] = [...infra.hostResources];
    const guestSteps: NodeStep[] = [];
    const nodeSteps = new Map<string, NodeStep[]>();
    for (const node of plan.nodes) {
      const labNode = infra.nodes.get(node.name)!;
      const step = guestNetworkStep(plan, node.name);
      guestSteps.push(labNode.base);
      nodeSteps.set(node.name, [labNode.base]);
      if (step !== undefined) {
        const guest = new NodeStep(
          `${name}-${node.name}-guest-network`,
          // Read back by the same script and parameters, asked for its status.
          // Made with `ip`, the devices do not outlive a boot: a VM started afresh gets them again.
          { connection: labNode.connection, step, vmId: labNode.vmId, status: { step, target: labNode.target }, vmRepairs: labNode.vmRepairs },
          { parent: this, dependsOn: [labNode.base] },
        );
        guestSteps.push(guest);
        nodeSteps.get(node.name)!.push(guest);
      }
    }
    ready.push(...guestSteps);
    for (const service of hostServices(plan)) {
      ready.push(
        new HostService(
          `${name}-${service.name}`,
          { host, step: { script: service.step.script, environment: service.step.env }, observed: true },
          { parent: this, dependsOn: infra.hostResources },
        ),
      );
    }

    // In waves (checkWaves): a bridge's or VTEP's forwarding table is only full after the pings
    // before it, and a capture sees only its own pings. Every check runs again when a node's
    // devices changed (a box moved to another VLAN): what the steps are, not what they printed.
    const observes = guestSteps.map((s) => s.identity);
    const results: Record<string, pulumi.Output<string>> = {};
    const nodeAccess = (node: string) => {
      const { connection, vmId } = infra.nodes.get(node)!;
      return { connection, vmId };
    };
    let previous: pulumi.Resource[] = ready;
    for (const wave of checkWaves(planChecks(plan))) {
      const dependsOn = previous;
      previous = wave.map((check) => {
        const resource =
          check.on === "host"
            ? new HostService(
                `${name}-check-${check.name}`,
                { host, step: { script: check.step.script, environment: digest(observes).apply((d) => ({ ...check.step.env, OBSERVES: d })) } },
                { parent: this, dependsOn },
              )
            : new NodeStep(
                `${name}-check-${check.name}`,
                { ...nodeAccess(check.on.node), step: check.step, credentials, observes },
                { parent: this, dependsOn },
              );
        results[check.name] = resource.stdout;
        return resource;
      });
    }

    readyCheckpoints(name, this, { plan, host, nodes: infra.nodes, steps: nodeSteps }, previous);

    this.description = lab.description ?? "";
    this.nodes = infra.access.nodes;
    this.sshConfig = infra.access.sshConfig;
    this.hostAccess = infra.access.host;
    this.next = infra.credentialsFile.apply((file) => renderNext(plan, this.nodes, file.trim()));
    this.inventory = infra.access.inventory;
    this.hostKeys = infra.access.hostKeys;
    this.knownHosts = infra.access.knownHosts;
    this.topology = renderMermaid(plan);
    this.checks = pulumi.output(results);
    this.registerOutputs({ nodes: this.nodes, checks: this.checks });
  }
}
