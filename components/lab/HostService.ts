// A lab-host-side piece of the lab with an up/down script: host preparation, the APT cache, the
// base image, a daemon a lab's checks need. One component so each shows up by its role in the
// resource tree.
import * as pulumi from "@pulumi/pulumi";
import type { Script } from "../../plan/scripts.js";
import type { LabHostConnection } from "../host/connection.js";
import { hostObject } from "./hostObject.js";

export interface HostServiceArgs {
  readonly host: LabHostConnection;
  /** The script and its parameters (a HostStep of the plan, or parameters that wait on other resources). */
  readonly step: { readonly script: Script; readonly environment: pulumi.Input<Readonly<Record<string, string>>> };
  /** The parameters hold a secret (a proxy's password, the lab's credentials): kept secret. @default false */
  readonly secretEnvironment?: boolean;
  /** What it is: a change rebuilds it (see HostScriptArgs.identity). @default every change re-runs `up` in place */
  readonly identity?: pulumi.Input<unknown>;
  /** The script's output is a secret (kept secret, never logged). @default false */
  readonly secretOutput?: boolean;
  /** On a rebuild, remove the old one first (it holds a name the new one needs). @default false */
  readonly deleteBeforeReplace?: boolean;
  /** Read it back at `pulumi refresh` with the script's `status` (same parameters). @default false */
  readonly observed?: boolean;
}

export class HostService extends pulumi.ComponentResource {
  /** What the script printed last (for the image step: the image's path on the host). */
  readonly stdout: pulumi.Output<string>;
  /** Changes whenever the script's resource is rebuilt; dependents carry it. */
  readonly runId: pulumi.Output<string>;

  constructor(name: string, args: HostServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:lab:HostService", name, {}, opts);
    const { environment } = args.step;
    const { command } = hostObject(
      args.host,
      `${name}-run`,
      {
        script: args.step.script,
        environment: (args.secretEnvironment ? pulumi.secret(environment) : environment) as pulumi.Input<Record<string, string>>,
        identity: args.identity,
        secretOutput: args.secretOutput,
        status: args.observed ? environment : undefined,
      },
      { parent: this, deleteBeforeReplace: args.deleteBeforeReplace },
    );
    this.stdout = command.stdout;
    this.runId = command.id;
    this.registerOutputs({ stdout: this.stdout });
  }
}
