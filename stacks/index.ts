// Stack kind → the component that builds it. The entry point calls this after parsing the config.
import * as pulumi from "@pulumi/pulumi";
import { LocalHost } from "../components/host/LocalHost.js";
import type { Lab } from "../components/model/schema.js";
import { OpenStackLab } from "./OpenStackLab.js";

/** What every lab stack exports; other tools read these. */
export interface StackOutputs {
  readonly nodes: unknown;
  readonly sshConfig: pulumi.Input<string>;
  readonly inventory: pulumi.Input<string>;
  readonly topology: pulumi.Input<string>;
  readonly credentials: pulumi.Output<unknown>;
  readonly checks: pulumi.Output<unknown>;
}

export function buildLab(lab: Lab, stack: string, opts?: pulumi.ComponentResourceOptions): StackOutputs {
  const host = new LocalHost({ stack, stateDir: lab.host.stateDir });
  const built = new OpenStackLab(stack, { lab, labName: stack, host }, opts);
  return {
    nodes: built.nodes,
    sshConfig: built.sshConfig,
    inventory: built.inventory,
    topology: built.topology,
    credentials: pulumi.secret(built.credentials),
    checks: built.checks,
  };
}
