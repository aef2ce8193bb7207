// What every lab stands on, whatever it teaches: the lab host prepared, the lab's credentials,
// the APT cache, the base image, the hypervisor's networks and one node per VM with its base
// setup. A function rather than a component (like pulumi-eks's createCluster), so the stacks'
// resources keep short names directly under the lab.
import * as pulumi from "@pulumi/pulumi";
import type { LabHostConnection } from "../host/connection.js";
import { hypervisorDriver } from "../hypervisor/index.js";
import type { Lab, LabNode as LabNodeModel } from "../model/schema.js";
import { aptCacheEnvironment, imageEnvironment, prepareEnvironment } from "../plan/host.js";
import type { Step } from "../plan/steps.js";
import { Credentials } from "./Credentials.js";
import { HostService } from "./HostService.js";
import { LabNode } from "./LabNode.js";

export interface LabInfrastructureArgs {
  readonly lab: Lab;
  readonly labName: string;
  readonly host: LabHostConnection;
  /** Each node's base setup step. */
  readonly baseStep: (node: LabNodeModel) => Step;
}

export interface LabInfrastructure {
  readonly credentials: Credentials;
  /** Host-side resources every later step may rely on (preparation, cache, image, networks). */
  readonly hostResources: pulumi.Resource[];
  readonly nodes: Map<string, LabNode>;
}

export function createLabInfrastructure(name: string, parent: pulumi.ComponentResource, args: LabInfrastructureArgs): LabInfrastructure {
  const { lab, labName, host } = args;
  const opts = { parent };
  const driver = hypervisorDriver(lab, labName);
  const prepare = new HostService(`${name}-prepare`, { host, script: "host/prepare.sh", environment: prepareEnvironment(lab) }, opts);
  const credentials = new Credentials(`${name}-credentials`, { host, rotation: lab.credentialsRotation, directory: lab.credentialsDir }, opts);
  const hostResources: pulumi.Resource[] = [prepare];
  if (lab.aptCache.enabled) {
    hostResources.push(new HostService(`${name}-apt-cache`, { host, script: "host/apt-cache.sh", environment: aptCacheEnvironment(lab, host.stateDir) }, { parent, dependsOn: [prepare] }));
  }
  const image = new HostService(`${name}-image`, { host, script: "host/image.sh", environment: imageEnvironment(lab) }, { parent, dependsOn: [prepare] });
  hostResources.push(image);
  const networkDevices: Record<string, pulumi.Output<string>> = {};
  for (const network of lab.networks.filter((n) => n.kind !== "nat")) {
    const net = driver.network(`${name}-net-${network.name}`, { host, network }, { parent, dependsOn: [prepare] });
    networkDevices[network.name] = net.device;
    hostResources.push(net);
  }
  const nodes = new Map(
    lab.nodes.map((node) => [
      node.name,
      new LabNode(
        `${name}-${node.name}`,
        {
          host, driver, lab, labName, node, base: args.baseStep(node), hostDependencies: hostResources, networkDevices,
          credentials: credentials.values, sshPublicKey: credentials.sshPublicKey, baseImage: image.stdout,
        },
        opts,
      ),
    ]),
  );
  return { credentials, hostResources, nodes };
}
