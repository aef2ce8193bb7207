// Stack kind → the component that builds it. The entry point calls this after parsing the config.
import * as pulumi from "@pulumi/pulumi";
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
  /** Remote lab hosts: the SSH command and the tunnels to nodes and services. */
  readonly host: pulumi.Output<unknown> | undefined;
}

export interface BuildOptions {
  /** Private key for an `ssh` lab host. */
  readonly hostPrivateKey?: pulumi.Input<string>;
}

export function buildLab(lab: Lab, stack: string, build: BuildOptions = {}, opts?: pulumi.ComponentResourceOptions): StackOutputs {
  const args = { lab, labName: stack, hostPrivateKey: build.hostPrivateKey };
  if (lab.kind === "network") {
    const built = new NetworkLab(stack, args, opts);
    return { description: built.description, nodes: built.nodes, sshConfig: built.sshConfig, inventory: undefined, topology: built.topology, credentials: pulumi.secret(built.credentials), checks: built.checks, host: built.hostAccess };
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
    host: built.hostAccess,
  };
}
