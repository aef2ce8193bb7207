// The lab host is where hypervisor networks, VMs, the APT cache and the credentials file live.
// Everything host-side goes through this interface, so a remote lab host (SSH, a cloud droplet)
// is one more implementation, not a branch in every component.

import type { types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Script } from "../../plan/scripts.js";
import type { SshTarget, Target } from "../provider/remote.js";

export interface HostScriptArgs {
  /** Script under provisioning/, called with `up` on create and update, `down` on delete. */
  readonly script: Script;
  /** Its parameters; wrap secrets in pulumi.secret. */
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** What the resource is: a change rebuilds it instead of re-running `up` in place. Only plan
   * values, known before anything runs, so a preview shows exactly what a change replaces.
   * @default nothing: every change re-runs `up` in place */
  readonly identity?: pulumi.Input<unknown>;
  /** What the script prints is a secret (a kubeconfig): kept secret in state, never logged. @default false */
  readonly secretOutput?: boolean;
  /** The repairs so far (Health.generation): a new one re-runs `up`, which restores what drifted. @default 0 */
  readonly repair?: pulumi.Input<number>;
}

/** A command resource with the output the components read. */
export interface HostCommand extends pulumi.CustomResource {
  readonly stdout: pulumi.Output<string>;
}

export interface LabHostConnection {
  /** Runs a provisioning script on the lab host. */
  script(name: string, args: HostScriptArgs, opts: pulumi.CustomResourceOptions): HostCommand;
  /** How a node's forwarded SSH port on the lab host is reached from where Pulumi runs; with
   * `hostKey` (an authorized_keys line), a node answering with any other key is refused.
   * @param hostKey @default none: whatever answers is trusted (only before the node has the lab's key) */
  nodeConnection(port: number, user: string, privateKey: pulumi.Input<string>, hostKey?: pulumi.Input<string>): types.input.remote.ConnectionArgs;
  /** How the lab's provider reaches the host to read what is there (`pulumi refresh`). */
  readonly target: pulumi.Input<Target>;
  /** How it reaches a node, through the host, checking the node's `hostKey` when given. */
  nodeTarget(port: number, user: string, privateKey: pulumi.Input<string>, hostKey?: pulumi.Input<string>): pulumi.Input<Target>;
  /** Whether host scripts go through sudo there (a remote user that is not root). */
  readonly sudo: boolean;
  /** The lab's state folder on the host (VM disks, seeds, logs, pidfiles); `~/` is the home there. */
  readonly stateDir: string;
}

/** Logging and output options of a host command, from whether its output is secret. */
export function outputHandling(args: HostScriptArgs, opts: pulumi.CustomResourceOptions) {
  return args.secretOutput
    ? { logging: "none" as const, opts: { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "stdout", "stderr"] } }
    : { logging: "stdoutAndStderr" as const, opts };
}

/** A script's parameters with the repair count: after a repair `up` runs again, and only then. */
export function withRepair(args: HostScriptArgs): pulumi.Output<Record<string, string>> {
  return pulumi
    .all([args.environment, args.repair ?? 0])
    .apply(([env, repair]) => (repair > 0 ? { ...(env as Record<string, string>), LABSTACK_REPAIR: String(repair) } : (env as Record<string, string>)));
}

/** Resource options every host command shares: identity through the engine's replacementTrigger
 * (labs made before it existed recorded their identity as the command's `triggers`, which stay as
 * they were instead of forcing a rebuild). */
export function identityOptions(args: HostScriptArgs, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
  return { ...opts, replacementTrigger: args.identity, ignoreChanges: [...(opts.ignoreChanges ?? []), "triggers"] };
}

/** A node's SSH forward on the lab host's loopback as the lab's provider reaches it: as the lab's
 * user with sudo, its host key pinned when the lab has pinned one, through `via` on a remote host. */
export function nodeSshTarget(port: number, user: string, privateKey: string, hostKey: string | undefined, via?: SshTarget): Target {
  return {
    kind: "ssh",
    host: "127.0.0.1",
    port,
    user,
    privateKey,
    ...(hostKey === undefined ? {} : { hostKey }),
    sudo: true,
    ...(via === undefined ? {} : { via }),
  };
}
