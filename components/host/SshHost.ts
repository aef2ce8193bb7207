// A lab host reached over SSH: an existing Linux machine, or a droplet the lab created. Host
// scripts travel on stdin as bundles (plan/scripts.ts), and nodes are reached through the host as
// a jump host, since their SSH forwards listen on the host's loopback only.

import type { types } from "@pulumi/command";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { bundle } from "../../plan/scripts.js";
import { hostCommand } from "../../plan/steps.js";
import type { SshTarget, Target } from "../provider/remote.js";
import { type HostCommand, type HostScriptArgs, identityOptions, type LabHostConnection, nodeSshTarget, outputHandling, withRepair } from "./connection.js";

export interface SshHostArgs {
  /** Address (or name) of the host as seen from where Pulumi runs. */
  readonly address: pulumi.Input<string>;
  /** @default 22 */
  readonly port?: number;
  /** Root, or a user with password-less sudo. @default root */
  readonly user?: string;
  readonly privateKey: pulumi.Input<string>;
  /** The host's SSH public key; every connection to the host (and through it) checks it.
   * @default none: the first connection trusts whatever answers */
  readonly hostKey?: pulumi.Input<string>;
  /** The lab's state folder on the host. */
  readonly stateDir: string;
  /** Resources every host script waits for (a droplet's readiness gate). @default none */
  readonly dependsOn?: pulumi.Resource[];
  /** When this resource goes, the host's scripts go with it without running `down` (a droplet). @default none */
  readonly deletedWith?: pulumi.Resource;
}

export class SshHost implements LabHostConnection {
  readonly stateDir: string;
  readonly sudo: boolean;
  readonly connection: types.input.remote.ConnectionArgs;
  readonly target: pulumi.Output<SshTarget>;
  private readonly user: string;

  constructor(private readonly args: SshHostArgs) {
    this.stateDir = args.stateDir;
    this.user = args.user ?? "root";
    this.sudo = this.user !== "root";
    const port = args.port ?? 22;
    // A fresh droplet or a busy host can take a while to accept SSH.
    this.connection = { host: args.address, port, user: this.user, privateKey: args.privateKey, hostKey: args.hostKey, dialErrorLimit: 60, perDialTimeout: 10 };
    this.target = pulumi.secret(
      pulumi
        .all([args.address, args.privateKey, args.hostKey])
        .apply(([host, privateKey, hostKey]): SshTarget => ({ kind: "ssh", host, port, user: this.user, privateKey, hostKey, sudo: this.sudo })),
    );
  }

  script(name: string, args: HostScriptArgs, opts: pulumi.CustomResourceOptions): HostCommand {
    const stdin = withRepair(args).apply((env) => bundle(args.script, env));
    const output = outputHandling(args, opts);
    return new command.remote.Command(
      name,
      {
        connection: this.connection,
        create: hostCommand("up", this.user),
        delete: hostCommand("down", this.user),
        update: hostCommand("up", this.user),
        stdin,
        logging: output.logging,
        addPreviousOutputInEnv: false,
      },
      identityOptions(args, {
        ...output.opts,
        dependsOn: [...toArray(opts.dependsOn), ...(this.args.dependsOn ?? [])],
        deletedWith: opts.deletedWith ?? this.args.deletedWith,
      }),
    );
  }

  nodeConnection(port: number, user: string, privateKey: pulumi.Input<string>, nodeHostKey?: pulumi.Input<string>): types.input.remote.ConnectionArgs {
    const { host, port: hostPort, user: hostUser, privateKey: hostPrivateKey, hostKey } = this.connection;
    return {
      host: "127.0.0.1",
      port,
      user,
      privateKey,
      ...(nodeHostKey === undefined ? {} : { hostKey: nodeHostKey }),
      dialErrorLimit: 200,
      perDialTimeout: 10,
      proxy: { host, port: hostPort, user: hostUser, privateKey: hostPrivateKey, hostKey },
    };
  }

  nodeTarget(port: number, user: string, privateKey: pulumi.Input<string>, hostKey?: pulumi.Input<string>): pulumi.Input<Target> {
    return pulumi.secret(pulumi.all([this.target, privateKey, hostKey]).apply(([via, key, pinned]) => nodeSshTarget(port, user, key, pinned, via)));
  }
}

function toArray(d: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (d === undefined) return [];
  return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}
