// One provisioning step (base setup, a service, a check) run on a node over SSH, and with a status
// step, the Health that reads it back at `pulumi refresh` (a service stopped by hand).

import { createHash } from "node:crypto";
import type { types } from "@pulumi/command";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { CredentialValues } from "../../plan/credentials.js";
import { hasSecrets, nodeCommand, nodeStdin, type Step } from "../../plan/steps.js";
import type { Target } from "../provider/remote.js";
import { Health } from "./Health.js";

export interface NodeStepArgs {
  /** SSH connection to the node (through the lab host). */
  readonly connection: pulumi.Input<types.input.remote.ConnectionArgs>;
  readonly step: Step;
  /** Needed when the step has secret parameters. @default none */
  readonly credentials?: pulumi.Output<CredentialValues>;
  /** The node's VM id: a rebuilt VM must be provisioned again from scratch. */
  readonly vmId: pulumi.Input<string>;
  /** The identities of the steps this one observes (a check): when one of them changed, this runs again. @default none */
  readonly observes?: pulumi.Input<string>[];
  /** What says whether what the step made still holds, and how to reach the node to ask. @default not read back */
  readonly status?: { readonly step: Step; readonly target: pulumi.Input<Target> };
  /** The node's VM's repairs (its Health.generation), for a step whose work does not outlive a
   * boot (guest devices made with `ip`): a VM started afresh gets it again. @default none */
  readonly vmRepairs?: pulumi.Input<number>;
}

export class NodeStep extends pulumi.ComponentResource {
  readonly stdout: pulumi.Output<string>;
  /** What this step is (its script, parameters and VM), not what it printed: observers carry it. */
  readonly identity: pulumi.Output<string>;

  constructor(name: string, args: NodeStepArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labstack:lab:NodeStep", name, {}, opts);
    const secret = hasSecrets(args.step);
    if (secret && args.credentials === undefined) {
      throw new pulumi.ResourceError(`step ${args.step.script.path} needs the lab's credentials`, this);
    }
    const text = secret ? pulumi.secret(args.credentials!.apply((c) => nodeStdin(args.step, c))) : pulumi.output(nodeStdin(args.step));
    this.identity = digest([text, args.vmId]);
    const health =
      args.status === undefined
        ? undefined
        : new Health(`${name}-health`, { target: args.status.target, program: nodeStdin(args.status.step) }, { parent: this });
    // Trailing comments of the stdin: changing them re-runs the step (an `update`) and nothing else.
    const marks = pulumi
      .all([health?.generation ?? 0, args.observes === undefined ? "" : digest(args.observes)])
      .apply(([repair, observed]) => `${repair > 0 ? `# labstack repair ${repair}\n` : ""}${observed === "" ? "" : `# labstack observes ${observed}\n`}`);
    const run = new command.remote.Command(
      `${name}-run`,
      {
        connection: args.connection,
        create: nodeCommand("up"),
        update: nodeCommand("up"),
        stdin: pulumi.all([text, marks]).apply(([t, m]) => t + m),
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

/** A short digest of some values: it changes when one of them does. Some of them are secrets; a
 * digest of them is not. */
export function digest(values: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.all(values).apply((v) => createHash("sha256").update(v.join("\0")).digest("hex").slice(0, 16)));
}
