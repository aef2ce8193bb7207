// The lab host is the machine running Pulumi: scripts run as local commands, their bundle on stdin.

import type { types } from "@pulumi/command";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { bundle } from "../../plan/scripts.js";
import type { Target } from "../provider/remote.js";
import { type HostCommand, type HostScriptArgs, identityOptions, type LabHostConnection, nodeSshTarget, outputHandling, withRepair } from "./connection.js";

export class LocalHost implements LabHostConnection {
  readonly target: Target = { kind: "local" };
  readonly sudo = false;

  /** @param stateDir the lab's state folder (LabPlan.stateDir) */
  constructor(readonly stateDir: string) {}

  script(name: string, args: HostScriptArgs, opts: pulumi.CustomResourceOptions): HostCommand {
    const output = outputHandling(args, opts);
    const stdin = withRepair(args).apply((env) => bundle(args.script, env));
    return new command.local.Command(
      name,
      {
        create: "bash -s up",
        delete: "bash -s down",
        // A parameter change re-runs `up` in place: the scripts converge, so this is safe.
        update: "bash -s up",
        stdin,
        logging: output.logging,
        addPreviousOutputInEnv: false,
      },
      identityOptions(args, output.opts),
    );
  }

  nodeConnection(port: number, user: string, privateKey: pulumi.Input<string>, hostKey?: pulumi.Input<string>): types.input.remote.ConnectionArgs {
    // VMs forward SSH on the host's loopback; a fresh VM needs minutes under TCG, so dial patiently.
    return { host: "127.0.0.1", port, user, privateKey, ...(hostKey === undefined ? {} : { hostKey }), dialErrorLimit: 200, perDialTimeout: 10 };
  }

  nodeTarget(port: number, user: string, privateKey: pulumi.Input<string>, hostKey?: pulumi.Input<string>): pulumi.Input<Target> {
    return pulumi.secret(pulumi.all([privateKey, hostKey]).apply(([key, pinned]) => nodeSshTarget(port, user, key, pinned)));
  }
}
