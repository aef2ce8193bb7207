// Stack kind → the component that builds it. The entry point calls this after parsing the config.
import * as pulumi from "@pulumi/pulumi";
import { LocalHost } from "../components/host/LocalHost.js";
import type { Lab } from "../components/model/schema.js";
import { NetworkLab } from "./NetworkLab.js";
import { OpenStackLab } from "./OpenStackLab.js";

/** What every lab stack exports; other tools read these. */
export interface StackOutputs {
  readonly description: string;
  readonly nodes: unknown;
  readonly sshConfig: pulumi.Input<string>;
  /** Ansible inventory; the OpenStack lab's groups follow the seed's hosts.ini. */
  readonly inventory: pulumi.Input<string> | undefined;
  readonly topology: pulumi.Input<string>;
  readonly credentials: pulumi.Output<unknown>;
  readonly checks: pulumi.Output<unknown>;
}

export function buildLab(lab: Lab, stack: string, opts?: pulumi.ComponentResourceOptions): StackOutputs {
  const host = new LocalHost({ stack, stateDir: lab.host.stateDir });
  const args = { lab, labName: stack, host };
  if (lab.kind === "network") {
    const built = new NetworkLab(stack, args, opts);
    return { description: built.description, nodes: built.nodes, sshConfig: built.sshConfig, inventory: undefined, topology: built.topology, credentials: pulumi.secret(pulumi.output({})), checks: built.checks };
  }
  const built = new OpenStackLab(stack, args, opts);
  return {
    description: lab.description ?? "OpenStack playground (Lab1): controller and compute nodes with Chrony, MariaDB, RabbitMQ and Memcached",
    nodes: built.nodes,
    sshConfig: built.sshConfig,
    inventory: built.inventory,
    topology: built.topology,
    credentials: pulumi.secret(built.credentials),
    checks: built.checks,
  };
}
