// One provisioning step (base setup, a service, a check) run on a node over SSH.

import { createHash } from "node:crypto";
import type { types } from "@pulumi/command";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { type CredentialValues, hasSecrets, NODE_COMMAND, nodeStdin, type Step } from "../../plan/steps.js";

export interface NodeStepArgs {
  /** SSH connection to the node (through the lab host). */
  readonly connection: pulumi.Input<types.input.remote.ConnectionArgs>;
  readonly step: Step;
  /** Needed when the step has secret parameters. */
  readonly credentials?: pulumi.Output<CredentialValues>;
  /** The node's VM id: a rebuilt VM must be provisioned again from scratch. */
  readonly vmId: pulumi.Input<string>;
  /** The lab's verify round (`labstack:verify`): bumping it runs every step again, repairing drift. */
  readonly verify?: number;
  /** Outputs of the steps this one observes (a check): when one of them ran and printed something new, this runs again. */
  readonly observes?: pulumi.Input<string>[];
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
    const marks = stepMarks(args.verify, args.observes);
    const stdin = secret
      ? pulumi.secret(pulumi.all([args.credentials!, marks]).apply(([c, m]) => nodeStdin(args.step, c) + m))
      : marks.apply((m) => nodeStdin(args.step) + m);
    const run = new command.remote.Command(
      `${name}-run`,
      {
        connection: args.connection,
        create: NODE_COMMAND,
        update: NODE_COMMAND,
        stdin,
        triggers: [args.vmId],
        // A step with secrets may echo one on either stream: neither is logged, both are kept secret.
        logging: secret ? "none" : "stdoutAndStderr",
        addPreviousOutputInEnv: false,
      },
      { parent: this, customTimeouts: { create: "30m", update: "30m" }, additionalSecretOutputs: secret ? ["stdout", "stderr"] : undefined },
    );
    this.stdout = run.stdout;
    this.registerOutputs({ stdout: this.stdout });
  }
}

/** Trailing comments of a step's stdin: changing them re-runs the step (an `update`) and nothing
 * else. */
function stepMarks(verify = 0, observes: pulumi.Input<string>[] = []): pulumi.Output<string> {
  const round = verify > 0 ? `# labstack verify ${verify}\n` : "";
  if (observes.length === 0) return pulumi.output(round);
  return observedDigest(observes).apply((d) => `${round}# labstack observes ${d}\n`);
}

/** A short digest of what a check observes: it changes when one of those steps printed something
 * new. Some of them are secrets; a digest of them is not. */
export function observedDigest(observes: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.all(observes).apply((outs) => createHash("sha256").update(outs.join("\0")).digest("hex").slice(0, 16)));
}
