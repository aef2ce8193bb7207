// Lab1 of the OpenStack series: the lab host prepared, credentials generated, the APT cache, the
// hypervisor's networks and one VM per node, base setup, Chrony, MariaDB, RabbitMQ, Memcached,
// and the learner's checks, which fail `up` when the lab is not what the posts promise.
import * as pulumi from "@pulumi/pulumi";
import type { LabHostConnection } from "../components/host/connection.js";
import { hypervisorDriver } from "../components/hypervisor/index.js";
import { Credentials } from "../components/lab/Credentials.js";
import { HostService } from "../components/lab/HostService.js";
import { LabNode } from "../components/lab/LabNode.js";
import { NodeStep } from "../components/lab/NodeStep.js";
import type { Lab } from "../components/model/schema.js";
import { join } from "node:path";
import { aptCacheEnvironment, imageEnvironment, prepareEnvironment } from "../components/plan/host.js";
import { planNodeSteps, serverNodes } from "../components/plan/openstack.js";
import { nodeSummaries, renderInventory, renderMermaid, renderSshConfig, type NodeSummary } from "../components/plan/outputs.js";
import type { CredentialValues } from "../components/plan/steps.js";

export interface OpenStackLabArgs {
  readonly lab: Lab;
  /** Names host devices and state; the stack name. */
  readonly labName: string;
  readonly host: LabHostConnection;
}

export class OpenStackLab extends pulumi.ComponentResource {
  readonly nodes: NodeSummary[];
  readonly sshConfig: string;
  readonly inventory: string;
  readonly topology: string;
  readonly credentials: pulumi.Output<CredentialValues>;
  readonly credentialsFile: pulumi.Output<string>;
  /** What each check printed, by node and check. */
  readonly checks: pulumi.Output<Record<string, Record<string, string>>>;

  constructor(name: string, args: OpenStackLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:stacks:OpenStackLab", name, {}, opts);
    const { lab, labName, host } = args;
    const driver = hypervisorDriver(lab, labName);

    const prepare = new HostService(`${name}-prepare`, { host, script: "host/prepare.sh", environment: prepareEnvironment(lab) }, { parent: this });
    const credentials = new Credentials(`${name}-credentials`, { host, rotation: lab.credentialsRotation, directory: lab.credentialsDir }, { parent: this });
    const hostDependencies: pulumi.Resource[] = [];
    if (lab.aptCache.enabled) {
      hostDependencies.push(
        new HostService(
          `${name}-apt-cache`,
          { host, script: "host/apt-cache.sh", environment: aptCacheEnvironment(lab, host.stateDir) },
          { parent: this, dependsOn: [prepare] },
        ),
      );
    }
    const image = new HostService(`${name}-image`, { host, script: "host/image.sh", environment: imageEnvironment(lab) }, { parent: this, dependsOn: [prepare] });
    hostDependencies.push(image);

    const networkDevices: Record<string, pulumi.Output<string>> = {};
    for (const network of lab.networks.filter((n) => n.kind !== "nat")) {
      const net = driver.network(`${name}-net-${network.name}`, { host, network }, { parent: this, dependsOn: [prepare] });
      networkDevices[network.name] = net.device;
      hostDependencies.push(net);
    }

    const servers = serverNodes(lab);
    const serviceSteps: pulumi.Resource[] = [];
    const serverSteps = new Map<string, NodeStep>();
    const planned = lab.nodes.map((node) => {
      const steps = planNodeSteps(lab, labName, node);
      const labNode = new LabNode(
        `${name}-${node.name}`,
        {
          host, driver, lab, labName, node, base: steps.base, hostDependencies, networkDevices,
          credentials: credentials.values, sshPublicKey: credentials.sshPublicKey, baseImage: image.stdout,
        },
        { parent: this },
      );
      return { node, steps, labNode };
    });
    // Servers first: a compute node's chrony client needs the controller's time server.
    const ordered = [...planned].sort((a, b) => Number(servers.has(b.node.name)) - Number(servers.has(a.node.name)));
    for (const { node, steps, labNode } of ordered) {
      let previous: pulumi.Resource = labNode.base;
      for (const service of steps.services) {
        const dependsOn = [previous, ...(service.name === "chrony-client" ? [...serverSteps.values()] : [])];
        const step = new NodeStep(
          `${name}-${node.name}-${service.name}`,
          { connection: labNode.connection, step: service.step, credentials: credentials.values, vmId: labNode.vmId },
          { parent: this, dependsOn },
        );
        if (servers.has(node.name)) serverSteps.set(service.name, step);
        serviceSteps.push(step);
        previous = step;
      }
    }
    const checkOutputs: Record<string, Record<string, pulumi.Output<string>>> = {};
    for (const { node, steps, labNode } of planned) {
      checkOutputs[node.name] = {};
      for (const check of steps.checks) {
        const step = new NodeStep(
          `${name}-${node.name}-check-${check.name}`,
          { connection: labNode.connection, step: check.step, credentials: credentials.values, vmId: labNode.vmId },
          { parent: this, dependsOn: [...planned.map((p) => p.labNode.base), ...serviceSteps] },
        );
        checkOutputs[node.name][check.name] = step.stdout;
      }
    }

    const identityFile = join(lab.credentialsDir ?? "~/.os_credentials", "lab-key");
    this.nodes = nodeSummaries(lab);
    this.sshConfig = renderSshConfig(this.nodes, identityFile);
    this.inventory = renderInventory(lab, this.nodes, servers, identityFile);
    this.topology = renderMermaid(lab, labName);
    this.credentials = credentials.values;
    this.credentialsFile = credentials.file;
    this.checks = pulumi.output(checkOutputs);
    this.registerOutputs({ nodes: this.nodes, credentials: this.credentials, checks: this.checks });
  }
}
