// The lab host is the machine running Pulumi: scripts run as local commands.

import type { types } from "@pulumi/command";
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { scriptPath, shellQuote } from "../../plan/steps.js";
import { type HostCommand, type HostScriptArgs, type LabHostConnection, outputHandling, verifiedEnvironment } from "./connection.js";

export class LocalHost implements LabHostConnection {
  /** @param stateDir the lab's state folder (see hostStateDir)
   * @param verify the lab's verify round */
  constructor(
    readonly stateDir: string,
    readonly verify = 0,
  ) {}

  script(name: string, args: HostScriptArgs, opts: pulumi.CustomResourceOptions): HostCommand {
    const path = shellQuote(scriptPath(args.script));
    const output = outputHandling(args, opts);
    return new command.local.Command(
      name,
      {
        create: `bash ${path} up`,
        delete: `bash ${path} down`,
        // A parameter change re-runs `up` in place: the scripts converge, so this is safe.
        update: `bash ${path} up`,
        environment: verifiedEnvironment(args.environment, this.verify),
        triggers: args.triggers,
        logging: output.logging,
        addPreviousOutputInEnv: false,
      },
      output.opts,
    );
  }

  nodeConnection(port: number, user: string, privateKey: pulumi.Input<string>): types.input.remote.ConnectionArgs {
    // VMs forward SSH on the host's loopback; a fresh VM needs minutes under TCG, so dial patiently.
    return { host: "127.0.0.1", port, user, privateKey, dialErrorLimit: 200, perDialTimeout: 10 };
  }
}
