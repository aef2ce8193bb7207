// The lab host is where hypervisor networks, VMs, the APT cache and the credentials file live.
// Everything host-side goes through this interface, so a remote lab host (SSH, a cloud droplet)
// is one more implementation, not a branch in every component.

import type { types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface HostScriptArgs {
  /** Script under provisioning/, called with `up` on create and `down` on delete. */
  readonly script: string;
  /** Other scripts under provisioning/ that it sources by a parameter (a hypervisor's host checks). */
  readonly include?: readonly string[];
  /** Parameters as environment variables; wrap secrets in pulumi.secret. */
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Values whose change must rebuild the resource rather than re-run `up` in place. */
  readonly triggers?: pulumi.Input<unknown[]>;
  /** What the script prints is a secret (a kubeconfig): kept secret in state, never logged. */
  readonly secretOutput?: boolean;
}

/** Logging and output options of a host command, from whether its output is secret. */
export function outputHandling(args: HostScriptArgs, opts: pulumi.CustomResourceOptions) {
  return args.secretOutput
    ? { logging: "none" as const, opts: { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "stdout", "stderr"] } }
    : { logging: "stdoutAndStderr" as const, opts };
}

/** A script's environment in a verify round (`labstack:verify` > 0): the round number makes every
 * host script run `up` again, which restarts what died and repairs what drifted. */
export function verifiedEnvironment(environment: HostScriptArgs["environment"], verify: number): HostScriptArgs["environment"] {
  return verify > 0 ? pulumi.output(environment).apply((env) => ({ ...env, LABSTACK_VERIFY: String(verify) })) : environment;
}

/** A command resource with the output the components read. */
export interface HostCommand extends pulumi.CustomResource {
  readonly stdout: pulumi.Output<string>;
}

export interface LabHostConnection {
  /** Runs a provisioning script on the lab host. */
  script(name: string, args: HostScriptArgs, opts: pulumi.CustomResourceOptions): HostCommand;
  /** How a node's forwarded SSH port on the lab host is reached from where Pulumi runs. */
  nodeConnection(port: number, user: string, privateKey: pulumi.Input<string>): types.input.remote.ConnectionArgs;
  /** The lab's state folder on the host (VM disks, seeds, logs, pidfiles). */
  readonly stateDir: string;
  /** The lab's verify round (see verifiedEnvironment); node steps carry it too. */
  readonly verify: number;
}
