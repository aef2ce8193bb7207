// One of the virtual networking labs: the nodes on the lab's networks, the guest devices the lab
// builds inside them (bridges, VLANs, VXLANs, tunnels) and the posts' observations as checks,
// run in order (side by side where they cannot disturb each other) as part of `up`, each failing
// it with what it ran and saw.

import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { HostService } from "../../components/lab/HostService.js";
import type { LabArgs } from "../../components/lab/infrastructure.js";
import { createLabInfrastructure } from "../../components/lab/infrastructure.js";
import { NodeStep, observedDigest } from "../../components/lab/NodeStep.js";
import type { NetworkLabConfig } from "../../model/schema.js";
import { checkWaves, guestNetworkStep, hostServices, networkBaseStep, planChecks } from "../../plan/network.js";
import { type NodeSummary, renderMermaid, renderNext } from "../../plan/outputs.js";

export class NetworkLab extends pulumi.ComponentResource {
  readonly description: string;
  readonly nodes: NodeSummary[];
  readonly sshConfig: pulumi.Output<string>;
  /** Remote hosts: the SSH command and tunnels from the laptop. */
  readonly hostAccess: pulumi.Output<unknown> | undefined;
  /** What to do now that the lab is up (renderNext). */
  readonly next: pulumi.Output<string>;
  readonly topology: string;
  /** The lab's SSH key pair (and the passwords every lab generates). */
  readonly credentials: pulumi.Output<unknown>;
  /** What each check printed, by check name, in the lab's order. */
  readonly checks: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: LabArgs<NetworkLabConfig>, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:stacks:NetworkLab", name, {}, opts);
    const { lab, labName } = args;
    const infra = createLabInfrastructure(name, this, { ...args, baseStep: (n) => networkBaseStep(lab, labName, n) });
    const { host } = infra;
    const credentials = infra.credentials.values;
    this.credentials = credentials;

    const { verify } = host;
    const ready: pulumi.Resource[] = [...infra.hostResources];
    const guestSteps: NodeStep[] = [];
    for (const node of lab.nodes) {
      const labNode = infra.nodes.get(node.name)!;
      const step = guestNetworkStep(lab, node.name);
      guestSteps.push(labNode.base);
      if (step !== undefined) {
        guestSteps.push(
          new NodeStep(
            `${name}-${node.name}-guest-network`,
            { connection: labNode.connection, step, vmId: labNode.vmId, verify },
            { parent: this, dependsOn: [labNode.base] },
          ),
        );
      }
    }
    ready.push(...guestSteps);
    for (const service of hostServices(lab, labName)) {
      const environment = { ...service.step.env, RUN_DIR: join(host.stateDir, service.name) };
      ready.push(
        new HostService(`${name}-${service.name}`, { host, script: service.step.script, environment }, { parent: this, dependsOn: infra.hostResources }),
      );
    }

    // In waves (checkWaves): a bridge's or VTEP's forwarding table is only full after the pings
    // before it, and a capture sees only its own pings. Every check runs again when a node's
    // devices changed (a box moved to another VLAN).
    const observes = guestSteps.map((s) => s.stdout);
    const results: Record<string, pulumi.Output<string>> = {};
    const nodeAccess = (node: string) => {
      const { connection, vmId } = infra.nodes.get(node)!;
      return { connection, vmId };
    };
    let previous: pulumi.Resource[] = ready;
    for (const wave of checkWaves(planChecks(lab, labName))) {
      const dependsOn = previous;
      previous = wave.map((check) => {
        const resource =
          check.on === "host"
            ? new HostService(
                `${name}-check-${check.name}`,
                { host, script: check.step.script, environment: observedDigest(observes).apply((d) => ({ ...check.step.env, OBSERVES: d })) },
                { parent: this, dependsOn },
              )
            : new NodeStep(
                `${name}-check-${check.name}`,
                { ...nodeAccess(check.on.node), step: check.step, credentials, verify, observes },
                { parent: this, dependsOn },
              );
        results[check.name] = resource.stdout;
        return resource;
      });
    }

    this.description = lab.description ?? "";
    this.nodes = infra.access.nodes;
    this.sshConfig = infra.access.sshConfig;
    this.hostAccess = infra.access.host;
    this.next = infra.credentialsFile.apply((file) => renderNext(labName, this.nodes, file.trim()));
    this.topology = renderMermaid(lab, labName);
    this.checks = pulumi.output(results);
    this.registerOutputs({ nodes: this.nodes, checks: this.checks });
  }
}
