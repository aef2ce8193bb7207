// A lab-host-side piece of the lab with an up/down script: host preparation, the APT cache, the
// base image. One component so each shows up by its role in the resource tree.
import * as pulumi from "@pulumi/pulumi";
import type { LabHostConnection } from "../host/connection.js";

export interface HostServiceArgs {
  readonly host: LabHostConnection;
  /** Script under provisioning/ (called with up/down). */
  readonly script: string;
  /** Scripts it sources by a parameter (HostScriptArgs.include). */
  readonly include?: readonly string[];
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Changes that rebuild rather than update. */
  readonly triggers?: pulumi.Input<unknown[]>;
  /** The script's output is a secret (kept secret, never logged). */
  readonly secretOutput?: boolean;
  /** On a rebuild, remove the old one first (it holds a name the new one needs). */
  readonly deleteBeforeReplace?: boolean;
}

export class HostService extends pulumi.ComponentResource {
  /** What the script printed last (for the image step: the image's path on the host). */
  readonly stdout: pulumi.Output<string>;
  /** Changes whenever the script's resource is rebuilt; dependents carry it as a trigger. */
  readonly runId: pulumi.Output<string>;

  constructor(name: string, args: HostServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:lab:HostService", name, {}, opts);
    const run = args.host.script(
      `${name}-run`,
      { script: args.script, include: args.include, environment: args.environment, triggers: args.triggers, secretOutput: args.secretOutput },
      { parent: this, deleteBeforeReplace: args.deleteBeforeReplace },
    );
    this.stdout = run.stdout;
    this.runId = run.id;
    this.registerOutputs({ stdout: this.stdout });
  }
}
