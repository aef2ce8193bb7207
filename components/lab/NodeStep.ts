// One provisioning step (base setup, a service, a check) run on a node over SSH.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { types } from "@pulumi/command";
import { hasSecrets, NODE_COMMAND, nodeStdin, type CredentialValues, type Step } from "../plan/steps.js";

export interface NodeStepArgs {
  /** SSH connection to the node (through the lab host). */
  readonly connection: pulumi.Input<types.input.remote.ConnectionArgs>;
  readonly step: Step;
  /** Needed when the step has secret parameters. */
  readonly credentials?: pulumi.Output<CredentialValues>;
  /** The node's VM id: a rebuilt VM must be provisioned again from scratch. */
  readonly vmId: pulumi.Input<string>;
}

export class NodeStep extends pulumi.ComponentResource {
  readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: NodeStepArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:lab:NodeStep", name, {}, opts);
    const secret = hasSecrets(args.step);
    if (secret && args.credentials === undefined) {
      throw new pulumi.ResourceError(`step ${args.step.script} needs the lab's credentials`, this);
    }
    // The stdin carries the script text too, so editing a script re-runs it (idempotently) on `up`.
    const stdin = secret ? pulumi.secret(args.credentials!.apply((c) => nodeStdin(args.step, c))) : nodeStdin(args.step);
    const run = new command.remote.Command(
      `${name}-run`,
      {
        connection: args.connection,
        create: NODE_COMMAND,
        update: NODE_COMMAND,
        stdin,
        triggers: [args.vmId],
        logging: secret ? "stderr" : "stdoutAndStderr",
        addPreviousOutputInEnv: false,
      },
      { parent: this, customTimeouts: { create: "30m", update: "30m" }, additionalSecretOutputs: secret ? ["stdout"] : undefined },
    );
    this.stdout = run.stdout;
    this.registerOutputs({ stdout: this.stdout });
  }
}
